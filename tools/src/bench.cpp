// bench — the benchmark suite: IIC training steps, inference, the data pipelines and per-op
// breakdowns (docs/benchmarks.md). Cases are in tools/src/bench/; this file selects them and
// runs them.
//
// Contract:
//  - A case "unit" is a case with one head and one work mode where it has them (e.g.
//    clusternet6c_step, head B, work dedup). Every selected unit runs in a fresh process (this
//    program again, with --child), so each line's peak_rss_mb is that unit's own peak; a
//    selection of one unit, or --in-process, runs in this process.
//  - Output: a table, or with --json one JSON object per line (docs/benchmarks.md lists the
//    fields). Exit status 0 when every unit ran, 1 when one failed (the others still run), 2 on
//    bad arguments.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "engine/backend.hpp"
#include "engine/error.hpp"
#include "iic/cli.hpp"
#include "tools/src/bench/bench.hpp"
#include "tools/src/bench/workload.hpp"

namespace {

iic::CliSpec make_spec() {
  iic::CliSpec spec(
      "bench", "tools/bench [options]",
      "The benchmark suite: IIC training steps, inference, data pipelines, per-op\n"
      "breakdowns (docs/benchmarks.md). Exit status 0 when every unit ran, 1 when one\n"
      "failed, 2 on bad arguments.");
  spec.option("case", "NAME[,NAME...]", "", "cases to run (default: all; --list shows them)")
      .option("head", "A|B", "", "training-step cases: only this head (default: both)")
      .option("work", "dedup|identical", "",
              "training-step cases: only this mode (default: both); dedup passes\n"
              "the originals once and repeats their outputs (the trainer's default),\n"
              "identical passes them r times (the authors' code, PyTorch twin)")
      .option("iters", "N", "5", "timed iterations; seconds = their median")
      .option("warmup", "N", "1", "untimed iterations first")
      .option("threads", "N", "0", "OpenMP / oneDNN threads, 0 = all cores")
      .option("loader-threads", "N", "0", "data pipeline workers (0: the thread count)")
      .option("precision", "P", "fp32", "fp32 | bf16 (bf16: CPU convolutions in bfloat16)")
      .option("device", "D", "cpu", "cpu | cuda")
      .option("backend", "B", eng::built_with_onednn() ? "onednn" : "ref",
              "CPU kernels: onednn | ref")
      .option("batch", "N", "1400", "images per pass of the trunk case")
      .option("infer-batch", "N", "700", "images per pass of the inference cases")
      .option("seed", "S", "0", "weights and synthetic inputs")
      .flag("json", "one JSON object per line instead of the table")
      .flag("in-process", "run every unit in this process (peak_rss_mb is then cumulative)")
      .flag("list", "list the cases and exit")
      .flag("child", "(internal) run one unit, as the driver's child process");
  return spec;
}

// A selectable case: its heads and work modes ({""} where it has none) and how to run a unit.
struct Case {
  std::string name, what;
  std::vector<std::string> heads, works;
  std::function<void(const bench::Options&, const std::string& head, const std::string& work)> run;
};

std::vector<Case> all_cases() {
  using bench::Options;
  const std::vector<std::string> ab = {"A", "B"}, modes = {"dedup", "identical"}, none = {""};
  std::vector<Case> cases;
  for (std::string ds : {"mnist", "cifar10"}) {
    const std::string net = bench::network_case(ds);
    const std::string recipe = "the authors' " + ds + " recipe";
    cases.push_back({net + "_step", "training step, " + recipe, ab, modes,
                     [ds](const Options& o, const std::string& h, const std::string& w) {
                       bench::run_train_step(o, ds, h, w);
                     }});
    cases.push_back({net + "_infer", "inference: trunk + head B, evaluation mode", none, none,
                     [ds](const Options& o, const std::string&, const std::string&) {
                       bench::run_inference(o, ds);
                     }});
    cases.push_back({net + "_step_ops", "where the time of a training step goes", ab, modes,
                     [ds](const Options& o, const std::string& h, const std::string& w) {
                       bench::run_step_ops(o, ds, h, w);
                     }});
  }
  for (std::string ds : {"mnist", "cifar10"})
    cases.push_back({ds + "_pipeline", "data pipeline alone (BatchLoader, " + ds + " transforms)",
                     none, none, [ds](const Options& o, const std::string&, const std::string&) {
                       bench::run_pipeline(o, ds);
                     }});
  cases.push_back(
      {"trunk", "ClusterNet6c trunk from the ops, per op (--batch images)", none, none,
       [](const Options& o, const std::string&, const std::string&) { bench::run_trunk_ops(o); }});
  return cases;
}

struct Unit {
  const Case* c;
  std::string head, work;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The default (no --case) is every case the device runs: the trunk case is CPU kernels only.
std::vector<Unit> select_units(const std::vector<Case>& cases, const iic::Cli& cli,
                               eng::Device device) {
  const std::string head = cli.get("head"), work = cli.get("work");
  ENG_CHECK(head.empty() || head == "A" || head == "B", "bench", "--head must be A or B, got '",
            head, "'");
  ENG_CHECK(work.empty() || work == "dedup" || work == "identical", "bench",
            "--work must be dedup or identical, got '", work, "'");
  std::vector<std::string> names = split(cli.get("case"));
  std::vector<Unit> units;
  for (const std::string& n : names) {
    bool known = false;
    for (const Case& c : cases) known |= c.name == n;
    ENG_CHECK(known, "bench", "unknown case '", n, "' (--list shows them)");
  }
  for (const Case& c : cases) {
    bool wanted = names.empty() && (device == eng::Device::CPU || c.name != "trunk");
    for (const std::string& n : names) wanted |= c.name == n;
    if (!wanted) continue;
    for (const std::string& h : c.heads)
      for (const std::string& w : c.works)
        if ((h.empty() || head.empty() || h == head) && (w.empty() || work.empty() || w == work))
          units.push_back({&c, h, w});
  }
  return units;
}

bench::Options parse_options(const iic::Cli& cli) {
  bench::Options o;
  o.iters = static_cast<int>(cli.get_int("iters", 1));
  o.warmup = static_cast<int>(cli.get_int("warmup", 0));
  o.threads = static_cast<int>(cli.get_int("threads", 0));
  o.loader_threads = static_cast<int>(cli.get_int("loader-threads", 0));
  o.trunk_batch = cli.get_int("batch", 1);
  o.infer_batch = cli.get_int("infer-batch", 1);
  o.seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  o.json = cli.flag("json");
  o.backend = cli.get("backend");
  ENG_CHECK(o.backend == "onednn" || o.backend == "ref", "bench",
            "--backend must be onednn or ref, got '", o.backend, "'");
  o.device = iic::choose_device(cli.get("device"), "bench");
  o.precision = eng::precision_name(eng::parse_precision(cli.get("precision")));
  ENG_CHECK(o.precision == "fp32" || o.device == eng::Device::CPU, "bench",
            "--precision bf16 applies to the CPU convolutions only; on CUDA use fp32");
  return o;
}

// Sets up this process as the options say (backend, threads, precision).
void configure(const bench::Options& o) {
  eng::set_cpu_backend(o.backend == "onednn" ? eng::CpuBackend::OneDNN
                                             : eng::CpuBackend::Reference);
  eng::set_num_threads(o.threads);
  eng::set_compute_precision(eng::parse_precision(o.precision));
}

// Runs one unit in a fresh process: this program with the same arguments and the unit's.
bool run_in_child(int argc, char** argv, const Unit& u) {
  std::vector<std::string> args(argv, argv + argc);
  args.insert(args.end(), {"--case", u.c->name});
  if (!u.head.empty()) args.insert(args.end(), {"--head", u.head});
  if (!u.work.empty()) args.insert(args.end(), {"--work", u.work});
  args.push_back("--child");
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execv("/proc/self/exe", cargs.data());
    std::perror("bench: exec");
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Case> cases = all_cases();
  std::vector<Unit> units;
  bench::Options o;
  bool child = false, in_process = false;
  const iic::CliSpec spec = make_spec();
  try {
    const iic::Cli cli = spec.parse(argc, argv);
    if (cli.help()) {
      std::fputs(spec.help().c_str(), stdout);
      return 0;
    }
    if (cli.flag("list")) {
      for (const Case& c : cases) std::printf("%-24s %s\n", c.name.c_str(), c.what.c_str());
      return 0;
    }
    o = parse_options(cli);
    units = select_units(cases, cli, o.device);
    configure(o);
    child = cli.flag("child");
    if (!child) iic::print_settings("bench", cli.settings());
    in_process = child || units.size() == 1 || cli.flag("in-process");
  } catch (const eng::Error& e) {
    std::fprintf(stderr, "%s\n%s", e.what(), spec.help().c_str());  // the message says what
    return 2;
  }
  if (!child) {
    if (!o.json)
      std::printf("bench: %s, backend %s, %s, median of %d iterations after %d warm-up\n",
                  iic::describe_cpu(eng::num_threads()).c_str(),
                  o.device == eng::Device::CUDA ? "cuda" : o.backend.c_str(), o.precision.c_str(),
                  o.iters, o.warmup);
    bench::print_table_header(o);
  }
  int failed = 0;
  for (const Unit& u : units) {
    bool ok = true;
    if (in_process) {
      try {
        u.c->run(o, u.head, u.work);
      } catch (const eng::Error& e) {
        std::fprintf(stderr, "bench: %s\n", e.what());
        ok = false;
      }
    } else {
      ok = run_in_child(argc, argv, u);
    }
    failed += !ok;
    if (!ok && !child)  // a child's parent says it
      std::fprintf(stderr, "bench: case %s %s %s failed\n", u.c->name.c_str(), u.head.c_str(),
                   u.work.c_str());
  }
  return failed ? 1 : 0;
}
