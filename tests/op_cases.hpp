// op_cases.hpp — the one table of op test cases (op_cases()), run by test_ops on every kernel
// family present (parity with the reference, finite differences: see test_ops.cpp) and timed by
// its perf mode; the per-op tests take their shapes and functions from here too. What a case is
// (inputs, roles, initialisations, tolerance classes, kinks): tests/op_harness.hpp. Parity runs
// every case; finite differences run the small ones (OpCase::fd_checked). A new kernel for an
// op with cases needs no new test code; a new op adds a *_cases() function to op_cases().
#pragma once
#include <array>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "ops/ops.hpp"
#include "tests/op_harness.hpp"

namespace optest {

// ---- conv2d and sobel --------------------------------------------------------------------

struct ConvShape {
  std::string name;
  Shape x, w;
  eng::Conv2dParams p;
  bool bias;
};

inline const std::vector<ConvShape>& conv2d_shapes() {
  using P = eng::Conv2dParams;
  static const std::vector<ConvShape> shapes = [] {
    std::vector<ConvShape> s = {
        // small (finite differences too)
        {"1x1", {2, 3, 3, 4}, {4, 3, 1, 1}, P::square(1, 0), true},
        {"3x3_stride2_pad1", {1, 3, 5, 5}, {4, 3, 3, 3}, P::square(2, 1), true},
        {"5x5_pad2", {1, 2, 5, 5}, {3, 2, 5, 5}, P::square(1, 2), true},
        {"dilation2", {1, 3, 6, 6}, {2, 3, 3, 3}, P::square(1, 1, 2), true},
        {"batch1_c5_nobias", {1, 5, 4, 4}, {3, 5, 3, 3}, P::square(1, 1), false},
        {"c17_3x3map", {1, 17, 3, 3}, {2, 17, 3, 3}, P::square(1, 1), true},
        {"small_asymmetric", {2, 2, 5, 6}, {3, 2, 3, 2}, {2, 1, 1, 0, 1, 2}, true},
        // awkward: batch 1, 3x3 maps, channel counts that are not multiples of 8/16, stride 2
        // with an unused last row (floor), padding, dilation, 1x1
        {"batch1_3x3map_c3", {1, 3, 3, 3}, {5, 3, 3, 3}, P::square(1, 1), false},
        {"c5_to_c17_stride2_pad1", {2, 5, 7, 9}, {17, 5, 3, 3}, P::square(2, 1), true},
        {"c17_5x5_pad2", {3, 17, 6, 5}, {7, 17, 5, 5}, P::square(1, 2), true},
        {"dilation2_pad2", {2, 3, 9, 8}, {4, 3, 3, 3}, P::square(1, 2, 2), false},
        {"1x1_c17", {2, 17, 5, 5}, {9, 17, 1, 1}, P::square(1, 0), true},
        {"asymmetric", {2, 5, 8, 11}, {6, 5, 3, 2}, {2, 1, 1, 0, 1, 2}, true},
        {"stride2_floor", {1, 3, 8, 8}, {4, 3, 3, 3}, P::square(2, 0), false},
        {"stride3_pad2_4x4", {2, 6, 10, 7}, {5, 6, 4, 4}, P::square(3, 2), true},
        {"c16_to_c32", {2, 16, 5, 5}, {32, 16, 3, 3}, P::square(1, 1), true},
        // maps no larger than the kernel: the oneDNN backend's dense product
        {"dense_stride2_bias", {3, 5, 4, 3}, {7, 5, 5, 5}, P::square(2, 2), true},
        {"dense_dilation2", {2, 4, 3, 3}, {6, 4, 3, 3}, P::square(1, 2, 2), true},
    };
    // the ClusterNet6c trunk: 5x5, padding 2, no bias; channels 1 -> 64 -> ... -> 512 on maps
    // 24 -> 12 -> 6 -> 3, batch 4
    const int64_t c[] = {1, 64, 128, 256, 512};
    for (int i = 0; i < 4; ++i)
      s.push_back({eng::str("clusternet_conv", i + 1),
                   {4, c[i], 24 >> i, 24 >> i},
                   {c[i + 1], c[i], 5, 5},
                   P::square(1, 2),
                   false});
    return s;
  }();
  return shapes;
}

inline const ConvShape& conv2d_shape(const std::string& name) {
  for (const ConvShape& s : conv2d_shapes())
    if (s.name == name) return s;
  throw eng::Error("op_cases: no conv2d shape " + name);
}

inline Fn conv2d_fn(const eng::Conv2dParams& p) {
  return [p](const std::vector<Tensor>& in) { return eng::conv2d(in[0], in[1], in[2], p); };
}

// x ~ N(0, 1), w ~ N(0, 1/fan_in), b ~ N(0, 1) (O(1) outputs); `grads`: which of x, w, b
// want a gradient (bit 0, 1, 2).
inline OpCase conv2d_case(const ConvShape& s, int grads = 7, const std::string& suffix = "") {
  const float w_scale = 1.0f / std::sqrt(float(s.w[1] * s.w[2] * s.w[3]));
  auto role = [grads](int bit, Role r) { return grads & (1 << bit) ? r : Role::Const; };
  std::vector<Input> in = {{s.x, normal(), role(0, Role::Grad)},
                           {s.w, normal(w_scale), role(1, Role::Param)},
                           s.bias ? Input{{s.w[0]}, normal(), role(2, Role::Param)} : absent()};
  return make_case("conv2d", s.name + suffix, in, Tol::Gemm, conv2d_fn(s.p));
}

inline std::vector<OpCase> conv2d_cases() {
  std::vector<OpCase> cases;
  for (const ConvShape& s : conv2d_shapes()) cases.push_back(conv2d_case(s));
  // only the requested gradients are computed, each subset of {dx, dw, db}
  for (int mask = 1; mask < 7; ++mask)
    cases.push_back(conv2d_case(
        conv2d_shape("c5_to_c17_stride2_pad1"), mask,
        eng::str(mask & 1 ? " +dx" : "", mask & 2 ? " +dw" : "", mask & 4 ? " +db" : "")));
  cases.push_back(conv2d_case(conv2d_shape("clusternet_conv1"), 2, " +dw"));  // the first layer
  return cases;
}

inline std::vector<OpCase> sobel_cases() {
  Fn f = [](const std::vector<Tensor>& in) { return eng::sobel(in[0]); };
  return {make_case("sobel", "[2, 1, 4, 5] in [0, 1]", {grad({2, 1, 4, 5}, uniform(0, 1))},
                    Tol::Gemm, f),
          make_case("sobel", "[2, 1, 7, 9]", {grad({2, 1, 7, 9})}, Tol::Gemm, f)};
}

// ---- pooling -----------------------------------------------------------------------------

// The configurations IIC uses and their neighbours.
inline const std::vector<eng::Pool2dParams>& pool2d_configs() {
  using P = eng::Pool2dParams;
  static const std::vector<P> configs{
      P::square(2, 2),    P::square(2, 2, 1),  // ClusterNet5g stem
      P::square(3, 1),    P::square(3, 1, 1),  // ClusterNet5g avgpool
      P::square(3, 2, 1), P::square(3, 2),     // stride != kernel
      P::square(2, 1),    {3, 2, 1, 2, 1, 0},  // non-square
  };
  return configs;
}

inline std::string pool2d_describe(eng::PoolKind kind, const eng::Pool2dParams& p, const Shape& s) {
  return eng::str(kind == eng::PoolKind::Max ? "max_pool2d" : "avg_pool2d", " k", p.kernel_h, "x",
                  p.kernel_w, " s", p.stride_h, "x", p.stride_w, " p", p.pad_h, "x", p.pad_w,
                  " on ", eng::shape_str(s));
}

inline Fn pool2d_fn(eng::PoolKind kind, const eng::Pool2dParams& p) {
  return [kind, p](const std::vector<Tensor>& in) {
    return kind == eng::PoolKind::Max ? eng::max_pool2d(in[0], p) : eng::avg_pool2d(in[0], p);
  };
}

// Max pooling takes distinct values by default (random ones may lie within a finite-difference
// step of each other: the maximum moves without a detectable kink), average pooling N(0, 1).
inline OpCase pool2d_case(eng::PoolKind kind, const eng::Pool2dParams& p, const Shape& s,
                          const std::string& prefix = "") {
  const Init init = kind == eng::PoolKind::Max ? distinct() : normal();
  OpCase c = make_case("pool2d", prefix + pool2d_describe(kind, p, s), {grad(s, init)}, Tol::Window,
                       pool2d_fn(kind, p), kind == eng::PoolKind::Max);
  c.plain_output = true;
  return c;
}

inline std::vector<OpCase> pool2d_cases() {
  using eng::PoolKind;
  using P = eng::Pool2dParams;
  std::vector<OpCase> cases;
  for (const Shape& s : {Shape{2, 3, 5, 6}, Shape{1, 1, 3, 3}, Shape{2, 3, 7, 5},
                         Shape{1, 17, 8, 8}, Shape{2, 64, 6, 6}})
    for (PoolKind kind : {PoolKind::Max, PoolKind::Avg})
      for (const P& p : pool2d_configs()) cases.push_back(pool2d_case(kind, p, s));
  const std::vector<std::tuple<PoolKind, P, Shape>> more = {
      {PoolKind::Max, P::square(3, 2, 1), {2, 3, 7, 7}},
      {PoolKind::Max, P::square(2, 2), {1, 17, 3, 3}},
      {PoolKind::Max, P::square(2, 2, 1), {2, 5, 8, 9}},
      {PoolKind::Max, P::square(3, 1), {2, 4, 6, 5}},
      {PoolKind::Max, {3, 2, 2, 1, 1, 0}, {1, 3, 9, 8}},
      {PoolKind::Avg, P::square(3, 1, 1), {2, 3, 7, 7}},
      {PoolKind::Avg, P::square(2, 2, 1), {2, 4, 7, 6}},
      {PoolKind::Avg, P::square(3, 1), {1, 17, 4, 4}},  // ClusterNet5g's avgpool
  };
  for (const auto& [kind, p, s] : more) cases.push_back(pool2d_case(kind, p, s));
  // Ties, as after conv-BN-ReLU on MNIST's constant background: the gradient goes to the first
  // maximum of each window only, as on the CPU and in PyTorch, never shared among the tied cells.
  for (const P& p : {P::square(2, 2), P::square(3, 2, 1), P::square(3, 1)}) {
    OpCase c = pool2d_case(PoolKind::Max, p, {2, 3, 8, 8}, "ties ");
    c.inputs[0].init = ties();
    c.tol = Tol::Exact;
    c.fd = false;  // every tie is a kink
    cases.push_back(c);
  }
  return cases;
}

// ---- batch norm --------------------------------------------------------------------------

inline const char* batch_norm_mode_name(eng::BatchNormMode m) {
  return m == eng::BatchNormMode::Train            ? "Train"
         : m == eng::BatchNormMode::EvalBatchStats ? "EvalBatchStats"
                                                   : "EvalRunning";
}

// batch_norm(x, gamma, beta) of inputs {x, gamma, beta, running_mean, running_var} (the running
// statistics may be undefined), momentum 0.3.
inline Fn batch_norm_fn(eng::BatchNormMode mode, bool relu) {
  return [mode, relu](const std::vector<Tensor>& in) {
    eng::BatchNormParams p;
    p.mode = mode;
    p.relu = relu;
    p.momentum = 0.3f;
    p.running_mean = in[3];
    p.running_var = in[4];
    return eng::batch_norm(in[0], in[1], in[2], p);
  };
}

// With the fused ReLU, perturbing one x (through the batch statistics), gamma or beta moves
// every output of its channel, so an output near 0 makes the finite difference straddle the
// kink: those cases take x = +-(1..2) with alternating signs, beta = 0 and running mean 0.
inline OpCase batch_norm_case(const Shape& s, eng::BatchNormMode mode, bool relu,
                              bool running = true) {
  const Shape c{s[1]};
  std::vector<Input> in = {grad(s, relu ? away_from_zero(1, 2) : normal(2)),
                           param(c, uniform(0.5f, 1.5f)),
                           param(c, relu ? constant(0) : uniform(-0.5f, 0.5f)),
                           state(c, relu ? constant(0) : normal(0.5f)), state(c, positive())};
  if (!running) in[3] = in[4] = absent();
  OpCase k = make_case("batch_norm",
                       eng::str(batch_norm_mode_name(mode), relu ? "+relu " : " ",
                                eng::shape_str(s), running ? "" : " no running stats"),
                       in, Tol::Norm, batch_norm_fn(mode, relu), relu);
  k.plain_output = true;
  // Two values per channel normalise to about +-1 whatever they are: a near step where they are
  // close, no shape for finite differences.
  k.fd = mode == eng::BatchNormMode::EvalRunning || eng::numel_of(s) / s[1] > 2;
  return k;
}

inline std::vector<OpCase> batch_norm_cases() {
  using M = eng::BatchNormMode;
  std::vector<OpCase> cases;
  for (const Shape& s :
       {Shape{6, 3}, Shape{4, 3, 5}, Shape{2, 3, 3, 4}, Shape{1, 1, 3, 3}, Shape{1, 3, 3, 3},
        Shape{2, 17, 5, 5}, Shape{3, 64, 3, 3}, Shape{7, 17}, Shape{2, 64}, Shape{3, 17, 5},
        Shape{1, 3, 4}, Shape{5, 17, 4, 3}, Shape{7, 5}, Shape{3, 6, 10}})
    for (bool relu : {false, true}) {
      for (M mode : {M::Train, M::EvalBatchStats, M::EvalRunning})
        cases.push_back(batch_norm_case(s, mode, relu));
      cases.push_back(batch_norm_case(s, M::EvalBatchStats, relu, false));
    }
  return cases;
}

// ---- relu, linear, matmul, softmax -------------------------------------------------------

inline std::vector<OpCase> relu_cases() {
  std::vector<OpCase> cases;
  for (const Shape& s : {Shape{2, 3, 4, 5}, Shape{1, 1, 3, 3}, Shape{2, 3, 5, 7},
                         Shape{1, 17, 3, 3}, Shape{2, 64, 4, 4}, Shape{7, 17}, Shape{3, 5, 9},
                         Shape{1}, Shape{}, Shape{3, 17, 5, 5}, Shape{7}, Shape{1, 3, 3, 3}})
    cases.push_back(make_case(
        "relu", eng::shape_str(s), {grad(s)}, Tol::Bitwise,
        [](const std::vector<Tensor>& in) { return eng::relu(in[0]); }, true));
  return cases;
}

// x ~ N(0, 1), w ~ N(0, 1/IN), b ~ N(0, 1); `grads`: bits for x, w, b as in conv2d_case.
inline OpCase linear_case(int64_t n, int64_t in, int64_t out, bool bias, int grads = 7) {
  auto role = [grads](int bit, Role r) { return grads & (1 << bit) ? r : Role::Const; };
  std::vector<Input> inputs = {
      {{n, in}, normal(), role(0, Role::Grad)},
      {{out, in}, normal(1.0f / std::sqrt(float(in))), role(1, Role::Param)},
      bias ? Input{{out}, normal(), role(2, Role::Param)} : absent()};
  return make_case(
      "linear",
      eng::str("N", n, " IN", in, " OUT", out, bias ? " bias" : "", grads & 1 ? " +dx" : "",
               grads & 2 ? " +dw" : "", grads & 4 && bias ? " +db" : ""),
      inputs, Tol::Gemm,
      [](const std::vector<Tensor>& v) { return eng::linear(v[0], v[1], v[2]); });
}

inline std::vector<OpCase> linear_cases() {
  std::vector<OpCase> cases;
  for (bool bias : {true, false})  // small
    for (const auto& [n, in, out] :
         std::vector<std::array<int64_t, 3>>{{3, 5, 4}, {1, 7, 1}, {2, 17, 3}})
      cases.push_back(linear_case(n, in, out, bias));
  for (int64_t n : {1, 7, 700})  // the IIC heads 4608 -> k and small odd sizes
    for (int64_t in : {4608, 17})
      for (int64_t out : {10, 50, 1, 3}) cases.push_back(linear_case(n, in, out, true));
  cases.push_back(linear_case(700, 4608, 10, false, 3));
  cases.push_back(linear_case(700, 512, 70, true));  // a ClusterNet5g head
  cases.push_back(linear_case(700, 17, 50, false));
  cases.push_back(linear_case(5, 33, 1, true));
  for (int mask = 0; mask < 7; ++mask) cases.push_back(linear_case(7, 17, 3, true, mask));
  return cases;
}

// The matmul kernel of the family chosen by the CPU backend setting and the device, with its
// transposition flags (the op itself only passes them in its backward pass).
inline Tensor matmul_kernel(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  ENG_DISPATCH3(a, matmul_forward(a, b, ta, tb))
}

inline std::vector<OpCase> matmul_cases() {
  std::vector<OpCase> cases;
  Fn mm = [](const std::vector<Tensor>& in) { return eng::matmul(in[0], in[1]); };
  for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{{{3, 4}, {4, 5}},
                                                                 {{1, 6}, {6, 1}},
                                                                 {{2, 3, 4}, {2, 4, 2}},
                                                                 {{1, 5, 3}, {1, 3, 7}},
                                                                 {{7, 17}, {17, 10}},
                                                                 {{3, 5, 17}, {3, 17, 10}},
                                                                 {{5, 7}, {7, 3}},
                                                                 {{1, 17}, {17, 1}},
                                                                 {{4, 5, 7}, {4, 7, 9}},
                                                                 {{3, 64, 130}, {3, 130, 33}},
                                                                 {{1, 1, 3}, {1, 3, 2}}})
    cases.push_back(make_case("matmul", eng::shape_str(a) + " x " + eng::shape_str(b),
                              {grad(a), grad(b)}, Tol::Gemm, mm));
  // The kernel for every transposition (op(a) [M, K], op(b) [K, N], optionally batched).
  std::vector<std::array<int64_t, 4>> sizes;  // batch (0: 2-D), M, K, N
  for (int64_t M : {1, 7, 700})
    for (int64_t K : {4608, 17})
      for (int64_t N : {10, 50, 1, 3}) sizes.push_back({0, M, K, N});
  for (const auto& s : {std::array<int64_t, 4>{1, 7, 17, 3}, {5, 1, 9, 10}, {3, 33, 65, 50}})
    sizes.push_back(s);
  for (const auto& [batch, M, K, N] : sizes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        Shape a = ta ? Shape{K, M} : Shape{M, K}, b = tb ? Shape{N, K} : Shape{K, N};
        if (batch) a.insert(a.begin(), batch), b.insert(b.begin(), batch);
        cases.push_back(make_case("matmul",
                                  eng::str("kernel B", batch, " M", M, " K", K, " N", N,
                                           ta ? " ta" : "", tb ? " tb" : ""),
                                  {fixed(a), fixed(b)}, Tol::Gemm,
                                  [ta = ta, tb = tb](const std::vector<Tensor>& in) {
                                    return matmul_kernel(in[0], in[1], ta, tb);
                                  }));
      }
  return cases;
}

inline std::vector<OpCase> softmax_cases() {
  std::vector<std::tuple<Shape, int, float>> specs = {
      // shape, dim, input scale
      {{4, 5}, 1, 2.f},     {{1, 3}, 1, 2.f},    {{4, 5}, -1, 2.f},      {{2, 3, 4}, 1, 2.f},
      {{2, 3, 4}, -2, 2.f}, {{2, 3, 4}, 0, 2.f}, {{2, 3, 2, 2}, 1, 2.f}, {{7, 10}, 1, 3.f},
      {{1, 3}, -1, 3.f},    {{3, 5, 4}, 1, 3.f}, {{9, 1}, 1, 3.f},       {{700, 140}, 1, 3.f}};
  for (const Shape& s : {Shape{1, 10}, Shape{7, 3}, Shape{700, 50}, Shape{700, 1}, Shape{3, 140},
                         Shape{5}, Shape{2, 5, 3, 3}, Shape{1, 17, 3, 3}, Shape{2, 3, 7}})
    for (int dim = 0; dim < int(s.size()); ++dim) specs.push_back({s, dim, 3.f});
  std::vector<OpCase> cases;
  for (const auto& [s, dim, scale] : specs)
    cases.push_back(make_case(
        "softmax", eng::shape_str(s) + eng::str(" dim ", dim), {grad(s, normal(scale))}, Tol::Exact,
        [d = dim](const std::vector<Tensor>& in) { return eng::softmax(in[0], d); }));
  return cases;
}

// ---- element-wise, reductions, shape ops -------------------------------------------------

inline Fn unary_fn(Tensor (*op)(const Tensor&, float), float s) {
  return [op, s](const std::vector<Tensor>& in) { return op(in[0], s); };
}

inline std::vector<OpCase> elementwise_cases() {
  using B = Tensor (*)(const Tensor&, const Tensor&);
  const std::vector<std::pair<const char*, B>> ops = {
      {"add", eng::add}, {"sub", eng::sub}, {"mul", eng::mul}, {"div", eng::div}};
  std::vector<std::tuple<int, Shape, Shape, Init>> specs = {
      // op, a, b, init of b
      {0, {2, 3}, {3}, normal()},           {0, {}, {2, 3}, normal()},
      {2, {2, 1, 4}, {1, 3, 1}, normal()},  {2, {1, 3, 3}, {3, 1, 1}, normal()},  // batch 1, 3x3
      {1, {3}, {2, 3}, normal()},           {1, {2, 1}, {2, 5}, normal()},  // broadcast on the left
      {3, {2, 3}, {}, uniform(1.5f, 2.5f)}, {3, {3}, {2, 3}, uniform(0.8f, 2.0f)},
      {2, {5, 7}, {5, 7}, normal()}};
  for (int op = 0; op < 4; ++op)
    for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{{{3, 4, 5}, {3, 4, 5}},
                                                                   {{3, 4, 5}, {4, 1}},
                                                                   {{2, 1, 3}, {5, 1}},
                                                                   {{6, 7}, {1}},
                                                                   {{1, 17}, {9, 1}}})
      specs.push_back({op, a, b, op == 3 ? uniform(0.5f, 2.0f) : normal()});
  std::vector<OpCase> cases;
  for (const auto& [op, a, b, init] : specs)
    cases.push_back(make_case(
        "elementwise", eng::str(ops[op].first, " ", eng::shape_str(a), " ", eng::shape_str(b)),
        {grad(a), grad(b, init)}, Tol::Exact,
        [f = ops[op].second](const std::vector<Tensor>& in) { return f(in[0], in[1]); }));
  Fn log = [](const std::vector<Tensor>& in) { return eng::log(in[0]); };
  const Shape s{4, 17, 3};
  cases.push_back(
      make_case("elementwise", "log [3, 5]", {grad({3, 5}, uniform(0.5f, 3))}, Tol::Exact, log));
  cases.push_back(
      make_case("elementwise", "log [4, 17, 3]", {grad(s, uniform(0.1f, 3))}, Tol::Exact, log));
  // clamp_min: inputs kept at least 0.1 away from the bound, then plain normal ones
  cases.push_back(make_case("elementwise", "clamp_min 0 [4, 10]",
                            {grad({4, 10}, away_from_zero(0.1f, 1.1f))}, Tol::Exact,
                            unary_fn(eng::clamp_min, 0.0f), true));
  cases.push_back(make_case("elementwise", "clamp_min 0.1 [4, 17, 3]", {grad(s)}, Tol::Exact,
                            unary_fn(eng::clamp_min, 0.1f), true));
  for (const auto& [name, op, v] :
       std::vector<std::tuple<const char*, decltype(&eng::add_scalar), float>>{
           {"add_scalar", eng::add_scalar, 3.0f},
           {"add_scalar", eng::add_scalar, 0.75f},
           {"mul_scalar", eng::mul_scalar, -2.5f},
           {"mul_scalar", eng::mul_scalar, -1.5f}})
    for (const Shape& shape : {Shape{2, 3}, s})
      cases.push_back(make_case("elementwise", eng::str(name, " ", v, " ", eng::shape_str(shape)),
                                {grad(shape)}, Tol::Exact, unary_fn(op, v)));
  // A leaf used twice: autograd adds the two gradients (eng::cuda::add_f32 on the GPU).
  cases.push_back(make_case(
      "elementwise", "x*x + x [3, 17, 5]", {grad({3, 17, 5})}, Tol::Exact,
      [](const std::vector<Tensor>& in) { return eng::add(eng::mul(in[0], in[0]), in[0]); }));
  return cases;
}

inline std::vector<OpCase> reduce_cases() {
  struct Spec {
    const char* what;
    Shape shape;
    std::vector<int> dims;  // empty: all, by sum(x) / mean(x)
    bool keepdim;
  };
  const std::vector<Spec> specs = {{"dim 1", {2, 3, 4}, {1}, false},
                                   {"dim 1 keepdim", {2, 3, 4}, {1}, true},
                                   {"dims {0,2}", {2, 3, 4}, {0, 2}, false},
                                   {"dims {0,2} keepdim", {2, 3, 4}, {0, 2}, true},
                                   {"dim -1", {2, 3, 4}, {-1}, false},
                                   {"dims {-3,-2} keepdim", {2, 3, 4}, {-3, -2}, true},
                                   {"all dims", {2, 3, 4}, {0, 1, 2}, false},
                                   {"()", {2, 3, 4}, {}, false},
                                   {"()", {2, 3, 1000}, {}, false},
                                   {"dims {0,2}", {2, 3, 1000}, {0, 2}, false},
                                   {"dim 1 keepdim", {5, 17, 3}, {1}, true},
                                   {"dim -1", {7, 1}, {-1}, false}};
  std::vector<OpCase> cases;
  for (const Spec& s : specs)
    for (bool mean : {false, true})
      cases.push_back(make_case(
          "reduce", eng::str(mean ? "mean " : "sum ", s.what, " of ", eng::shape_str(s.shape)),
          {grad(s.shape)}, Tol::Exact, [s, mean](const std::vector<Tensor>& in) {
            if (s.dims.empty()) return mean ? eng::mean(in[0]) : eng::sum(in[0]);
            return mean ? eng::mean(in[0], s.dims, s.keepdim) : eng::sum(in[0], s.dims, s.keepdim);
          }));
  return cases;
}

inline std::vector<OpCase> shape_ops_cases() {
  using V = std::vector<Tensor>;
  auto c = [](const std::string& name, std::vector<Input> in, Fn f) {
    return make_case("shape_ops", name, std::move(in), Tol::Exact, std::move(f));
  };
  auto permute = [](std::vector<int> d) {
    return [d](const V& in) { return eng::permute(in[0], d); };
  };
  auto transpose = [](int a, int b) {
    return [a, b](const V& in) { return eng::transpose(in[0], a, b); };
  };
  auto cat = [](int dim) { return [dim](const V& in) { return eng::concat(in, dim); }; };
  auto slice = [](int dim, int64_t start, int64_t len) {
    return [=](const V& in) { return eng::slice(in[0], dim, start, len); };
  };
  const Shape x4{2, 3, 4, 5};
  return {
      c("reshape [2, 3, 4] -> [4, -1]", {grad({2, 3, 4})},
        [](const V& in) {
          return eng::reshape(in[0], {4, -1});
        }),
      c("flatten [2, 3, 4] from 1", {grad({2, 3, 4})},
        [](const V& in) { return eng::flatten(in[0]); }),
      c("2 * reshape [2, 3, 4, 5] -> [6, -1]", {grad(x4)},
        [](const V& in) {
          return eng::mul_scalar(eng::reshape(in[0], {6, -1}), 2.0f);
        }),
      c("2 * flatten [2, 3, 4, 5] from 1", {grad(x4)},
        [](const V& in) { return eng::mul_scalar(eng::flatten(in[0], 1), 2.0f); }),
      c("permute [2, 3, 4] {2,0,1}", {grad({2, 3, 4})}, permute({2, 0, 1})),
      c("permute [1, 3, 3, 5] {0,2,3,1}", {grad({1, 3, 3, 5})}, permute({0, 2, 3, 1})),
      c("permute [2, 3, 1, 4] {3,1,0,2}", {grad({2, 3, 1, 4})}, permute({3, 1, 0, 2})),
      c("permute [2, 3, 4, 5] {2,0,3,1}", {grad(x4)}, permute({2, 0, 3, 1})),
      c("transpose [3, 5] (0,1)", {grad({3, 5})}, transpose(0, 1)),
      c("transpose [2, 3, 4] (0,-1)", {grad({2, 3, 4})}, transpose(0, -1)),
      c("transpose [3, 1, 7] (0,2)", {grad({3, 1, 7})}, transpose(0, 2)),
      c("concat dim 0 of [1, 3, 2], [2, 3, 2], [3, 3, 2]",
        {grad({1, 3, 2}), grad({2, 3, 2}), grad({3, 3, 2})}, cat(0)),
      c("concat dim 1 of [2, 1, 3], [2, 4, 3], [2, 2, 3]",
        {grad({2, 1, 3}), grad({2, 4, 3}), grad({2, 2, 3})}, cat(1)),
      c("concat dim 0 of [1, 5], [3, 5]", {grad({1, 5}), grad({3, 5})}, cat(0)),
      c("slice [2, 5, 3] dim 1 from 1 length 3", {grad({2, 5, 3})}, slice(1, 1, 3)),
      c("slice [4, 3] dim 0 from 3 length 1", {grad({4, 3})}, slice(0, 3, 1)),
      c("slice [3, 7, 2] dim 1 from 2 length 3", {grad({3, 7, 2})}, slice(1, 2, 3)),
      // slices taken back together give the input, and the gradients of both halves combine
      c("concat of two slices of [4, 3]", {grad({4, 3})},
        [](const V& in) {
          return eng::concat({eng::slice(in[0], 0, 2, 2), eng::slice(in[0], 0, 0, 2)}, 0);
        }),
  };
}

// ---- the table ---------------------------------------------------------------------------

inline std::vector<OpCase> all_op_cases() {
  std::vector<OpCase> all;
  for (auto* part :
       {conv2d_cases, sobel_cases, pool2d_cases, batch_norm_cases, relu_cases, linear_cases,
        matmul_cases, softmax_cases, elementwise_cases, reduce_cases, shape_ops_cases})
    for (OpCase& c : part()) all.push_back(std::move(c));
  return all;
}

inline const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> table = all_op_cases();
  return table;
}

inline const OpCase& op_case(const std::string& name) {
  for (const OpCase& c : op_cases())
    if (c.name == name) return c;
  throw eng::Error("op_cases: no case " + name);
}

// The ops of the table, in its order.
inline std::vector<std::string> table_ops() {
  std::vector<std::string> ops;
  for (const OpCase& c : op_cases())
    if (ops.empty() || ops.back() != c.op) ops.push_back(c.op);
  return ops;
}

}  // namespace optest
