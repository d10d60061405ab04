// cli.hpp — the command-line conventions shared by the tools: `--name value` options and
// `--flag` switches declared up front (unknown or malformed arguments are errors that list the
// known ones), durations like 90s / 30m / 1h30m, machine descriptions for reports.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/backend.hpp"
#include "engine/tensor.hpp"

namespace iic {

class Cli {
 public:
  // options: names that take a value; flags: names that do not. Both without the leading "--".
  Cli(int argc, char** argv, const std::vector<std::string>& options,
      const std::vector<std::string>& flags);
  bool has(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback) const;
  long long get_int(const std::string& name, long long fallback) const;
  double get_number(const std::string& name, double fallback) const;
  double get_seconds(const std::string& name, double fallback) const;  // a duration
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

// "90", "90s", "30m", "2h", "1h30m" -> seconds; errors name the text.
double parse_duration(const std::string& text);
// --device: "cpu", "cuda" (an error naming `tool` when this build or machine has no CUDA
// GPU), or "" for CUDA when a GPU is present, else the CPU.
eng::Device choose_device(const std::string& wanted, const char* tool);
// --precision: "fp32" (also for "") or "bf16" (mixed precision for the CPU convolutions). bf16
// where it cannot run (a CUDA device, a CPU without AVX-512 BF16, a build without oneDNN) falls
// back to fp32 with a message on stderr naming `tool` and the reason. Sets the process-wide
// precision and returns the one in effect.
eng::Precision choose_precision(const std::string& wanted, eng::Device device, const char* tool);
// "2-core AMD EPYC (AVX-512)" style description of this CPU and the threads used.
std::string describe_cpu(int threads);

// A tool's main(): returns body(); an exception becomes "\n<tool>: error: <what>" on stderr (the
// newline ends a progress line the error interrupted) and exit status 1.
int run_tool(const char* tool, const std::function<int()>& body);

}  // namespace iic
