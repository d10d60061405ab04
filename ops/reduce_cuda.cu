// reduce_cuda.cu — CUDA kernels of ops/reduce.hpp (namespace eng::cuda).
//
//  sum_forward   sum over `dims` (sorted, unique, non-negative); the output keeps them as size 1.
//                Deterministic: each output element is summed in double by one fixed group of
//                threads in a fixed order (strided per-thread partial sums, then a fixed tree or
//                fixed sequence in shared memory), no atomics; the launch shape depends only on
//                the tensor shape. Two kernels:
//                  rows: one 256-thread block per output element, for long (>= 256) reductions
//                        along the contiguous innermost dimension or when there are few outputs;
//                  cols: 32 outputs per block, 8 threads per output, for reductions over outer
//                        dimensions (neighbouring threads read neighbouring addresses).
//  broadcast_to  g (same rank as shape, size-1 dimensions expanded) copied out to shape.
#include "ops/cuda_kernel_utils.cuh"
#include "ops/reduce.hpp"

namespace eng::cuda {
namespace {

using namespace kernels;

constexpr int kColsPerBlock = 32;  // cols kernel: outputs per block (threadIdx.x)
constexpr int kColsSplit = 8;      // cols kernel: threads per output (threadIdx.y)
static_assert((kThreads & (kThreads - 1)) == 0, "the rows tree needs a power-of-two block");

// Blocks for a grid-stride loop over `items` units of one block each (capped like grid_blocks).
unsigned blocks_of(int64_t items) { return grid_blocks(items * kThreads); }

// x[base(o) + off(r)] summed over r < R for each output o < nout.
__global__ void sum_rows_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t nout,
                                int64_t R, StridedIndex<1> kept, StridedIndex<1> red) {
  __shared__ double part[kThreads];
  for (int64_t o = blockIdx.x; o < nout; o += gridDim.x) {  // uniform across the block
    int64_t base[1], off[1];
    kept.offsets(o, base);
    double acc = 0;
    for (int64_t r = threadIdx.x; r < R; r += kThreads) {
      red.offsets(r, off);
      acc += x[base[0] + off[0]];
    }
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w /= 2) {
      if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
      __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = static_cast<float>(part[0]);
    __syncthreads();  // part is reused by the next output
  }
}

__global__ void sum_cols_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t nout,
                                int64_t R, StridedIndex<1> kept, StridedIndex<1> red) {
  __shared__ double part[kColsSplit][kColsPerBlock];
  const int64_t step = static_cast<int64_t>(gridDim.x) * kColsPerBlock;
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * kColsPerBlock; first < nout;
       first += step) {  // uniform across the block
    const int64_t o = first + threadIdx.x;
    double acc = 0;
    if (o < nout) {
      int64_t base[1], off[1];
      kept.offsets(o, base);
      for (int64_t r = threadIdx.y; r < R; r += kColsSplit) {
        red.offsets(r, off);
        acc += x[base[0] + off[0]];
      }
    }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && o < nout) {
      double s = 0;
      for (int k = 0; k < kColsSplit; ++k) s += part[k][threadIdx.x];
      out[o] = static_cast<float>(s);
    }
    __syncthreads();  // part is reused by the next group of outputs
  }
}

}  // namespace

Tensor sum_forward(const Tensor& x, const std::vector<int>& dims) {
  check_device_tensor(x, "sum", "x");
  const Shape& xs = x.shape();
  const std::vector<int64_t> st = contiguous_strides(xs);
  Shape out_shape = xs, kept_shape, red_shape;
  std::vector<int64_t> kept_st, red_st;
  size_t next = 0;  // dims is sorted: walk it alongside d
  for (size_t d = 0; d < xs.size(); ++d) {
    if (next < dims.size() && dims[next] == static_cast<int>(d)) {
      ++next;
      out_shape[d] = 1;
      red_shape.push_back(xs[d]);
      red_st.push_back(st[d]);
    } else {
      kept_shape.push_back(xs[d]);
      kept_st.push_back(st[d]);
    }
  }
  ENG_CHECK(next == dims.size(), "sum", "dims must be sorted, unique and within the rank of ",
            shape_str(xs));

  Tensor out = Tensor::empty(out_shape, Device::CUDA);
  const int64_t nout = numel_of(kept_shape), R = numel_of(red_shape);
  if (nout == 0) return out;
  StridedIndex<1> kept = make_strided_index<1>("sum", kept_shape, {kept_st});
  StridedIndex<1> red = make_strided_index<1>("sum", red_shape, {red_st});
  const bool inner_reduced = red.ndim > 0 && red.stride[0][red.ndim - 1] == 1;
  const float* px = static_cast<const float*>(x.raw());
  float* po = static_cast<float*>(out.raw());
  if ((inner_reduced && R >= kThreads) || nout <= 4 * kColsPerBlock) {
    sum_rows_kernel<<<blocks_of(nout), kThreads, 0, stream_of()>>>(px, po, nout, R, kept, red);
  } else {
    dim3 threads(kColsPerBlock, kColsSplit);
    sum_cols_kernel<<<blocks_of((nout + kColsPerBlock - 1) / kColsPerBlock), threads, 0,
                      stream_of()>>>(px, po, nout, R, kept, red);
  }
  ENG_CUDA_LAUNCH_CHECK("sum");
  return out;
}

Tensor broadcast_to(const Tensor& g, const Shape& shape) {
  check_device_tensor(g, "broadcast_to", "g");
  const Shape& gs = g.shape();
  bool ok = gs.size() == shape.size();
  for (size_t d = 0; ok && d < gs.size(); ++d) ok = gs[d] == shape[d] || gs[d] == 1;
  ENG_CHECK(ok, "broadcast_to", "cannot expand ", shape_str(gs), " to ", shape_str(shape));
  Tensor out = Tensor::empty(shape, Device::CUDA);
  launch_gather("broadcast_to", static_cast<const float*>(g.raw()), static_cast<float*>(out.raw()),
                shape, broadcast_strides(gs, shape));
  return out;
}

}  // namespace eng::cuda
