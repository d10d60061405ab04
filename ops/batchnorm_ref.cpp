// batchnorm_ref.cpp — reference batch-norm kernels (eng::ref): plain C++ + OpenMP over the
// channels. x is viewed as [N, C, S] (S = 1, L or H*W): channel c is N contiguous rows of S
// values. Each channel's sums run in double, in a fixed order (row by row), on one thread:
// deterministic. Inputs of any layout are read through plain(); y and dx are plain. The fused
// ReLU's mask is y > 0 (the saved output).
#include <cmath>
#include <vector>

#include "ops/batchnorm.hpp"

namespace eng::ref {
namespace {

// x as [N, C, S].
struct Dims {
  int64_t n, c, s;
  explicit Dims(const Tensor& x) : n(x.size(0)), c(x.size(1)), s(x.numel() / (n * c)) {}
  int64_t count() const { return n * s; }                                  // values per channel
  int64_t row(int64_t in, int64_t ic) const { return (in * c + ic) * s; }  // offset of (n, c, 0)
};

// Biased mean and variance of channel c (two passes, double accumulation).
void channel_stats(const float* xs, const Dims& d, int64_t c, float* mean, float* var) {
  double sum = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const float* x = xs + d.row(n, c);
    for (int64_t s = 0; s < d.s; ++s) sum += x[s];
  }
  const double mu = sum / double(d.count());
  double sq = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const float* x = xs + d.row(n, c);
    for (int64_t s = 0; s < d.s; ++s) sq += (x[s] - mu) * (x[s] - mu);
  }
  *mean = float(mu);
  *var = float(sq / double(d.count()));
}

}  // namespace

Tensor batch_norm_forward(const Tensor& x_in, const Tensor& gamma_in, const Tensor& beta_in,
                          const BatchNormParams& p, BatchNormSaved* saved) {
  Tensor x = x_in.plain(), gamma = gamma_in.plain(), beta = beta_in.plain();
  const Dims d(x);
  const bool batch_stats = p.mode != BatchNormMode::EvalRunning;
  Tensor mean = Tensor::empty({d.c}), inv_std = Tensor::empty({d.c});
  std::vector<float> var(d.c);
  Tensor y = Tensor::empty(x.shape());
  const float* xs = x.data();
  const float* g = gamma.data();
  const float* b = beta.data();
  const float* rm = batch_stats ? nullptr : p.running_mean.data();
  const float* rv = batch_stats ? nullptr : p.running_var.data();
  float* ms = mean.data();
  float* is = inv_std.data();
  float* ys = y.data();
  const bool relu = p.relu;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < d.c; ++c) {
    if (batch_stats) {
      channel_stats(xs, d, c, &ms[c], &var[c]);
    } else {
      ms[c] = rm[c];
      var[c] = rv[c];
    }
    is[c] = float(1.0 / std::sqrt(double(var[c]) + double(p.eps)));
    // y = gamma * (x - mean) * inv_std + beta, then the optional ReLU.
    const float m = ms[c], scale = g[c] * is[c], shift = b[c];
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t i = d.row(n, c), end = i + d.s; i < end; ++i) {
        const float v = (xs[i] - m) * scale + shift;
        ys[i] = relu && v < 0.0f ? 0.0f : v;
      }
  }
  if (p.mode == BatchNormMode::Train && p.running_mean.defined())
    batch_norm_update_running(p, ms, var.data(), d.count());
  if (saved) *saved = {mean, inv_std, y, Tensor()};
  return y;
}

BatchNormGrads batch_norm_backward(const Tensor& x_in, const Tensor& gamma_in, const Tensor& dy_in,
                                   const BatchNormParams& p, const BatchNormSaved& saved) {
  Tensor x = x_in.plain(), gamma = gamma_in.plain(), dy = dy_in.plain();
  Tensor y = p.relu ? saved.y.plain() : Tensor();
  const Dims d(x);
  const bool batch_stats = p.mode != BatchNormMode::EvalRunning;
  BatchNormGrads grads{Tensor::empty(x.shape()), Tensor::empty({d.c}), Tensor::empty({d.c})};
  const float* xs = x.data();
  const float* gs = dy.data();
  const bool relu = p.relu;
  const float* ys = relu ? y.data() : nullptr;
  const float* g = gamma.data();
  const float* ms = saved.mean.data();
  const float* is = saved.inv_std.data();
  float* dxs = grads.dx.data();
  float* dg = grads.dgamma.data();
  float* db = grads.dbeta.data();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < d.c; ++c) {
    const float m = ms[c], k = is[c];
    // dout = dL/d(pre-ReLU output): dy, masked by y > 0 under the fused ReLU. It is kept in dx
    // until the second pass overwrites it.
    double sum_dout = 0, sum_dout_xhat = 0;  // dbeta, dgamma
    for (int64_t n = 0; n < d.n; ++n) {
      const int64_t begin = d.row(n, c), end = begin + d.s;
      for (int64_t i = begin; i < end; ++i) dxs[i] = relu && !(ys[i] > 0.0f) ? 0.0f : gs[i];
      for (int64_t i = begin; i < end; ++i) {
        sum_dout += dxs[i];
        sum_dout_xhat += dxs[i] * ((xs[i] - m) * k);
      }
    }
    db[c] = float(sum_dout);
    dg[c] = float(sum_dout_xhat);
    // Batch statistics: dx = gamma * inv_std * (dout - mean(dout) - xhat * mean(dout * xhat));
    // running statistics are constants: dx = gamma * inv_std * dout.
    const float mean_dout = batch_stats ? float(sum_dout / double(d.count())) : 0.0f;
    const float mean_dout_xhat = batch_stats ? float(sum_dout_xhat / double(d.count())) : 0.0f;
    const float scale = g[c] * k;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t i = d.row(n, c), end = i + d.s; i < end; ++i)
        dxs[i] = scale * (dxs[i] - mean_dout - (xs[i] - m) * k * mean_dout_xhat);
  }
  return grads;
}

}  // namespace eng::ref
