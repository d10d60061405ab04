// test_elementwise.cpp — element-wise ops beyond the op table (tests/op_cases.hpp, whose cases
// test_ops runs for parity of every kernel family and finite differences for every broadcasting
// pattern and unary op): broadcasting rules, forward values computed by hand, gradient routing
// (x + x, inputs without grad), the OpenMP path against a plain loop, and error messages.
#define BOOST_TEST_MODULE elementwise
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "engine/allocator.hpp"
#include "ops/elementwise.hpp"
#include "tests/testing.hpp"

using eng::Shape;
using eng::Tensor;
using testing::check_close;
using testing::expect_error;

namespace {

Tensor values(const Shape& shape, const std::vector<float>& v) {
  return Tensor::from_vector(shape, v);
}

}  // namespace

BOOST_AUTO_TEST_CASE(broadcast_shape_rules) {
  BOOST_TEST(eng::broadcast_shape("t", {2, 3}, {3}) == Shape({2, 3}));
  BOOST_TEST(eng::broadcast_shape("t", {2, 1, 4}, {1, 3, 1}) == Shape({2, 3, 4}));
  BOOST_TEST(eng::broadcast_shape("t", {}, {5, 1}) == Shape({5, 1}));
  BOOST_TEST(eng::broadcast_shape("t", {1}, {}) == Shape({1}));
  BOOST_TEST(eng::broadcast_shape("t", {0, 1}, {1, 3}) == Shape({0, 3}));
  expect_error([] { eng::broadcast_shape("mul", {2, 3}, {2}); }, {"mul:", "[2, 3]", "[2]"});
}

BOOST_AUTO_TEST_CASE(binary_forward_values) {
  Tensor m = values({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor row = values({3}, {10, 20, 30});
  check_close(eng::add(m, row), values({2, 3}, {11, 22, 33, 14, 25, 36}), 0, 0, "[2,3]+[3]");
  // sub with the broadcast operand on the left
  check_close(eng::sub(row, m), values({2, 3}, {9, 18, 27, 6, 15, 24}), 0, 0, "[3]-[2,3]");
  check_close(eng::div(m, Tensor::scalar(4)), values({2, 3}, {.25f, .5f, .75f, 1, 1.25f, 1.5f}), 0,
              0, "[2,3]/[]");
  // [2,1,2] * [1,3,1] -> [2,3,2]: y[i,j,k] = a[i,0,k] * b[0,j,0]
  Tensor a = values({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = values({1, 3, 1}, {1, 10, 100});
  check_close(eng::mul(a, b), values({2, 3, 2}, {1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 300, 400}),
              0, 0, "[2,1,2]*[1,3,1]");
  Tensor s = eng::add(Tensor::scalar(1.5f), Tensor::scalar(2));
  BOOST_TEST(s.shape() == Shape{});
  BOOST_TEST(s.item() == 3.5f);
}

BOOST_AUTO_TEST_CASE(unary_forward_values) {
  Tensor x = values({4}, {1, std::exp(2.0f), 0.5f, 0});
  std::vector<float> l = eng::log(x).to_vector();
  BOOST_TEST(l[0] == 0.0f);
  BOOST_TEST(std::fabs(l[1] - 2.0f) < 1e-6f);
  BOOST_TEST(std::fabs(l[2] - std::log(0.5f)) < 1e-7f);
  BOOST_TEST(l[3] == -std::numeric_limits<float>::infinity());
  check_close(eng::clamp_min(values({4}, {-2, 0.5f, 1, 3}), 0.75f),
              values({4}, {0.75f, 0.75f, 1, 3}), 0, 0, "clamp_min");
  BOOST_TEST(std::isnan(eng::clamp_min(values({1}, {NAN}), 0).item()));
  check_close(eng::add_scalar(values({2}, {1, -1}), 0.5f), values({2}, {1.5f, -0.5f}), 0, 0,
              "add_scalar");
  check_close(eng::mul_scalar(values({2}, {1, -1}), -3), values({2}, {-3, 3}), 0, 0, "mul_scalar");
}

BOOST_AUTO_TEST_CASE(clamp_min_gradient_is_zero_where_clamped) {
  const float lo = 0.25f;
  // just below, just above, far below, far above the bound (never on it)
  Tensor x = values({4}, {lo - 1e-3f, lo + 1e-3f, -5.0f, 7.0f}).set_requires_grad(true);
  Tensor y = eng::clamp_min(x, lo);
  check_close(y, values({4}, {lo, lo + 1e-3f, lo, 7.0f}), 0, 0, "clamp_min values");
  eng::run_backward(y, values({4}, {2, 3, 4, 5}));
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({0, 3, 0, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(same_tensor_on_both_sides) {
  Tensor x = values({3}, {1, -2, 4}).set_requires_grad(true);
  Tensor dy = values({3}, {0.5f, 1, -3});
  eng::run_backward(eng::add(x, x), dy);
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({1, 2, -6}),
             boost::test_tools::per_element());
  x.zero_grad();
  eng::run_backward(eng::sub(x, x), dy);
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({0, 0, 0}),
             boost::test_tools::per_element());
  x.zero_grad();
  eng::run_backward(eng::mul(x, x), dy);  // d(x^2) = 2x dy
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({1, -4, -24}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(broadcast_gradient_values_and_inputs_without_grad) {
  Tensor a = values({2, 3}, {1, 2, 3, 4, 5, 6}).set_requires_grad(true);
  Tensor b = values({3}, {1, 2, 4});  // a constant: gets no gradient
  Tensor y = eng::mul(a, b);
  eng::run_backward(y, Tensor::full({2, 3}, 1.0f));
  BOOST_TEST(a.grad().to_vector() == std::vector<float>({1, 2, 4, 1, 2, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(!b.grad().defined());

  Tensor c = values({3}, {1, 2, 4}).set_requires_grad(true);
  eng::run_backward(eng::div(a.detach(), c), Tensor::full({2, 3}, 1.0f));
  // d/dc sum_i a[i,j] / c[j] = -(a[0,j] + a[1,j]) / c[j]^2
  check_close(c.grad(), values({3}, {-5.0f, -7.0f / 4, -9.0f / 16}), 1e-6, 0, "div db");
}

BOOST_AUTO_TEST_CASE(large_tensors_take_the_parallel_path) {
  eng::Rng rng(9);
  Tensor a = testing::randn({67, 1001}, rng), b = testing::randn({1001}, rng);
  std::vector<float> va = a.to_vector(), vb = b.to_vector(), want(va.size());
  for (size_t i = 0; i < va.size(); ++i) want[i] = va[i] * vb[i % 1001];
  check_close(eng::mul(a, b), values({67, 1001}, want), 0, 0, "mul [67,1001]*[1001]");
  Tensor a1 = a.clone().set_requires_grad(true);
  Tensor b1 = b.clone().set_requires_grad(true);
  eng::run_backward(eng::mul(a1, b1), Tensor::full({67, 1001}, 1.0f));
  std::vector<double> col(1001, 0.0);
  for (size_t i = 0; i < va.size(); ++i) col[i % 1001] += va[i];
  std::vector<float> want_b(col.begin(), col.end());
  check_close(b1.grad(), values({1001}, want_b), 0, 0, "sum_to [67,1001]->[1001]");
}

BOOST_AUTO_TEST_CASE(a_graph_never_run_backward_is_freed) {
  // Saved tensors are detached: no node refers back to its own output (no shared_ptr cycle).
  eng::Rng rng(10);
  size_t before = eng::allocator_stats(eng::Device::CPU).live_bytes;
  {
    Tensor a = testing::uniform({8, 9}, rng, 0.5f, 2.0f).set_requires_grad(true);
    Tensor b = testing::randn({9}, rng).set_requires_grad(true);
    Tensor y = eng::div(eng::mul(a, b), eng::log(eng::clamp_min(eng::add_scalar(a, 1), 0.1f)));
    BOOST_TEST(y.requires_grad());
  }
  BOOST_TEST(eng::allocator_stats(eng::Device::CPU).live_bytes == before);
}

#ifdef __SANITIZE_ADDRESS__
// ASan aborts on an impossible allocation unless told to return null like the system allocator.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif

BOOST_AUTO_TEST_CASE(a_failed_allocation_is_an_error_and_leaves_the_stats_alone) {
  const eng::AllocatorStats before = eng::allocator_stats(eng::Device::CPU);
  // 2^50 floats (4 PiB): no machine has the memory, so the allocator must say so and count nothing.
  expect_error([] { Tensor::zeros({int64_t(1) << 25, int64_t(1) << 25}); }, {"out of host memory"});
  const eng::AllocatorStats after = eng::allocator_stats(eng::Device::CPU);
  BOOST_TEST(after.live_bytes == before.live_bytes);
  BOOST_TEST(after.peak_bytes == before.peak_bytes);
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  expect_error([&] { eng::add(a, b); }, {"add:", "[2, 3]", "[4]"});
  expect_error([&] { eng::sub(b, a); }, {"sub:", "[4]", "[2, 3]"});
  expect_error([&] { eng::mul(a, Tensor::zeros({3, 3})); }, {"mul:", "[3, 3]"});
  expect_error(
      [&] {
        eng::div(Tensor::zeros({2, 1, 5}), Tensor::zeros({3, 4}));
      },
      {"div:", "[2, 1, 5]", "[3, 4]"});
  expect_error([&] { eng::add(a, Tensor()); }, {"add:", "undefined"});
  expect_error([] { eng::log(Tensor()); }, {"log:", "undefined"});
  expect_error([] { eng::clamp_min(Tensor(), 0); }, {"clamp_min:", "undefined"});
}
