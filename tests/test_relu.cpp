// test_relu.cpp — relu: hand values and the kink convention, finite-difference gradients,
// oneDNN against the reference on awkward shapes (scalars, 2-D/3-D, odd channel counts) and on
// blocked oneDNN layouts (the layout must be preserved), input errors.
#define BOOST_TEST_MODULE relu
#include "ops/relu.hpp"
#include "tests/testing.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/onednn_common.hpp"
#endif

using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::expect_error;

namespace {

struct Result {
  Tensor y, dx;
};

// y = relu(x) and dL/dx for the cotangent `seed` on backend b (x and seed of any layout).
Result run(CpuBackend b, const Tensor& x, const Tensor& seed) {
  eng::CpuBackendGuard guard(b);
  Tensor leaf = x.detach();
  leaf.set_requires_grad(true);
  Tensor y = eng::relu(leaf);
  eng::run_backward(y, seed);
  return {y, leaf.grad()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(hand_values_and_zero_gradient_at_the_kink) {
  Tensor x = Tensor::from_vector({2, 3}, {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f, -1e-30f});
  for (CpuBackend b : testing::all_cpu_backends()) {
    Result r = run(b, x, Tensor::full({2, 3}, 1.0f));
    BOOST_TEST(r.y.to_vector() == std::vector<float>({0, 0, 0, 0.5f, 3.0f, 0}),
               boost::test_tools::per_element());
    BOOST_TEST(r.dx.to_vector() == std::vector<float>({0, 0, 0, 1, 1, 0}),
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(gradcheck_every_backend) {
  eng::Rng rng(7);
  Tensor x = testing::randn({2, 3, 4, 5}, rng);
  for (CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    testing::gradcheck("relu", [](const std::vector<Tensor>& in) { return eng::relu(in[0]); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(fast_backends_match_reference_on_awkward_shapes) {
  eng::Rng rng(11);
  const std::vector<Shape> shapes{{1, 1, 3, 3}, {2, 3, 5, 7}, {1, 17, 3, 3}, {2, 64, 4, 4},
                                  {7, 17},      {3, 5, 9},    {1},           {}};
  for (const Shape& s : shapes) {
    Tensor x = testing::randn(s, rng), seed = testing::randn(s, rng);
    Result want = run(CpuBackend::Reference, x, seed);
    for (CpuBackend b : testing::fast_cpu_backends()) {
      Result got = run(b, x, seed);
      testing::check_close(got.y, want.y, 0, 0, "relu forward " + eng::shape_str(s));
      testing::check_close(got.dx, want.dx, 0, 0, "relu backward " + eng::shape_str(s));
    }
  }
}

#ifdef ENG_HAVE_ONEDNN
BOOST_AUTO_TEST_CASE(onednn_keeps_blocked_layouts) {
  using tag = dnnl::memory::format_tag;
  eng::Rng rng(13);
  const std::vector<std::pair<Shape, tag>> cases{
      {{2, 17, 5, 5}, tag::nChw16c}, {{1, 3, 3, 3}, tag::nChw8c}, {{1, 64, 4, 4}, tag::nhwc}};
  for (const auto& [s, t] : cases) {
    const std::string what = "relu " + eng::shape_str(s);
    Tensor x = testing::randn(s, rng), seed = testing::randn(s, rng);
    const dnnl::memory::desc md = eng::onednn::tagged_desc(s, t);
    Tensor xb = eng::onednn::to_desc(x, md), seed_b = eng::onednn::to_desc(seed, md);
    Result want = run(CpuBackend::Reference, x, seed);
    for (const Tensor& sd : {seed, seed_b}) {  // dy plain or blocked
      Result got = run(CpuBackend::OneDNN, xb, sd);
      BOOST_REQUIRE(got.y.layout() != nullptr);
      BOOST_TEST(got.y.layout()->same_as(*xb.layout()), what << ": output layout changed");
      testing::check_close(got.y, want.y, 0, 0, what + " forward");
      testing::check_close(got.dx, want.dx, 0, 0, what + " backward");
    }
    Tensor dx = eng::onednn::relu_backward(eng::onednn::relu_forward(xb), seed);
    BOOST_TEST((dx.layout() && dx.layout()->same_as(*xb.layout())), what << ": dx layout");
  }
}
#endif

BOOST_AUTO_TEST_CASE(bad_inputs_are_reported) {
  for (CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    expect_error([] { eng::relu(Tensor()); }, {"relu", "undefined"});
    expect_error([] { eng::relu(Tensor::zeros({0, 3})); }, {"relu", "empty", "[0, 3]"});
  }
}
