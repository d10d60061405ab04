// train.hpp — IIC training with the authors' two-head schedule, evaluations and checkpoints.
//
// Contract:
//  - One epoch = the recipe's head passes in order (MNIST: head_b, head_b, head_a); a pass is
//    one sweep over its head's training set in steps of B images (drop_last). A head trains on
//    the constructor's training set unless set_head_train_set gave it its own (STL-10: head A on
//    train+unlabelled+test, head B on train+test), so passes may differ in length; pass p of the
//    run (p = epoch * passes + index in the schedule) draws its order and augmentations from
//    (seed, p) whichever set it sweeps. A step: x (tf1, B images)
//    and x_tf (r tf2 draws each) go through the network as two separate forward passes (batch
//    norm statistics per pass, as the authors' code); the r copies of each original are paired
//    with its x output repeated r times; loss = mean over sub-heads of the IIC loss; backward;
//    Adam.
//  - Repeated originals: x repeated r times has the same batch-norm statistics as x, so by
//    default x goes through the network once and its outputs are repeated (gradients summed by
//    autograd): the same loss and gradients as the authors' r*B pass for ~1.7x less work.
//    `identical_work` runs the full r*B pass instead (benchmarks, and the test that shows both
//    agree).
//  - After every epoch (and, with eval_every_passes = n, also after every n-th head pass of the
//    run): evaluation of head B's sub-heads on the eval set by predict.hpp (tf3, batch-norm batch
//    statistics, batches of evaluation_options), Hungarian one-to-one accuracy (skipped when the
//    eval set has no labels: then the record holds losses only); the selected sub-head is
//    evaluate.hpp's lowest_loss_subhead of the mean training losses over the head-B steps since
//    the previous evaluation (the epoch's, without eval_every_passes). stop_at_accuracy > 0 ends
//    the run at the first evaluation whose selected sub-head reaches it (a benchmark criterion:
//    it reads the labels).
//  - Checkpoints (out_dir/checkpoint.safetensors, run_state.hpp: atomic, a versioned state)
//    after every evaluation and every checkpoint_every_s seconds; `resume` restarts exactly at
//    the saved step (same batches, same parameters and optimizer state: a resumed run equals an
//    uninterrupted one bit for bit on the CPU). A checkpoint of another dataset, network, seed,
//    shuffle setting or per-head training-set sizes is an Error. A non-finite loss stops the run
//    with an Error; the last checkpoint is kept.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "engine/adam.hpp"
#include "iic/predict.hpp"
#include "iic/protocol.hpp"
#include "iic/run_state.hpp"
#include "models/cluster_net.hpp"

namespace iic {

struct TrainOptions {
  int epochs = 1;
  double time_budget_s = 0;  // stop (with a checkpoint) after this much training; 0 = none
  uint64_t seed = 0;
  bool shuffle = true;  // false: the datasets' own order, as the authors
  int loader_workers = 1;
  bool identical_work = false;
  int64_t max_steps_per_pass = 0;  // 0: full passes; else at most this many steps per pass
  // Images per evaluation batch (batch norm takes each batch's statistics); 0: the recipe's
  // batch x repeats, as the authors' evaluation loader.
  int64_t eval_batch = 0;
  int64_t eval_limit = 0;       // 0: evaluate on the whole eval set; else its first N images
  int eval_every_passes = 0;    // 0: evaluate after every epoch only; n: also every n passes
  double stop_at_accuracy = 0;  // > 0: stop once the lowest-loss sub-head reaches it
  std::string out_dir;          // checkpoints go here; "" = no checkpoints
  double checkpoint_every_s = 600;
  bool resume = false;
  bool progress = true;  // a progress bar on stderr
};

struct TrainResult {
  std::vector<EpochRecord> history;
  bool budget_reached = false;
  bool target_reached = false;  // stop_at_accuracy was reached
  int64_t steps = 0;
  double train_seconds = 0;
};

// The IIC loss of every sub-head of `head` for one batch: x [B, ...] (tf1) and x_tf [r*B, ...]
// (row d*B + i = copy d of image i), both already on the network's device. Returns [S], with
// the graph recorded. identical_work: the originals go through the network r times, as the
// authors' code does; otherwise once, with the outputs repeated (same value and gradients).
eng::Tensor subhead_losses(const models::ClusterNet& net, const std::string& head,
                           const eng::Tensor& x, const eng::Tensor& x_tf, int repeats, float lambda,
                           bool identical_work);

// The trainer's evaluation batches: eval_batch (else the recipe's batch x repeats, as the
// authors' evaluation loader), eval_limit, loader_workers threads. iic_cluster predicts with
// these too, so its figures equal the trainer's.
PredictOptions evaluation_options(const Recipe& recipe, const TrainOptions& options);

class Trainer {
 public:
  Trainer(models::ClusterNet& net, const Recipe& recipe, const eng::data::Dataset& train_set,
          const eng::data::Dataset& eval_set, eng::data::TransformSet transforms,
          TrainOptions options);
  // Head `head` (one of the schedule's) trains on `set` instead of the training set; same image
  // shape, at least one batch. The set must outlive the trainer. Call before run().
  void set_head_train_set(const std::string& head, const eng::data::Dataset& set);
  // Steps of each pass of the schedule, in order (max_steps_per_pass applied).
  std::vector<int64_t> pass_steps() const;
  TrainResult run();

  // One training step on a batch for a head; returns the per-sub-head losses.
  std::vector<double> step(const std::string& head, const eng::Tensor& x, const eng::Tensor& x_tf);
  // Head B's sub-head accuracies on the eval set (subhead_loss left empty); `confusions` gets
  // each sub-head's class_confusion.
  Evaluation evaluate(std::vector<std::vector<int64_t>>& confusions);
  // Called after each evaluation (tools print tables, write results as they go).
  std::function<void(const EpochRecord&)> on_epoch;

 private:
  // Evaluates, appends the record to the history, checkpoints, calls on_epoch.
  const EpochRecord& record(RunState& state, bool partial);
  void save(const RunState& state) const;
  bool resume(RunState& state);  // false: nothing to resume from
  RunIdentity identity() const;
  std::string checkpoint_path() const;
  std::vector<int64_t> pass_order(const eng::data::Dataset& set, int64_t pass_id) const;
  const eng::data::Dataset& train_set(const std::string& head) const;
  int64_t full_pass_steps(const std::string& head) const;  // drop_last, as the loader
  int64_t full_epoch_steps() const;                        // the schedule's passes uncut

  models::ClusterNet& net_;
  Recipe recipe_;
  const eng::data::Dataset& train_;
  std::map<std::string, const eng::data::Dataset*> head_train_;  // heads with their own set
  const eng::data::Dataset& eval_;
  eng::data::TransformSet tf_;
  TrainOptions opt_;
  eng::Adam adam_;
};

}  // namespace iic
