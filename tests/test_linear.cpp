// test_linear.cpp — linear beyond the op table (tests/op_cases.hpp, whose cases test_ops runs
// for parity of every kernel family — the IIC heads 4608 -> k, small odd sizes, each subset of
// the gradients — and finite differences): a product worked by hand, reproducibility, and the
// error messages for bad input.
#define BOOST_TEST_MODULE linear
#include <boost/test/unit_test.hpp>

#include "ops/linear.hpp"
#include "tests/op_cases.hpp"

using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::expect_error;

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

BOOST_AUTO_TEST_CASE(results_are_reproducible) {
  const optest::OpCase c = optest::linear_case(70, 300, 50, true);
  const std::vector<Tensor> in = c.make_inputs();
  testing::check_reproducible([&](CpuBackend be) {
    return optest::values_of(optest::run(optest::family_of(be), c.fn, in, c.roles()));
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
