// cuda_kernel_utils.cuh — what our own CUDA kernels (elementwise, reduce, shape ops, relu) share,
// on top of ops/cuda_common.hpp (engine stream, launch checks, input checks, grid_blocks):
//
//  - global_thread/global_threads: the grid-stride loop of every kernel here;
//  - map kernels: y[i] = f(x[i]) / f(a[i], b[i]) on contiguous arrays, float4 when aligned;
//  - contiguous_strides / broadcast_strides: per-dimension element strides of a row-major tensor,
//    and of one broadcast to a larger shape (0 along broadcast dimensions);
//  - with_shape: the same storage under another shape with as many elements (no copy);
//  - StridedIndex<N>: maps the row-major linear index of an iteration space of up to kMaxDims
//    dims to element offsets in N sources. make_strided_index drops size-1 dimensions and merges
//    dimensions that are contiguous in every source first, so most shapes of any rank fit; the
//    rest throw an Error naming the op;
//  - launch_gather: out[i] = src[offset(i)] (permute, broadcast_to).
// All sizes and offsets are int64. Header-only: kernels are templates, helpers inline.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "ops/cuda_common.hpp"

namespace eng::cuda::kernels {

constexpr int kMaxDims = 6;

__device__ __forceinline__ int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t global_threads() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

inline std::vector<int64_t> contiguous_strides(const Shape& s) {
  std::vector<int64_t> st(s.size());
  int64_t acc = 1;
  for (size_t d = s.size(); d-- > 0;) st[d] = acc, acc *= s[d];
  return st;
}

// Strides of a tensor of shape `in` broadcast to `out` (aligned at the right): its own row-major
// strides, 0 along dimensions where it has size 1 or no dimension at all.
inline std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0), own = contiguous_strides(in);
  size_t lead = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] != 1) st[lead + d] = own[d];
  return st;
}

// t's storage under another shape with the same number of elements (no copy).
inline Tensor with_shape(const Tensor& t, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl()->storage;
  impl->shape = shape;
  impl->dtype = t.dtype();
  return Tensor(std::move(impl));
}

// ---- contiguous element-wise maps ---------------------------------------------------------------
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

__device__ __forceinline__ float4 load4(const float* p, int64_t v) {
  return reinterpret_cast<const float4*>(p)[v];
}
__device__ __forceinline__ void store4(float* p, int64_t v, float4 x) {
  reinterpret_cast<float4*>(p)[v] = x;
}

// Vec: the arrays are 16-byte aligned; groups of four go as float4, the (< 4) tail one by one.
template <bool Vec, class F>
__global__ void map1_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, F f) {
  int64_t head = Vec ? n / 4 * 4 : 0;
  if (Vec) {
    for (int64_t v = global_thread(); v < n / 4; v += global_threads()) {
      float4 a = load4(x, v);
      store4(y, v, make_float4(f(a.x), f(a.y), f(a.z), f(a.w)));
    }
  }
  for (int64_t i = head + global_thread(); i < n; i += global_threads()) y[i] = f(x[i]);
}

template <bool Vec, class F>
__global__ void map2_kernel(const float* __restrict__ a, const float* __restrict__ b,
                            float* __restrict__ y, int64_t n, F f) {
  int64_t head = Vec ? n / 4 * 4 : 0;
  if (Vec) {
    for (int64_t v = global_thread(); v < n / 4; v += global_threads()) {
      float4 p = load4(a, v), q = load4(b, v);
      store4(y, v, make_float4(f(p.x, q.x), f(p.y, q.y), f(p.z, q.z), f(p.w, q.w)));
    }
  }
  for (int64_t i = head + global_thread(); i < n; i += global_threads()) y[i] = f(a[i], b[i]);
}

// y = f(x) over n contiguous floats on the engine stream.
template <class F>
void launch_map1(const char* op, const float* x, float* y, int64_t n, F f) {
  if (n == 0) return;
  if (aligned16(x) && aligned16(y))
    map1_kernel<true><<<grid_blocks((n + 3) / 4), kThreads, 0, stream_of()>>>(x, y, n, f);
  else
    map1_kernel<false><<<grid_blocks(n), kThreads, 0, stream_of()>>>(x, y, n, f);
  ENG_CUDA_LAUNCH_CHECK(op);
}

// y = f(a, b) over n contiguous floats on the engine stream.
template <class F>
void launch_map2(const char* op, const float* a, const float* b, float* y, int64_t n, F f) {
  if (n == 0) return;
  if (aligned16(a) && aligned16(b) && aligned16(y))
    map2_kernel<true><<<grid_blocks((n + 3) / 4), kThreads, 0, stream_of()>>>(a, b, y, n, f);
  else
    map2_kernel<false><<<grid_blocks(n), kThreads, 0, stream_of()>>>(a, b, y, n, f);
  ENG_CUDA_LAUNCH_CHECK(op);
}

// ---- strided N-D indexing ---------------------------------------------------------------------
template <int N>
struct StridedIndex {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[N][kMaxDims] = {};

  // Offsets in each source of the element with row-major linear index i (0 <= i < numel).
  __device__ __forceinline__ void offsets(int64_t i, int64_t (&off)[N]) const {
    // Unrolled with constant indices, so the arrays stay in kernel parameter space.
    for (int s = 0; s < N; ++s) off[s] = 0;
#pragma unroll
    for (int d = kMaxDims - 1; d > 0; --d) {
      if (d < ndim) {
        int64_t q = i / size[d], r = i - q * size[d];
        for (int s = 0; s < N; ++s) off[s] += r * stride[s][d];
        i = q;
      }
    }
    if (ndim > 0)
      for (int s = 0; s < N; ++s) off[s] += i * stride[s][0];
  }
};

// shape: the iteration space; strides[s][d]: source s's element stride along dimension d.
template <int N>
StridedIndex<N> make_strided_index(const char* op, const Shape& shape,
                                   const std::array<std::vector<int64_t>, N>& strides) {
  // Keep dimensions of size > 1, merging a dimension into the previous kept one when that is
  // contiguous with it in every source (stride_prev == stride_this * size_this).
  std::vector<int64_t> size;
  std::array<std::vector<int64_t>, N> st;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !size.empty();
    for (int s = 0; s < N && merge; ++s) merge = st[s].back() == strides[s][d] * shape[d];
    if (merge) {
      size.back() *= shape[d];
      for (int s = 0; s < N; ++s) st[s].back() = strides[s][d];
    } else {
      size.push_back(shape[d]);
      for (int s = 0; s < N; ++s) st[s].push_back(strides[s][d]);
    }
  }
  ENG_CHECK(size.size() <= static_cast<size_t>(kMaxDims), op, "the CUDA kernel handles at most ",
            kMaxDims, " non-mergeable dimensions, got shape ", shape_str(shape));
  StridedIndex<N> idx;
  idx.ndim = static_cast<int>(size.size());
  for (int d = 0; d < idx.ndim; ++d) {
    idx.size[d] = size[d];
    for (int s = 0; s < N; ++s) idx.stride[s][d] = st[s][d];
  }
  return idx;
}

template <int N>  // N == 1; a template so that every including file may instantiate it
__global__ void gather_kernel(const float* __restrict__ src, float* __restrict__ out, int64_t n,
                              StridedIndex<N> idx) {
  for (int64_t i = global_thread(); i < n; i += global_threads()) {
    int64_t off[N];
    idx.offsets(i, off);
    out[i] = src[off[0]];
  }
}

// out (contiguous, shape `shape`) [i] = src[offset of i under src_strides].
inline void launch_gather(const char* op, const float* src, float* out, const Shape& shape,
                          const std::vector<int64_t>& src_strides) {
  int64_t n = numel_of(shape);
  if (n == 0) return;
  StridedIndex<1> idx = make_strided_index<1>(op, shape, {src_strides});
  gather_kernel<<<grid_blocks(n), kThreads, 0, stream_of()>>>(src, out, n, idx);
  ENG_CUDA_LAUNCH_CHECK(op);
}

}  // namespace eng::cuda::kernels
