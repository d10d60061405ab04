// step_ops.cpp — `<net>_step_ops`: where the time of one IIC training step goes.
//
// The step is composed phase by phase from the calls iic::subhead_losses makes (trunk and head
// of the originals, of the transformed copies, the repeat of the originals' outputs, the loss of
// every sub-head and their mean), then backward and the Adam update; each phase is timed (with a
// device synchronisation on CUDA). The backward pass is broken down per op kind: before it runs,
// every node of the recorded graph gets its backward closure wrapped in a clock, so
// "<op>.bwd" is the time spent in the backward of all `<op>` nodes (conv2d, batch_norm,
// linear, ...); "backward.other" is the rest of the backward pass (the autograd walk, summing
// gradients of tensors used twice, storing leaf gradients). Lines: one per label, the median
// seconds over the timed iterations and their share of the median whole step (first line).
#include <algorithm>
#include <unordered_set>

#include "engine/adam.hpp"
#include "engine/autograd.hpp"
#include "iic/iic_loss.hpp"
#include "ops/ops.hpp"
#include "tools/src/bench/bench.hpp"
#include "tools/src/bench/workload.hpp"

namespace bench {
namespace {

// Wraps the backward closure of every node reachable from `root` so that its time is added to
// times["<op>.bwd"] (the autograd pass drops the closures once it has run them).
void clock_backward(const eng::Tensor& root, OpTimes& times, eng::Device device) {
  std::vector<std::shared_ptr<eng::Node>> stack{root.grad_fn()};
  std::unordered_set<eng::Node*> seen{root.grad_fn().get()};
  while (!stack.empty()) {
    std::shared_ptr<eng::Node> node = stack.back();
    stack.pop_back();
    node->backward = [inner = std::move(node->backward), label = node->op + ".bwd", &times,
                      device](const eng::Tensor& g) {
      Clock::time_point t0 = Clock::now();
      std::vector<eng::Tensor> grads = inner(g);
      sync_device(device);
      times.add(label, seconds_since(t0));
      return grads;
    };
    for (const eng::Node::Edge& e : node->next)
      if (e.fn && seen.insert(e.fn.get()).second) stack.push_back(e.fn);
  }
}

}  // namespace

void run_step_ops(const Options& o, const std::string& dataset, const std::string& head,
                  const std::string& work) {
  eng::Rng rng(o.seed, 1);
  Workload w = make_workload(dataset, rng);
  w.net->to(o.device);
  const models::ClusterNet& net = *w.net;
  const int64_t b = w.recipe.batch;
  const int r = w.recipe.repeats;
  const std::string hn = head_name(head);
  eng::Adam adam(net.parameters(), eng::AdamOptions{w.recipe.lr});
  eng::Tensor x_host = random_inputs(b, w.input_side, rng);
  eng::Tensor x_tf_host = random_inputs(r * b, w.input_side, rng);

  OpMedians medians;
  auto step = [&](bool timed) {
    OpTimes times;
    auto phase = [&](const std::string& label, auto f) {
      Clock::time_point t0 = Clock::now();
      eng::Tensor out = f();
      sync_device(o.device);
      times.add(label, seconds_since(t0));
      return out;
    };
    eng::Tensor x = phase("inputs.to_device", [&] { return x_host.to(o.device); });
    eng::Tensor x_tf = phase("inputs.to_device", [&] { return x_tf_host.to(o.device); });
    eng::Tensor z;
    if (work == "identical") {
      eng::Tensor xr =
          phase("repeat(x)", [&] { return eng::concat(std::vector<eng::Tensor>(r, x), 0); });
      eng::Tensor f =
          phase("trunk(x).fwd", [&] { return net.features(xr, eng::BatchNormMode::Train); });
      z = phase("head(x).fwd", [&] { return net.head(hn, f); });
    } else {
      eng::Tensor f =
          phase("trunk(x).fwd", [&] { return net.features(x, eng::BatchNormMode::Train); });
      eng::Tensor zx = phase("head(x).fwd", [&] { return net.head(hn, f); });
      z = phase("repeat(z_x)", [&] { return eng::concat(std::vector<eng::Tensor>(r, zx), 1); });
    }
    eng::Tensor f_tf =
        phase("trunk(x_tf).fwd", [&] { return net.features(x_tf, eng::BatchNormMode::Train); });
    eng::Tensor z_tf = phase("head(x_tf).fwd", [&] { return net.head(hn, f_tf); });
    eng::Tensor loss = phase("iic_loss.fwd", [&] {
      eng::Tensor l = eng::mean(iic::iic_loss_subheads(z, z_tf, w.recipe.lambda));
      l.item();  // the trainer reads the losses before backward
      return l;
    });
    OpTimes backward_ops;
    clock_backward(loss, backward_ops, o.device);
    Clock::time_point t0 = Clock::now();
    loss.backward();
    sync_device(o.device);
    double rest = seconds_since(t0);
    for (const std::string& label : backward_ops.order) {
      times.add(label, backward_ops.seconds[label]);
      rest -= backward_ops.seconds[label];
    }
    times.add("backward.other", std::max(0.0, rest));
    t0 = Clock::now();
    adam.step();
    adam.zero_grad();
    sync_device(o.device);
    times.add("adam", seconds_since(t0));
    if (timed) medians.add(times);
  };
  Timing t = time_iterations(o, step);
  const std::string name = network_case(dataset) + "_step_ops";
  emit(o, Result{name, head, work, "pairs", r * b, t});
  for (const std::string& label : medians.order) {
    const double s = medians.median_of(label);
    emit_op(o, name + "/" + label, s, s / t.seconds, 0);
  }
}

}  // namespace bench
