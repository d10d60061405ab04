// report.cpp — the timing loop, peak memory and the result lines of `bench` (see bench.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "engine/allocator.hpp"
#include "engine/backend.hpp"
#include "tools/src/bench/bench.hpp"

namespace bench {
namespace {

// CPU time of the whole process (all threads): against the wall time it shows how much of the
// machine the run got when other work loads it.
double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

std::string backend_name(const Options& o) {
  return o.device == eng::Device::CUDA ? "cuda" : o.backend;
}

// The fields every line carries after its own.
void common_fields(const Options& o, eng::Json& j) {
  j.set("precision", o.precision);
  j.set("threads", eng::num_threads());
  j.set("device", eng::device_name(o.device));
  j.set("backend", backend_name(o));
}

}  // namespace

double rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void sync_device(eng::Device device) { eng::synchronize(device); }

Timing time_iterations(const Options& o, const std::function<void(bool timed)>& body) {
  std::vector<double> wall, cpu;
  for (int it = 0; it < o.warmup + o.iters; ++it) {
    const bool timed = it >= o.warmup;
    double c0 = process_cpu_seconds();
    Clock::time_point t0 = Clock::now();
    body(timed);
    sync_device(o.device);
    if (!timed) continue;
    wall.push_back(seconds_since(t0));
    cpu.push_back(process_cpu_seconds() - c0);
  }
  return {median(wall), *std::min_element(wall.begin(), wall.end()), median(cpu)};
}

void OpTimes::add(const std::string& label, double s) {
  if (!seconds.count(label)) order.push_back(label);
  seconds[label] += s;
}

void OpMedians::add(const OpTimes& t) {
  for (const std::string& label : t.order) {
    if (!samples.count(label)) order.push_back(label);
    samples[label].push_back(t.seconds.at(label));
  }
}

double OpMedians::median_of(const std::string& label) const { return median(samples.at(label)); }

double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

void print_table_header(const Options& o) {
  if (o.json) return;
  std::printf("%-30s %-4s %-9s %-4s %11s %9s %9s %16s %8s %7s\n", "case", "head", "work", "prec",
              "N", "median s", "best s", "rate", "peak MB", "cpu s");
}

void emit(const Options& o, const Result& r) {
  const bool pairs = r.count_key == "pairs";
  const double rate = r.t.seconds > 0 ? r.count / r.t.seconds : 0;
  const double peak = peak_rss_mb();
  if (!o.json) {
    std::printf(
        "%-30s %-4s %-9s %-4s %5lld %-5s %9.4f %9.4f %9.1f %-6s %8.0f %7.2f  %s\n", r.name.c_str(),
        r.head.empty() ? "-" : r.head.c_str(), r.work.empty() ? "-" : r.work.c_str(),
        o.precision.c_str(), static_cast<long long>(r.count), pairs ? "pairs" : "img", r.t.seconds,
        r.t.best_seconds, rate, pairs ? "pair/s" : "img/s", peak, r.t.cpu_seconds, r.note.c_str());
    std::fflush(stdout);
    return;
  }
  eng::Json j = eng::Json::object();
  j.set("framework", "iic-engine");
  j.set("case", r.name);
  j.set("head", r.head.empty() ? eng::Json() : eng::Json(r.head));
  j.set("work", r.work.empty() ? eng::Json() : eng::Json(r.work));
  j.set(r.count_key, r.count);
  j.set("seconds", rounded(r.t.seconds, 6));
  j.set("best_seconds", rounded(r.t.best_seconds, 6));
  j.set(pairs ? "pairs_per_s" : "images_per_s", rounded(rate, 3));
  j.set("cpu_seconds", rounded(r.t.cpu_seconds, 6));
  j.set("peak_rss_mb", rounded(peak, 1));
  if (o.device == eng::Device::CUDA)  // the caching allocator's peak of live device memory
    j.set("peak_device_mb",
          rounded(eng::allocator_stats(eng::Device::CUDA).peak_bytes / 1048576.0, 1));
  common_fields(o, j);
  for (const eng::Json::Member& m : r.extra.as_object()) j.set(m.first, m.second);
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

void emit_op(const Options& o, const std::string& name, double seconds, double share,
             double flops) {
  const double gflops = flops > 0 && seconds > 0 ? flops / seconds / 1e9 : 0;
  if (!o.json) {
    std::printf("  %-44s %9.4f s", name.c_str(), seconds);
    if (gflops > 0)
      std::printf(" %7.1f GFLOP/s", gflops);
    else
      std::printf(" %15s", "");
    std::printf(" %6.1f%%\n", 100 * share);
    return;
  }
  eng::Json j = eng::Json::object();
  j.set("framework", "iic-engine");
  j.set("case", name);
  j.set("seconds", rounded(seconds, 6));
  j.set("share", rounded(share, 4));
  j.set("gflops", gflops > 0 ? eng::Json(rounded(gflops, 1)) : eng::Json());
  common_fields(o, j);
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace bench
