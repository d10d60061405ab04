// shape_ops_ref.cpp — reference data-movement kernels (plain C++ + OpenMP, the oracle and the
// CPU kernels): permute, concat, slice and its backward from shape_ops.hpp, and broadcast_to
// from reduce.hpp (an expanding copy, the same strided gather as permute).
//
//  - permute and broadcast_to read the input through per-dimension strides (0 on an expanded
//    dimension) row by row of the output;
//  - concat and slice view tensors as [outer, size along dim, inner] and copy contiguous rows;
//  - inputs may carry a backend layout: they are read through plain(); outputs are plain.
// Arguments were validated by the public ops; each output element is written once.
#include <algorithm>

#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace eng::ref {
namespace {

constexpr int64_t kParallelMin = 1 << 15;  // elements below which one thread is faster

std::vector<int64_t> row_major_strides(const Shape& s) {
  std::vector<int64_t> strides(s.size());
  int64_t st = 1;
  for (size_t d = s.size(); d-- > 0;) strides[d] = st, st *= s[d];
  return strides;
}

// y (plain, `shape`)[i_0, .., i_n] = x[sum_d i_d * strides[d]], with x plain.
Tensor strided_gather(const Tensor& x, const Shape& shape, const std::vector<int64_t>& strides) {
  Tensor y = Tensor::empty(shape);
  const float* px = x.data();
  float* py = y.data();
  if (shape.empty()) {  // a scalar
    py[0] = px[0];
    return y;
  }
  int nd = static_cast<int>(shape.size());
  int64_t inner = shape.back(), inner_stride = strides.back();
  int64_t rows = inner > 0 ? y.numel() / inner : 0;
#pragma omp parallel for schedule(static) if (y.numel() > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t offset = 0, rest = r;  // r in row-major order over dimensions 0..nd-2
    for (int d = nd - 2; d >= 0; --d) {
      offset += (rest % shape[d]) * strides[d];
      rest /= shape[d];
    }
    const float* src = px + offset;
    float* dst = py + r * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * inner_stride];
  }
  return y;
}

struct Split {  // a plain tensor seen as [outer, mid, inner] around one dimension
  int64_t outer = 1, mid = 1, inner = 1;
};

Split split_at(const Shape& s, int dim) {
  Split sp;
  for (int d = 0; d < static_cast<int>(s.size()); ++d) {
    if (d < dim)
      sp.outer *= s[d];
    else if (d == dim)
      sp.mid = s[d];
    else
      sp.inner *= s[d];
  }
  return sp;
}

// For each of `outer` rows: copy `count` floats from src + r*src_row to dst + r*dst_row.
void copy_rows(const float* src, int64_t src_row, float* dst, int64_t dst_row, int64_t outer,
               int64_t count) {
#pragma omp parallel for schedule(static) if (outer * count > kParallelMin && outer > 1)
  for (int64_t r = 0; r < outer; ++r)
    std::copy(src + r * src_row, src + r * src_row + count, dst + r * dst_row);
}

}  // namespace

Tensor broadcast_to(const Tensor& g, const Shape& shape) {
  const Shape& gs = g.shape();
  bool ok = gs.size() == shape.size();
  for (size_t d = 0; ok && d < gs.size(); ++d) ok = gs[d] == shape[d] || gs[d] == 1;
  ENG_CHECK(ok, "broadcast_to", "cannot expand ", shape_str(gs), " to ", shape_str(shape),
            " (same rank needed; only size-1 dimensions expand)");
  std::vector<int64_t> strides = row_major_strides(gs);
  for (size_t d = 0; d < gs.size(); ++d)
    if (gs[d] == 1) strides[d] = 0;  // every index reads element 0 of this dimension
  return strided_gather(g.plain(), shape, strides);
}

Tensor permute_forward(const Tensor& x, const std::vector<int>& dims) {
  Tensor xp = x.plain();
  std::vector<int64_t> x_strides = row_major_strides(xp.shape());
  Shape shape(dims.size());
  std::vector<int64_t> strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    shape[i] = xp.shape()[dims[i]];
    strides[i] = x_strides[dims[i]];
  }
  return strided_gather(xp, shape, strides);
}

Tensor concat_forward(const std::vector<Tensor>& xs, int dim) {
  Shape shape = xs.front().shape();
  shape[dim] = 0;
  for (const Tensor& x : xs) shape[dim] += x.shape()[dim];
  Tensor y = Tensor::empty(shape);
  Split out = split_at(shape, dim);
  int64_t offset = 0;  // along dim
  for (const Tensor& x : xs) {
    Tensor xp = x.plain();
    Split in = split_at(xp.shape(), dim);
    copy_rows(xp.data(), in.mid * in.inner, y.data() + offset * out.inner, out.mid * out.inner,
              out.outer, in.mid * in.inner);
    offset += in.mid;
  }
  return y;
}

Tensor slice_forward(const Tensor& x, int dim, int64_t start, int64_t length) {
  Tensor xp = x.plain();
  Shape shape = xp.shape();
  shape[dim] = length;
  Tensor y = Tensor::empty(shape);
  Split in = split_at(xp.shape(), dim);
  copy_rows(xp.data() + start * in.inner, in.mid * in.inner, y.data(), length * in.inner, in.outer,
            length * in.inner);
  return y;
}

Tensor slice_backward(const Tensor& dy, const Shape& x_shape, int dim, int64_t start) {
  Tensor dyp = dy.plain();
  Tensor dx = Tensor::zeros(x_shape);
  Split in = split_at(x_shape, dim);
  int64_t length = dyp.shape()[dim];
  copy_rows(dyp.data(), length * in.inner, dx.data() + start * in.inner, in.mid * in.inner,
            in.outer, length * in.inner);
  return dx;
}

}  // namespace eng::ref
