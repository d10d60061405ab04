// train.hpp — IIC training with the authors' two-head schedule, evaluation, checkpoints.
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
//    run): evaluation of head B's sub-heads on the eval set (tf3, batch-norm batch statistics),
//    Hungarian one-to-one accuracy (skipped when the eval set has no labels: then the record
//    holds losses only); the "lowest loss" sub-head is the one with the lowest mean training
//    loss over the head-B steps since the previous evaluation (the epoch's, without
//    eval_every_passes). stop_at_accuracy > 0 ends the run at the first evaluation whose
//    lowest-loss sub-head reaches it (a benchmark criterion: it reads the labels).
//  - Checkpoints (out_dir/checkpoint.safetensors, atomic) after every epoch and every
//    checkpoint_every_s seconds; `resume` restarts exactly at the saved step (same batches, same
//    parameters and optimizer state: a resumed run equals an uninterrupted one bit for bit on
//    the CPU). The checkpoint holds the size of each head's training set; resuming with other
//    sizes is an Error. A non-finite loss stops the run with an Error; the last checkpoint is
//    kept.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "engine/adam.hpp"
#include "engine/json.hpp"
#include "iic/protocol.hpp"
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

struct Evaluation {
  std::vector<double> subhead_acc;                     // head B sub-heads, one-to-one accuracy
  std::vector<double> subhead_loss;                    // their mean training loss over the epoch
  int selected = 0;                                    // index of the lowest-loss sub-head
  double selected_acc = 0, mean_acc = 0, std_acc = 0;  // std: population (numpy default)
  // The selected sub-head's class_confusion (evaluate.hpp): C x (C + 1), row = true class,
  // column = the class its cluster maps to (C: none). Empty without labels.
  std::vector<int64_t> confusion;
};

// One evaluation: after an epoch, after a pass (eval_every_passes), or where a budget stopped.
struct EpochRecord {
  int epoch = 0;             // epochs completed
  double epochs_done = 0;    // training steps / steps of a full epoch (its passes uncut)
  bool partial = false;      // the time budget ended the run here, inside an epoch
  int64_t steps = 0;         // training steps completed
  double train_seconds = 0;  // wall time spent training (evaluation excluded)
  double eval_seconds = 0;   // wall time spent evaluating, this record's evaluation included
  Evaluation eval;
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

eng::Json to_json(const Evaluation& e);
eng::Json to_json(const EpochRecord& r);

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
  // Where the run stands: enough to resume exactly.
  struct Position {
    int epoch = 0;     // epochs completed
    int pass = 0;      // head passes completed within the epoch
    int64_t step = 0;  // steps completed within the pass
    int64_t total_steps = 0;
    double train_seconds = 0;
    double eval_seconds = 0;
    std::vector<double> loss_sum;  // head-B sub-head losses summed since the last evaluation
    int64_t loss_count = 0;
  };
  // Evaluates, appends the record to `history`, checkpoints, calls on_epoch.
  const EpochRecord& record(Position& pos, bool partial, std::vector<EpochRecord>& history);
  std::string checkpoint_path() const;
  void save_checkpoint(const Position& pos, const std::vector<EpochRecord>& history);
  bool load_checkpoint(Position& pos, std::vector<EpochRecord>& history);
  std::vector<int64_t> pass_order(const eng::data::Dataset& set, int64_t pass_id) const;
  const eng::data::Dataset& train_set(const std::string& head) const;
  int64_t full_pass_steps(const std::string& head) const;  // drop_last, as the loader
  int64_t full_epoch_steps() const;                        // the schedule's passes uncut
  eng::Json train_set_sizes_json() const;                  // head -> its training set's size

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
