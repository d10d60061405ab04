// test_linear.cpp — linear: a product worked by hand, finite-difference gradients (with and
// without bias), every fast CPU backend against the reference on awkward shapes (the IIC heads
// 4608 -> k and small odd sizes; forward and the three gradients, each alone), reproducibility,
// and the error messages for bad input.
#define BOOST_TEST_MODULE linear
#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "ops/linear.hpp"
#include "tests/testing.hpp"

using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::check_matches;
using testing::expect_error;

namespace {

struct Inputs {
  Tensor x, w, b;
};
// O(1) outputs: x ~ N(0, 1), w ~ N(0, 1/IN), b ~ N(0, 1).
Inputs make_inputs(int64_t n, int64_t in, int64_t out, bool bias, uint64_t seed) {
  eng::Rng rng(seed);
  return {testing::randn({n, in}, rng), testing::randn({out, in}, rng, 1.0f / std::sqrt(in)),
          bias ? testing::randn({out}, rng) : Tensor()};
}

struct Result {
  Tensor y, dx, dw, db;
};
// y = linear(x, w, b) on one backend, backward with seed dy; only the asked-for gradients
// may come back.
Result run_linear(CpuBackend be, const Inputs& in, const Tensor& dy, bool gx, bool gw, bool gb) {
  eng::CpuBackendGuard guard(be);
  Tensor x = in.x.clone().set_requires_grad(gx);
  Tensor w = in.w.clone().set_requires_grad(gw);
  Tensor b = in.b.defined() ? in.b.clone().set_requires_grad(gb) : Tensor();
  Tensor y = eng::linear(x, w, b);
  if (y.requires_grad()) eng::run_backward(y, dy);
  BOOST_TEST(x.grad().defined() == gx);
  BOOST_TEST(w.grad().defined() == gw);
  if (b.defined()) BOOST_TEST(b.grad().defined() == gb);
  for (const Tensor& g : {w.grad(), b.defined() ? b.grad() : Tensor()})
    if (g.defined()) BOOST_TEST(g.is_plain(), "parameter gradients are plain");
  return {y, x.grad(), w.grad(), b.defined() ? b.grad() : Tensor()};
}

// Float32 sums of IN (y), OUT (dx) or N (dw, db) products, added in a different order by each
// backend: check_matches' default tolerance (1e-4 relative plus 1e-4 of the largest reference
// magnitude); a wrong index or a missing bias is O(1).
void compare_backends(int64_t n, int64_t in, int64_t out, bool bias, bool gx, bool gw, bool gb) {
  Inputs inputs = make_inputs(n, in, out, bias, n * 1000 + in + out);
  eng::Rng rng(11);
  Tensor dy = testing::randn({n, out}, rng);
  Result ref = run_linear(CpuBackend::Reference, inputs, dy, gx, gw, gb);
  for (CpuBackend be : testing::fast_cpu_backends()) {
    Result got = run_linear(be, inputs, dy, gx, gw, gb);
    std::string what = eng::str("N", n, " IN", in, " OUT", out, bias ? " bias" : "",
                                gx ? " +dx" : "", gw ? " +dw" : "", gb && bias ? " +db" : "");
    check_matches(got.y, ref.y, what + " y");
    check_matches(got.dx, ref.dx, what + " dx");
    check_matches(got.dw, ref.dw, what + " dw");
    check_matches(got.db, ref.db, what + " db");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(small_layer_by_hand) {
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    Tensor x = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
    Tensor w = Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1});
    Tensor b = Tensor::from_vector({3}, {1, 2, 3});
    BOOST_TEST(eng::linear(x, w, b).to_vector() == std::vector<float>({2, 4, 6, 4, 6, 10}));
    BOOST_TEST(eng::linear(x, w, Tensor()).to_vector() == std::vector<float>({1, 2, 3, 3, 4, 7}));
    // dy = ones: dx = column sums of w per row, dw = column sums of x per row, db = N.
    x.set_requires_grad(true), w.set_requires_grad(true), b.set_requires_grad(true);
    eng::run_backward(eng::linear(x, w, b), Tensor::full({2, 3}, 1.0f));
    BOOST_TEST(x.grad().to_vector() == std::vector<float>({2, 2, 2, 2}));
    BOOST_TEST(w.grad().to_vector() == std::vector<float>({4, 6, 4, 6, 4, 6}));
    BOOST_TEST(b.grad().to_vector() == std::vector<float>({2, 2, 2}));
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    const std::string tag = be == CpuBackend::Reference ? " ref" : " fast";
    auto lin = [](const std::vector<Tensor>& v) { return eng::linear(v[0], v[1], v[2]); };
    for (bool bias : {true, false}) {
      for (const auto& [n, in, out] :
           std::vector<std::array<int64_t, 3>>{{3, 5, 4}, {1, 7, 1}, {2, 17, 3}}) {
        Inputs i = make_inputs(n, in, out, bias, 5);
        testing::gradcheck(eng::str("N", n, " IN", in, " OUT", out, bias ? " bias" : "", tag), lin,
                           {i.x, i.w, i.b});
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fast_backends_match_reference_on_awkward_shapes) {
  for (int64_t n : {1, 7, 700})
    for (int64_t in : {4608, 17})
      for (int64_t out : {10, 50, 1, 3}) compare_backends(n, in, out, true, true, true, true);
  compare_backends(700, 4608, 10, false, true, true, false);  // no bias
  compare_backends(700, 512, 70, true, true, true, true);     // a ClusterNet5g head
}

BOOST_AUTO_TEST_CASE(only_requested_gradients_are_computed) {
  for (int mask = 1; mask < 8; ++mask)
    compare_backends(7, 17, 3, true, mask & 1, mask & 2, mask & 4);
  compare_backends(7, 17, 3, true, false, false, false);  // no grad: nothing recorded
}

BOOST_AUTO_TEST_CASE(results_are_reproducible) {
  Inputs in = make_inputs(70, 300, 50, true, 9);
  eng::Rng rng(4);
  Tensor dy = testing::randn({70, 50}, rng);
  testing::check_reproducible([&](CpuBackend be) {
    Result r = run_linear(be, in, dy, true, true, true);
    return testing::values_of({r.y, r.dx, r.dw, r.db});
  });
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  Tensor x = Tensor::zeros({3, 5}), w = Tensor::zeros({4, 5}), b = Tensor::zeros({4});
  auto lin = [](Tensor a, Tensor c, Tensor d) { return [=] { eng::linear(a, c, d); }; };
  expect_error(lin(Tensor::zeros({3, 5, 1}), w, b), {"linear", "input x", "2-D", "[3, 5, 1]"});
  expect_error(lin(Tensor::zeros({5}), w, b), {"linear", "input x", "2-D", "[5]"});
  expect_error(lin(x, Tensor::zeros({4, 5, 1}), b), {"linear", "weight w", "2-D", "[4, 5, 1]"});
  expect_error(lin(x, Tensor::zeros({4, 6}), b), {"linear", "[3, 5]", "[4, 6]", "features"});
  expect_error(lin(x, w, Tensor::zeros({5})), {"linear", "bias", "[4]", "[5]", "[4, 5]"});
  expect_error(lin(x, w, Tensor::zeros({4, 1})), {"linear", "bias", "[4, 1]"});
  expect_error(lin(Tensor::zeros({0, 5}), w, b), {"linear", "empty", "[0, 5]"});
  expect_error(lin(x, Tensor::zeros({0, 5}), Tensor()), {"linear", "empty", "[0, 5]"});
  expect_error(lin(Tensor(), w, b), {"linear", "undefined"});
}
