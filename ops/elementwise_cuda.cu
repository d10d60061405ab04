// elementwise_cuda.cu — CUDA kernels of ops/elementwise.hpp (namespace eng::cuda).
//
//  binary_forward  a (op) b with broadcasting. Fast paths: same number of elements as the output
//                  (contiguous, float4) and a one-element operand (read from device memory);
//                  otherwise a strided kernel over the output with per-dimension strides of the
//                  broadcast inputs (0 along broadcast dimensions), up to 6 dims after merging.
//  unary_forward   log / clamp_min / add_scalar / mul_scalar, contiguous.
//  unary_backward  dx from x and dy: log dy / x; clamp_min dy where x >= s else 0 (the scalar
//                  ops are linear: their public ops scale dy themselves, as in the reference).
//  sum_to          the broadcast gradient g summed back to `shape` via sum_forward (reduce_cuda.cu,
//                  deterministic) over the broadcast dimensions.
// Float arithmetic is the same IEEE single operation as the reference kernels (no fast-math).
#include "ops/cuda_kernel_utils.cuh"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace eng::cuda {
namespace {

using namespace kernels;

struct AddF {
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct SubF {
  __device__ float operator()(float a, float b) const { return a - b; }
};
struct MulF {
  __device__ float operator()(float a, float b) const { return a * b; }
};
struct DivF {
  __device__ float operator()(float a, float b) const { return a / b; }
};

// Calls fn with the device functor of op.
template <class Fn>
void with_binary(BinaryOp op, Fn&& fn) {
  switch (op) {
    case BinaryOp::Add:
      return fn(AddF{});
    case BinaryOp::Sub:
      return fn(SubF{});
    case BinaryOp::Mul:
      return fn(MulF{});
    case BinaryOp::Div:
      return fn(DivF{});
  }
  throw Error("binary op: unknown BinaryOp");
}

// x (op) *s and *s (op) x, the one-element operand s living in device memory.
template <class Op>
struct RightScalar {
  const float* s;
  Op op;
  __device__ float operator()(float x) const { return op(x, __ldg(s)); }
};
template <class Op>
struct LeftScalar {
  const float* s;
  Op op;
  __device__ float operator()(float x) const { return op(__ldg(s), x); }
};

template <class Op>
__global__ void binary_strided_kernel(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ out, int64_t n, StridedIndex<2> idx,
                                      Op op) {
  for (int64_t i = global_thread(); i < n; i += global_threads()) {
    int64_t off[2];
    idx.offsets(i, off);
    out[i] = op(a[off[0]], b[off[1]]);
  }
}

struct LogF {
  __device__ float operator()(float x) const { return logf(x); }
};
struct ClampMinF {
  float lo;
  __device__ float operator()(float x) const { return x < lo ? lo : x; }
};
struct AddScalarF {
  float s;
  __device__ float operator()(float x) const { return x + s; }
};
struct MulScalarF {
  float s;
  __device__ float operator()(float x) const { return x * s; }
};

// Backward functors: (x, dy) -> dx.
struct LogBackF {
  __device__ float operator()(float x, float dy) const { return dy / x; }
};
struct ClampMinBackF {
  float lo;
  __device__ float operator()(float x, float dy) const { return x >= lo ? dy : 0.0f; }
};

const char* unary_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Log:
      return "log";
    case UnaryOp::ClampMin:
      return "clamp_min";
    case UnaryOp::AddScalar:
      return "add_scalar";
    case UnaryOp::MulScalar:
      return "mul_scalar";
  }
  throw Error("unary op: unknown UnaryOp");
}

}  // namespace

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  check_device_tensor(a, name, "a");
  check_device_tensor(b, name, "b");
  Shape shape = broadcast_shape(name, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, Device::CUDA);
  const int64_t n = out.numel(), na = a.numel(), nb = b.numel();
  if (n == 0) return out;
  const float* pa = static_cast<const float*>(a.raw());
  const float* pb = static_cast<const float*>(b.raw());
  float* po = static_cast<float*>(out.raw());
  with_binary(op, [&](auto f) {
    using Op = decltype(f);
    if (na == n && nb == n) {
      launch_map2(name, pa, pb, po, n, f);
    } else if (na == n && nb == 1) {
      launch_map1(name, pa, po, n, RightScalar<Op>{pb, f});
    } else if (na == 1 && nb == n) {
      launch_map1(name, pb, po, n, LeftScalar<Op>{pa, f});
    } else {
      StridedIndex<2> idx = make_strided_index<2>(
          name, shape, {broadcast_strides(a.shape(), shape), broadcast_strides(b.shape(), shape)});
      binary_strided_kernel<<<grid_blocks(n), kThreads, 0, stream_of()>>>(pa, pb, po, n, idx, f);
      ENG_CUDA_LAUNCH_CHECK(name);
    }
  });
  return out;
}

Tensor unary_forward(UnaryOp op, const Tensor& x, float s) {
  const char* name = unary_name(op);
  check_device_tensor(x, name, "x");
  Tensor y = Tensor::empty(x.shape(), Device::CUDA);
  const float* px = static_cast<const float*>(x.raw());
  float* py = static_cast<float*>(y.raw());
  const int64_t n = x.numel();
  switch (op) {
    case UnaryOp::Log:
      launch_map1(name, px, py, n, LogF{});
      break;
    case UnaryOp::ClampMin:
      launch_map1(name, px, py, n, ClampMinF{s});
      break;
    case UnaryOp::AddScalar:
      launch_map1(name, px, py, n, AddScalarF{s});
      break;
    case UnaryOp::MulScalar:
      launch_map1(name, px, py, n, MulScalarF{s});
      break;
  }
  return y;
}

Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& dy, float s) {
  ENG_CHECK(op == UnaryOp::Log || op == UnaryOp::ClampMin, "unary_backward",
            "only log and clamp_min have a backward kernel, got ", unary_name(op));
  const char* name = op == UnaryOp::Log ? "log backward" : "clamp_min backward";
  check_device_tensor(x, name, "x");
  check_device_tensor(dy, name, "dy");
  check_same_shape(name, x, dy);
  Tensor dx = Tensor::empty(x.shape(), Device::CUDA);
  const float* px = static_cast<const float*>(x.raw());
  const float* pdy = static_cast<const float*>(dy.raw());
  float* pdx = static_cast<float*>(dx.raw());
  if (op == UnaryOp::Log)
    launch_map2(name, px, pdy, pdx, x.numel(), LogBackF{});
  else
    launch_map2(name, px, pdy, pdx, x.numel(), ClampMinBackF{s});
  return dx;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  check_device_tensor(g, "sum_to", "g");
  const Shape& gs = g.shape();
  ENG_CHECK(shape.size() <= gs.size(), "sum_to", "cannot reduce ", shape_str(gs), " to ",
            shape_str(shape));
  // Reduce every dimension of g that `shape` (aligned at the right) lacks or has as 1.
  const size_t lead = gs.size() - shape.size();
  std::vector<int> dims;
  for (size_t d = 0; d < gs.size(); ++d) {
    int64_t target = d < lead ? 1 : shape[d - lead];
    ENG_CHECK(target == gs[d] || target == 1, "sum_to", "cannot reduce ", shape_str(gs), " to ",
              shape_str(shape));
    if (target == 1 && gs[d] != 1) dims.push_back(static_cast<int>(d));
  }
  if (dims.empty()) return with_shape(g, shape);
  return with_shape(sum_forward(g, dims), shape);
}

}  // namespace eng::cuda
