// test_ops.cpp — every case of the op table (tests/op_cases.hpp) on every kernel family, in the
// manner of ggml's test-backend-ops. The test tree:
//   parity/<family>/<op>     each case on the family against the reference kernels: the output,
//                            every requested gradient and the state the op updates, within the
//                            case's tolerance class (tests/op_harness.hpp); families onednn, cuda
//   gradient/<family>/<op>   finite differences of each small case (testing::gradcheck, one
//                            thread; kinked ops may skip kinks, smooth ones may not); families
//                            reference, onednn
//   table_is_well_formed     unique names, inputs and a function in every case, a case small
//                            enough for finite differences in every op
//   perf                     disabled: not run by ctest (timings belong to benchmarks)
// A family this machine cannot run (not built, no CUDA device) is skipped, never passed: its
// suite is disabled by a failing precondition, which the report counts as skipped, and a
// "SKIPPED: ..." line with the number of cases not run is printed first.
//
// Perf mode: the same cases timed per family (forward + backward from copies of the inputs
// already on the family's device; one warm-up, then the median of N runs), printed as a table:
//   OMP_NUM_THREADS=2 build/test_ops --run_test=perf -- [--reps N] [--match TEXT]
// (--reps: default 10; --match: only the cases whose name contains TEXT, e.g. "conv2d cluster").
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "tests/op_cases.hpp"

namespace ut = boost::unit_test;
using namespace optest;

namespace {

std::string on(Kernel family) { return std::string(" on ") + eng::kernel_name(family); }

void parity(const std::string& op, Kernel family) {
  for (const OpCase& c : op_cases()) {
    if (c.op != op) continue;
    const std::vector<Tensor> in = c.make_inputs();
    const std::vector<Role> roles = c.roles();
    const std::string what = c.name + on(family);
    Run ref = run(Kernel::Reference, c.fn, in, roles, Tensor(), c.name + " on reference");
    Run got = run(family, c.fn, in, roles, ref.seed, what);
    if (c.plain_output) BOOST_CHECK_MESSAGE(got.out.is_plain(), what << ": " << got.out.describe());
    check_against(got, ref, family, roles, tolerance(c.tol, family), what);
  }
}

// Single-threaded: thousands of tiny forward passes, where OpenMP's start-up and barriers (slow
// on a loaded machine) would dominate; the reference kernels give the same bits on any number.
void gradient(const std::string& op, Kernel family) {
  eng::SettingGuard<int, eng::num_threads, eng::set_num_threads> one_thread(1);
  for (const OpCase& c : op_cases()) {
    if (c.op != op || !c.fd_checked()) continue;
    FamilyScope scope(family);
    testing::GradCheckOptions opt;
    for (Role r : c.roles()) opt.check.push_back(wants_grad(r));
    opt.smooth = !c.kinked;
    testing::gradcheck(c.name + on(family), c.fn, c.make_inputs(), opt);
  }
}

// ---- perf --------------------------------------------------------------------------------

double time_ms(Kernel family, const OpCase& c, const std::vector<Tensor>& on_device,
               const Tensor& seed) {
  const std::vector<Role> roles = c.roles();
  const auto start = std::chrono::steady_clock::now();
  Tensor out = c.fn(leaves(family, on_device, roles));
  if (out.requires_grad()) eng::run_backward(out, seed);
#ifdef ENG_HAVE_CUDA
  if (family == Kernel::CUDA) eng::cuda::synchronize();
#endif
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void perf() {
  int reps = 10;
  std::string match;
  const auto& args = ut::framework::master_test_suite();
  for (int i = 1; i < args.argc; i += 2) {
    const std::string flag = args.argv[i];
    if (i + 1 == args.argc) BOOST_FAIL("perf: " << flag << " needs a value");
    if (flag == "--reps")
      reps = std::max(1, std::atoi(args.argv[i + 1]));
    else if (flag == "--match")
      match = args.argv[i + 1];
    else
      BOOST_FAIL("perf: unknown option " << flag << " (use --reps N, --match TEXT)");
  }
  std::vector<Kernel> families{Kernel::Reference};
  for (Kernel f : fast_families())
    if (unavailable(f).empty()) families.push_back(f);
  std::printf("forward + backward, median of %d runs, ms (OMP threads: %d)\n%-58s", reps,
              eng::num_threads(), "case");
  for (Kernel f : families) std::printf(" %10s", eng::kernel_name(f));
  std::printf("\n");
  for (const OpCase& c : op_cases()) {
    if (c.name.find(match) == std::string::npos) continue;
    std::printf("%-58s", c.name.substr(0, 58).c_str());
    const std::vector<Tensor> in = c.make_inputs();
    const Tensor seed = run(Kernel::Reference, c.fn, in, c.roles()).seed;
    for (Kernel f : families) {
      FamilyScope scope(f);
      const std::vector<Tensor> on_device =
          leaves(f, in, std::vector<Role>(in.size(), Role::Const));
      const Tensor s = seed.defined() ? seed.to(device_of(f)) : seed;
      time_ms(f, c, on_device, s);  // warm-up: primitive caches, algorithm choice
      std::vector<double> t;
      for (int r = 0; r < reps; ++r) t.push_back(time_ms(f, c, on_device, s));
      std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
      std::printf(" %10.3f", t[t.size() / 2]);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(table_is_well_formed) {
  std::set<std::string> names;
  std::set<std::string> fd_ops;
  for (const OpCase& c : op_cases()) {
    BOOST_TEST(names.insert(c.name).second, "duplicate case name " << c.name);
    BOOST_TEST(!c.inputs.empty(), c.name);
    BOOST_TEST(bool(c.fn), c.name);
    if (c.fd_checked()) fd_ops.insert(c.op);
  }
  for (const std::string& op : table_ops())
    BOOST_TEST(fd_ops.count(op) == 1, op << " has no case small enough for finite differences");
}

namespace {

struct Mode {
  const char* name;
  std::vector<Kernel> families;
  void (*check)(const std::string&, Kernel);
  bool (*counts)(const OpCase&);
};

bool always(const OpCase&) { return true; }
bool fd_checked(const OpCase& c) { return c.fd_checked(); }

bool register_tests() {
  ut::test_suite& master = ut::framework::master_test_suite();
  master.p_name.value = "ops";
  const std::vector<std::string> ops = table_ops();
  std::printf("op table: %zu cases of %zu ops, %ld small enough for finite differences\n",
              op_cases().size(), ops.size(),
              long(std::count_if(op_cases().begin(), op_cases().end(), fd_checked)));
  for (const Mode& mode :
       {Mode{"parity", fast_families(), parity, always},
        Mode{"gradient", {Kernel::Reference, Kernel::OneDNN}, gradient, fd_checked}}) {
    ut::test_suite* suite = BOOST_TEST_SUITE(mode.name);
    for (Kernel family : mode.families) {
      ut::test_suite* fs = BOOST_TEST_SUITE(eng::kernel_name(family));
      for (const std::string& op : ops)
        fs->add(ut::make_test_case([check = mode.check, op, family] { check(op, family); }, op,
                                   __FILE__, __LINE__));
      const std::string why = unavailable(family);
      if (!why.empty()) {
        fs->add_precondition([why](ut::test_unit_id) {
          boost::test_tools::assertion_result skip(false);
          skip.message() << why;
          return skip;
        });
        const auto n = std::count_if(op_cases().begin(), op_cases().end(), mode.counts);
        std::printf("SKIPPED: %s/%s (%s): %ld cases not run\n", mode.name, eng::kernel_name(family),
                    why.c_str(), long(n));
      }
      suite->add(fs);
    }
    master.add(suite);
  }
  ut::test_case* timing = ut::make_test_case(&perf, "perf", __FILE__, __LINE__);
  timing->p_default_status.value = ut::test_unit::RS_DISABLED;
  master.add(timing);
  return true;
}

}  // namespace

int main(int argc, char* argv[]) { return ut::unit_test_main(&register_tests, argc, argv); }
