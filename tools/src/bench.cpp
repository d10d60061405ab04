// bench — times the ClusterNet6c trunk (protocol.md) forward and forward + backward:
//   [B,1,24,24] -> conv5x5 p2 64 -> BN+ReLU -> maxpool 2x2 -> conv 128 -> BN+ReLU -> pool
//               -> conv 256 -> BN+ReLU -> pool -> conv 512 -> BN+ReLU   ([B,512,3,3])
// with the engine's ops (conv2d, batch_norm with the fused ReLU in training mode, max_pool2d)
// on the chosen CPU backend.
//
// Reports per case the median seconds of --iters timed iterations after one warm-up, images/s
// and GFLOP/s counting 2 * multiply-adds of the convolutions actually run (forward; backward
// data for conv2..4 only, the input needs no gradient; backward weights for all four), plus a
// per-op breakdown of the forward + backward step. Backward times per op come from identity
// "probe" nodes between the ops: the autograd pass visits the chain in order, so the time
// between two probes is the backward of the op between them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "engine/autograd.hpp"
#include "engine/backend.hpp"
#include "engine/params.hpp"
#include "ops/batchnorm.hpp"
#include "ops/conv2d.hpp"
#include "ops/pool2d.hpp"

namespace {

const char* kUsage = R"(usage: bench [options]
  --batch N        images per step (default 1400)
  --iters N        timed iterations, after one warm-up (default 5)
  --threads N      OpenMP / oneDNN threads, 0 = all cores (default 0)
  --backend B      onednn | ref (default onednn when built)
  --json           one JSON object per line instead of the table
)";

struct Options {
  int64_t batch = 1400;
  int iters = 5;
  int threads = 0;
  std::string backend = eng::built_with_onednn() ? "onednn" : "ref";
  bool json = false;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "bench: %s\n%s", msg.c_str(), kUsage);
  std::exit(2);
}

int64_t parse_int(const std::string& flag, const char* text, int64_t min) {
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < min)
    usage_error(flag + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= argc) usage_error("unknown option or missing value: " + a);
    const char* v = argv[++i];
    if (a == "--batch")
      o.batch = parse_int(a, v, 1);
    else if (a == "--iters")
      o.iters = static_cast<int>(parse_int(a, v, 1));
    else if (a == "--threads")
      o.threads = static_cast<int>(parse_int(a, v, 0));
    else if (a == "--backend")
      o.backend = v;
    else
      usage_error("unknown option " + a);
  }
  if (o.backend != "onednn" && o.backend != "ref")
    usage_error("--backend must be onednn or ref, got '" + o.backend + "'");
  return o;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

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

// Seconds per op label ("conv2.fwd", "bn1.bwd", ...) of one iteration, labels in the order
// the ops ran (forward in trunk order, then backward in reverse).
struct Times {
  std::vector<std::string> order;
  std::map<std::string, double> seconds;
  void add(const std::string& label, double s) {
    if (!seconds.count(label)) order.push_back(label);
    seconds[label] += s;
  }
};

// Backward timing: probe(t, label) is t unchanged; when the backward pass reaches it, the time
// since the previous probe is charged to the op that the previous probe followed.
class BackwardClock {
 public:
  explicit BackwardClock(Times& times) : times_(times) {}
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
  Times& times_;
  std::string pending_;
  Clock::time_point last_;
};

// Runs the trunk once; with `clock` set (training step) the graph is recorded with probes.
eng::Tensor trunk_forward(const eng::Tensor& x, const Params& p, Times& times,
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

// CPU time of the whole process (all threads): compared with the wall time it shows how much
// of the machine the run got when others load it.
double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

struct Measured {
  double seconds, best_seconds, cpu_seconds;  // median, minimum, median CPU time of a step
  std::vector<std::string> order;             // op labels, in the order they ran
  std::map<std::string, double> op;           // median seconds per op label
};

Measured measure(const Options& o, bool backward) {
  eng::Rng rng(2026);
  Params p = make_params(rng);
  eng::Tensor x = eng::Tensor::empty({o.batch, 1, 24, 24});
  float* xp = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) xp[i] = rng.uniform();
  eng::Tensor seed = eng::Tensor::full({o.batch, 512, 3, 3}, 1.0f);
  std::vector<double> steps, cpu;
  std::map<std::string, std::vector<double>> ops;
  Measured m;
  for (int it = 0; it <= o.iters; ++it) {  // iteration 0 is the warm-up
    for (auto* list : {&p.w, &p.gamma, &p.beta})
      for (eng::Tensor& t : *list) t.zero_grad();
    Times times;
    BackwardClock clock(times);
    double c0 = process_cpu_seconds();
    Clock::time_point t0 = Clock::now();
    if (backward) {
      eng::Tensor y = trunk_forward(x, p, times, &clock);
      clock.start();
      eng::run_backward(y, seed);
      clock.finish();
    } else {
      eng::NoGradGuard no_grad;
      trunk_forward(x, p, times, nullptr);
    }
    double s = seconds_since(t0);
    if (it == 0) {
      m.order = times.order;
      continue;
    }
    steps.push_back(s);
    cpu.push_back(process_cpu_seconds() - c0);
    for (auto& [k, v] : times.seconds) ops[k].push_back(v);
  }
  m.seconds = median(steps);
  m.best_seconds = *std::min_element(steps.begin(), steps.end());
  m.cpu_seconds = median(cpu);
  for (auto& [k, v] : ops) m.op[k] = median(v);
  return m;
}

// Multiply-adds of one step for the whole batch: forward, or forward + backward.
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

// One result line. `macs` = 0 for ops that are not convolutions (no GFLOP/s); `m` is set for
// whole-trunk cases (images/s, best and CPU time), null for the per-op breakdown.
void print_line(const Options& o, const std::string& name, double seconds, double macs,
                double share, const Measured* m) {
  auto num = [](bool ok, double v) { return ok ? std::to_string(v) : std::string("null"); };
  double gflops = macs > 0 && seconds > 0 ? 2 * macs / seconds / 1e9 : 0;
  if (o.json) {
    std::printf(
        "{\"case\": \"%s\", \"batch\": %lld, \"seconds\": %.6f, \"gflops\": %s, "
        "\"images_per_s\": %s, \"threads\": %d, \"backend\": \"%s\", \"share\": %.4f",
        name.c_str(), static_cast<long long>(o.batch), seconds, num(gflops > 0, gflops).c_str(),
        num(seconds > 0, o.batch / seconds).c_str(), eng::num_threads(), o.backend.c_str(), share);
    if (m)
      std::printf(", \"best_seconds\": %.6f, \"best_gflops\": %s, \"cpu_seconds\": %.6f",
                  m->best_seconds, num(macs > 0, 2 * macs / m->best_seconds / 1e9).c_str(),
                  m->cpu_seconds);
    std::printf("}\n");
    return;
  }
  std::printf("  %-26s %9.4f s", name.c_str(), seconds);
  if (macs > 0)
    std::printf(" %7.1f GFLOP/s", gflops);
  else
    std::printf(" %15s", "");
  if (m)
    std::printf(" %8.1f img/s   best %.4f s = %.1f GFLOP/s   cpu %.2f s", o.batch / seconds,
                m->best_seconds, 2 * macs / m->best_seconds / 1e9, m->cpu_seconds);
  else
    std::printf(" %6.1f%%", 100 * share);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  try {
    eng::set_cpu_backend(o.backend == "onednn" ? eng::CpuBackend::OneDNN
                                               : eng::CpuBackend::Reference);
    eng::set_num_threads(o.threads);
    if (!o.json)
      std::printf(
          "ClusterNet6c trunk, batch %lld, backend %s, %d threads, median of %d "
          "iterations after 1 warm-up\n",
          static_cast<long long>(o.batch), o.backend.c_str(), eng::num_threads(), o.iters);
    Measured fwd = measure(o, false);
    print_line(o, "trunk_fwd", fwd.seconds, step_macs(o.batch, false), 1, &fwd);
    Measured step = measure(o, true);
    print_line(o, "trunk_fwd_bwd", step.seconds, step_macs(o.batch, true), 1, &step);

    if (!o.json) std::printf("per op of trunk_fwd_bwd (median seconds, share of the step):\n");
    std::vector<std::string> kind_order;
    std::map<std::string, std::pair<double, double>> kinds;  // "conv fwd" -> (seconds, MACs)
    double accounted = 0;
    for (const std::string& label : step.order) {
      double s = step.op[label], macs = op_macs(label, o.batch);
      print_line(o, "trunk_fwd_bwd/" + label, s, macs, s / step.seconds, nullptr);
      std::string kind = label.substr(0, label.find_first_of("0123456789")) + " " +
                         label.substr(label.find('.') + 1);
      if (!kinds.count(kind)) kind_order.push_back(kind);
      kinds[kind].first += s;
      kinds[kind].second += macs;
      accounted += s;
    }
    if (!o.json) std::printf("per kind:\n");
    for (const std::string& kind : kind_order)
      print_line(o, "trunk_fwd_bwd/" + kind, kinds[kind].first, kinds[kind].second,
                 kinds[kind].first / step.seconds, nullptr);
    double other = std::max(0.0, step.seconds - accounted);  // autograd, seed, probes
    print_line(o, "trunk_fwd_bwd/other", other, 0, other / step.seconds, nullptr);
  } catch (const eng::Error& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
