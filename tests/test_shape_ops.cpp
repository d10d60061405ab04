// test_shape_ops.cpp — reshape, flatten, permute, transpose, concat, slice beyond the op table
// (tests/op_cases.hpp, whose cases test_ops runs for parity of every kernel family and finite
// differences): forward values (by hand and against a naive index oracle), storage sharing,
// gradient values and routing, error messages; and that the reference kernels of all three
// light-op headers (elementwise, reduce, shape ops) read inputs that carry a backend layout
// through plain().
#define BOOST_TEST_MODULE shape_ops
#include <boost/test/unit_test.hpp>
#include <memory>

#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "tests/testing.hpp"

using eng::Shape;
using eng::Tensor;
using testing::check_close;
using testing::expect_error;

namespace {

Tensor values(const Shape& shape, const std::vector<float>& v) {
  return Tensor::from_vector(shape, v);
}

Tensor iota(const Shape& shape) {
  std::vector<float> v(eng::numel_of(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return values(shape, v);
}

// Naive oracle: y[i] = x[j] where y's index i, read as a multi-index over y's shape, maps to
// x's multi-index with x_idx[dims[k]] = y_idx[k].
std::vector<float> naive_permute(const Tensor& x, const std::vector<int>& dims) {
  const Shape& xs = x.shape();
  std::vector<float> xv = x.to_vector(), out(xv.size());
  Shape ys(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) ys[k] = xs[dims[k]];
  for (size_t i = 0; i < out.size(); ++i) {
    Shape idx(ys.size()), x_idx(xs.size());
    int64_t rest = static_cast<int64_t>(i);
    for (size_t k = ys.size(); k-- > 0;) idx[k] = rest % ys[k], rest /= ys[k];
    for (size_t k = 0; k < dims.size(); ++k) x_idx[dims[k]] = idx[k];
    int64_t j = 0;
    for (size_t d = 0; d < xs.size(); ++d) j = j * xs[d] + x_idx[d];
    out[i] = xv[j];
  }
  return out;
}

// A test-only backend layout: the storage holds the elements in reverse order.
struct ReversedLayout : eng::Layout {
  explicit ReversedLayout(int64_t n) : n(n) {}
  std::string name() const override { return "test:reversed"; }
  size_t bytes() const override { return n * sizeof(float); }
  bool same_as(const Layout& o) const override {
    auto* r = dynamic_cast<const ReversedLayout*>(&o);
    return r && r->n == n;
  }
  void to_plain(const Tensor& src, Tensor& dst) const override {
    const float* s = static_cast<const float*>(src.raw());
    float* d = dst.data();
    for (int64_t i = 0; i < n; ++i) d[i] = s[n - 1 - i];
  }
  int64_t n;
};

Tensor reversed_copy(const Tensor& plain) {
  int64_t n = plain.numel();
  Tensor t = Tensor::empty_with_layout(plain.shape(), std::make_shared<ReversedLayout>(n),
                                       eng::Device::CPU);
  std::vector<float> v = plain.to_vector();
  float* s = static_cast<float*>(t.raw());
  for (int64_t i = 0; i < n; ++i) s[n - 1 - i] = v[i];
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reshape_and_flatten) {
  Tensor x = iota({2, 3, 4});
  Tensor y = eng::reshape(x, {4, -1});
  BOOST_TEST(y.shape() == Shape({4, 6}));
  BOOST_TEST(y.data() == x.data());  // a plain input shares its storage
  BOOST_TEST(y.to_vector() == x.to_vector());
  BOOST_TEST(eng::reshape(x, {-1}).shape() == Shape({24}));
  BOOST_TEST(eng::reshape(iota({1}), {}).shape() == Shape{});
  BOOST_TEST(eng::flatten(x).shape() == Shape({2, 12}));
  BOOST_TEST(eng::flatten(x, 0).shape() == Shape({24}));
  BOOST_TEST(eng::flatten(x, -1).shape() == Shape({2, 3, 4}));
  BOOST_TEST(eng::flatten(iota({2, 3, 4, 5}), -2).shape() == Shape({2, 3, 20}));
  BOOST_TEST(eng::flatten(x).to_vector() == x.to_vector());
}

BOOST_AUTO_TEST_CASE(permute_and_transpose_values) {
  Tensor x = iota({2, 3});
  check_close(eng::transpose(x, 0, 1), values({3, 2}, {0, 3, 1, 4, 2, 5}), 0, 0, "transpose");
  Tensor x3 = iota({2, 3, 4});
  std::vector<int> p3{2, 0, 1};
  Tensor y3 = eng::permute(x3, p3);
  BOOST_TEST(y3.shape() == Shape({4, 2, 3}));
  // y3[k, i, j] = x3[i, j, k] = 12i + 4j + k; e.g. y3[1, 0, 2] = 9 at flat index 6 + 2
  BOOST_TEST(y3.to_vector()[8] == 9.0f);
  BOOST_TEST(y3.to_vector() == naive_permute(x3, p3));
  Tensor x4 = iota({2, 3, 1, 5});
  for (const std::vector<int>& p : {std::vector<int>{0, 2, 3, 1}, {3, 1, 0, 2}, {1, 0, 3, 2}})
    BOOST_TEST(eng::permute(x4, p).to_vector() == naive_permute(x4, p));
  BOOST_TEST(eng::permute(x4, {-1, 0, 1, 2}).to_vector() == naive_permute(x4, {3, 0, 1, 2}));
  BOOST_TEST(eng::transpose(x4, -1, 1).to_vector() == naive_permute(x4, {0, 3, 2, 1}));
  // large enough for the OpenMP path
  Tensor big = iota({7, 33, 19, 17});
  BOOST_TEST(eng::permute(big, {0, 2, 3, 1}).to_vector() == naive_permute(big, {0, 2, 3, 1}));
}

BOOST_AUTO_TEST_CASE(concat_values_and_gradient_routing) {
  Tensor a = iota({1, 2}), b = eng::add_scalar(iota({2, 2}), 10),
         c = eng::add_scalar(iota({3, 2}), 20);
  check_close(eng::concat({a, b, c}, 0),
              values({6, 2}, {0, 1, 10, 11, 12, 13, 20, 21, 22, 23, 24, 25}), 0, 0, "concat dim 0");
  Tensor d = iota({2, 1}), e = eng::add_scalar(iota({2, 3}), 10),
         f = eng::add_scalar(iota({2, 2}), 20);
  check_close(eng::concat({d, e, f}, 1),
              values({2, 6}, {0, 10, 11, 12, 20, 21, 1, 13, 14, 15, 22, 23}), 0, 0, "concat dim 1");
  check_close(eng::concat({d, e, f}, -1), eng::concat({d, e, f}, 1), 0, 0, "concat dim -1");
  BOOST_TEST(eng::concat({a}, 0).to_vector() == a.to_vector());

  eng::Rng rng(23);
  auto r = [&](const Shape& s) { return testing::randn(s, rng); };
  // only the inputs that require grad receive one
  Tensor g0 = r({2, 2}).set_requires_grad(true), g1 = r({1, 2});
  eng::run_backward(eng::concat({g0, g1}, 0), iota({3, 2}));
  BOOST_TEST(g0.grad().to_vector() == std::vector<float>({0, 1, 2, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(!g1.grad().defined());
}

BOOST_AUTO_TEST_CASE(slice_values_and_gradient_values) {
  Tensor x = iota({3, 4});
  check_close(eng::slice(x, 1, 1, 2), values({3, 2}, {1, 2, 5, 6, 9, 10}), 0, 0, "slice dim 1");
  check_close(eng::slice(x, 0, 2, 1), values({1, 4}, {8, 9, 10, 11}), 0, 0, "slice dim 0");
  check_close(eng::slice(x, -1, 3, 1), values({3, 1}, {3, 7, 11}), 0, 0, "slice dim -1");
  Tensor xg = x.clone().set_requires_grad(true);
  eng::run_backward(eng::slice(xg, 1, 1, 2), values({3, 2}, {1, 2, 3, 4, 5, 6}));
  BOOST_TEST(xg.grad().to_vector() == std::vector<float>({0, 1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(laid_out_inputs_are_read_through_plain) {
  eng::Rng rng(25);
  Tensor p = testing::uniform({2, 3, 4}, rng, 0.5f, 2.0f);
  Tensor q = reversed_copy(p);
  BOOST_REQUIRE(!q.is_plain());
  Tensor row = testing::randn({4}, rng);
  check_close(eng::add(q, row), eng::add(p, row), 0, 0, "add");
  check_close(eng::mul(row, q), eng::mul(row, p), 0, 0, "mul (broadcast left)");
  check_close(eng::div(q, q), eng::div(p, p), 0, 0, "div");
  check_close(eng::log(q), eng::log(p), 0, 0, "log");
  check_close(eng::clamp_min(q, 1.0f), eng::clamp_min(p, 1.0f), 0, 0, "clamp_min");
  check_close(eng::mul_scalar(q, 3), eng::mul_scalar(p, 3), 0, 0, "mul_scalar");
  check_close(eng::sum(q, {0, 2}), eng::sum(p, {0, 2}), 0, 0, "sum");
  check_close(eng::mean(q), eng::mean(p), 0, 0, "mean");
  check_close(eng::reshape(q, {6, 4}), eng::reshape(p, {6, 4}), 0, 0, "reshape");
  check_close(eng::permute(q, {2, 0, 1}), eng::permute(p, {2, 0, 1}), 0, 0, "permute");
  check_close(eng::concat({q, p}, 1), eng::concat({p, p}, 1), 0, 0, "concat");
  check_close(eng::slice(q, 2, 1, 2), eng::slice(p, 2, 1, 2), 0, 0, "slice");
  // laid-out gradients flowing back through reduce / shape ops / broadcasting
  Tensor dy = reversed_copy(testing::randn({3}, rng));
  Tensor x = p.clone().set_requires_grad(true);
  eng::run_backward(eng::sum(eng::mul(x, row), {0, 2}), dy);
  Tensor x2 = p.clone().set_requires_grad(true);
  eng::run_backward(eng::sum(eng::mul(x2, row), {0, 2}), dy.plain());
  check_close(x.grad(), x2.grad(), 0, 0, "backward with a laid-out seed");
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  Tensor x = Tensor::zeros({2, 3, 4});
  expect_error([&] { eng::reshape(x, {5, 5}); }, {"reshape:", "[2, 3, 4]", "[5, 5]"});
  expect_error([&] { eng::reshape(x, {5, -1}); }, {"reshape:", "[2, 3, 4]", "[5, -1]"});
  expect_error([&] { eng::reshape(x, {-1, -1}); }, {"reshape:", "more than one -1"});
  expect_error([&] { eng::reshape(x, {-2, 12}); }, {"reshape:", "negative", "[-2, 12]"});
  expect_error([&] { eng::flatten(x, 3); }, {"flatten:", "dimension 3", "[2, 3, 4]"});
  expect_error([&] { eng::permute(x, {0, 0, 1}); }, {"permute:", "[0, 0, 1]", "[2, 3, 4]"});
  expect_error([&] { eng::permute(x, {0, 1}); }, {"permute:", "[0, 1]", "3-D", "[2, 3, 4]"});
  expect_error([&] { eng::permute(x, {0, 1, 3}); }, {"permute:", "not a permutation"});
  expect_error([&] { eng::transpose(x, 0, 3); }, {"transpose:", "dimension 3", "[2, 3, 4]"});
  expect_error([] { eng::concat({}, 0); }, {"concat:", "empty"});
  expect_error(
      [&] {
        eng::concat({x, Tensor::zeros({2, 5, 4}), Tensor::zeros({2, 3, 5})}, 1);
      },
      {"concat:", "input 2", "[2, 3, 5]", "[2, 3, 4]"});
  expect_error(
      [&] {
        eng::concat({x, Tensor::zeros({2, 12})}, 0);
      },
      {"concat:", "input 1", "[2, 12]"});
  expect_error([&] { eng::concat({x, x}, 3); }, {"concat:", "dimension 3", "[2, 3, 4]"});
  expect_error([&] { eng::concat({x, Tensor()}, 0); }, {"concat:", "input 1", "undefined"});
  expect_error([&] { eng::slice(x, 1, 2, 2); }, {"slice:", "2..3", "size 3", "[2, 3, 4]"});
  expect_error([&] { eng::slice(x, 1, -1, 1); }, {"slice:", "out of range", "[2, 3, 4]"});
  expect_error([&] { eng::slice(x, 2, 0, 0); }, {"slice:", "length", "[2, 3, 4]"});
  expect_error([&] { eng::slice(x, 3, 0, 1); }, {"slice:", "dimension 3", "[2, 3, 4]"});
  expect_error([] { eng::slice(Tensor::scalar(1), 0, 0, 1); }, {"slice:", "[]"});
  expect_error([] { eng::reshape(Tensor(), {1}); }, {"reshape:", "undefined"});
}
