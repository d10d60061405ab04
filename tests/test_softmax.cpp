// test_softmax.cpp — softmax beyond the op table (tests/op_cases.hpp, whose cases test_ops runs
// for parity of every kernel family and finite differences): values worked by hand, rows summing
// to one (also of the reference on awkward shapes and every dim), stability at +-1000, oneDNN on a
// blocked input, reproducibility, and the error messages for bad input.
#define BOOST_TEST_MODULE softmax
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "ops/softmax.hpp"
#include "tests/op_harness.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/onednn_common.hpp"
#endif

using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::expect_error;

namespace {

// softmax(x, dim) and dx for seed dy on one backend.
optest::Run run_softmax(CpuBackend be, const Tensor& x, int dim, const Tensor& dy) {
  return optest::run(
      optest::family_of(be),
      [dim](const std::vector<Tensor>& in) { return eng::softmax(in[0], dim); }, {x},
      {optest::Role::Grad}, dy, eng::str("softmax dim ", dim));
}

// Every element along dim of y is finite and in [0, 1]; every line sums to one.
void check_lines_sum_to_one(const Tensor& y, int dim, const std::string& what) {
  std::vector<float> v = y.to_vector();
  const Shape& s = y.shape();
  int64_t len = s[dim], inner = 1;
  for (size_t i = dim + 1; i < s.size(); ++i) inner *= s[i];
  double worst = 0;
  bool in_range = true;
  for (int64_t o = 0; o < y.numel() / (len * inner); ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double sum = 0;
      for (int64_t k = 0; k < len; ++k) {
        float e = v[(o * len + k) * inner + i];
        in_range = in_range && std::isfinite(e) && e >= 0 && e <= 1;
        sum += e;
      }
      if (!(std::fabs(sum - 1) <= worst)) worst = std::fabs(sum - 1);  // NaN propagates
    }
  BOOST_CHECK_MESSAGE(in_range, what << ": an element is not finite or outside [0, 1]");
  BOOST_CHECK_MESSAGE(worst < 1e-5, what << ": a line sums to 1 +- " << worst);
}

}  // namespace

BOOST_AUTO_TEST_CASE(values_by_hand) {
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    // softmax([0, ln 3]) = [1/4, 3/4]; along dim 0 of a column the same.
    Tensor x = Tensor::from_vector({1, 2}, {0.0f, std::log(3.0f)});
    testing::check_close(eng::softmax(x, 1), Tensor::from_vector({1, 2}, {0.25f, 0.75f}), 1e-6,
                         1e-7, "row");
    Tensor col = Tensor::from_vector({2, 1}, {0.0f, std::log(3.0f)});
    testing::check_close(eng::softmax(col, 0), Tensor::from_vector({2, 1}, {0.25f, 0.75f}), 1e-6,
                         1e-7, "column");
    // A dimension of size one gives ones.
    BOOST_TEST(eng::softmax(x, 0).to_vector() == std::vector<float>({1, 1}));
  }
}

BOOST_AUTO_TEST_CASE(stable_for_large_inputs) {
  // exp(1000) overflows float: only a max-subtracting softmax gives finite results, equal to
  // softmax of the shifted inputs.
  Tensor shifted = Tensor::from_vector({1, 4}, {0, 1, -1, 0.5f});
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    Tensor want = eng::softmax(shifted, 1);
    for (float base : {1000.0f, -1000.0f}) {
      std::vector<float> v = shifted.to_vector();
      for (float& e : v) e += base;
      Tensor y = eng::softmax(Tensor::from_vector({1, 4}, v), -1);
      check_lines_sum_to_one(y, 1, eng::str("around ", base));
      testing::check_close(y, want, 1e-4, 1e-6, eng::str("shift invariance around ", base));
    }
    Tensor extreme = Tensor::from_vector({2, 3}, {1000, -1000, 0, -1000, -1000, -1000});
    Tensor y = eng::softmax(extreme, 1);
    check_lines_sum_to_one(y, 1, "extreme");
    testing::check_close(y, Tensor::from_vector({2, 3}, {1, 0, 0, 1 / 3.f, 1 / 3.f, 1 / 3.f}), 1e-6,
                         1e-7, "extreme values");
  }
}

BOOST_AUTO_TEST_CASE(reference_lines_sum_to_one_on_every_dim) {
  eng::CpuBackendGuard guard(CpuBackend::Reference);
  eng::Rng rng(7);
  for (const Shape& shape :
       {Shape{1, 10}, Shape{7, 3}, Shape{700, 50}, Shape{700, 1}, Shape{3, 140}, Shape{5},
        Shape{2, 5, 3, 3}, Shape{1, 17, 3, 3}, Shape{2, 3, 7}}) {
    Tensor x = testing::randn(shape, rng, 3.0f);
    for (int dim = 0; dim < int(shape.size()); ++dim)
      check_lines_sum_to_one(eng::softmax(x, dim), dim, eng::shape_str(shape) + " ref");
  }
}

#ifdef ENG_HAVE_ONEDNN
BOOST_AUTO_TEST_CASE(onednn_keeps_a_blocked_input_layout) {
  // A conv output in nChw16c (17 channels: one padded block) through softmax over the channels
  // and over a spatial dim, forward and backward, against the reference on the plain data.
  using dnnl::memory;
  eng::Rng rng(8);
  Shape shape{2, 17, 3, 3};
  Tensor x = testing::randn(shape, rng, 3.0f), dy = testing::randn(shape, rng);
  const memory::desc blocked = eng::onednn::tagged_desc(shape, memory::format_tag::nChw16c);
  Tensor xb = eng::onednn::to_desc(x, blocked), dyb = eng::onednn::to_desc(dy, blocked);
  BOOST_REQUIRE(!xb.is_plain());
  for (int dim : {1, 3}) {
    optest::Run want = run_softmax(CpuBackend::Reference, x, dim, dy);
    optest::Run got = run_softmax(CpuBackend::OneDNN, xb, dim, dyb);
    BOOST_TEST(!got.out.is_plain(), "the output keeps the input's blocked layout");
    optest::check_against(got, want, eng::Kernel::OneDNN, {optest::Role::Grad},
                          optest::tolerance(optest::Tol::Exact, eng::Kernel::OneDNN),
                          eng::str("blocked dim ", dim));
  }
}
#endif

BOOST_AUTO_TEST_CASE(results_are_reproducible) {
  eng::Rng rng(4);
  Tensor x = testing::randn({300, 3, 50}, rng), dy = testing::randn({300, 3, 50}, rng);
  testing::check_reproducible(
      [&](CpuBackend be) { return optest::values_of(run_softmax(be, x, 1, dy)); });
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  auto sm = [](Tensor x, int dim) { return [=] { eng::softmax(x, dim); }; };
  expect_error(sm(Tensor::zeros({3, 4}), 2), {"softmax", "dim 2", "out of range", "[3, 4]"});
  expect_error(sm(Tensor::zeros({3, 4}), -3), {"softmax", "dim -3", "out of range", "[3, 4]"});
  expect_error(sm(Tensor::scalar(1.0f), 0), {"softmax", "dim 0", "out of range", "[]"});
  expect_error(sm(Tensor::zeros({0, 4}), 1), {"softmax", "empty", "[0, 4]"});
  expect_error(sm(Tensor(), 0), {"softmax", "undefined"});
}
