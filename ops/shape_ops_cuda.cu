// shape_ops_cuda.cu — CUDA kernels of ops/shape_ops.hpp (namespace eng::cuda).
//
//  permute_forward  y.shape[i] = x.shape[dims[i]]: a gather with x's strides taken in the order
//                   of dims (index arithmetic over up to 6 dims after merging contiguous runs).
//  concat_forward   along dim: each input, viewed as [outer, len_i * inner], is copied into its
//                   column block of the output viewed as [outer, total * inner].
//  slice_forward    elements start..start+length-1 along dim: a [outer, length * inner] block
//                   copied out of x viewed as [outer, size * inner].
//  slice_backward   zeros of x_shape with dy copied into that block.
// All copies go through one row-block copy kernel; sizes and offsets are int64.
#include "ops/cuda_kernel_utils.cuh"
#include "ops/shape_ops.hpp"

namespace eng::cuda {
namespace {

using namespace kernels;

// dst[r * dst_ld + c] = src[r * src_ld + c] for r < rows, c < cols.
__global__ void copy_rows_kernel(float* __restrict__ dst, int64_t dst_ld,
                                 const float* __restrict__ src, int64_t src_ld, int64_t rows,
                                 int64_t cols) {
  const int64_t n = rows * cols;
  for (int64_t i = global_thread(); i < n; i += global_threads()) {
    const int64_t r = i / cols, c = i - r * cols;
    dst[r * dst_ld + c] = src[r * src_ld + c];
  }
}

void copy_rows(const char* op, float* dst, int64_t dst_ld, const float* src, int64_t src_ld,
               int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  copy_rows_kernel<<<grid_blocks(n), kThreads, 0, stream_of()>>>(dst, dst_ld, src, src_ld, rows,
                                                                 cols);
  ENG_CUDA_LAUNCH_CHECK(op);
}

// Sizes of the dimensions before and after `dim`.
struct OuterInner {
  int64_t outer = 1, inner = 1;
};
OuterInner around(const Shape& s, int dim) {
  OuterInner oi;
  for (int d = 0; d < dim; ++d) oi.outer *= s[d];
  for (size_t d = dim + 1; d < s.size(); ++d) oi.inner *= s[d];
  return oi;
}

void check_dim(const char* op, const Shape& s, int dim) {
  ENG_CHECK(dim >= 0 && dim < static_cast<int>(s.size()), op, "dimension ", dim,
            " out of range for shape ", shape_str(s));
}

void check_range(const char* op, const Shape& s, int dim, int64_t start, int64_t length) {
  check_dim(op, s, dim);
  ENG_CHECK(start >= 0 && length >= 0 && start + length <= s[dim], op, "elements ", start, "..",
            start + length - 1, " out of range along dimension ", dim, " of ", shape_str(s));
}

}  // namespace

Tensor permute_forward(const Tensor& x, const std::vector<int>& dims) {
  check_device_tensor(x, "permute", "x");
  const Shape& xs = x.shape();
  ENG_CHECK(dims.size() == xs.size(), "permute", "needs ", xs.size(), " dims for shape ",
            shape_str(xs), ", got ", dims.size());
  const std::vector<int64_t> st = contiguous_strides(xs);
  std::vector<bool> used(xs.size(), false);
  Shape out_shape(xs.size());
  std::vector<int64_t> src_st(xs.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const int d = dims[i];
    ENG_CHECK(d >= 0 && d < static_cast<int>(xs.size()) && !used[d], "permute",
              "dims are not a permutation of 0..", xs.size() - 1, " (shape ", shape_str(xs), ")");
    used[d] = true;
    out_shape[i] = xs[d];
    src_st[i] = st[d];
  }
  Tensor y = Tensor::empty(out_shape, Device::CUDA);
  launch_gather("permute", static_cast<const float*>(x.raw()), static_cast<float*>(y.raw()),
                out_shape, src_st);
  return y;
}

Tensor concat_forward(const std::vector<Tensor>& xs, int dim) {
  ENG_CHECK(!xs.empty(), "concat", "needs at least one tensor");
  for (const Tensor& x : xs) check_device_tensor(x, "concat", "each input");
  const Shape& first = xs[0].shape();
  check_dim("concat", first, dim);
  Shape out_shape = first;
  out_shape[dim] = 0;
  for (const Tensor& x : xs) {
    const Shape& s = x.shape();
    bool match = s.size() == first.size();
    for (size_t d = 0; match && d < s.size(); ++d)
      match = static_cast<int>(d) == dim || s[d] == first[d];
    ENG_CHECK(match, "concat", "shapes ", shape_str(first), " and ", shape_str(s),
              " differ outside dimension ", dim);
    out_shape[dim] += s[dim];
  }
  Tensor y = Tensor::empty(out_shape, Device::CUDA);
  const OuterInner oi = around(out_shape, dim);
  const int64_t dst_ld = out_shape[dim] * oi.inner;
  float* dst = static_cast<float*>(y.raw());
  int64_t offset = 0;  // along dim
  for (const Tensor& x : xs) {
    const int64_t cols = x.shape()[dim] * oi.inner;
    copy_rows("concat", dst + offset * oi.inner, dst_ld, static_cast<const float*>(x.raw()), cols,
              oi.outer, cols);
    offset += x.shape()[dim];
  }
  return y;
}

Tensor slice_forward(const Tensor& x, int dim, int64_t start, int64_t length) {
  check_device_tensor(x, "slice", "x");
  const Shape& xs = x.shape();
  check_range("slice", xs, dim, start, length);
  Shape out_shape = xs;
  out_shape[dim] = length;
  Tensor y = Tensor::empty(out_shape, Device::CUDA);
  const OuterInner oi = around(xs, dim);
  copy_rows("slice", static_cast<float*>(y.raw()), length * oi.inner,
            static_cast<const float*>(x.raw()) + start * oi.inner, xs[dim] * oi.inner, oi.outer,
            length * oi.inner);
  return y;
}

Tensor slice_backward(const Tensor& dy, const Shape& x_shape, int dim, int64_t start) {
  check_device_tensor(dy, "slice backward", "dy");
  check_dim("slice backward", x_shape, dim);
  const int64_t length = dy.shape().size() == x_shape.size() ? dy.shape()[dim] : -1;
  Shape expect = x_shape;
  expect[dim] = length;
  ENG_CHECK(dy.shape() == expect, "slice backward", "dy ", shape_str(dy.shape()),
            " is not a slice along dimension ", dim, " of ", shape_str(x_shape));
  check_range("slice backward", x_shape, dim, start, length);
  Tensor dx = Tensor::zeros(x_shape, Device::CUDA);
  const OuterInner oi = around(x_shape, dim);
  copy_rows("slice backward", static_cast<float*>(dx.raw()) + start * oi.inner,
            x_shape[dim] * oi.inner, static_cast<const float*>(dy.raw()), length * oi.inner,
            oi.outer, length * oi.inner);
  return dx;
}

}  // namespace eng::cuda
