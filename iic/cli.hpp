// cli.hpp — the command-line conventions of the tools: one spec per tool in which every option
// is declared once with its value name, default and help text; --help is generated from it; the
// parsed command line answers with the given value or the declared default; durations like 90s /
// 30m / 1h30m; the table of settings every tool prints at start (as llm.c does); machine
// descriptions for reports.
//
// Contract:
//  - Arguments are `--name value`, `--name=value` or `--flag`. An unknown option, a flag with a
//    value, a missing value or a stray argument is an eng::Error naming it and pointing at
//    --help. --help is declared by every spec.
//  - get_int / get_number check the whole text is a number and that it lies in [lo, hi]; an Error
//    names the option, the value and the range. Reading an option the spec does not declare is
//    an Error (a bug in the tool).
#pragma once
#include <climits>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.hpp"
#include "engine/tensor.hpp"

namespace iic {

struct OptionSpec {
  std::string name;           // without the leading "--"
  std::string value;          // "N", "DIR", ...; "" for a flag
  std::string default_value;  // "" = none (the help text says what happens)
  std::string help;
  std::string section;
};

using Settings = std::vector<std::pair<std::string, std::string>>;  // name -> value, in order

class Cli;

class CliSpec {
 public:
  // tool: the name in messages; synopsis: the usage line ("tools/run_table1 [options]"); about:
  // what the tool does (may be "").
  CliSpec(std::string tool, std::string synopsis, std::string about);
  CliSpec& section(std::string title);  // options declared after it are listed under it
  CliSpec& option(std::string name, std::string value, std::string default_value, std::string help);
  CliSpec& flag(std::string name, std::string help);
  std::string help() const;
  Cli parse(int argc, char** argv) const;
  const std::string& tool() const { return tool_; }
  const OptionSpec& find(const std::string& name) const;  // an Error when not declared
  const std::vector<OptionSpec>& options() const { return options_; }

 private:
  std::string tool_, synopsis_, about_, section_;
  std::vector<OptionSpec> options_;
};

class Cli {
 public:
  bool help() const { return flag("help"); }
  bool given(const std::string& name) const;       // on the command line
  std::string get(const std::string& name) const;  // the given value, else the default
  long long get_int(const std::string& name, long long lo = LLONG_MIN,
                    long long hi = LLONG_MAX) const;
  double get_number(const std::string& name, double lo = -1e300, double hi = 1e300) const;
  double get_seconds(const std::string& name) const;  // a duration ("" = 0)
  bool flag(const std::string& name) const;
  // Every option with a value (given or default) and every flag given, in declaration order;
  // given ones marked.
  Settings settings() const;
  const CliSpec& spec() const { return *spec_; }

 private:
  friend class CliSpec;
  const CliSpec* spec_ = nullptr;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

// The settings table on stderr: a header with the tool's name, then one row per setting.
void print_settings(const std::string& title, const Settings& rows);

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
// The machine a run uses, for reports: the GPU's name and its convolution mode on CUDA, else
// the CPU with its threads and ", bf16 convolutions" under bf16.
std::string describe_machine(eng::Device device, int threads);
// " (TF32 convolutions)" / " (float32 convolutions, no TF32)" on CUDA, "" on the CPU.
std::string tf32_note(eng::Device device);

// A tool's main(): returns body(); an exception becomes "\n<tool>: error: <what>" on stderr (the
// newline ends a progress line the error interrupted) and exit status 1.
int run_tool(const char* tool, const std::function<int()>& body);
// The same for a tool with a spec: parses the command line, prints the generated help for --help
// (exit status 0), else returns body(cli).
int run_tool(const CliSpec& spec, int argc, char** argv,
             const std::function<int(const Cli&)>& body);

}  // namespace iic
