// test_conv2d.cpp — conv2d beyond the op table (tests/op_cases.hpp, whose cases test_ops runs
// for parity of every kernel family and finite differences): the reference forward against the
// defining formula, the output-shape formula, blocked outputs chained conv -> conv, which maps take
// the dense product oneDNN builds use for maps no larger than the kernel, determinism, and the
// error messages for bad input.
#define BOOST_TEST_MODULE conv2d
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "ops/conv2d.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/conv2d_dense_onednn.hpp"
#endif
#include "tests/op_cases.hpp"

using eng::Conv2dParams;
using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using optest::conv2d_shape;
using optest::ConvShape;
using testing::expect_error;

namespace {

Conv2dParams params(int sh, int sw, int ph, int pw, int dh, int dw) {
  return {sh, sw, ph, pw, dh, dw};
}

// The header's formula, literally, in double: the independent oracle for the reference forward.
std::vector<double> conv_by_definition(const std::vector<Tensor>& in, const Conv2dParams& p) {
  Shape ys = eng::conv2d_output_shape(in[0], in[1], in[2], p);
  const Shape &xs = in[0].shape(), &ws = in[1].shape();
  std::vector<float> x = in[0].to_vector(), w = in[1].to_vector();
  std::vector<float> b = in[2].defined() ? in[2].to_vector() : std::vector<float>(ws[0], 0.0f);
  std::vector<double> y;
  for (int64_t n = 0; n < ys[0]; ++n)
    for (int64_t o = 0; o < ys[1]; ++o)
      for (int64_t i = 0; i < ys[2]; ++i)
        for (int64_t j = 0; j < ys[3]; ++j) {
          double s = b[o];
          for (int64_t c = 0; c < xs[1]; ++c)
            for (int64_t u = 0; u < ws[2]; ++u)
              for (int64_t v = 0; v < ws[3]; ++v) {
                int64_t h = i * p.stride_h - p.pad_h + u * p.dil_h;
                int64_t q = j * p.stride_w - p.pad_w + v * p.dil_w;
                if (h < 0 || h >= xs[2] || q < 0 || q >= xs[3]) continue;
                s += double(x[((n * xs[1] + c) * xs[2] + h) * xs[3] + q]) *
                     w[((o * ws[1] + c) * ws[2] + u) * ws[3] + v];
              }
          y.push_back(s);
        }
  return y;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reference_forward_matches_definition) {
  eng::CpuBackendGuard guard(CpuBackend::Reference);
  for (const ConvShape& c : optest::conv2d_shapes()) {
    if (c.w[1] * c.w[2] * c.w[3] > 17 * 25) continue;  // wider sums (the trunk) miss the bound
    std::vector<Tensor> in = optest::conv2d_case(c).make_inputs();
    std::vector<float> got = eng::conv2d(in[0], in[1], in[2], c.p).to_vector();
    std::vector<double> want = conv_by_definition(in, c.p);
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::fabs(got[i] - want[i]) / (1 + std::fabs(want[i])));
    // float32 vs double over at most 17*25 terms of O(1/sqrt(fan_in)) size: ~1e-6.
    BOOST_CHECK_MESSAGE(worst < 1e-5, c.name << ": worst relative error " << worst);
  }
}

BOOST_AUTO_TEST_CASE(output_shape_follows_the_floor_formula) {
  Tensor x = Tensor::zeros({2, 3, 8, 11}), w = Tensor::zeros({4, 3, 3, 2});
  BOOST_TEST(eng::conv2d_output_shape(x, w, Tensor(), params(2, 1, 1, 0, 1, 2)) ==
             Shape({2, 4, 4, 9}));  // (8+2-2-1)/2+1 = 4, (11-2-1)/1+1 = 9
  BOOST_TEST(eng::conv2d_output_shape(x, w, Tensor(), Conv2dParams::square(3, 0)) ==
             Shape({2, 4, 2, 4}));
}

BOOST_AUTO_TEST_CASE(blocked_outputs_chain_into_the_next_conv) {
  // conv -> conv -> conv, as in the trunk: the fast backend hands its blocked output straight to
  // the next conv (and its blocked dx back), the result must equal the reference chain; the
  // parameters' gradients come back plain (optest::Role::Param).
  eng::Rng rng(21);
  const std::vector<Tensor> in = {
      testing::randn({2, 1, 24, 24}, rng), testing::randn({64, 1, 5, 5}, rng, 0.2f),
      testing::randn({20, 64, 3, 3}, rng, 0.04f), testing::randn({17, 20, 3, 3}, rng, 0.07f),
      testing::randn({17}, rng)};
  using optest::Role;
  const std::vector<Role> roles = {Role::Const, Role::Param, Role::Param, Role::Param, Role::Param};
  auto chain = [](const std::vector<Tensor>& p) {
    Tensor h1 = eng::conv2d(p[0], p[1], Tensor(), Conv2dParams::square(1, 2));
    if (eng::pick_kernel(p[0]) == eng::Kernel::OneDNN)
      BOOST_TEST(!h1.is_plain(), "64-channel output kept blocked");
    Tensor h2 = eng::conv2d(h1, p[2], Tensor(), Conv2dParams::square(2, 1));
    return eng::conv2d(h2, p[3], p[4], Conv2dParams::square(2, 1, 1));
  };
  optest::Run ref = optest::run(eng::Kernel::Reference, chain, in, roles, Tensor(), "chain");
  for (CpuBackend be : testing::fast_cpu_backends()) {
    const eng::Kernel family = optest::family_of(be);
    optest::Run got = optest::run(family, chain, in, roles, ref.seed, "chain");
    optest::check_against(got, ref, family, roles, optest::tolerance(optest::Tol::Gemm, family),
                          "chain");
  }
}

BOOST_AUTO_TEST_CASE(results_are_reproducible) {
  for (const char* name : {"conv2d c17_5x5_pad2", "conv2d dense_stride2_bias"}) {  // direct, dense
    const optest::OpCase& c = optest::op_case(name);
    const std::vector<Tensor> in = c.make_inputs();
    testing::check_reproducible([&](CpuBackend be) {
      return optest::values_of(optest::run(optest::family_of(be), c.fn, in, c.roles()));
    });
  }
}

#ifdef ENG_HAVE_ONEDNN
// The table's cases reach the dense product exactly where it applies: maps no larger than the
// kernel (ClusterNet6c's last layer, the dense_* cases), never the trunk's larger maps.
BOOST_AUTO_TEST_CASE(dense_product_takes_the_small_maps) {
  auto applies = [](const std::string& name) {
    const ConvShape& c = conv2d_shape(name);
    return eng::onednn::conv2d_dense_applies(Tensor::zeros(c.x), Tensor::zeros(c.w), c.p);
  };
  BOOST_TEST(applies("clusternet_conv4"));
  BOOST_TEST(applies("dense_stride2_bias"));
  BOOST_TEST(applies("dense_dilation2"));
  BOOST_TEST(applies("5x5_pad2"));  // 5x5 map, 5x5 kernel: also covered by finite differences
  for (const char* name : {"clusternet_conv1", "clusternet_conv2", "clusternet_conv3"})
    BOOST_TEST(!applies(name), name);
  BOOST_TEST(!applies("c17_5x5_pad2"));  // 6x5 map, 5x5 kernel
}
#endif

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  Tensor x = Tensor::zeros({1, 3, 5, 5}), w = Tensor::zeros({4, 3, 3, 3});
  auto p = Conv2dParams::square(1, 1);
  auto conv = [](Tensor a, Tensor b, Tensor c, Conv2dParams q) {
    return [=] { eng::conv2d(a, b, c, q); };
  };
  expect_error(conv(Tensor::zeros({3, 4}), w, Tensor(), p), {"conv2d", "input", "[3, 4]"});
  expect_error(conv(x, Tensor::zeros({4, 3, 3}), Tensor(), p), {"conv2d", "weight", "[4, 3, 3]"});
  expect_error(conv(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), p),
               {"conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]", "channels"});
  expect_error(conv(x, w, Tensor::zeros({5}), p), {"conv2d", "bias", "[5]", "[4, 3, 3, 3]"});
  expect_error(conv(x, w, Tensor::zeros({4, 1}), p), {"conv2d", "bias", "[4, 1]"});
  expect_error(conv(Tensor::zeros({1, 3, 2, 2}), Tensor::zeros({4, 3, 5, 5}), Tensor(),
                    Conv2dParams::square(1, 0)),
               {"conv2d", "output size", "[1, 3, 2, 2]", "[4, 3, 5, 5]"});
  expect_error(conv(x, w, Tensor(), Conv2dParams::square(0, 1)), {"conv2d", "stride (0, 0)"});
  expect_error(conv(x, w, Tensor(), params(1, -1, 1, 1, 1, 1)), {"conv2d", "stride (1, -1)"});
  expect_error(conv(x, w, Tensor(), Conv2dParams::square(1, 1, 0)),
               {"conv2d", "dilation (0, 0)", "[1, 3, 5, 5]"});
  expect_error(conv(x, w, Tensor(), Conv2dParams::square(1, -1)),
               {"conv2d", "padding (-1, -1)", "[4, 3, 3, 3]"});
  expect_error(conv(Tensor::zeros({0, 3, 5, 5}), w, Tensor(), p),
               {"conv2d", "empty", "[0, 3, 5, 5]"});
  expect_error(conv(x, Tensor::zeros({0, 3, 3, 3}), Tensor(), p),
               {"conv2d", "empty", "[0, 3, 3, 3]"});
  expect_error(conv(Tensor(), w, Tensor(), p), {"conv2d", "undefined"});
}
