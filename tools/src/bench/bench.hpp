// bench.hpp — what the parts of the `bench` tool (tools/src/bench.cpp, tools/src/bench/*.cpp)
// share: options, the timing loop, result lines, and the case entry points.
//
// Contract:
//  - A case runs in the calling process and prints its results with emit() / emit_op(): one
//    JSON object per line with --json, else one table row per line.
//  - time_iterations(): `warmup` untimed iterations, then `iters` timed ones; seconds = median,
//    best_seconds = minimum, cpu_seconds = median process CPU time (all threads) of an
//    iteration. On CUDA each iteration ends with a device synchronisation, inside the timing.
//  - peak_rss_mb (every emit() line) = VmHWM of this process (/proc/self/status) when the line
//    is printed. The bench driver runs every case unit in a fresh process, so it is the peak of
//    that unit alone: libraries, model, Adam state, inputs and the engine's caching allocator.
//    On CUDA, peak_device_mb is the caching allocator's peak of live device memory.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/json.hpp"
#include "engine/tensor.hpp"

namespace bench {

struct Options {
  int iters = 5;
  int warmup = 1;
  int threads = 0;         // 0 = all cores
  int loader_threads = 0;  // data pipeline workers; 0 = as many as `threads` resolves to
  std::string backend;     // onednn | ref (CPU kernels)
  std::string precision = "fp32";
  eng::Device device = eng::Device::CPU;
  int64_t trunk_batch = 1400;  // trunk per-op case
  int64_t infer_batch = 700;   // inference cases
  uint64_t seed = 0;
  bool json = false;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0);
double median(std::vector<double> v);
double rounded(double v, int digits);  // to `digits` decimals: JSON then shows it that short

// Waits for the device's queued work (CUDA); nothing on the CPU.
void sync_device(eng::Device device);

struct Timing {
  double seconds = 0, best_seconds = 0, cpu_seconds = 0;
};
// body(timed) runs warmup + iters times; timed is false for the warm-up iterations.
Timing time_iterations(const Options& o, const std::function<void(bool timed)>& body);

// Seconds per label of one iteration, labels kept in the order they first ran.
struct OpTimes {
  std::vector<std::string> order;
  std::map<std::string, double> seconds;
  void add(const std::string& label, double s);
};
// Median per label over timed iterations (labels in first-run order).
struct OpMedians {
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> samples;
  void add(const OpTimes& t);
  double median_of(const std::string& label) const;
};

// One whole-case result line. count_key is "pairs" (training steps, pipelines) or "batch"
// (images per forward pass); the rate is printed as pairs_per_s or images_per_s.
struct Result {
  Result(std::string name, std::string head, std::string work, std::string count_key, int64_t count,
         Timing t)
      : name(std::move(name)),
        head(std::move(head)),
        work(std::move(work)),
        count_key(std::move(count_key)),
        count(count),
        t(t) {}
  std::string name;        // the case, e.g. "clusternet6c_step"
  std::string head, work;  // "" where the case has none
  std::string count_key;
  int64_t count;
  Timing t;
  eng::Json extra = eng::Json::object();  // more fields, appended in order
  std::string note;                       // appended to the table row (not in JSON)
};
void emit(const Options& o, const Result& r);
// One breakdown line: `seconds` of `name` (e.g. "trunk_fwd_bwd/conv2.fwd"), its share of the
// whole, and its GFLOP/s when flops > 0.
void emit_op(const Options& o, const std::string& name, double seconds, double share, double flops);
void print_table_header(const Options& o);
double peak_rss_mb();  // VmHWM of this process

// The cases (one file each). head: "A" / "B"; work: "dedup" / "identical".
void run_train_step(const Options& o, const std::string& dataset, const std::string& head,
                    const std::string& work);
void run_inference(const Options& o, const std::string& dataset);
void run_step_ops(const Options& o, const std::string& dataset, const std::string& head,
                  const std::string& work);
void run_pipeline(const Options& o, const std::string& dataset);
void run_trunk_ops(const Options& o);

}  // namespace bench
