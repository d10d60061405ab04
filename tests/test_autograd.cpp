// test_autograd.cpp — the graph machinery alone, with hand-written nodes (no ops needed):
// shared sub-expressions, accumulation, no-grad, freed graphs, misuse errors.
#define BOOST_TEST_MODULE autograd
#include <boost/test/unit_test.hpp>

#include "engine/autograd.hpp"
#include "tests/testing.hpp"

using eng::Tensor;

namespace {
// y = a * s (scalar constant), recorded with its backward.
Tensor scale(const Tensor& a, float s) {
  std::vector<float> v = a.to_vector();
  for (float& x : v) x *= s;
  Tensor y = Tensor::from_vector(a.shape(), v);
  eng::record(y, "scale", {a}, [s, shape = a.shape()](const Tensor& g) {
    std::vector<float> v = g.to_vector();
    for (float& x : v) x *= s;
    return std::vector<Tensor>{Tensor::from_vector(shape, v)};
  });
  return y;
}
// y = a + b
Tensor plus(const Tensor& a, const Tensor& b) {
  std::vector<float> va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i) va[i] += vb[i];
  Tensor y = Tensor::from_vector(a.shape(), va);
  eng::record(y, "plus", {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
  return y;
}
// y = sum(a), a scalar of shape [1]
Tensor total(const Tensor& a) {
  float s = 0;
  for (float x : a.to_vector()) s += x;
  Tensor y = Tensor::from_vector({1}, {s});
  eng::record(y, "total", {a}, [shape = a.shape()](const Tensor& g) {
    return std::vector<Tensor>{Tensor::full(shape, g.item())};
  });
  return y;
}
}  // namespace

BOOST_AUTO_TEST_CASE(shared_subexpression_accumulates) {
  Tensor x = Tensor::from_vector({1}, {2.0f}).set_requires_grad(true);
  Tensor h = scale(x, 3.0f);           // h = 3x, used twice
  Tensor y = plus(scale(h, 2.0f), h);  // y = 6x + 3x = 9x
  y.backward();
  BOOST_TEST(x.grad().item() == 9.0f);
}

BOOST_AUTO_TEST_CASE(leaf_used_twice_and_grads_accumulate_across_backwards) {
  Tensor x = Tensor::from_vector({2}, {1.0f, -1.0f}).set_requires_grad(true);
  total(plus(x, x)).backward();
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({2.0f, 2.0f}));
  total(scale(x, 5.0f)).backward();  // a new graph: .grad() accumulates like PyTorch
  BOOST_TEST(x.grad().to_vector() == std::vector<float>({7.0f, 7.0f}));
  x.zero_grad();
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(only_inputs_that_require_grad_get_edges) {
  Tensor a = Tensor::from_vector({1}, {1.0f}).set_requires_grad(true);
  Tensor b = Tensor::from_vector({1}, {4.0f});
  Tensor y = plus(a, b);
  BOOST_TEST(y.requires_grad());
  y.backward();
  BOOST_TEST(a.grad().item() == 1.0f);
  BOOST_TEST(!b.grad().defined());
  Tensor c = plus(b, b);
  BOOST_TEST(!c.requires_grad());
  BOOST_TEST(!c.grad_fn());
}

BOOST_AUTO_TEST_CASE(no_grad_scope_records_nothing) {
  Tensor x = Tensor::from_vector({1}, {1.0f}).set_requires_grad(true);
  {
    eng::NoGradGuard guard;
    BOOST_TEST(!eng::grad_enabled());
    Tensor y = scale(x, 2.0f);
    BOOST_TEST(!y.requires_grad());
    BOOST_CHECK_THROW(y.backward(), eng::Error);
  }
  BOOST_TEST(eng::grad_enabled());
  BOOST_TEST(scale(x, 2.0f).requires_grad());
}

BOOST_AUTO_TEST_CASE(graph_is_freed_and_second_backward_is_an_error) {
  Tensor x = Tensor::from_vector({1}, {3.0f}).set_requires_grad(true);
  Tensor y = total(scale(x, 2.0f));
  y.backward();
  BOOST_TEST(!y.grad_fn()->backward);  // closure (saved tensors) dropped
  testing::expect_error([&] { y.backward(); }, {"already freed", "'total'"});
}

BOOST_AUTO_TEST_CASE(misuse_is_reported) {
  Tensor v = Tensor::from_vector({2}, {1.0f, 2.0f}).set_requires_grad(true);
  BOOST_CHECK_THROW(scale(v, 1.0f).backward(), eng::Error);  // not a scalar
  Tensor y = scale(v, 1.0f);
  BOOST_CHECK_THROW(y.set_requires_grad(true), eng::Error);  // not a leaf
  BOOST_CHECK_THROW(Tensor::empty({2, -1}), eng::Error);
  BOOST_CHECK_THROW(Tensor().shape(), eng::Error);
  // a node that returns a gradient of the wrong shape is caught
  Tensor z = Tensor::from_vector({1}, {0.0f});
  eng::record(z, "broken", {v},
              [](const Tensor&) { return std::vector<Tensor>{Tensor::zeros({3})}; });
  BOOST_CHECK_THROW(z.backward(), eng::Error);
}

BOOST_AUTO_TEST_CASE(tensor_basics) {
  Tensor t = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  BOOST_TEST(t.ndim() == 2);
  BOOST_TEST(t.size(-1) == 3);
  BOOST_CHECK_THROW(t.size(2), eng::Error);
  Tensor c = t.clone();
  c.data()[0] = 10;
  BOOST_TEST(t.data()[0] == 1.0f);
  Tensor d = t.detach();
  BOOST_TEST(d.data() == t.data());
  BOOST_CHECK_THROW(Tensor::from_vector({2, 2}, {1, 2, 3}), eng::Error);
  BOOST_TEST(eng::shape_str({2, 3}) == "[2, 3]");
}
