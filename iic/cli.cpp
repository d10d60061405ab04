// cli.cpp — argument parsing and machine descriptions for the tools (see cli.hpp).
#include "iic/cli.hpp"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <thread>

#include "engine/backend.hpp"
#include "engine/error.hpp"
#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace iic {

Cli::Cli(int argc, char** argv, const std::vector<std::string>& options,
         const std::vector<std::string>& flags) {
  auto known = [&] {
    std::string s;
    for (const std::string& o : options) s += " --" + o + " V";
    for (const std::string& f : flags) s += " --" + f;
    return s;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    ENG_CHECK(a.rfind("--", 0) == 0, argv[0], "unexpected argument '", a, "'; known:", known());
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    bool inline_value = eq != std::string::npos;
    if (inline_value) value = name.substr(eq + 1), name = name.substr(0, eq);
    bool is_option = false, is_flag = false;
    for (const std::string& o : options) is_option |= o == name;
    for (const std::string& f : flags) is_flag |= f == name;
    ENG_CHECK(is_option || is_flag, argv[0], "unknown option --", name, "; known:", known());
    if (is_flag) {
      ENG_CHECK(!inline_value, argv[0], "--", name, " takes no value");
      flags_.insert(name);
      continue;
    }
    if (!inline_value) {
      ENG_CHECK(i + 1 < argc, argv[0], "--", name, " needs a value");
      value = argv[++i];
    }
    values_[name] = value;
  }
}

bool Cli::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Cli::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
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

long long Cli::get_int(const std::string& name, long long fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  return parse_whole<long long>(
      name, it->second, [](const std::string& t, size_t* used) { return std::stoll(t, used); },
      "an integer");
}

double Cli::get_number(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  return parse_whole<double>(
      name, it->second, [](const std::string& t, size_t* used) { return std::stod(t, used); },
      "a number");
}

double Cli::get_seconds(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : parse_duration(it->second);
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
#ifdef ENG_HAVE_CUDA
  const bool gpu = eng::cuda::device_present();
#else
  const bool gpu = false;
#endif
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

int run_tool(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\n%s: error: %s\n", tool, e.what());
    return 1;
  }
}

}  // namespace iic
