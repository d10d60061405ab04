// matmul.hpp — matrix product, 2-D or batched 3-D, forward + backward.
//   a: [M, K] or [B, M, K];  b: [K, N] or [B, K, N] (same rank, same B)  ->  [.., M, N]
// The kernel takes transposition flags so that the backward pass (da = dy b^T, db = a^T dy)
// reuses it: op(a) = ta ? a^T : a over the last two dimensions.
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

Tensor matmul(const Tensor& a, const Tensor& b);

#define ENG_MATMUL_KERNELS \
  Tensor matmul_forward(const Tensor& a, const Tensor& b, bool ta, bool tb);
ENG_DECLARE_KERNELS(ENG_MATMUL_KERNELS)

}  // namespace eng
