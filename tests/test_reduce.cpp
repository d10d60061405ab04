// test_reduce.cpp — sum and mean beyond the op table (tests/op_cases.hpp, whose cases test_ops
// runs for parity of every kernel family and finite differences over single / multiple /
// negative / all dimensions): forward values computed by hand, shapes with and without keepdim,
// gradient values, a naive double-precision oracle on awkward 4-D shapes, thread-count
// independence (bit for bit), and error messages.
#define BOOST_TEST_MODULE reduce
#include <boost/test/unit_test.hpp>

#include "ops/reduce.hpp"
#include "tests/testing.hpp"

using eng::Shape;
using eng::Tensor;
using testing::check_close;
using testing::expect_error;

namespace {

Tensor values(const Shape& shape, const std::vector<float>& v) {
  return Tensor::from_vector(shape, v);
}

// x = [2, 3, 4] holding 0..23
Tensor iota234() {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
  return values({2, 3, 4}, v);
}

// Naive oracle: sum of x[n, c, h, w] over n, h, w for each c, in double.
std::vector<float> per_channel_sums(const Tensor& x) {
  const Shape& s = x.shape();
  std::vector<float> v = x.to_vector();
  std::vector<float> out(s[1]);
  for (int64_t c = 0; c < s[1]; ++c) {
    double acc = 0;
    for (int64_t n = 0; n < s[0]; ++n)
      for (int64_t i = 0; i < s[2] * s[3]; ++i) acc += v[(n * s[1] + c) * s[2] * s[3] + i];
    out[c] = static_cast<float>(acc);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sum_values_and_shapes) {
  Tensor x = iota234();
  check_close(eng::sum(x, {1}), values({2, 4}, {12, 15, 18, 21, 48, 51, 54, 57}), 0, 0,
              "sum dim 1");
  check_close(eng::sum(x, {1}, true), values({2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57}), 0, 0,
              "sum dim 1 keepdim");
  check_close(eng::sum(x, {-1}), values({2, 3}, {6, 22, 38, 54, 70, 86}), 0, 0, "sum dim -1");
  // dims {0, 2}: for each j, sum over i, k of 12i + 4j + k = 2*(0+1+2+3) + 12*4 + 8*4j
  check_close(eng::sum(x, {2, 0}), values({3}, {60, 92, 124}), 0, 0, "sum dims {2,0}");
  check_close(eng::sum(x, {0, -1}, true), values({1, 3, 1}, {60, 92, 124}), 0, 0,
              "sum dims {0,-1} keepdim");
  Tensor all = eng::sum(x);
  BOOST_TEST(all.shape() == Shape{});
  BOOST_TEST(all.item() == 276.0f);
  Tensor all_keep = eng::sum(x, {0, 1, 2}, true);
  BOOST_TEST(all_keep.shape() == Shape({1, 1, 1}));
  BOOST_TEST(all_keep.item() == 276.0f);
  BOOST_TEST(eng::sum(Tensor::scalar(2.5f)).item() == 2.5f);
  BOOST_TEST(eng::sum(Tensor::zeros({2, 3}), {0, 1}).shape() == Shape{});
}

BOOST_AUTO_TEST_CASE(mean_values_and_shapes) {
  Tensor x = iota234();
  check_close(eng::mean(x, {1}), values({2, 4}, {4, 5, 6, 7, 16, 17, 18, 19}), 1e-6, 0,
              "mean dim 1");
  check_close(eng::mean(x, {0, 2}, true), values({1, 3, 1}, {7.5f, 11.5f, 15.5f}), 1e-6, 0,
              "mean dims {0,2} keepdim");
  Tensor m = eng::mean(x);
  BOOST_TEST(m.shape() == Shape{});
  BOOST_TEST(std::fabs(m.item() - 11.5f) < 1e-5f);
}

BOOST_AUTO_TEST_CASE(gradient_values) {
  Tensor x = iota234().set_requires_grad(true);
  eng::run_backward(eng::mean(x, {0, 2}), values({3}, {4, 8, 16}));
  std::vector<float> g = x.grad().to_vector();
  for (int i = 0; i < 24; ++i) BOOST_TEST(g[i] == std::vector<float>({0.5f, 1, 2})[(i / 4) % 3]);
  x.zero_grad();
  eng::sum(x).backward();
  BOOST_TEST(x.grad().to_vector() == std::vector<float>(24, 1.0f),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(awkward_shapes_against_naive_oracle) {
  eng::Rng rng(12);
  for (Shape s : {Shape{1, 3, 3, 3}, Shape{2, 5, 1, 7}, Shape{3, 17, 9, 11}, Shape{64, 70, 8, 8}}) {
    Tensor x = testing::randn(s, rng);
    Tensor got = eng::sum(x, {0, 2, 3});
    check_close(got, values({s[1]}, per_channel_sums(x)), 0, 0,
                "sum over N,H,W of " + eng::shape_str(s));
  }
}

BOOST_AUTO_TEST_CASE(thread_count_does_not_change_bits) {
  eng::Rng rng(13);
  Tensor x = testing::randn({33, 129, 65}, rng);
  auto run = [&](int threads) {
    eng::set_num_threads(threads);
    std::vector<float> out;
    for (const std::vector<int>& dims :
         {std::vector<int>{0}, {1}, {2}, {0, 2}, {0, 1, 2}, {1, 2}}) {
      std::vector<float> v = eng::sum(x, dims).to_vector();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
  std::vector<float> one = run(1), two = run(2), three = run(3);
  eng::set_num_threads(0);
  BOOST_TEST(one == two);
  BOOST_TEST(one == three);
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  Tensor x = Tensor::zeros({2, 3});
  expect_error([&] { eng::sum(x, {2}); }, {"sum:", "dimension 2", "[2, 3]"});
  expect_error([&] { eng::mean(x, {-3}); }, {"mean:", "dimension -3", "[2, 3]"});
  expect_error([&] { eng::sum(x, {1, -1}); }, {"sum:", "repeated", "[1, -1]", "[2, 3]"});
  expect_error([&] { eng::sum(x, {}); }, {"sum:", "empty", "[2, 3]"});
  expect_error([] { eng::sum(Tensor()); }, {"sum:", "undefined"});
  expect_error([] { eng::mean(Tensor::zeros({0, 3}), {0}); }, {"mean:", "[0, 3]"});
}
