// test_cuda_ops.cpp — every op of the engine on CUDA against the CPU reference kernels, forward
// and backward, on random awkward shapes (batch 1, 3x3 maps, channel counts like 3, 5, 17,
// stride 2, padding, dilation, broadcasting); a ClusterNet6c-like network with the IIC loss end
// to end (loss and every parameter gradient); determinism of repeated CUDA runs; the TF32 mode;
// device-mismatch errors; the copy stream and page-locked staging, and the batch loader on CUDA
// (the CPU loader's bits). Without a GPU, or in a build without CUDA, it prints "SKIPPED: ..." and
// exits with 77, which ctest reports as skipped (never as passed).
//
// Parity runs with TF32 off (plain float32 on both sides). The CPU reference sums in double or in
// another order than cuDNN/cuBLAS, so results differ by float32 rounding: every comparison is
// |gpu - cpu| <= tol * (|cpu| + max|cpu|), i.e. relative to the tensor's own scale, with
//   kExact 1e-5  element-wise, shape, reduction and softmax ops (a few ulps);
//   kGemm  1e-4  conv/linear/matmul/pool (sums of up to ~5000 products);
//   kNorm  1e-3  batch norm gradients and the whole network (cancellation in
//                dx = g*inv_std*(dy - mean(dy) - xhat*mean(dy*xhat)), compounded through layers).
// A wrong kernel gives errors of the order of the values themselves, far above these. TF32 on
// (10-bit mantissa) is checked with 1e-2.
#define BOOST_TEST_MODULE cuda_ops
#define BOOST_TEST_NO_MAIN
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "data/loader.hpp"
#include "engine/allocator.hpp"
#include "engine/params.hpp"
#include "ops/ops.hpp"
#include "tests/noise_dataset.hpp"
#include "tests/testing.hpp"
#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

#ifdef ENG_HAVE_CUDA
using eng::Device;
using eng::Shape;
using eng::Tensor;
using testing::Fn;

namespace {

constexpr double kExact = 1e-5, kGemm = 1e-4, kNorm = 1e-3, kTf32 = 1e-2;

// TF32 set for a scope.
struct Tf32Guard {
  explicit Tf32Guard(bool on) : previous(eng::cuda::tf32()) { eng::cuda::set_tf32({on, on}); }
  ~Tf32Guard() { eng::cuda::set_tf32(previous); }
  eng::cuda::Tf32 previous;
};

// |gpu - cpu| <= tol * (|cpu| + max|cpu|) elementwise (see the file comment).
void check_scaled(const Tensor& gpu, const Tensor& cpu, double tol, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(gpu.defined() && cpu.defined(), what << ": undefined result");
  BOOST_CHECK_MESSAGE(gpu.device() == Device::CUDA, what << ": result is on " << gpu.describe());
  testing::check_close(gpu, cpu, tol, tol * testing::max_abs(cpu) + 1e-30, what);
}

void check_bitwise(const Tensor& a, const Tensor& b, const std::string& what) {
  BOOST_CHECK_MESSAGE(a.to_vector() == b.to_vector(), what << ": repeated CUDA run differs");
}

struct Run {
  Tensor out;
  std::vector<Tensor> grads;  // per input, undefined where not asked
};

// f on copies of `inputs` on `device` (those with wants_grad[k] require grad), then backward
// with the cotangent `seed` (created from the CPU output's shape when undefined).
Run run_on(Device device, const Fn& f, const std::vector<Tensor>& inputs,
           const std::vector<bool>& wants_grad, Tensor& seed) {
  eng::CpuBackendGuard ref(eng::CpuBackend::Reference);
  std::vector<Tensor> in;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor t;  // an undefined input (an absent bias) stays undefined
    if (inputs[k].defined()) t = device == Device::CPU ? inputs[k].clone() : inputs[k].to(device);
    if (t.defined() && wants_grad[k]) t.set_requires_grad(true);
    in.push_back(t);
  }
  Run r;
  r.out = f(in);
  if (!seed.defined()) {
    eng::Rng rng(77, 3);
    seed = testing::randn(r.out.shape(), rng);
  }
  if (r.out.requires_grad()) eng::run_backward(r.out, seed.to(device));
  for (size_t k = 0; k < in.size(); ++k)
    r.grads.push_back(in[k].defined() && wants_grad[k] ? in[k].grad() : Tensor());
  return r;
}

// f on the CPU (reference kernels) and on CUDA from the same inputs and cotangent: the output
// within `tol`, every gradient within `grad_tol`. wants_grad: per input (default: all defined).
void check_parity(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
                  double tol, double grad_tol, std::vector<bool> wants_grad = {}) {
  Tf32Guard fp32(false);
  if (wants_grad.empty()) wants_grad.assign(inputs.size(), true);
  Tensor seed;
  Run cpu = run_on(Device::CPU, f, inputs, wants_grad, seed);
  Run gpu = run_on(Device::CUDA, f, inputs, wants_grad, seed);
  check_scaled(gpu.out, cpu.out, tol, what + " forward");
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!wants_grad[k] || !inputs[k].defined()) continue;
    BOOST_REQUIRE_MESSAGE(cpu.grads[k].defined() && gpu.grads[k].defined(),
                          what << ": input " << k << " received no gradient");
    check_scaled(gpu.grads[k], cpu.grads[k], grad_tol, what + " d/d input" + std::to_string(k));
  }
}

Tensor randn(const Shape& s, uint64_t stream, float scale = 1.0f) {
  eng::Rng rng(2024, stream);
  return testing::randn(s, rng, scale);
}
Tensor uniform(const Shape& s, uint64_t stream, float lo, float hi) {
  eng::Rng rng(2024, stream);
  return testing::uniform(s, rng, lo, hi);
}

}  // namespace

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

// A ClusterNet6c-like network (conv-bn-relu-pool x2, flatten, linear, softmax) on a batch of 8
// and a transformed copy, with the IIC mutual-information loss; the loss and every parameter's
// gradient, and the running statistics, CUDA against CPU.
BOOST_AUTO_TEST_CASE(clusternet_iic_chain_parity) {
  eng::Rng rng(7, 0);
  auto param = [&](const Shape& s, float std) {
    Tensor t = Tensor::zeros(s);
    eng::init_normal(t, 0.0f, std, rng);
    return t;
  };
  Tensor w1 = Tensor::zeros({16, 1, 5, 5}), w2 = Tensor::zeros({32, 16, 5, 5});
  eng::init_kaiming_normal(w1, eng::FanMode::FanIn, rng);
  eng::init_kaiming_normal(w2, eng::FanMode::FanIn, rng);
  // inputs: x, x', w1, b1, g1, be1, w2, g2, be2, w3, b3. No b1, as in the models: a bias
  // before batch norm has a zero gradient, and its two backends' rounding noise cannot be
  // compared (conv2d_parity tests the bias).
  std::vector<Tensor> in = {randn({8, 1, 24, 24}, 200),
                            Tensor(),
                            w1,
                            Tensor(),
                            uniform({16}, 201, 0.5f, 1.5f),
                            param({16}, 0.1f),
                            w2,
                            uniform({32}, 202, 0.5f, 1.5f),
                            param({32}, 0.1f),
                            param({10, 32 * 6 * 6}, 0.05f),
                            param({10}, 0.1f)};
  {
    std::vector<float> v = in[0].to_vector(), noise = randn({8, 1, 24, 24}, 203, 0.2f).to_vector();
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.9f * v[i] + noise[i];
    in[1] = Tensor::from_vector({8, 1, 24, 24}, v);
  }
  // Per device (CPU, CUDA): mean1, var1, mean2, var2.
  std::vector<std::vector<Tensor>> running(2, std::vector<Tensor>(4));
  for (int d = 0; d < 2; ++d)
    for (int k = 0; k < 4; ++k)
      running[d][k] =
          Tensor::full({k < 2 ? 16 : 32}, k % 2 ? 1.0f : 0.0f, d ? Device::CUDA : Device::CPU);
  auto net = [&](const std::vector<Tensor>& t, const Tensor& x) {
    const int d = x.device() == Device::CUDA;
    eng::BatchNormParams bn1, bn2;
    bn1.relu = bn2.relu = true;
    bn1.running_mean = running[d][0], bn1.running_var = running[d][1];
    bn2.running_mean = running[d][2], bn2.running_var = running[d][3];
    const auto pool = eng::Pool2dParams::square(2, 2);
    Tensor h = eng::conv2d(x, t[2], t[3], eng::Conv2dParams::square(1, 2));
    h = eng::max_pool2d(eng::batch_norm(h, t[4], t[5], bn1), pool);
    h = eng::conv2d(h, t[6], Tensor(), eng::Conv2dParams::square(1, 2));
    h = eng::max_pool2d(eng::batch_norm(h, t[7], t[8], bn2), pool);
    return eng::softmax(eng::linear(eng::flatten(h, 1), t[9], t[10]), 1);
  };
  auto iic_loss = [&](const std::vector<Tensor>& t) {
    Tensor p1 = net(t, t[0]), p2 = net(t, t[1]);
    Tensor joint = eng::matmul(eng::transpose(p1, 0, 1), p2);
    joint = eng::mul_scalar(eng::add(joint, eng::transpose(joint, 0, 1)), 0.5f / 8.0f);
    Tensor pi = eng::sum(joint, {1}, true), pj = eng::sum(joint, {0}, true);
    Tensor log_joint = eng::log(eng::clamp_min(joint, 1e-7f));
    Tensor pmi = eng::sub(eng::sub(log_joint, eng::log(pi)), eng::log(pj));
    return eng::mul_scalar(eng::sum(eng::mul(joint, pmi)), -1.0f);
  };
  std::vector<bool> wants(in.size(), true);
  wants[0] = wants[1] = false;
  // The loss is minus a mutual information, a sum of O(1) logs that nearly cancel: kNorm for it
  // too.
  check_parity("clusternet chain", iic_loss, in, kNorm, kNorm, wants);
  for (int k = 0; k < 4; ++k)
    check_scaled(running[1][k], running[0][k], kGemm, "running stat " + std::to_string(k));
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

BOOST_AUTO_TEST_CASE(copy_stream_order_and_pinned_block_reuse) {
  const size_t n = 12345, bytes = n * sizeof(float);  // a size no other test stages
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = float(i) * 0.5f;
  const eng::AllocatorStats before = eng::pinned_stats();
  float* host = static_cast<float*>(eng::pinned_alloc(bytes));
  std::copy(values.begin(), values.end(), host);
  Tensor dev = Tensor::empty({int64_t(n)}, Device::CUDA);
  Tensor busy = Tensor::zeros({4096, 4096}, Device::CUDA);
  busy = eng::matmul(busy, busy);  // cuBLAS set up, and the blocks of the products below cached
  eng::cuda::synchronize();
  // Engine stream: ~10 ms of products, then zero the destination. The copy must wait for both.
  for (int k = 0; k < 4; ++k) busy = eng::matmul(busy, busy);
  eng::device_memset0(dev.raw(), bytes, Device::CUDA);
  eng::cuda::Event copied = eng::cuda::copy_to_device_async({{dev.raw(), host, bytes}});
  eng::pinned_free(host, bytes, copied);
  BOOST_TEST(eng::pinned_stats().cached_bytes == before.cached_bytes + bytes);
  // The copy has not read the block yet: a request of its size gets another one.
  float* other = static_cast<float*>(eng::pinned_alloc(bytes));
  BOOST_TEST(other != host);
  eng::cuda::engine_wait(copied);
  BOOST_TEST(dev.to_vector() == values);  // after the zeros (and the host waited for the copy)
  BOOST_TEST(eng::cuda::event_done(copied));
  // Now it has: the block is handed out again.
  float* again = static_cast<float*>(eng::pinned_alloc(bytes));
  BOOST_TEST(again == host);
  eng::pinned_free(again, bytes);
  eng::pinned_free(other, bytes);
  const eng::AllocatorStats after = eng::pinned_stats();
  BOOST_TEST(after.live_bytes == before.live_bytes);
  BOOST_TEST(after.cached_bytes == before.cached_bytes + 2 * bytes);
}

BOOST_AUTO_TEST_CASE(loader_on_cuda_gives_the_cpu_batches) {
  using eng::data::Batch;
  const eng::data::Dataset d = testing::noise_dataset(45);
  eng::data::LoaderOptions opt;
  opt.batch_size = 6, opt.repeats = 3, opt.seed = 5, opt.workers = 2;
  // A pass abandoned with batches in flight, then pass 2 from first_step.
  auto run = [&](Device device, int64_t first_step) {
    opt.device = device;
    eng::data::BatchLoader loader(d, eng::data::mnist_transforms(), opt);
    loader.start_epoch(1, eng::data::shuffled_order(45, 5, 1));
    loader.next();
    loader.start_epoch(2, eng::data::shuffled_order(45, 5, 2), first_step);
    std::vector<Batch> out;
    while (auto b = loader.next()) out.push_back(std::move(*b));
    return out;
  };
  const eng::AllocatorStats before = eng::pinned_stats();
  const std::vector<Batch> cpu = run(Device::CPU, 0), gpu = run(Device::CUDA, 0),
                           resumed = run(Device::CUDA, 4);
  BOOST_REQUIRE(cpu.size() == 7u);
  BOOST_REQUIRE(gpu.size() == 7u);
  BOOST_REQUIRE(resumed.size() == 3u);
  auto check_same = [](const Batch& g, const Batch& c) {
    BOOST_TEST(g.step == c.step);
    BOOST_TEST((g.x.device() == Device::CUDA && g.x_tf.device() == Device::CUDA));
    BOOST_TEST(g.x.shape() == c.x.shape());
    BOOST_TEST(g.x_tf.shape() == c.x_tf.shape());
    BOOST_TEST((testing::values_of({g.x, g.x_tf}) == testing::values_of({c.x, c.x_tf})));
    BOOST_TEST(g.indices == c.indices);
    BOOST_TEST(g.labels == c.labels);
  };
  for (size_t s = 0; s < cpu.size(); ++s) check_same(gpu[s], cpu[s]);
  for (size_t s = 0; s < resumed.size(); ++s) check_same(resumed[s], cpu[4 + s]);
  // Staging: every page-locked block is back in the cache, and blocks were handed out again
  // (a copy takes microseconds here, building a batch far longer): far fewer blocks than the
  // ~16 batches staged.
  const size_t staging = (6 + 3 * 6) * 24 * 24 * sizeof(float);
  const eng::AllocatorStats after = eng::pinned_stats();
  BOOST_TEST(after.live_bytes == before.live_bytes);
  BOOST_TEST(after.cached_bytes > before.cached_bytes);
  BOOST_TEST(after.cached_bytes - before.cached_bytes <=
             size_t(opt.workers + opt.prefetch + 2) * staging);
}

int main(int argc, char* argv[]) {
  if (!eng::cuda::device_present()) {
    std::printf("SKIPPED: no CUDA device\n");
    return 77;
  }
  return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}

#else  // a build without CUDA

int main() {
  std::printf("SKIPPED: built without CUDA (configure with ENG_CUDA=ON)\n");
  return 77;
}

#endif
