// test_cuda_ops.cpp — every op of the engine on CUDA against the CPU reference kernels, forward
// and backward, on random awkward shapes (batch 1, 3x3 maps, channel counts like 3, 5, 17,
// stride 2, padding, dilation, broadcasting; max pooling with tied maxima); determinism of
// repeated CUDA runs; the TF32 mode; device-mismatch errors. Tolerances: tests/cuda_parity.hpp.
// Without a GPU, or in a build without CUDA, it prints "SKIPPED: ..." and exits with 77, which
// ctest reports as skipped (never as passed).
#define BOOST_TEST_MODULE cuda_ops
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "tests/cuda_parity.hpp"

#ifdef ENG_HAVE_CUDA
using namespace cuda_parity;

BOOST_AUTO_TEST_CASE(tf32_defaults_are_pytorchs) {
  BOOST_TEST(eng::cuda::tf32().conv);
  BOOST_TEST(!eng::cuda::tf32().matmul);
}

BOOST_AUTO_TEST_CASE(copies_and_gradient_accumulation) {
  Tensor x = randn({3, 17, 5}, 1);
  Tensor d = x.to(Device::CUDA);
  BOOST_TEST(eng::device_name(d.device()) == std::string("cuda"));
  BOOST_TEST(d.to_vector() == x.to_vector());
  BOOST_TEST(d.clone().to(Device::CPU).to_vector() == x.to_vector());
  BOOST_TEST(Tensor::zeros({1000}, Device::CUDA).to_vector() == std::vector<float>(1000, 0.0f));
  // A leaf used twice: autograd adds the two gradients with eng::cuda::add_f32.
  check_parity(
      "x*x + x",
      [](const std::vector<Tensor>& in) { return eng::add(eng::mul(in[0], in[0]), in[0]); }, {x},
      kExact, kExact);
}

BOOST_AUTO_TEST_CASE(conv2d_parity) {
  struct Case {
    const char* name;
    Shape x, w;
    eng::Conv2dParams p;
    bool bias;
  };
  const std::vector<Case> cases = {
      {"batch1_3x3map_c3", {1, 3, 3, 3}, {5, 3, 3, 3}, eng::Conv2dParams::square(1, 1), false},
      {"c5_to_c17_stride2_pad1",
       {2, 5, 7, 9},
       {17, 5, 3, 3},
       eng::Conv2dParams::square(2, 1),
       true},
      {"c17_5x5_pad2", {3, 17, 6, 5}, {7, 17, 5, 5}, eng::Conv2dParams::square(1, 2), true},
      {"dilation2_pad2", {2, 3, 9, 8}, {4, 3, 3, 3}, eng::Conv2dParams::square(1, 2, 2), false},
      {"1x1_c17", {2, 17, 5, 5}, {9, 17, 1, 1}, eng::Conv2dParams::square(1, 0), true},
      {"asymmetric", {2, 5, 8, 11}, {6, 5, 3, 2}, {2, 1, 1, 0, 1, 2}, true},
      {"clusternet_conv2",
       {4, 64, 12, 12},
       {128, 64, 5, 5},
       eng::Conv2dParams::square(1, 2),
       false},
  };
  uint64_t s = 10;
  for (const Case& c : cases) {
    std::vector<Tensor> in = {randn(c.x, s++), randn(c.w, s++, 0.3f),
                              c.bias ? randn({c.w[0]}, s++) : Tensor()};
    check_parity(
        std::string("conv2d ") + c.name,
        [p = c.p](const std::vector<Tensor>& t) { return eng::conv2d(t[0], t[1], t[2], p); }, in,
        kGemm, kGemm);
  }
}

BOOST_AUTO_TEST_CASE(sobel_parity) {
  check_parity(
      "sobel", [](const std::vector<Tensor>& t) { return eng::sobel(t[0]); },
      {randn({2, 1, 7, 9}, 30)}, kGemm, kGemm);
}

BOOST_AUTO_TEST_CASE(batch_norm_parity_all_modes) {
  using eng::BatchNormMode;
  const std::vector<Shape> shapes = {{1, 3, 3, 3}, {5, 17, 4, 3}, {7, 5}, {3, 6, 10}};
  const BatchNormMode modes[] = {BatchNormMode::Train, BatchNormMode::EvalBatchStats,
                                 BatchNormMode::EvalRunning};
  uint64_t s = 40;
  for (const Shape& shape : shapes)
    for (BatchNormMode mode : modes)
      for (bool relu : {false, true}) {
        const int64_t c = shape[1];
        const bool running = mode != BatchNormMode::EvalBatchStats;
        Tensor rm = randn({c}, s++, 0.5f), rv = uniform({c}, s++, 0.5f, 2.0f);
        std::vector<Tensor> rm_dev = {rm.clone(), rm.to(Device::CUDA)};
        std::vector<Tensor> rv_dev = {rv.clone(), rv.to(Device::CUDA)};
        auto f = [&](const std::vector<Tensor>& t) {
          const int d = t[0].device() == Device::CUDA;
          eng::BatchNormParams p;
          p.mode = mode;
          p.relu = relu;
          p.momentum = 0.3f;
          if (running) p.running_mean = rm_dev[d], p.running_var = rv_dev[d];
          return eng::batch_norm(t[0], t[1], t[2], p);
        };
        const std::string what = "batch_norm " + eng::shape_str(shape) + " mode " +
                                 std::to_string(int(mode)) + (relu ? " relu" : "");
        check_parity(what, f,
                     {randn(shape, s++, 2.0f), uniform({c}, s++, 0.5f, 1.5f), randn({c}, s++)},
                     kGemm, kNorm);
        check_scaled(rm_dev[1], rm_dev[0], kGemm, what + " running_mean");
        check_scaled(rv_dev[1], rv_dev[0], kGemm, what + " running_var");
      }
}

BOOST_AUTO_TEST_CASE(relu_parity) {
  for (const Shape& shape : {Shape{3, 17, 5, 5}, Shape{7}, Shape{1, 3, 3, 3}})
    check_parity(
        "relu " + eng::shape_str(shape),
        [](const std::vector<Tensor>& t) { return eng::relu(t[0]); }, {randn(shape, 60)}, kExact,
        kExact);
}

BOOST_AUTO_TEST_CASE(pool_parity) {
  struct Case {
    const char* name;
    Shape x;
    eng::Pool2dParams p;
    bool max;
  };
  const std::vector<Case> cases = {
      {"max_k3_s2_p1", {2, 3, 7, 7}, eng::Pool2dParams::square(3, 2, 1), true},
      {"max_k2_s2_3x3map_c17", {1, 17, 3, 3}, eng::Pool2dParams::square(2, 2), true},
      {"max_k2_s2_p1_stem", {2, 5, 8, 9}, eng::Pool2dParams::square(2, 2, 1), true},
      {"max_k3_s1", {2, 4, 6, 5}, eng::Pool2dParams::square(3, 1), true},
      {"max_asymmetric", {1, 3, 9, 8}, {3, 2, 2, 1, 1, 0}, true},
      {"avg_k3_s1_p1", {2, 3, 7, 7}, eng::Pool2dParams::square(3, 1, 1), false},
      {"avg_k2_s2_p1", {2, 4, 7, 6}, eng::Pool2dParams::square(2, 2, 1), false},
      {"avg_k3_s1_clusternet5g", {1, 17, 4, 4}, eng::Pool2dParams::square(3, 1), false},
  };
  uint64_t s = 70;
  for (const Case& c : cases)
    check_parity(
        std::string("pool ") + c.name,
        [&c](const std::vector<Tensor>& t) {
          return c.max ? eng::max_pool2d(t[0], c.p) : eng::avg_pool2d(t[0], c.p);
        },
        {randn(c.x, s++)}, kGemm, kGemm);
}

// Ties, as after conv-BN-ReLU on MNIST's constant background (many equal maxima per window):
// the gradient must go to the first maximum of each window only, as on the CPU and in PyTorch,
// never be shared among (or copied to) the tied cells.
BOOST_AUTO_TEST_CASE(max_pool_ties_parity) {
  const std::vector<std::pair<const char*, eng::Pool2dParams>> cases = {
      {"k2_s2", eng::Pool2dParams::square(2, 2)},
      {"k3_s2_p1", eng::Pool2dParams::square(3, 2, 1)},
      {"k3_s1", eng::Pool2dParams::square(3, 1)}};
  uint64_t s = 80;
  for (const auto& [name, p] : cases) {
    // Values in {0, 1, 2}: most windows hold several equal maxima.
    std::vector<float> v = uniform({2, 3, 8, 8}, s++, 0.0f, 3.0f).to_vector();
    for (float& e : v) e = std::floor(e);
    check_parity(
        std::string("max_pool ties ") + name,
        [p = p](const std::vector<Tensor>& t) { return eng::max_pool2d(t[0], p); },
        {Tensor::from_vector({2, 3, 8, 8}, v)}, kExact, kExact);
  }
}

BOOST_AUTO_TEST_CASE(linear_parity) {
  struct Case {
    int64_t n, in, out;
    bool bias;
  };
  const std::vector<Case> cases = {
      {1, 17, 3, true}, {7, 4608, 10, true}, {700, 17, 50, false}, {5, 33, 1, true}};
  uint64_t s = 90;
  for (const Case& c : cases) {
    std::vector<Tensor> in = {randn({c.n, c.in}, s++), randn({c.out, c.in}, s++, 0.1f),
                              c.bias ? randn({c.out}, s++) : Tensor()};
    check_parity(
        "linear " + std::to_string(c.n) + "x" + std::to_string(c.in) + "->" + std::to_string(c.out),
        [](const std::vector<Tensor>& t) { return eng::linear(t[0], t[1], t[2]); }, in, kGemm,
        kGemm);
  }
}

BOOST_AUTO_TEST_CASE(matmul_parity) {
  const std::vector<std::pair<Shape, Shape>> cases = {{{5, 7}, {7, 3}},
                                                      {{1, 17}, {17, 1}},
                                                      {{4, 5, 7}, {4, 7, 9}},
                                                      {{3, 64, 130}, {3, 130, 33}},
                                                      {{1, 1, 3}, {1, 3, 2}}};
  uint64_t s = 110;
  for (const auto& [a, b] : cases)
    check_parity(
        "matmul " + eng::shape_str(a) + " x " + eng::shape_str(b),
        [](const std::vector<Tensor>& t) { return eng::matmul(t[0], t[1]); },
        {randn(a, s++), randn(b, s++)}, kGemm, kGemm);
}

BOOST_AUTO_TEST_CASE(softmax_parity) {
  const std::vector<std::pair<Shape, int>> cases = {{{7, 10}, 1},   {{1, 3}, -1}, {{3, 5, 4}, 1},
                                                    {{2, 3, 4}, 0}, {{9, 1}, 1},  {{700, 140}, 1}};
  uint64_t s = 130;
  for (const auto& [shape, dim] : cases)
    check_parity(
        "softmax " + eng::shape_str(shape) + " dim " + std::to_string(dim),
        [dim = dim](const std::vector<Tensor>& t) { return eng::softmax(t[0], dim); },
        {randn(shape, s++, 3.0f)}, kExact, kExact);
}

BOOST_AUTO_TEST_CASE(elementwise_parity) {
  using B = Tensor (*)(const Tensor&, const Tensor&);
  const std::vector<std::pair<const char*, B>> binaries = {
      {"add", eng::add}, {"sub", eng::sub}, {"mul", eng::mul}, {"div", eng::div}};
  const std::vector<std::pair<Shape, Shape>> shapes = {{{3, 4, 5}, {3, 4, 5}},
                                                       {{3, 4, 5}, {4, 1}},
                                                       {{2, 1, 3}, {5, 1}},
                                                       {{6, 7}, {1}},
                                                       {{1, 17}, {9, 1}}};
  uint64_t s = 150;
  for (const auto& [name, op] : binaries)
    for (const auto& [a, b] : shapes) {
      Tensor tb = std::string(name) == "div" ? uniform(b, s++, 0.5f, 2.0f) : randn(b, s++);
      check_parity(
          std::string(name) + " " + eng::shape_str(a) + " " + eng::shape_str(b),
          [op = op](const std::vector<Tensor>& t) { return op(t[0], t[1]); }, {randn(a, s++), tb},
          kExact, kExact);
    }
  const Shape shape = {4, 17, 3};
  check_parity(
      "add_scalar", [](const std::vector<Tensor>& t) { return eng::add_scalar(t[0], 0.75f); },
      {randn(shape, 170)}, kExact, kExact);
  check_parity(
      "mul_scalar", [](const std::vector<Tensor>& t) { return eng::mul_scalar(t[0], -1.5f); },
      {randn(shape, 171)}, kExact, kExact);
  check_parity(
      "log", [](const std::vector<Tensor>& t) { return eng::log(t[0]); },
      {uniform(shape, 172, 0.1f, 3.0f)}, kExact, kExact);
  check_parity(
      "clamp_min", [](const std::vector<Tensor>& t) { return eng::clamp_min(t[0], 0.1f); },
      {randn(shape, 173)}, kExact, kExact);
}

BOOST_AUTO_TEST_CASE(reduce_parity) {
  Tensor x = randn({2, 3, 1000}, 180);
  check_parity(
      "sum all", [](const std::vector<Tensor>& t) { return eng::sum(t[0]); }, {x}, kExact, kExact);
  check_parity(
      "mean all", [](const std::vector<Tensor>& t) { return eng::mean(t[0]); }, {x}, kExact,
      kExact);
  check_parity(
      "sum {0,2}",
      [](const std::vector<Tensor>& t) {
        return eng::sum(t[0], {0, 2});
      },
      {x}, kExact, kExact);
  check_parity(
      "mean {1} keepdim", [](const std::vector<Tensor>& t) { return eng::mean(t[0], {1}, true); },
      {randn({5, 17, 3}, 181)}, kExact, kExact);
  check_parity(
      "sum {-1} of [7,1]", [](const std::vector<Tensor>& t) { return eng::sum(t[0], {-1}); },
      {randn({7, 1}, 182)}, kExact, kExact);
}

BOOST_AUTO_TEST_CASE(shape_ops_parity) {
  Tensor x = randn({2, 3, 4, 5}, 190);
  check_parity(
      "permute",
      [](const std::vector<Tensor>& t) {
        return eng::permute(t[0], {2, 0, 3, 1});
      },
      {x}, kExact, kExact);
  check_parity(
      "transpose", [](const std::vector<Tensor>& t) { return eng::transpose(t[0], 0, 2); },
      {randn({3, 1, 7}, 191)}, kExact, kExact);
  check_parity(
      "reshape",
      [](const std::vector<Tensor>& t) {
        return eng::mul_scalar(eng::reshape(t[0], {6, -1}), 2.0f);
      },
      {x}, kExact, kExact);
  check_parity(
      "flatten",
      [](const std::vector<Tensor>& t) { return eng::mul_scalar(eng::flatten(t[0], 1), 2.0f); },
      {x}, kExact, kExact);
  check_parity(
      "concat dim 1",
      [](const std::vector<Tensor>& t) {
        return eng::concat({t[0], t[1], t[2]}, 1);
      },
      {randn({2, 1, 3}, 192), randn({2, 4, 3}, 193), randn({2, 2, 3}, 194)}, kExact, kExact);
  check_parity(
      "concat dim 0",
      [](const std::vector<Tensor>& t) {
        return eng::concat({t[0], t[1]}, 0);
      },
      {randn({1, 5}, 195), randn({3, 5}, 196)}, kExact, kExact);
  check_parity(
      "slice", [](const std::vector<Tensor>& t) { return eng::slice(t[0], 1, 2, 3); },
      {randn({3, 7, 2}, 197)}, kExact, kExact);
}

BOOST_AUTO_TEST_CASE(repeated_runs_are_bitwise_identical) {
  Tf32Guard fp32(false);
  auto conv_then_linear = [](const std::vector<Tensor>& t) {
    Tensor h = eng::conv2d(t[0], t[1], t[2], eng::Conv2dParams::square(1, 2));
    h = eng::max_pool2d(h, eng::Pool2dParams::square(2, 2));
    return eng::softmax(eng::linear(eng::flatten(h, 1), t[3], Tensor()), 1);
  };
  std::vector<Tensor> in = {randn({16, 8, 12, 12}, 210), randn({32, 8, 5, 5}, 211, 0.1f),
                            randn({32}, 212), randn({7, 32 * 6 * 6}, 213, 0.05f)};
  std::vector<bool> wants(in.size(), true);
  Tensor seed = randn({16, 7}, 214);
  Run a = run_on(Device::CUDA, conv_then_linear, in, wants, seed);
  Run b = run_on(Device::CUDA, conv_then_linear, in, wants, seed);
  check_bitwise(a.out, b.out, "output");
  for (size_t k = 0; k < in.size(); ++k)
    check_bitwise(a.grads[k], b.grads[k], "gradient " + std::to_string(k));
}

BOOST_AUTO_TEST_CASE(tf32_mode_stays_close) {
  Tf32Guard tf32(true);
  eng::CpuBackendGuard ref(eng::CpuBackend::Reference);
  Tensor x = randn({4, 64, 12, 12}, 220), w = randn({128, 64, 5, 5}, 221, 0.05f);
  Tensor gpu = eng::conv2d(x.to(Device::CUDA), w.to(Device::CUDA), Tensor(),
                           eng::Conv2dParams::square(1, 2));
  check_scaled(gpu, eng::conv2d(x, w, Tensor(), eng::Conv2dParams::square(1, 2)), kTf32,
               "conv2d tf32");
  Tensor a = randn({7, 4608}, 222), b = randn({10, 4608}, 223, 0.02f);
  check_scaled(eng::linear(a.to(Device::CUDA), b.to(Device::CUDA), Tensor()),
               eng::linear(a, b, Tensor()), kTf32, "linear tf32");
}

BOOST_AUTO_TEST_CASE(device_mismatch_errors_name_the_op) {
  Tensor x = randn({2, 3, 5, 5}, 230).to(Device::CUDA), w_cpu = randn({4, 3, 3, 3}, 231);
  testing::expect_error([&] { eng::conv2d(x, w_cpu, Tensor(), {}); }, {"conv2d"});
  Tensor a = randn({2, 3}, 232).to(Device::CUDA), lw = randn({4, 3}, 233);
  testing::expect_error([&] { eng::linear(a, lw, Tensor()); }, {"linear"});
  testing::expect_error([&] { eng::matmul(a, randn({3, 2}, 234)); }, {"matmul"});
  eng::BatchNormParams p;
  p.running_mean = Tensor::zeros({3}), p.running_var = Tensor::full({3}, 1.0f);
  Tensor g = Tensor::full({3}, 1.0f, Device::CUDA), b = Tensor::zeros({3}, Device::CUDA);
  testing::expect_error([&] { eng::batch_norm(x, g, b, p); }, {"batch_norm"});
}

#endif  // ENG_HAVE_CUDA

int main(int argc, char* argv[]) { return cuda_parity::main_or_skip(argc, argv); }
