// test_batchnorm.cpp — batch_norm (+ fused ReLU) beyond the op table (tests/op_cases.hpp, whose
// cases test_ops runs in all three modes for parity of every kernel family and finite
// differences): hand-computed outputs and running-statistics updates in all three modes, 1-D and
// 2-D inputs, oneDNN on blocked layouts (also through a bn -> relu -> pool chain that must never
// leave the blocked layout), bit-for-bit reruns, input errors.
#define BOOST_TEST_MODULE batchnorm
#include <cmath>

#include "ops/batchnorm.hpp"
#include "ops/pool2d.hpp"
#include "ops/relu.hpp"
#include "tests/op_cases.hpp"
#ifdef ENG_HAVE_ONEDNN
#include "ops/onednn_common.hpp"
#endif

using eng::BatchNormMode;
using eng::BatchNormParams;
using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using optest::Role;
using testing::expect_error;

namespace {

const std::vector<BatchNormMode> kModes{BatchNormMode::Train, BatchNormMode::EvalBatchStats,
                                        BatchNormMode::EvalRunning};

std::string describe(BatchNormMode m, bool relu, const Shape& s) {
  return eng::str("batch_norm ", optest::batch_norm_mode_name(m), relu ? "+relu " : " ",
                  eng::shape_str(s));
}

// Parameters with private copies of the running statistics (each run starts from the same).
BatchNormParams params(BatchNormMode mode, bool relu, const Tensor& rm, const Tensor& rv) {
  BatchNormParams p;
  p.mode = mode;
  p.relu = relu;
  p.running_mean = rm.clone();
  p.running_var = rv.clone();
  return p;
}

// Random affine parameters and running statistics for C channels.
struct Channels {
  Tensor gamma, beta, rm, rv;
  Channels(int64_t c, eng::Rng& rng)
      : gamma(testing::uniform({c}, rng, 0.5f, 1.5f)),
        beta(testing::uniform({c}, rng, -0.5f, 0.5f)),
        rm(testing::randn({c}, rng, 0.5f)),
        rv(testing::uniform({c}, rng, 0.5f, 2.0f)) {}
};

const std::vector<Role> kRoles{Role::Grad, Role::Param, Role::Param, Role::State, Role::State};

// batch_norm (optest::batch_norm_fn) of x with ch on backend b, backward with `seed`; the
// running statistics after the run are r.after[3] and r.after[4].
optest::Run run(CpuBackend b, BatchNormMode mode, bool relu, const Tensor& x, const Channels& ch,
                const Tensor& seed) {
  return optest::run(optest::family_of(b), optest::batch_norm_fn(mode, relu),
                     {x, ch.gamma, ch.beta, ch.rm, ch.rv}, kRoles, seed,
                     describe(mode, relu, x.shape()));
}

#ifdef ENG_HAVE_ONEDNN
Tensor blocked(const Tensor& t, dnnl::memory::format_tag tag) {
  return eng::onednn::to_desc(t, eng::onednn::tagged_desc(t.shape(), tag));
}
#endif

}  // namespace
// x [4, 2]: channel 0 = {1, 2, 3, 6} (mean 3, biased var 3.5, unbiased 14/3),
//           channel 1 = {0, 0, 4, 4} (mean 2, biased var 4, unbiased 16/3).
BOOST_AUTO_TEST_CASE(hand_values_and_running_statistics) {
  const Tensor x = Tensor::from_vector({4, 2}, {1, 0, 2, 0, 3, 4, 6, 4});
  const Tensor gamma = Tensor::from_vector({2}, {2.0f, 0.5f});
  const Tensor beta = Tensor::from_vector({2}, {0.1f, -1.0f});
  const Tensor rm = Tensor::from_vector({2}, {1.0f, -2.0f});
  const Tensor rv = Tensor::from_vector({2}, {1.0f, 2.0f});
  const double eps = 1e-5;
  // expected(mean, var): gamma * (x - mean) / sqrt(var + eps) + beta, optionally relu'd.
  auto expected = [&](const double mean[2], const double var[2], bool relu) {
    std::vector<float> v = x.to_vector(), g = gamma.to_vector(), b = beta.to_vector();
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t c = i % 2;
      const double y = g[c] * (v[i] - mean[c]) / std::sqrt(var[c] + eps) + b[c];
      v[i] = float(relu ? std::max(y, 0.0) : y);
    }
    return Tensor::from_vector({4, 2}, v);
  };
  const double batch_mean[2] = {3, 2}, batch_var[2] = {3.5, 4};
  const double run_mean[2] = {1, -2}, run_var[2] = {1, 2};
  for (CpuBackend b : testing::all_cpu_backends())
    for (bool relu : {false, true}) {
      eng::CpuBackendGuard guard(b);
      const std::string on =
          eng::str(relu ? " relu" : "", " on ", eng::kernel_name(eng::pick_kernel(x)));
      BatchNormParams p = params(BatchNormMode::Train, relu, rm, rv);
      p.momentum = 0.25f;
      testing::check_close(eng::batch_norm(x, gamma, beta, p),
                           expected(batch_mean, batch_var, relu), 1e-5, 1e-6, "Train y" + on);
      // r = 0.75 r + 0.25 batch (unbiased var): mean {1.5, -1}, var {0.75 + 7/6, 1.5 + 4/3}.
      testing::check_close(p.running_mean, Tensor::from_vector({2}, {1.5f, -1.0f}), 1e-6, 0,
                           "Train running_mean" + on);
      testing::check_close(p.running_var, Tensor::from_vector({2}, {1.9166667f, 2.8333333f}), 1e-6,
                           0, "Train running_var" + on);

      p = params(BatchNormMode::EvalBatchStats, relu, rm, rv);
      testing::check_close(eng::batch_norm(x, gamma, beta, p),
                           expected(batch_mean, batch_var, relu), 1e-5, 1e-6,
                           "EvalBatchStats y" + on);
      BOOST_TEST(p.running_mean.to_vector() == rm.to_vector(), boost::test_tools::per_element());
      BOOST_TEST(p.running_var.to_vector() == rv.to_vector(), boost::test_tools::per_element());

      p = params(BatchNormMode::EvalRunning, relu, rm, rv);
      testing::check_close(eng::batch_norm(x, gamma, beta, p), expected(run_mean, run_var, relu),
                           1e-5, 1e-6, "EvalRunning y" + on);
      BOOST_TEST(p.running_mean.to_vector() == rm.to_vector(), boost::test_tools::per_element());
      BOOST_TEST(p.running_var.to_vector() == rv.to_vector(), boost::test_tools::per_element());
    }
}

// [2, 1, 2] and [2, 1, 1, 2] with values {1, 3, 5, 7}: one channel, mean 4, biased var 5.
BOOST_AUTO_TEST_CASE(one_d_and_two_d_inputs_pool_over_batch_and_space) {
  const std::vector<float> v{1, 3, 5, 7};
  std::vector<float> want;
  for (float a : v) want.push_back(float((a - 4.0) / std::sqrt(5.0 + 1e-5)));
  for (CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    for (const Shape& s : {Shape{2, 1, 2}, Shape{2, 1, 1, 2}}) {
      BatchNormParams p;
      Tensor y = eng::batch_norm(Tensor::from_vector(s, v), Tensor::full({1}, 1.0f),
                                 Tensor::zeros({1}), p);
      testing::check_close(y, Tensor::from_vector(s, want), 1e-5, 1e-6,
                           "batch_norm " + eng::shape_str(s));
    }
  }
}

BOOST_AUTO_TEST_CASE(reruns_are_bit_for_bit) {
  eng::Rng rng(41);
  const Shape s{3, 17, 5, 5};
  Channels ch(17, rng);
  Tensor x = testing::randn(s, rng), seed = testing::randn(s, rng);
  for (CpuBackend b : testing::all_cpu_backends()) {
    // y, dx, dgamma, dbeta and the running statistics
    const std::vector<float> first =
        optest::values_of(run(b, BatchNormMode::Train, true, x, ch, seed));
    const std::vector<float> again =
        optest::values_of(run(b, BatchNormMode::Train, true, x, ch, seed));
    BOOST_TEST((again == first), "rerun on backend " << int(b));
  }
}

#ifdef ENG_HAVE_ONEDNN
BOOST_AUTO_TEST_CASE(onednn_keeps_blocked_layouts) {
  using tag = dnnl::memory::format_tag;
  eng::Rng rng(43);
  const std::vector<std::pair<Shape, tag>> cases{{{2, 17, 5, 5}, tag::nChw16c},
                                                 {{1, 64, 3, 3}, tag::nChw16c},
                                                 {{2, 3, 4, 4}, tag::nChw8c},
                                                 {{2, 5, 3, 3}, tag::nhwc}};
  for (const auto& [s, t] : cases) {
    Channels ch(s[1], rng);
    Tensor x = testing::randn(s, rng, 2.0f), seed = testing::randn(s, rng);
    Tensor xb = blocked(x, t);
    for (BatchNormMode mode : kModes)
      for (bool relu : {false, true}) {
        const std::string what = describe(mode, relu, s) + " blocked";
        optest::Run want = run(CpuBackend::Reference, mode, relu, x, ch, seed);
        for (const Tensor& in : {xb, x})                       // x blocked or plain
          for (const Tensor& sd : {seed, blocked(seed, t)}) {  // dy plain or blocked
            optest::Run got = run(CpuBackend::OneDNN, mode, relu, in, ch, sd);
            const Tensor& y = got.out;
            BOOST_TEST(
                (in.is_plain() ? y.is_plain() : y.layout() && y.layout()->same_as(*in.layout())),
                what << ": input " << in.describe() << " gave " << y.describe());
            optest::check_against(got, want, eng::Kernel::OneDNN, kRoles,
                                  optest::tolerance(optest::Tol::Norm, eng::Kernel::OneDNN), what);
          }
        BatchNormParams p = params(mode, relu, ch.rm, ch.rv);
        eng::BatchNormSaved saved;
        eng::onednn::batch_norm_forward(xb, ch.gamma, ch.beta, p, &saved);
        Tensor dx = eng::onednn::batch_norm_backward(xb, ch.gamma, seed, p, saved).dx;
        BOOST_TEST((dx.layout() && dx.layout()->same_as(*xb.layout())), what << ": dx layout");
      }
  }
}

// conv-like blocked activations through bn -> relu -> max_pool and fused bn+relu -> avg_pool:
// every intermediate stays blocked, and values and gradients match the plain reference chain.
BOOST_AUTO_TEST_CASE(blocked_chain_never_reorders) {
  eng::Rng rng(47);
  const Shape s{2, 17, 6, 6};
  Channels ch(17, rng);
  Tensor x = testing::randn(s, rng, 2.0f);
  Tensor seed = testing::randn({2, 17, 3, 3}, rng);
  for (bool fused : {false, true}) {
    const std::string what = fused ? "bn+relu -> avg_pool" : "bn -> relu -> max_pool";
    auto chain = [&](const std::vector<Tensor>& in) {
      const bool onednn = eng::pick_kernel(in[0]) == eng::Kernel::OneDNN;
      BatchNormParams p = params(BatchNormMode::Train, fused, ch.rm, ch.rv);
      Tensor h = eng::batch_norm(in[0], in[1], ch.beta, p);
      if (onednn) BOOST_TEST((h.layout() && h.layout()->same_as(*in[0].layout())));
      if (!fused) h = eng::relu(h);
      if (onednn) BOOST_TEST((h.layout() && h.layout()->same_as(*in[0].layout())));
      Tensor y = fused ? eng::avg_pool2d(h, eng::Pool2dParams::square(2, 2))
                       : eng::max_pool2d(h, eng::Pool2dParams::square(2, 2));
      if (onednn) BOOST_TEST((y.layout() && y.layout()->name() == in[0].layout()->name()));
      return y;
    };
    const std::vector<Role> roles{Role::Grad, Role::Param};
    optest::Run want = optest::run(eng::Kernel::Reference, chain, {x, ch.gamma}, roles, seed, what);
    optest::Run got =
        optest::run(eng::Kernel::OneDNN, chain,
                    {blocked(x, dnnl::memory::format_tag::nChw16c), ch.gamma}, roles, seed, what);
    optest::check_against(got, want, eng::Kernel::OneDNN, roles,
                          optest::tolerance(optest::Tol::Norm, eng::Kernel::OneDNN), what);
  }
}

BOOST_AUTO_TEST_CASE(onednn_fused_backward_without_its_workspace_is_an_error) {
  Tensor x = Tensor::from_vector({2, 2}, {1, 2, 3, 5});
  x.set_requires_grad(true);
  BatchNormParams p;
  p.relu = true;
  Tensor y;
  {
    eng::CpuBackendGuard guard(CpuBackend::Reference);  // leaves no oneDNN workspace
    y = eng::batch_norm(x, Tensor::full({2}, 1.0f), Tensor::zeros({2}), p);
  }
  eng::CpuBackendGuard guard(CpuBackend::OneDNN);
  expect_error([&] { eng::run_backward(y, Tensor::full(y.shape(), 1.0f)); },
               {"batch_norm", "workspace", "[2, 2]"});
}
#endif

BOOST_AUTO_TEST_CASE(bad_inputs_are_reported) {
  const Tensor g3 = Tensor::full({3}, 1.0f), b3 = Tensor::zeros({3});
  const Tensor x = Tensor::zeros({4, 3});
  auto bn = [](const Tensor& x, const Tensor& g, const Tensor& b, const BatchNormParams& p) {
    return [=] { eng::batch_norm(x, g, b, p); };
  };
  BatchNormParams train, eval_running;
  eval_running.mode = BatchNormMode::EvalRunning;
  BatchNormParams half = train, wrong_var = train;
  half.running_mean = Tensor::zeros({3});
  wrong_var.running_mean = Tensor::zeros({3});
  wrong_var.running_var = Tensor::zeros({4});
  for (CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    expect_error(bn(Tensor::zeros({3}), g3, b3, train), {"batch_norm", "2-D", "4-D", "[3]"});
    expect_error(bn(Tensor::zeros({1, 3, 2, 2, 2}), g3, b3, train),
                 {"batch_norm", "[1, 3, 2, 2, 2]"});
    expect_error(bn(Tensor::zeros({0, 3}), g3, b3, train), {"batch_norm", "empty", "[0, 3]"});
    expect_error(bn(x, Tensor::full({2}, 1.0f), b3, train),
                 {"batch_norm", "gamma must be [3]", "[4, 3]", "got [2]"});
    expect_error(bn(x, g3, Tensor::zeros({3, 1}), train),
                 {"batch_norm", "beta must be [3]", "got [3, 1]"});
    expect_error(bn(x, Tensor(), b3, train), {"batch_norm", "gamma is undefined"});
    expect_error(bn(x, g3, b3, eval_running),
                 {"batch_norm", "EvalRunning", "running_mean and running_var", "[4, 3]"});
    expect_error(bn(x, g3, b3, half), {"batch_norm", "together"});
    expect_error(bn(x, g3, b3, wrong_var), {"batch_norm", "running_var must be [3]", "got [4]"});
    expect_error(bn(Tensor::zeros({1, 3}), g3, b3, train),
                 {"batch_norm", "more than 1 value per channel", "[1, 3]"});
    expect_error(bn(Tensor::zeros({1, 3, 1, 1}), g3, b3, train),
                 {"batch_norm", "more than 1 value per channel", "[1, 3, 1, 1]"});
  }
}
