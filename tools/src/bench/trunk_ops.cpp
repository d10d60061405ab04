// trunk_ops.cpp — `trunk`: the ClusterNet6c trunk (protocol.md) forward and forward + backward,
// per op:
//   [N,1,24,24] -> conv5x5 p2 64 -> BN+ReLU -> maxpool 2x2 -> conv 128 -> BN+ReLU -> pool
//               -> conv 256 -> BN+ReLU -> pool -> conv 512 -> BN+ReLU   ([N,512,3,3])
// built here from the engine's ops (conv2d, batch_norm with the fused ReLU in training mode,
// max_pool2d) on the chosen CPU backend, batch --batch (default 1400).
//
// Lines: trunk_fwd (forward alone, no graph) and trunk_fwd_bwd (forward with the graph and the
// full backward pass seeded with ones), with GFLOP/s counting 2 * multiply-adds of the
// convolutions actually run (forward; backward data for conv2..4 only, the input needs no
// gradient; backward weights for all four); then trunk_fwd_bwd/<op>.fwd|bwd per op and per
// kind. Backward times per op come from identity "probe" nodes between the ops: the autograd
// pass visits the chain in order, so the time between two probes is the backward of the op
// between them.
#include <algorithm>
#include <map>

#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/params.hpp"
#include "ops/batchnorm.hpp"
#include "ops/conv2d.hpp"
#include "ops/pool2d.hpp"
#include "tools/src/bench/bench.hpp"

namespace bench {
namespace {

// One conv block of the trunk; `hw` is its input (= output) side.
struct Block {
  int64_t cin, cout, hw;
  bool pool_after;
  int64_t macs_per_image() const { return cout * cin * 25 * hw * hw; }
};
const std::vector<Block> kTrunk = {
    {1, 64, 24, true}, {64, 128, 12, true}, {128, 256, 6, true}, {256, 512, 3, false}};

struct Params {
  std::vector<eng::Tensor> w, gamma, beta;
};
Params make_params(eng::Rng& rng) {
  Params p;
  for (const Block& b : kTrunk) {
    p.w.push_back(eng::make_parameter({b.cout, b.cin, 5, 5}));
    eng::init_kaiming_normal(p.w.back(), eng::FanMode::FanIn, rng);
    p.gamma.push_back(eng::make_parameter({b.cout}));
    eng::init_constant(p.gamma.back(), 1.0f);
    p.beta.push_back(eng::make_parameter({b.cout}));
  }
  return p;
}

// Backward timing: probe(t, label) is t unchanged; when the backward pass reaches it, the time
// since the previous probe is charged to the op that the previous probe followed.
class BackwardClock {
 public:
  explicit BackwardClock(OpTimes& times) : times_(times) {}
  eng::Tensor probe(const eng::Tensor& t, const std::string& op) {
    eng::Tensor out = t.detach();
    eng::record(out, "probe", {t}, [this, op](const eng::Tensor& g) {
      mark(op);
      return std::vector<eng::Tensor>{g};
    });
    return out;
  }
  void start() { pending_.clear(); }
  void finish() { mark(""); }

 private:
  void mark(const std::string& next_op) {
    Clock::time_point now = Clock::now();
    if (!pending_.empty())
      times_.add(pending_ + ".bwd", std::chrono::duration<double>(now - last_).count());
    pending_ = next_op;
    last_ = now;
  }
  OpTimes& times_;
  std::string pending_;
  Clock::time_point last_;
};

// Runs the trunk once; with `clock` set (training step) the graph is recorded with probes.
eng::Tensor trunk_forward(const eng::Tensor& x, const Params& p, OpTimes& times,
                          BackwardClock* clock) {
  eng::Tensor h = x;
  auto timed = [&](const std::string& op, auto f) {
    Clock::time_point t0 = Clock::now();
    h = f(h);
    times.add(op + ".fwd", seconds_since(t0));
    if (clock) h = clock->probe(h, op);
  };
  for (size_t i = 0; i < kTrunk.size(); ++i) {
    std::string n = std::to_string(i + 1);
    timed("conv" + n, [&](const eng::Tensor& t) {
      return eng::conv2d(t, p.w[i], eng::Tensor(), eng::Conv2dParams::square(1, 2));
    });
    timed("bn" + n, [&](const eng::Tensor& t) {
      eng::BatchNormParams bp;
      bp.relu = true;
      return eng::batch_norm(t, p.gamma[i], p.beta[i], bp);
    });
    if (kTrunk[i].pool_after)
      timed("pool" + n, [](const eng::Tensor& t) {
        return eng::max_pool2d(t, eng::Pool2dParams::square(2, 2));
      });
  }
  return h;
}

struct Measured {
  Timing t;
  OpMedians op;  // per op label, in the order the ops ran
};

Measured measure(const Options& o, bool backward) {
  eng::Rng rng(2026);
  Params p = make_params(rng);
  eng::Tensor x = eng::Tensor::empty({o.trunk_batch, 1, 24, 24});
  float* xp = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) xp[i] = rng.uniform();
  eng::Tensor seed = eng::Tensor::full({o.trunk_batch, 512, 3, 3}, 1.0f);
  Measured m;
  m.t = time_iterations(o, [&](bool timed) {
    for (auto* list : {&p.w, &p.gamma, &p.beta})
      for (eng::Tensor& t : *list) t.zero_grad();
    OpTimes times;
    BackwardClock clock(times);
    if (backward) {
      eng::Tensor y = trunk_forward(x, p, times, &clock);
      clock.start();
      eng::run_backward(y, seed);
      clock.finish();
    } else {
      eng::NoGradGuard no_grad;
      trunk_forward(x, p, times, nullptr);
    }
    if (timed) m.op.add(times);
  });
  return m;
}

// Multiply-adds of one pass for the whole batch: forward, or forward + backward.
double step_macs(int64_t batch, bool backward) {
  double macs = 0;
  for (size_t i = 0; i < kTrunk.size(); ++i) {
    double m = double(kTrunk[i].macs_per_image()) * batch;
    macs += m;                                // forward
    if (backward) macs += i > 0 ? 2 * m : m;  // backward weights (+ backward data after conv1)
  }
  return macs;
}

// MACs of one op label, or 0 for ops that are not convolutions.
double op_macs(const std::string& label, int64_t batch) {
  if (label.rfind("conv", 0) != 0) return 0;
  size_t i = label[4] - '1';
  double m = double(kTrunk[i].macs_per_image()) * batch;
  bool bwd = label.find(".bwd") != std::string::npos;
  return bwd ? (i > 0 ? 2 * m : m) : m;
}

void emit_whole(const Options& o, const std::string& name, const Measured& m, double macs) {
  Result r{name, "", "", "batch", o.trunk_batch, m.t};
  const double gflops = 2 * macs / m.t.seconds / 1e9, best = 2 * macs / m.t.best_seconds / 1e9;
  r.extra.set("gflops", rounded(gflops, 1));
  r.extra.set("best_gflops", rounded(best, 1));
  r.note = eng::str(rounded(gflops, 1), " GFLOP/s (best ", rounded(best, 1), ")");
  emit(o, r);
}

}  // namespace

void run_trunk_ops(const Options& o) {
  ENG_CHECK(o.device == eng::Device::CPU, "bench",
            "the trunk case times the CPU kernels; on CUDA use the step and inference cases");
  emit_whole(o, "trunk_fwd", measure(o, false), step_macs(o.trunk_batch, false));
  Measured step = measure(o, true);
  emit_whole(o, "trunk_fwd_bwd", step, step_macs(o.trunk_batch, true));

  std::vector<std::string> kind_order;
  std::map<std::string, std::pair<double, double>> kinds;  // "conv fwd" -> (seconds, MACs)
  double accounted = 0;
  for (const std::string& label : step.op.order) {
    double s = step.op.median_of(label), macs = op_macs(label, o.trunk_batch);
    emit_op(o, "trunk_fwd_bwd/" + label, s, s / step.t.seconds, 2 * macs);
    std::string kind = label.substr(0, label.find_first_of("0123456789")) + " " +
                       label.substr(label.find('.') + 1);
    if (!kinds.count(kind)) kind_order.push_back(kind);
    kinds[kind].first += s;
    kinds[kind].second += macs;
    accounted += s;
  }
  for (const std::string& kind : kind_order)
    emit_op(o, "trunk_fwd_bwd/" + kind, kinds[kind].first, kinds[kind].first / step.t.seconds,
            2 * kinds[kind].second);
  double other = std::max(0.0, step.t.seconds - accounted);  // autograd, seed, probes
  emit_op(o, "trunk_fwd_bwd/other", other, other / step.t.seconds, 0);
}

}  // namespace bench
