// iic_loss.hpp — the IIC objective (paper eq. 3) exactly as the authors' code computes it.
//
// For softmax outputs z, z_tf of one batch of paired samples ([n, k] each):
//   P   = z^T z_tf  (summed over the batch)      P = (P + P^T) / 2      P = P / sum(P)
//   P_i = row sums of P ([k, 1]),  P_j = column sums of P ([1, k])   (from the unclamped P)
//   P, P_i, P_j each clamped to at least EPS = 2.220446049250313e-16 (float64 machine epsilon;
//   zero gradient where clamped, like the authors' masked assignment)
//   loss         = -sum_ij P_ij (log P_ij - lambda log P_i - lambda log P_j)
//   loss_no_lamb = the same with lambda = 1 (reported by the authors' code; no gradient)
// Built from the public ops (matmul, transpose, add, mul_scalar, div, sum, clamp_min, log, mul,
// sub), so autograd supplies the gradient and it runs wherever the ops run (CPU or CUDA).
//
// iic_loss_subheads evaluates all S sub-heads of a head at once: z, z_tf [S, n, k] -> [S]
// (batched 3-D matmul); entry s equals iic_loss(z[s], z_tf[s]).
// Inputs must be defined float32 tensors on one device with equal shapes, n >= 1 and k >= 1;
// their values are not inspected (that would synchronise the GPU): pass probabilities.
#pragma once
#include "engine/tensor.hpp"

namespace iic {

constexpr float kIicEps = 2.220446049250313e-16f;  // 2^-52, exact in float32

struct IicLoss {
  eng::Tensor loss;          // [] for [n, k] inputs, [S] for [S, n, k]; differentiable
  eng::Tensor loss_no_lamb;  // same shape, detached (no graph)
};

// Both values for [n, k] or [S, n, k] inputs.
IicLoss iic_loss_terms(const eng::Tensor& z, const eng::Tensor& z_tf, float lambda = 1.0f);

// z, z_tf: [n, k] -> scalar loss (shape []).
eng::Tensor iic_loss(const eng::Tensor& z, const eng::Tensor& z_tf, float lambda = 1.0f);

// z, z_tf: [S, n, k] -> per-sub-head losses [S].
eng::Tensor iic_loss_subheads(const eng::Tensor& z, const eng::Tensor& z_tf, float lambda = 1.0f);

}  // namespace iic
