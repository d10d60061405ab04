// batchnorm.cpp — the public batch_norm op (see batchnorm.hpp): validation of the input, the
// affine parameters and the running statistics for the mode; dispatch to the ref / oneDNN /
// CUDA kernels; the recorded backward. Also the running-statistics update the CPU kernels share.
#include "ops/batchnorm.hpp"
#include "engine/autograd.hpp"

namespace eng {

void batch_norm_update_running(const BatchNormParams& p, const float* mean, const float* var,
                               int64_t count) {
  float* rm = Tensor(p.running_mean).data();
  float* rv = Tensor(p.running_var).data();
  const double m = p.momentum, unbias = double(count) / double(count - 1);
  for (int64_t c = 0; c < p.running_mean.numel(); ++c) {
    rm[c] = float((1.0 - m) * rm[c] + m * mean[c]);
    rv[c] = float((1.0 - m) * rv[c] + m * var[c] * unbias);
  }
}

namespace {

const char* kOp = "batch_norm";

// A [C] parameter or statistic: defined, float32, 1-D of size C, on x's device, plain.
void check_channel_vector(const char* what, const Tensor& t, const Tensor& x) {
  ENG_CHECK(t.defined(), kOp, what, " is undefined");
  ENG_CHECK(t.dtype() == DType::F32 && t.is_plain(), kOp, what,
            " must be a plain float32 tensor, got ", t.describe());
  ENG_CHECK(t.ndim() == 1 && t.size(0) == x.size(1), kOp, what, " must be [", x.size(1),
            "] for input ", shape_str(x.shape()), ", got ", shape_str(t.shape()));
  check_same_device(kOp, x, t);
}

void check_inputs(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const BatchNormParams& p) {
  ENG_CHECK(x.defined(), kOp, "input is undefined");
  ENG_CHECK(x.ndim() >= 2 && x.ndim() <= 4, kOp,
            "input must be 2-D (N,C), 3-D (N,C,L) or 4-D (N,C,H,W), got ", shape_str(x.shape()));
  ENG_CHECK(x.dtype() == DType::F32, kOp, "needs a float32 input, got ", x.describe());
  ENG_CHECK(x.numel() > 0, kOp, "empty input ", shape_str(x.shape()));
  check_channel_vector("gamma", gamma, x);
  check_channel_vector("beta", beta, x);
  ENG_CHECK(p.eps > 0.0f, kOp, "eps must be positive, got ", p.eps);
  ENG_CHECK(p.momentum >= 0.0f && p.momentum <= 1.0f, kOp, "momentum must be in [0, 1], got ",
            p.momentum);
  const bool has_mean = p.running_mean.defined(), has_var = p.running_var.defined();
  ENG_CHECK(has_mean == has_var, kOp,
            "running_mean and running_var must be given together, got running_mean ",
            p.running_mean.describe(), " and running_var ", p.running_var.describe());
  ENG_CHECK(has_mean || p.mode != BatchNormMode::EvalRunning, kOp,
            "mode EvalRunning needs running_mean and running_var, none given (input ",
            shape_str(x.shape()), ")");
  if (has_mean) {
    check_channel_vector("running_mean", p.running_mean, x);
    check_channel_vector("running_var", p.running_var, x);
  }
  if (p.mode != BatchNormMode::EvalRunning)
    ENG_CHECK(x.numel() / x.size(1) > 1, kOp,
              "batch statistics need more than 1 value per channel, got input ",
              shape_str(x.shape()));
}

Tensor forward_kernel(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                      const BatchNormParams& p, BatchNormSaved* saved) {
  ENG_DISPATCH3(x, batch_norm_forward(x, gamma, beta, p, saved));
}

BatchNormGrads backward_kernel(const Tensor& x, const Tensor& gamma, const Tensor& dy,
                               const BatchNormParams& p, const BatchNormSaved& saved) {
  ENG_DISPATCH3(x, batch_norm_backward(x, gamma, dy, p, saved));
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const BatchNormParams& p) {
  check_inputs(x, gamma, beta, p);
  BatchNormSaved saved;
  Tensor y = forward_kernel(x, gamma, beta, p, &saved);
  // The closure lives in y's own node: it must not hold y's impl (a cycle), only its storage.
  saved.y = saved.y.defined() ? saved.y.detach() : Tensor();
  record(y, kOp, {x, gamma, beta},
         [x = x.detach(), gamma = gamma.detach(), p, saved](const Tensor& dy) {
           BatchNormGrads g = backward_kernel(x, gamma, dy, p, saved);
           return std::vector<Tensor>{g.dx, g.dgamma, g.dbeta};
         });
  return y;
}

}  // namespace eng
