// test_bf16.cpp — bf16 compute precision (backend.hpp) of the CPU convolutions:
//  - oneDNN's bf16 kernels (forward, backward data, backward weights, bias gradient) against the
//    reference conv with the same bf16 rounding, and against the float32 reference, on awkward
//    shapes and the ClusterNet6c shapes of the op table (tests/op_cases.hpp); each gradient
//    requested alone;
//  - a small trunk, conv -> batch norm -> pool -> conv (blocked float32 tensors between the ops,
//    batch norm in float32): with ReLU and max pool against the reference trunk with the same
//    rounding, with neither (a smooth function) against the float32 reference trunk;
//  - float32 results bit for bit the same before and after a bf16 run (separate primitives);
//  - precision names, parsing, and the refusal of bf16 on a CPU without it: this program reruns
//    itself with oneDNN capped below AVX512_CORE_BF16 (ONEDNN_MAX_CPU_ISA).
// Without oneDNN or on a CPU without AVX-512 BF16, main() checks that the switch refuses bf16
// with a message, prints "SKIPPED: ..." and exits with 77, which ctest reports as skipped.
//
// Tolerances. Against the bf16-rounding reference the products are the same float32 numbers
// (a product of two bf16 values is exact in float32); only the order of the float32 sums
// differs, so check_matches' float32 tolerance applies. Against the float32 reference each
// product a*b becomes a(1+e)*b(1+f) with |e|, |f| <= 2^-8 (bf16 keeps 8 significant bits), an
// error of at most 2^-7 (1 + 2^-9) |a*b|: every element is within 2^-7 (1 + 2^-9) S
// + 1e-4 (S + |ref|) of the float32 result, where S is the same sum over |terms| (the reference
// conv of |x|, |w|, |b|, |dy|) and the second term covers the float32 summation order. That
// bound is rigorous, not statistical (the worst element seen is at about 0.9 of it).
// Trunks: the two sides round the same values, except where an intermediate result lies so close
// to a bf16 rounding boundary that the float32 summation order decides: 1e-3 of the largest
// value. Against float32, the trunk's gradient is discontinuous at ReLU and max-pool ties:
// bf16 rounding flips a few ReLU masks and pool maxima, which moves conv1's dw by up to ~15% at
// this batch size (the reference with bf16 rounding does the same), so that comparison uses the
// smooth trunk (no ReLU, average pool), whose bf16 results are within 0.5% of the largest value:
// the tolerance is 2e-2 of it, far below the O(1) errors of a layout or tap bug.
#define BOOST_TEST_MODULE bf16
#define BOOST_TEST_NO_MAIN
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ops/batchnorm.hpp"
#include "ops/conv2d.hpp"
#include "ops/pool2d.hpp"
#include "tests/op_cases.hpp"

using eng::Conv2dParams;
using eng::CpuBackend;
using eng::Precision;
using eng::Shape;
using eng::str;
using eng::Tensor;

namespace {

// Of the op table's conv2d shapes (tests/op_cases.hpp): batch 1 and 3x3 maps, channel counts off
// the 16-lane blocks, stride 2 (floor), 5x5 with padding, dilation with asymmetric stride and
// padding, 1x1; then the trunk's layers.
const char* const kShapes[] = {
    "batch1_3x3map_c3", "c5_to_c17_stride2_pad1", "c17_5x5_pad2",     "asymmetric",      "1x1_c17",
    "clusternet_conv1", "clusternet_conv2",       "clusternet_conv3", "clusternet_conv4"};

// x ~ N(0, 1), w ~ N(0, 1/fan_in), b ~ N(0, 1) (the table's), dy ~ N(0, 1): outputs and
// gradients of order 1.
struct ConvData {
  std::vector<Tensor> in;  // x, w, b
  Tensor dy;
};
ConvData conv_data(const optest::ConvShape& c, uint64_t seed) {
  ConvData d{optest::conv2d_case(c).make_inputs(), Tensor()};
  eng::Rng rng(seed, 5);
  d.dy = testing::randn(eng::conv2d_output_shape(d.in[0], d.in[1], d.in[2], c.p), rng);
  return d;
}

Tensor abs_of(const Tensor& t) {
  if (!t.defined()) return t;
  std::vector<float> v = t.to_vector();
  for (float& e : v) e = std::fabs(e);
  return Tensor::from_vector(t.shape(), v);
}

// y, dx, dw, db of conv2d (optest::run, seed d.dy) on one backend in one precision; `need`
// selects the gradients (bit 1: x, 2: w, 4: b), the others come back undefined.
std::vector<Tensor> conv_on(CpuBackend backend, Precision precision, const ConvData& d,
                            const Conv2dParams& p, int need = 7) {
  using optest::Role;
  eng::PrecisionGuard precision_guard(precision);
  const std::vector<Role> roles = {need & 1 ? Role::Grad : Role::Const,
                                   need & 2 ? Role::Param : Role::Const,
                                   !d.in[2].defined() ? Role::Absent
                                   : need & 4         ? Role::Param
                                                      : Role::Const};
  optest::Run r = optest::run(optest::family_of(backend), optest::conv2d_fn(p), d.in, roles, d.dy,
                              eng::precision_name(precision));
  return {r.out, r.grads[0], r.grads[1], r.grads[2]};
}

const char* const kPartNames[] = {"y", "dx", "dw", "db"};

// |got - ref| <= 2^-7 (1 + 2^-9) S + 1e-4 (S + |ref|) elementwise (see the contract); also
// returns the largest |got - ref| / (2^-7 S) for the log.
double check_bf16_bound(const Tensor& got, const Tensor& ref, const Tensor& sum_abs,
                        const std::string& what) {
  std::vector<float> g = got.to_vector(), r = ref.to_vector(), s = sum_abs.to_vector();
  BOOST_REQUIRE_EQUAL(g.size(), r.size());
  double worst_excess = 0, worst_ratio = 0;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double err = std::fabs(double(g[i]) - r[i]);
    const double bound =
        std::ldexp(1.0 + std::ldexp(1.0, -9), -7) * s[i] + 1e-4 * (s[i] + std::fabs(r[i])) + 1e-6;
    if (!(err - bound <= worst_excess)) worst_excess = err - bound, at = i;
    if (s[i] > 0) worst_ratio = std::max(worst_ratio, err / std::ldexp(double(s[i]), -7));
  }
  BOOST_CHECK_MESSAGE(worst_excess <= 0, what << ": element " << at << " is " << g[at]
                                              << ", float32 reference " << r[at] << ", |terms| "
                                              << s[at] << ": beyond the bf16 rounding bound");
  return worst_ratio;
}

// The largest |a - b| (a, b of one shape).
double max_diff(const Tensor& a, const Tensor& b) {
  std::vector<float> va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::fabs(double(va[i]) - vb[i]));
  return m;
}

// The trunk in small: conv 5x5 -> batch norm (float32) -> pool 2x2 -> conv 3x3 with bias; with
// `kinks` the batch norm fuses a ReLU and the pool takes the max, else it averages. Returns y and
// every parameter gradient after a backward pass seeded with a random dy.
std::vector<Tensor> small_trunk(CpuBackend backend, Precision precision, bool kinks) {
  eng::CpuBackendGuard backend_guard(backend);
  eng::PrecisionGuard precision_guard(precision);
  eng::Rng rng(31, 9);
  Tensor x = testing::randn({3, 1, 16, 16}, rng);
  std::vector<Tensor> p{testing::randn({32, 1, 5, 5}, rng, 0.2f),
                        testing::uniform({32}, rng, 0.5f, 1.5f), testing::randn({32}, rng, 0.1f),
                        testing::randn({24, 32, 3, 3}, rng, 0.06f), testing::randn({24}, rng)};
  for (Tensor& t : p) t.set_requires_grad(true);
  eng::BatchNormParams bn;
  bn.relu = kinks;
  Tensor h = eng::conv2d(x, p[0], Tensor(), Conv2dParams::square(1, 2));
  if (backend == CpuBackend::OneDNN) {
    BOOST_TEST(!h.is_plain(), "the conv output stays blocked");
    BOOST_TEST(!testing::contains(h.layout()->name(), "bf16"), "in float32");
  }
  h = eng::batch_norm(h, p[1], p[2], bn);
  h = kinks ? eng::max_pool2d(h, eng::Pool2dParams::square(2, 2))
            : eng::avg_pool2d(h, eng::Pool2dParams::square(2, 2));
  Tensor y = eng::conv2d(h, p[3], p[4], Conv2dParams::square(1, 1));
  eng::run_backward(y, testing::randn(y.shape(), rng));
  std::vector<Tensor> out{y};
  for (const Tensor& t : p) out.push_back(t.grad());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(onednn_bf16_convs_match_the_references) {
  for (const char* name : kShapes) {
    const optest::ConvShape& c = optest::conv2d_shape(name);
    ConvData d = conv_data(c, 17);
    ConvData abs{{abs_of(d.in[0]), abs_of(d.in[1]), abs_of(d.in[2])}, abs_of(d.dy)};
    std::vector<Tensor> f = conv_on(CpuBackend::Reference, Precision::FP32, d, c.p);
    std::vector<Tensor> r = conv_on(CpuBackend::Reference, Precision::BF16, d, c.p);
    std::vector<Tensor> g = conv_on(CpuBackend::OneDNN, Precision::BF16, d, c.p);
    std::vector<Tensor> s = conv_on(CpuBackend::Reference, Precision::FP32, abs, c.p);
    for (size_t i = 0; i < f.size(); ++i) {
      if (!f[i].defined()) continue;
      const std::string what = c.name + " " + kPartNames[i];
      BOOST_TEST((g[i].dtype() == eng::DType::F32));
      if (i >= 2) BOOST_CHECK_MESSAGE(g[i].is_plain(), what << " is returned plain");
      // The emulation rounds for real: bf16 results differ visibly from float32 ones.
      BOOST_CHECK_MESSAGE(max_diff(r[i], f[i]) > 1e-5 * testing::max_abs(f[i]),
                          what << ": bf16 rounding changed nothing");
      testing::check_matches(g[i], r[i], what + " vs bf16-rounding reference");
      double ratio = check_bf16_bound(g[i], f[i], s[i], what + " vs float32 reference");
      BOOST_TEST_MESSAGE(what << ": worst |bf16 - fp32| = " << ratio << " * 2^-7 * sum|terms|");
    }
  }
}

BOOST_AUTO_TEST_CASE(each_gradient_alone_matches_the_rounding_reference) {
  const optest::ConvShape& c = optest::conv2d_shape(kShapes[1]);  // has a bias
  ConvData d = conv_data(c, 23);
  for (int need : {1, 2, 4, 6}) {
    std::vector<Tensor> r = conv_on(CpuBackend::Reference, Precision::BF16, d, c.p, need);
    std::vector<Tensor> g = conv_on(CpuBackend::OneDNN, Precision::BF16, d, c.p, need);
    for (size_t i = 0; i < r.size(); ++i)
      testing::check_matches(g[i], r[i],
                             c.name + " need " + std::to_string(need) + " " + kPartNames[i]);
  }
}

BOOST_AUTO_TEST_CASE(bf16_trunks_match_the_references) {
  const char* names[] = {"y", "dw1", "dgamma", "dbeta", "dw2", "db2"};
  for (bool kinks : {true, false}) {
    Precision ref_precision = kinks ? Precision::BF16 : Precision::FP32;
    double tol = kinks ? 1e-3 : 2e-2;
    std::vector<Tensor> ref = small_trunk(CpuBackend::Reference, ref_precision, kinks);
    std::vector<Tensor> got = small_trunk(CpuBackend::OneDNN, Precision::BF16, kinks);
    for (size_t i = 0; i < ref.size(); ++i)
      testing::check_matches(got[i], ref[i],
                             str("trunk (kinks ", kinks, ") ", names[i], " vs ",
                                 eng::precision_name(ref_precision), " reference"),
                             tol, tol);
  }
}

BOOST_AUTO_TEST_CASE(float32_is_unchanged_by_a_bf16_run) {
  const optest::ConvShape& c = optest::conv2d_shape(kShapes[2]);
  ConvData d = conv_data(c, 29);
  auto bits = [&](Precision precision) {
    return testing::values_of(conv_on(CpuBackend::OneDNN, precision, d, c.p));
  };
  const std::vector<float> before = bits(Precision::FP32);
  BOOST_TEST((bits(Precision::BF16) != before), "bf16 ran its own primitives");
  BOOST_TEST((bits(Precision::FP32) == before), "float32 bit for bit as before");
  BOOST_TEST((eng::compute_precision() == Precision::FP32), "the guard restored float32");
}

BOOST_AUTO_TEST_CASE(precision_names_and_parsing) {
  for (Precision p : {Precision::FP32, Precision::BF16})
    BOOST_TEST((eng::parse_precision(eng::precision_name(p)) == p));
  BOOST_TEST(std::string(eng::precision_name(Precision::BF16)) == "bf16");
  testing::expect_error([] { eng::parse_precision("fp16"); },
                        {"compute precision", "'fp16'", "fp32 or bf16"});
}

BOOST_AUTO_TEST_CASE(a_cpu_without_bf16_is_refused_with_a_message) {
  // The same program with oneDNN capped below AVX512_CORE_BF16 must take main()'s path for a
  // CPU without bf16: refuse the switch with the message, report SKIPPED, exit 77.
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  BOOST_REQUIRE_MESSAGE(!cap || std::string(cap) != "AVX512_CORE",
                        "ONEDNN_MAX_CPU_ISA=AVX512_CORE did not cap oneDNN (built without "
                        "ONEDNN_ENABLE_MAX_CPU_ISA?): the refusal cannot be tested this way");
  const std::string self = boost::unit_test::framework::master_test_suite().argv[0];
  const std::string cmd = "ONEDNN_MAX_CPU_ISA=AVX512_CORE '" + self + "' 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  BOOST_REQUIRE(pipe);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  BOOST_TEST_MESSAGE("capped run: " << out);
  BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 77,
                      "exit status 77 expected, got wait status " << status);
  for (const char* part : {"SKIPPED", "compute precision", "AVX-512 BF16", "use fp32"})
    BOOST_CHECK_MESSAGE(testing::contains(out, part), "'" << out << "' lacks '" << part << "'");
}

int main(int argc, char* argv[]) {
  if (!eng::cpu_supports_bf16()) {
    const std::string msg = testing::error_of([] { eng::set_compute_precision(Precision::BF16); });
    if (msg.empty() || eng::compute_precision() != Precision::FP32) {
      std::printf("FAILED: bf16 was not refused on a CPU (or build) without it\n");
      return 1;
    }
    std::printf("SKIPPED: no bf16 convolutions here; the switch refused them: %s\n", msg.c_str());
    return 77;
  }
  return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}
