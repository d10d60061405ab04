// batchnorm.hpp — batch normalisation over the channel dimension, optionally fused with ReLU.
//
//   x: [N, C] (1-D), [N, C, L] (1-D) or [N, C, H, W] (2-D); gamma, beta: [C].
//   y = gamma * (x - mean_c) / sqrt(var_c + eps) + beta, then max(y, 0) when p.relu.
// Modes:
//   Train          mean/var of this batch (biased var); running stats, if given, updated in place:
//                  r = (1 - momentum) * r + momentum * batch_stat (unbiased var), as PyTorch.
//   EvalBatchStats normalise by this batch's statistics, running stats untouched — what the IIC
//                  authors ran in evaluation (track_running_stats=False).
//   EvalRunning    normalise by the running statistics (must be given).
// Backward is defined for Train and EvalBatchStats (batch statistics are differentiated through)
// and for EvalRunning (affine). dgamma/dbeta are returned plain; dx may carry a layout.
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

enum class BatchNormMode { Train, EvalBatchStats, EvalRunning };

struct BatchNormParams {
  BatchNormMode mode = BatchNormMode::Train;
  float eps = 1e-5f;
  float momentum = 0.1f;
  bool relu = false;    // fuse a ReLU after the affine transform
  Tensor running_mean;  // [C] or undefined
  Tensor running_var;   // [C] or undefined
};

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const BatchNormParams& p);

// For the CPU kernels (Train mode): the in-place update of p's running statistics from this
// batch's per-channel mean and biased variance over `count` values per channel (the variance
// is unbiased by count / (count - 1) here).
void batch_norm_update_running(const BatchNormParams& p, const float* mean, const float* var,
                               int64_t count);

// What the forward pass leaves for the backward pass.
struct BatchNormSaved {
  Tensor mean;       // [C] statistics used to normalise
  Tensor inv_std;    // [C] 1 / sqrt(var + eps)
  Tensor y;          // the output (needed for the fused ReLU's mask)
  Tensor workspace;  // backend-specific, may be undefined
};

struct BatchNormGrads {
  Tensor dx, dgamma, dbeta;
};

#define ENG_BATCHNORM_KERNELS                                                                \
  Tensor batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,        \
                            const BatchNormParams& p, BatchNormSaved* saved);                \
  BatchNormGrads batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& dy, \
                                     const BatchNormParams& p, const BatchNormSaved& saved);
ENG_DECLARE_KERNELS(ENG_BATCHNORM_KERNELS)

}  // namespace eng
