// test_relu.cpp — relu beyond the op table (tests/op_cases.hpp, whose cases test_ops runs for
// parity of every kernel family and finite differences): hand values and the kink convention,
// oneDNN on blocked layouts (the layout must be preserved), input errors.
#define BOOST_TEST_MODULE relu
#include "ops/relu.hpp"
#include "tests/op_harness.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/onednn_common.hpp"
#endif

using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::expect_error;

namespace {

// relu(x) and dL/dx for the cotangent `seed` on backend b (x and seed of any layout).
optest::Run run(CpuBackend b, const Tensor& x, const Tensor& seed) {
  return optest::run(
      optest::family_of(b), [](const std::vector<Tensor>& in) { return eng::relu(in[0]); }, {x},
      {optest::Role::Grad}, seed, "relu " + eng::shape_str(x.shape()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(hand_values_and_zero_gradient_at_the_kink) {
  Tensor x = Tensor::from_vector({2, 3}, {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f, -1e-30f});
  for (CpuBackend b : testing::all_cpu_backends()) {
    optest::Run r = run(b, x, Tensor::full({2, 3}, 1.0f));
    BOOST_TEST(r.out.to_vector() == std::vector<float>({0, 0, 0, 0.5f, 3.0f, 0}),
               boost::test_tools::per_element());
    BOOST_TEST(r.grads[0].to_vector() == std::vector<float>({0, 0, 0, 1, 1, 0}),
               boost::test_tools::per_element());
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
    optest::Run want = run(CpuBackend::Reference, x, seed);
    for (const Tensor& sd : {seed, seed_b}) {  // dy plain or blocked
      optest::Run got = run(CpuBackend::OneDNN, xb, sd);
      BOOST_REQUIRE(got.out.layout() != nullptr);
      BOOST_TEST(got.out.layout()->same_as(*xb.layout()), what << ": output layout changed");
      optest::check_against(got, want, eng::Kernel::OneDNN, {optest::Role::Grad},
                            optest::tolerance(optest::Tol::Bitwise, eng::Kernel::OneDNN), what);
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
