// cli.cpp — argument parsing and machine descriptions for the tools (see cli.hpp).
#include "iic/cli.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <thread>

#include "engine/backend.hpp"
#include "engine/error.hpp"

namespace iic {

CliSpec::CliSpec(std::string tool, std::string synopsis, std::string about)
    : tool_(std::move(tool)), synopsis_(std::move(synopsis)), about_(std::move(about)) {}

CliSpec& CliSpec::section(std::string title) {
  section_ = std::move(title);
  return *this;
}

CliSpec& CliSpec::option(std::string name, std::string value, std::string default_value,
                         std::string help) {
  for (const OptionSpec& o : options_)
    ENG_CHECK(o.name != name, tool_, "option --", name, " declared twice");
  options_.push_back(
      {std::move(name), std::move(value), std::move(default_value), std::move(help), section_});
  return *this;
}

CliSpec& CliSpec::flag(std::string name, std::string help) {
  return option(std::move(name), "", "", std::move(help));
}

const OptionSpec& CliSpec::find(const std::string& name) const {
  for (const OptionSpec& o : options_)
    if (o.name == name) return o;
  throw eng::Error(eng::str(tool_, ": option --", name, " is not declared"));
}

std::string CliSpec::help() const {
  std::string s = "usage: " + synopsis_ + "\n" + (about_.empty() ? "" : about_ + "\n");
  std::string section = "\x01";
  for (const OptionSpec& o : options_) {
    if (o.section != section) s += "\n" + (o.section.empty() ? "options" : o.section) + ":\n";
    section = o.section;
    std::string left = "  --" + o.name + (o.value.empty() ? "" : " " + o.value);
    std::string text = o.help;
    if (!o.default_value.empty()) text += " (default " + o.default_value + ")";
    left.resize(std::max<size_t>(left.size() + 1, 24), ' ');
    for (size_t at = 0, nl; at <= text.size(); at = nl + 1) {  // continuation lines indented
      nl = text.find('\n', at);
      if (nl == std::string::npos) nl = text.size();
      s += (at == 0 ? left : std::string(24, ' ')) + text.substr(at, nl - at) + "\n";
    }
  }
  return s + "  --help                this text\n";
}

Cli CliSpec::parse(int argc, char** argv) const {
  Cli cli;
  cli.spec_ = this;
  const std::string hint = " (" + tool_ + " --help lists the options)";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    ENG_CHECK(a.rfind("--", 0) == 0, "options", "unexpected argument '", a, "'", hint);
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    bool inline_value = eq != std::string::npos;
    if (inline_value) value = name.substr(eq + 1), name = name.substr(0, eq);
    if (name == "help") {
      cli.flags_.insert(name);
      continue;
    }
    const OptionSpec* o = nullptr;
    for (const OptionSpec& c : options_)
      if (c.name == name) o = &c;
    ENG_CHECK(o != nullptr, "options", "unknown option --", name, hint);
    if (o->value.empty()) {
      ENG_CHECK(!inline_value, "options", "--", name, " takes no value");
      cli.flags_.insert(name);
      continue;
    }
    if (!inline_value) {
      ENG_CHECK(i + 1 < argc, "options", "--", name, " needs a value (", o->value, ")");
      value = argv[++i];
    }
    cli.values_[name] = value;
  }
  return cli;
}

bool Cli::given(const std::string& name) const {
  spec_->find(name);
  return values_.count(name) > 0 || flags_.count(name) > 0;
}

std::string Cli::get(const std::string& name) const {
  const OptionSpec& o = spec_->find(name);
  auto it = values_.find(name);
  return it == values_.end() ? o.default_value : it->second;
}

bool Cli::flag(const std::string& name) const {
  if (name != "help") spec_->find(name);
  return flags_.count(name) > 0;
}

Settings Cli::settings() const {
  Settings rows;
  for (const OptionSpec& o : spec_->options()) {
    if (o.value.empty()) {
      if (flags_.count(o.name)) rows.push_back({o.name, "yes"});
      continue;
    }
    const std::string v = get(o.name);
    if (!v.empty()) rows.push_back({o.name, v + (values_.count(o.name) ? "" : "  (default)")});
  }
  return rows;
}

void print_settings(const std::string& title, const Settings& rows) {
  size_t w = title.size();
  for (const auto& r : rows) w = std::max(w, r.first.size());
  const std::string rule = "+" + std::string(w + 2, '-') + "+" + std::string(52, '-') + "+\n";
  std::string s = rule;
  auto line = [&](const std::string& a, const std::string& b) {
    std::string left = a, right = b;
    left.resize(w, ' ');
    if (right.size() < 50) right.resize(50, ' ');
    s += "| " + left + " | " + right + " |\n";
  };
  line(title, "value");
  s += rule;
  for (const auto& r : rows) line(r.first, r.second);
  s += rule;
  std::fputs(s.c_str(), stderr);
}

namespace {
// The whole of `text` as a number via `parse` (std::stoll / std::stod), else an Error naming the
// option.
template <class T, class Parse>
T parse_whole(const std::string& name, const std::string& text, Parse parse, const char* what) {
  try {
    size_t used = 0;
    T v = parse(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw eng::Error(eng::str("--", name, ": expected ", what, ", got '", text, "'"));
}
}  // namespace

long long Cli::get_int(const std::string& name, long long lo, long long hi) const {
  const std::string text = get(name);
  const long long v = parse_whole<long long>(
      name, text, [](const std::string& t, size_t* used) { return std::stoll(t, used); },
      "an integer");
  ENG_CHECK(v >= lo && v <= hi, "options", "--", name, " must be ",
            hi == LLONG_MAX ? eng::str("at least ", lo) : eng::str("in [", lo, ", ", hi, "]"),
            ", got ", text);
  return v;
}

double Cli::get_number(const std::string& name, double lo, double hi) const {
  const std::string text = get(name);
  const double v = parse_whole<double>(
      name, text, [](const std::string& t, size_t* used) { return std::stod(t, used); },
      "a number");
  ENG_CHECK(v >= lo && v <= hi, "options", "--", name, " must be in [", lo, ", ", hi, "], got ",
            text);
  return v;
}

double Cli::get_seconds(const std::string& name) const {
  const std::string text = get(name);
  return text.empty() ? 0.0 : parse_duration(text);
}

double parse_duration(const std::string& text) {
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    ENG_CHECK(i > start, "duration", "cannot read '", text, "' (examples: 90s, 30m, 1h30m)");
    double v = std::stod(text.substr(start, i - start));
    char unit = i < text.size() ? text[i++] : 's';
    ENG_CHECK(unit == 's' || unit == 'm' || unit == 'h', "duration", "unknown unit '", unit,
              "' in '", text, "' (use s, m or h)");
    total += v * (unit == 'h' ? 3600 : unit == 'm' ? 60 : 1);
    any = true;
  }
  ENG_CHECK(any, "duration", "empty duration");
  return total;
}

eng::Device choose_device(const std::string& wanted, const char* tool) {
  if (wanted == "cpu") return eng::Device::CPU;
  const bool gpu = eng::cuda_device_present();
  if (wanted == "cuda") {
    ENG_CHECK(eng::built_with_cuda(), tool,
              "--device cuda: this build has no CUDA support (needs nvcc and cuDNN at configure "
              "time; see README)");
    ENG_CHECK(gpu, tool, "--device cuda: no usable CUDA GPU is visible");
    return eng::Device::CUDA;
  }
  ENG_CHECK(wanted.empty(), tool, "--device must be cpu or cuda, got '", wanted, "'");
  return gpu ? eng::Device::CUDA : eng::Device::CPU;
}

eng::Precision choose_precision(const std::string& wanted, eng::Device device, const char* tool) {
  const eng::Precision p = eng::parse_precision(wanted.empty() ? "fp32" : wanted);
  if (p == eng::Precision::BF16 && device == eng::Device::CUDA) {
    std::fprintf(stderr,
                 "%s: --precision bf16 is implemented for the CPU convolutions only; "
                 "running fp32 on the GPU\n",
                 tool);
    return eng::Precision::FP32;
  }
  try {
    eng::set_compute_precision(p);
  } catch (const eng::Error& e) {
    std::fprintf(stderr, "%s: %s; running fp32\n", tool, e.what());
    eng::set_compute_precision(eng::Precision::FP32);
  }
  return eng::compute_precision();
}

std::string describe_cpu(int threads) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  bool avx512 = false;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 && model == "unknown CPU")
      model = line.substr(line.find(':') + 2);
    if (line.rfind("flags", 0) == 0) avx512 = line.find("avx512f") != std::string::npos;
  }
  return eng::str(std::thread::hardware_concurrency(), "-core ", model, avx512 ? " (AVX-512)" : "",
                  ", ", threads, threads == 1 ? " thread" : " threads");
}

std::string tf32_note(eng::Device device) {
  if (device != eng::Device::CUDA) return "";
  return eng::cuda_tf32_convolutions() ? " (TF32 convolutions)"
                                       : " (float32 convolutions, no TF32)";
}

std::string describe_machine(eng::Device device, int threads) {
  if (device == eng::Device::CUDA) return eng::cuda_device_name() + " (CUDA)" + tf32_note(device);
  const bool bf16 = eng::compute_precision() == eng::Precision::BF16;
  return describe_cpu(threads) + (bf16 ? ", bf16 convolutions" : "");
}

int run_tool(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\n%s: error: %s\n", tool, e.what());
    return 1;
  }
}

int run_tool(const CliSpec& spec, int argc, char** argv,
             const std::function<int(const Cli&)>& body) {
  return run_tool(spec.tool().c_str(), [&] {
    const Cli cli = spec.parse(argc, argv);
    if (!cli.help()) return body(cli);
    std::fputs(spec.help().c_str(), stdout);
    return 0;
  });
}

}  // namespace iic
