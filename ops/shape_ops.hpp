// shape_ops.hpp — reshape, flatten, permute/transpose, concat, slice.
//   reshape(x, shape)        same data, new shape (one -1 allowed); shares storage when plain
//   flatten(x, start_dim)    [d0.., d_start * ... * d_last]
//   permute(x, dims)         y.shape[i] = x.shape[dims[i]]; copies into the new order
//   transpose(x, d0, d1)     permute swapping two dimensions
//   concat(xs, dim)          join along dim; other dimensions must match
//   slice(x, dim, start, n)  elements start..start+n-1 along dim (a copy)
// Backward: reshape back, inverse permutation, slices of dy, dy scattered into zeros.
#pragma once
#include <vector>

#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int start_dim = 1);
Tensor permute(const Tensor& x, const std::vector<int>& dims);
Tensor transpose(const Tensor& x, int d0, int d1);
Tensor concat(const std::vector<Tensor>& xs, int dim);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t length);

#define ENG_SHAPE_KERNELS                                                        \
  Tensor permute_forward(const Tensor& x, const std::vector<int>& dims);         \
  Tensor concat_forward(const std::vector<Tensor>& xs, int dim);                 \
  Tensor slice_forward(const Tensor& x, int dim, int64_t start, int64_t length); \
  Tensor slice_backward(const Tensor& dy, const Shape& x_shape, int dim, int64_t start);
ENG_DECLARE_KERNELS(ENG_SHAPE_KERNELS)

}  // namespace eng
