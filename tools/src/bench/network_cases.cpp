// network_cases.cpp — whole-network cases of `bench`: the IIC training step and inference.
//
//  <net>_step: one training step of the authors' recipe through the trainer's own code,
//    iic::Trainer::step (inputs to the device, iic::subhead_losses: both forward passes and the
//    IIC loss of every sub-head; their mean; the finite-loss check; backward; eng::Adam step and
//    zero_grad), on synthetic inputs x [B, 1, s, s] and x_tf [r*B, 1, s, s]. work "dedup"
//    passes the B originals once and repeats their outputs (the trainer's default), "identical"
//    passes x repeated r times (the authors' code, TrainOptions::identical_work).
//  <net>_infer: head B's probabilities of a batch (inputs to the device, trunk + head in
//    evaluation mode: batch-norm batch statistics, no graph), as Trainer::evaluate runs them.
#include <numeric>

#include "engine/autograd.hpp"
#include "iic/train.hpp"
#include "tools/src/bench/bench.hpp"
#include "tools/src/bench/workload.hpp"

namespace bench {

void run_train_step(const Options& o, const std::string& dataset, const std::string& head,
                    const std::string& work) {
  eng::Rng rng(o.seed, 1);
  Workload w = make_workload(dataset, rng);
  w.net->to(o.device);
  const int64_t b = w.recipe.batch, r = w.recipe.repeats;
  // The trainer wants a training set of at least one batch; step() never reads it.
  eng::data::Dataset unused = random_source_images(dataset, b, rng);
  iic::TrainOptions to;
  to.identical_work = work == "identical";
  to.progress = false;
  to.checkpoint_every_s = 0;
  iic::Trainer trainer(*w.net, w.recipe, unused, unused, w.transforms, to);
  eng::Tensor x = random_inputs(b, w.input_side, rng);
  eng::Tensor x_tf = random_inputs(r * b, w.input_side, rng);

  std::vector<double> losses;
  Timing t = time_iterations(o, [&](bool) { losses = trainer.step(head_name(head), x, x_tf); });
  Result res{network_case(dataset) + "_step", head, work, "pairs", r * b, t};
  res.extra.set("batch", b);
  res.extra.set("repeats", r);
  res.extra.set("k", head == "A" ? w.recipe.k_a : w.recipe.k_b);
  res.extra.set("loss", std::accumulate(losses.begin(), losses.end(), 0.0) / losses.size());
  int64_t params = 0;
  for (const eng::NamedTensor& p : w.net->parameters()) params += p.tensor.numel();
  res.extra.set("parameters", params);
  emit(o, res);
}

void run_inference(const Options& o, const std::string& dataset) {
  eng::Rng rng(o.seed, 1);
  Workload w = make_workload(dataset, rng);
  w.net->to(o.device);
  eng::Tensor x = random_inputs(o.infer_batch, w.input_side, rng);
  eng::NoGradGuard no_grad;
  Timing t = time_iterations(o, [&](bool) {
    w.net->head("head_b", w.net->features(x.to(o.device), eng::BatchNormMode::EvalBatchStats));
  });
  Result res{network_case(dataset) + "_infer", "B", "", "batch", o.infer_batch, t};
  emit(o, res);
}

}  // namespace bench
