// reduce.hpp — sum and mean over chosen dimensions (negative dims count from the end).
//   sum(x, {0, 2}, keepdim)   sum(x) = sum of all elements, shape []
// Backward broadcasts dy back over the reduced dimensions (divided by the count for mean).
// Sums accumulate in double within each output element and in a fixed order, so the result does
// not depend on the thread count.
#pragma once
#include <vector>

#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);

// dims: sorted, unique, non-negative. The output keeps the reduced dimensions as size 1.
// broadcast_to expands size-1 dimensions of g (same rank as shape) to shape.
#define ENG_REDUCE_KERNELS                                           \
  Tensor sum_forward(const Tensor& x, const std::vector<int>& dims); \
  Tensor broadcast_to(const Tensor& g, const Shape& shape);
ENG_DECLARE_KERNELS(ENG_REDUCE_KERNELS)

}  // namespace eng
