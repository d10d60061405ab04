// test_conv2d.cpp — conv2d: the reference forward against the defining formula, finite-difference
// gradients for x, w, b, every fast CPU backend against the reference (forward and all three
// gradients, awkward shapes, the ClusterNet6c shapes, blocked outputs chained conv -> conv, the
// dense product oneDNN builds use for maps no larger than the kernel), determinism, and the
// error messages for bad input.
#define BOOST_TEST_MODULE conv2d
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "ops/conv2d.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/conv2d_dense_onednn.hpp"
#endif
#include "tests/testing.hpp"

using eng::Conv2dParams;
using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::check_matches;
using testing::expect_error;

namespace {

struct Case {
  const char* name;
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

Conv2dParams params(int sh, int sw, int ph, int pw, int dh, int dw) {
  return {sh, sw, ph, pw, dh, dw};
}

// Small shapes for the finite-difference check (every input element is perturbed).
const std::vector<Case> kGradCases = {
    {"1x1", {2, 3, 3, 4}, {4, 3, 1, 1}, Conv2dParams::square(1, 0), true},
    {"3x3_stride2_pad1", {1, 3, 5, 5}, {4, 3, 3, 3}, Conv2dParams::square(2, 1), true},
    {"5x5_pad2", {1, 2, 5, 5}, {3, 2, 5, 5}, Conv2dParams::square(1, 2), true},
    {"dilation2", {1, 3, 6, 6}, {2, 3, 3, 3}, Conv2dParams::square(1, 1, 2), true},
    {"batch1_c5_nobias", {1, 5, 4, 4}, {3, 5, 3, 3}, Conv2dParams::square(1, 1), false},
    {"c17_3x3map", {1, 17, 3, 3}, {2, 17, 3, 3}, Conv2dParams::square(1, 1), true},
    {"asymmetric", {2, 2, 5, 6}, {3, 2, 3, 2}, params(2, 1, 1, 0, 1, 2), true},
};

// Awkward shapes for backend comparisons: batch 1, 3x3 maps, channel counts that are not
// multiples of 8/16, stride 2 with an unused last row (floor), padding, dilation, 1x1.
const std::vector<Case> kBackendCases = {
    {"batch1_3x3map_c3", {1, 3, 3, 3}, {5, 3, 3, 3}, Conv2dParams::square(1, 1), false},
    {"c5_to_c17_stride2_pad1", {2, 5, 7, 9}, {17, 5, 3, 3}, Conv2dParams::square(2, 1), true},
    {"c17_5x5_pad2", {3, 17, 6, 5}, {7, 17, 5, 5}, Conv2dParams::square(1, 2), true},
    {"dilation2_pad2", {2, 3, 9, 8}, {4, 3, 3, 3}, Conv2dParams::square(1, 2, 2), false},
    {"1x1_c17", {2, 17, 5, 5}, {9, 17, 1, 1}, Conv2dParams::square(1, 0), true},
    {"asymmetric", {2, 5, 8, 11}, {6, 5, 3, 2}, params(2, 1, 1, 0, 1, 2), true},
    {"stride2_floor", {1, 3, 8, 8}, {4, 3, 3, 3}, Conv2dParams::square(2, 0), false},
    {"stride3_pad2_4x4", {2, 6, 10, 7}, {5, 6, 4, 4}, Conv2dParams::square(3, 2), true},
    {"c16_to_c32", {2, 16, 5, 5}, {32, 16, 3, 3}, Conv2dParams::square(1, 1), true},
    // Maps no larger than the kernel: the oneDNN backend's dense product (conv2d_dense_onednn).
    {"dense_stride2_bias", {3, 5, 4, 3}, {7, 5, 5, 5}, Conv2dParams::square(2, 2), true},
    {"dense_dilation2", {2, 4, 3, 3}, {6, 4, 3, 3}, Conv2dParams::square(1, 2, 2), true},
};

// ClusterNet6c trunk convolutions (5x5, padding 2, no bias), batch 4.
const std::vector<Case> kClusterNetCases = {
    {"clusternet_conv1", {4, 1, 24, 24}, {64, 1, 5, 5}, Conv2dParams::square(1, 2), false},
    {"clusternet_conv2", {4, 64, 12, 12}, {128, 64, 5, 5}, Conv2dParams::square(1, 2), false},
    {"clusternet_conv3", {4, 128, 6, 6}, {256, 128, 5, 5}, Conv2dParams::square(1, 2), false},
    {"clusternet_conv4", {4, 256, 3, 3}, {512, 256, 5, 5}, Conv2dParams::square(1, 2), false},
};

// Random inputs with O(1) outputs: w ~ N(0, 1/fan_in).
struct Inputs {
  Tensor x, w, b;
};
Inputs make_inputs(const Case& c, uint64_t seed) {
  eng::Rng rng(seed);
  float fan_in = float(c.w[1] * c.w[2] * c.w[3]);
  return {testing::randn(c.x, rng), testing::randn(c.w, rng, 1.0f / std::sqrt(fan_in)),
          c.bias ? testing::randn({c.w[0]}, rng) : Tensor()};
}

// y = conv2d(x, w, b) on one backend, then backward with seed dy; gradients of the inputs
// that were asked for (the others must stay undefined).
struct Result {
  Tensor y, dx, dw, db;
};
Result run_conv(CpuBackend backend, const Inputs& in, const Conv2dParams& p, const Tensor& dy,
                bool gx, bool gw, bool gb) {
  eng::CpuBackendGuard guard(backend);
  Tensor x = in.x.clone().set_requires_grad(gx);
  Tensor w = in.w.clone().set_requires_grad(gw);
  Tensor b = in.b.defined() ? in.b.clone().set_requires_grad(gb) : Tensor();
  Tensor y = eng::conv2d(x, w, b, p);
  if (y.requires_grad()) eng::run_backward(y, dy);
  BOOST_TEST(x.grad().defined() == gx);
  BOOST_TEST(w.grad().defined() == gw);
  if (b.defined()) BOOST_TEST(b.grad().defined() == gb);
  return {y, x.grad(), w.grad(), b.defined() ? b.grad() : Tensor()};
}

// Float32 sums of up to C*KH*KW (forward, dx) or N*HO*WO (dw, db) products are added in a
// different order by oneDNN than by the reference: the difference is a few ulps times sqrt of
// the number of terms relative to the size of the sums, i.e. ~1e-6 of the largest value for
// these shapes. check_matches' tolerance: 1e-4 relative plus 1e-4 of the largest reference
// magnitude — a wrong tap, offset or channel gives errors of the order of the values themselves.
void compare_backends(const Case& c, bool gx, bool gw, bool gb) {
  Inputs in = make_inputs(c, 7);
  eng::Rng rng(11);
  Shape y_shape = eng::conv2d_output_shape(in.x, in.w, in.b, c.p);
  Tensor dy = testing::randn(y_shape, rng);
  Result ref = run_conv(CpuBackend::Reference, in, c.p, dy, gx, gw, gb);
  for (CpuBackend be : testing::fast_cpu_backends()) {
    Result got = run_conv(be, in, c.p, dy, gx, gw, gb);
    std::string what = std::string(c.name) + (gx ? " +dx" : "") + (gw ? " +dw" : "") +
                       (gb && c.bias ? " +db" : "");
    check_matches(got.y, ref.y, what + " y");
    check_matches(got.dx, ref.dx, what + " dx");
    check_matches(got.dw, ref.dw, what + " dw");
    check_matches(got.db, ref.db, what + " db");
  }
}

// The header's formula, literally, in double: the independent oracle for the reference forward.
std::vector<double> conv_by_definition(const Inputs& in, const Conv2dParams& p) {
  Shape ys = eng::conv2d_output_shape(in.x, in.w, in.b, p);
  const Shape &xs = in.x.shape(), &ws = in.w.shape();
  std::vector<float> x = in.x.to_vector(), w = in.w.to_vector();
  std::vector<float> b = in.b.defined() ? in.b.to_vector() : std::vector<float>(ws[0], 0.0f);
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
  for (const auto* cases : {&kGradCases, &kBackendCases})
    for (const Case& c : *cases) {
      Inputs in = make_inputs(c, 3);
      std::vector<float> got = eng::conv2d(in.x, in.w, in.b, c.p).to_vector();
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

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    for (const Case& c : kGradCases) {
      Inputs in = make_inputs(c, 5);
      Conv2dParams p = c.p;
      testing::gradcheck(
          std::string(c.name) + (be == CpuBackend::Reference ? " ref" : " fast"),
          [p](const std::vector<Tensor>& v) { return eng::conv2d(v[0], v[1], v[2], p); },
          {in.x, in.w, in.b});
    }
  }
}

BOOST_AUTO_TEST_CASE(fast_backends_match_reference_on_awkward_shapes) {
  for (const Case& c : kBackendCases) compare_backends(c, true, true, true);
}

BOOST_AUTO_TEST_CASE(fast_backends_match_reference_on_clusternet_shapes) {
  for (const Case& c : kClusterNetCases) compare_backends(c, true, true, true);
  compare_backends(kClusterNetCases[0], false, true, false);  // the trunk's first layer
}

BOOST_AUTO_TEST_CASE(only_requested_gradients_are_computed) {
  const Case& c = kBackendCases[1];  // has a bias
  for (int mask = 1; mask < 8; ++mask) compare_backends(c, mask & 1, mask & 2, mask & 4);
}

BOOST_AUTO_TEST_CASE(blocked_outputs_chain_into_the_next_conv) {
  // conv -> conv -> conv, as in the trunk: the fast backend hands its blocked output straight to
  // the next conv (and its blocked dx back), the result must equal the reference chain.
  eng::Rng rng(21);
  Tensor x = testing::randn({2, 1, 24, 24}, rng);
  Tensor w1 = testing::randn({64, 1, 5, 5}, rng, 0.2f);
  Tensor w2 = testing::randn({20, 64, 3, 3}, rng, 0.04f);
  Tensor w3 = testing::randn({17, 20, 3, 3}, rng, 0.07f);
  Tensor b3 = testing::randn({17}, rng);
  Tensor dy = testing::randn({2, 17, 6, 6}, rng);
  auto run = [&](CpuBackend be, bool expect_blocked) {
    eng::CpuBackendGuard guard(be);
    std::vector<Tensor> p{w1.clone(), w2.clone(), w3.clone(), b3.clone()};
    for (Tensor& t : p) t.set_requires_grad(true);
    Tensor h1 = eng::conv2d(x, p[0], Tensor(), Conv2dParams::square(1, 2));
    if (expect_blocked) BOOST_TEST(!h1.is_plain(), "64-channel output kept blocked");
    Tensor h2 = eng::conv2d(h1, p[1], Tensor(), Conv2dParams::square(2, 1));
    Tensor y = eng::conv2d(h2, p[2], p[3], Conv2dParams::square(2, 1, 1));
    eng::run_backward(y, dy);
    return std::vector<Tensor>{y, p[0].grad(), p[1].grad(), p[2].grad(), p[3].grad()};
  };
  std::vector<Tensor> ref = run(CpuBackend::Reference, false);
  const char* names[] = {"y", "dw1", "dw2", "dw3", "db3"};
  for (CpuBackend be : testing::fast_cpu_backends()) {
    std::vector<Tensor> got = run(be, true);
    for (size_t i = 0; i < ref.size(); ++i) {
      if (i > 0) BOOST_TEST(got[i].is_plain(), "parameter gradients are plain");
      check_matches(got[i], ref[i], std::string("chain ") + names[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(results_are_reproducible) {
  for (const Case& c : {kBackendCases[2], kBackendCases[9]}) {  // direct and dense kernels
    Inputs in = make_inputs(c, 9);
    eng::Rng rng(4);
    Tensor dy = testing::randn(eng::conv2d_output_shape(in.x, in.w, in.b, c.p), rng);
    testing::check_reproducible([&](CpuBackend be) {
      Result r = run_conv(be, in, c.p, dy, true, true, true);
      return testing::values_of({r.y, r.dx, r.dw, r.db});
    });
  }
}

#ifdef ENG_HAVE_ONEDNN
// The cases above reach the dense product exactly where it applies: maps no larger than the
// kernel (ClusterNet6c's last layer, the dense_* cases), never the trunk's larger maps.
BOOST_AUTO_TEST_CASE(dense_product_takes_the_small_maps) {
  auto applies = [](const Case& c) {
    Inputs in = make_inputs(c, 1);
    return eng::onednn::conv2d_dense_applies(in.x, in.w, c.p);
  };
  BOOST_TEST(applies(kClusterNetCases[3]));
  BOOST_TEST(applies(kBackendCases[9]));
  BOOST_TEST(applies(kBackendCases[10]));
  BOOST_TEST(applies(kGradCases[2]));  // 5x5 map, 5x5 kernel: also covered by finite differences
  for (int i = 0; i < 3; ++i) BOOST_TEST(!applies(kClusterNetCases[i]), kClusterNetCases[i].name);
  BOOST_TEST(!applies(kBackendCases[2]));  // 6x5 map, 5x5 kernel
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
