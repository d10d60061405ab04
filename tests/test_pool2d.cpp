// test_pool2d.cpp — max/avg pooling beyond the op table (tests/op_cases.hpp, whose cases
// test_ops runs for parity of every kernel family and finite differences): hand values (padding
// ignored by max, counted by avg), first-maximum tie-breaking, oneDNN on blocked layouts, input
// errors.
#define BOOST_TEST_MODULE pool2d
#include "ops/pool2d.hpp"
#include "tests/op_cases.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/onednn_common.hpp"
#endif

using eng::CpuBackend;
using eng::Pool2dParams;
using eng::PoolKind;
using eng::Shape;
using eng::Tensor;
using optest::pool2d_configs;
using optest::pool2d_describe;
using testing::expect_error;

namespace {

// pool(x) and dL/dx for the cotangent `seed` (undefined: ones) on backend b.
optest::Run run(CpuBackend b, PoolKind kind, const Tensor& x, const Pool2dParams& p,
                Tensor seed = Tensor()) {
  if (!seed.defined()) seed = Tensor::full(eng::pool2d_output_shape("test", x, p), 1.0f);
  return optest::run(optest::family_of(b), optest::pool2d_fn(kind, p), {x}, {optest::Role::Grad},
                     seed, pool2d_describe(kind, p, x.shape()));
}

Tensor iota(const Shape& s, float start = 0.0f) {
  std::vector<float> v(eng::numel_of(s));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + float(i);
  return Tensor::from_vector(s, v);
}

}  // namespace

BOOST_AUTO_TEST_CASE(hand_values) {
  using V = std::vector<float>;
  const float a = 4.0f / 9, e = 6.0f / 9;
  for (CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    Tensor x = iota({1, 1, 4, 4});
    BOOST_TEST(eng::max_pool2d(x, Pool2dParams::square(2, 2)).to_vector() == V({5, 7, 13, 15}),
               boost::test_tools::per_element());
    BOOST_TEST(
        eng::avg_pool2d(x, Pool2dParams::square(2, 2)).to_vector() == V({2.5f, 4.5f, 10.5f, 12.5f}),
        boost::test_tools::per_element());
    // k2 s2 p1 on 3x3: windows are rows/cols {-1,0} and {1,2}; padding never wins a max.
    Tensor x3 = iota({1, 1, 3, 3}, -9.0f);  // all negative
    BOOST_TEST(
        eng::max_pool2d(x3, Pool2dParams::square(2, 2, 1)).to_vector() == V({-9, -7, -3, -1}),
        boost::test_tools::per_element());
    // avg counts padded cells: ones with k3 s1 p1 give 4/9 in corners, 6/9 on edges.
    testing::check_close(
        eng::avg_pool2d(Tensor::full({1, 1, 3, 3}, 1.0f), Pool2dParams::square(3, 1, 1)),
        Tensor::from_vector({1, 1, 3, 3}, {a, e, a, e, 1, e, a, e, a}), 1e-6, 0,
        eng::str("avg k3 s1 p1 on ", eng::kernel_name(eng::pick_kernel(x))));
  }
}

BOOST_AUTO_TEST_CASE(max_gradient_goes_to_the_first_maximum) {
  // All-equal windows (a ReLU's zeros): row-major first cell of each (clipped) window.
  for (CpuBackend b : testing::all_cpu_backends()) {
    optest::Run r = run(b, PoolKind::Max, Tensor::zeros({1, 1, 2, 2}), Pool2dParams::square(2, 2));
    BOOST_TEST(r.grads[0].to_vector() == std::vector<float>({1, 0, 0, 0}),
               boost::test_tools::per_element());
    r = run(b, PoolKind::Max, Tensor::zeros({1, 1, 3, 3}), Pool2dParams::square(3, 1, 1));
    BOOST_TEST(r.grads[0].to_vector() == std::vector<float>({4, 2, 0, 2, 1, 0, 0, 0, 0}),
               boost::test_tools::per_element());
  }
}

#ifdef ENG_HAVE_ONEDNN
BOOST_AUTO_TEST_CASE(onednn_keeps_blocked_layouts) {
  using tag = dnnl::memory::format_tag;
  eng::Rng rng(29);
  const std::vector<std::pair<Shape, tag>> cases{{{2, 17, 7, 7}, tag::nChw16c},
                                                 {{1, 64, 6, 6}, tag::nChw16c},
                                                 {{1, 3, 5, 5}, tag::nChw8c},
                                                 {{2, 5, 4, 4}, tag::nhwc}};
  auto blocked = [](const Tensor& t, tag tg) {
    return eng::onednn::to_desc(t, eng::onednn::tagged_desc(t.shape(), tg));
  };
  for (const auto& [s, t] : cases)
    for (PoolKind kind : {PoolKind::Max, PoolKind::Avg})
      for (const Pool2dParams& p : pool2d_configs()) {
        const std::string what = pool2d_describe(kind, p, s) + " blocked";
        Tensor x = testing::randn(s, rng), xb = blocked(x, t);
        Tensor seed = testing::randn(eng::pool2d_output_shape("test", x, p), rng);
        optest::Run want = run(CpuBackend::Reference, kind, x, p, seed);
        for (const Tensor& sd : {seed, blocked(seed, t)}) {  // dy plain or blocked
          optest::Run got = run(CpuBackend::OneDNN, kind, xb, p, sd);
          // y in x's format (equal to plain where that format is, e.g. nhwc with 1x1 maps)
          BOOST_TEST(
              (eng::onednn::desc_of(got.out) == eng::onednn::tagged_desc(got.out.shape(), t)),
              what << ": output " << got.out.describe());
          optest::check_against(got, want, eng::Kernel::OneDNN, {optest::Role::Grad},
                                optest::tolerance(optest::Tol::Window, eng::Kernel::OneDNN), what);
        }
      }
}

BOOST_AUTO_TEST_CASE(onednn_max_backward_without_its_workspace_is_an_error) {
  Tensor x = Tensor::zeros({1, 2, 4, 4});
  x.set_requires_grad(true);
  Tensor y;
  {
    eng::CpuBackendGuard guard(CpuBackend::Reference);  // leaves no oneDNN workspace
    y = eng::max_pool2d(x, Pool2dParams::square(2, 2));
  }
  eng::CpuBackendGuard guard(CpuBackend::OneDNN);
  expect_error([&] { eng::run_backward(y, Tensor::full(y.shape(), 1.0f)); },
               {"max_pool2d", "workspace", "[1, 2, 4, 4]"});
}
#endif

BOOST_AUTO_TEST_CASE(bad_inputs_are_reported) {
  Tensor x = Tensor::zeros({1, 2, 4, 4});
  for (CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    expect_error(
        [] {
          eng::max_pool2d(Tensor::zeros({2, 4, 4}), Pool2dParams::square(2, 2));
        },
        {"max_pool2d", "4-D", "[2, 4, 4]"});
    expect_error([] { eng::avg_pool2d(Tensor(), Pool2dParams::square(2, 2)); },
                 {"avg_pool2d", "undefined"});
    expect_error(
        [] {
          eng::avg_pool2d(Tensor::zeros({0, 2, 4, 4}), Pool2dParams::square(2, 2));
        },
        {"avg_pool2d", "empty", "[0, 2, 4, 4]"});
    expect_error([&] { eng::max_pool2d(x, Pool2dParams::square(3, 1, 2)); },
                 {"max_pool2d", "half the kernel", "kernel 3x3", "padding (2, 2)"});
    expect_error(
        [&] {
          eng::avg_pool2d(x, {2, 2, 1, 1, 0, 2});
        },
        {"avg_pool2d", "half the kernel", "padding (0, 2)"});
    expect_error([&] { eng::avg_pool2d(x, Pool2dParams::square(5, 1)); },
                 {"avg_pool2d", "window 5x5", "larger than the padded input 4x4", "[1, 2, 4, 4]"});
    expect_error([&] { eng::max_pool2d(x, Pool2dParams::square(0, 1)); },
                 {"max_pool2d", "kernel 0x0"});
    expect_error([&] { eng::max_pool2d(x, Pool2dParams::square(2, 0)); },
                 {"max_pool2d", "stride (0, 0)"});
  }
}
