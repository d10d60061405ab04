// elementwise_ref.cpp — reference kernels of elementwise.hpp (plain C++ + OpenMP, the oracle;
// also the CPU kernels, as these ops have no oneDNN implementation).
//
//  - binary_forward expands each operand to the broadcast shape (broadcast_to, a strided copy)
//    and then combines two same-shape buffers element by element;
//  - sum_to is sum_forward over the broadcast dimensions (double accumulation per output
//    element, fixed order) with the result relabelled to the target shape;
//  - inputs may carry a backend layout: everything is read through plain().
// Element-wise loops are independent per element, so the result does not depend on threads.
#include <algorithm>
#include <cmath>

#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace eng::ref {
namespace {

constexpr int64_t kParallelMin = 1 << 15;  // elements below which one thread is faster

// y[i] = f(x[i])
template <class F>
Tensor map(const Tensor& x, F f) {
  Tensor xp = x.plain();
  Tensor y = Tensor::empty(xp.shape());
  const float* px = xp.data();
  float* py = y.data();
  int64_t n = xp.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = f(px[i]);
  return y;
}

// y[i] = f(a[i], b[i]) for same-shape a and b.
template <class F>
Tensor zip(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_same_shape(op, a, b);
  Tensor ap = a.plain(), bp = b.plain();
  Tensor y = Tensor::empty(ap.shape());
  const float* pa = ap.data();
  const float* pb = bp.data();
  float* py = y.data();
  int64_t n = ap.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], pb[i]);
  return y;
}

// t (plain) expanded to `shape`: leading 1s are added to its shape (a relabelling of the same
// storage), then size-1 dimensions are repeated.
Tensor expand_to(const Tensor& t, const Shape& shape) {
  Tensor tp = t.plain();
  if (tp.shape() == shape) return tp;
  Tensor padded = tp.detach();
  padded.impl()->shape.insert(padded.impl()->shape.begin(), shape.size() - tp.shape().size(), 1);
  return broadcast_to(padded, shape);
}

}  // namespace

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  Shape out = broadcast_shape("binary_forward", a.shape(), b.shape());
  Tensor ea = expand_to(a, out), eb = expand_to(b, out);
  switch (op) {
    case BinaryOp::Add:
      return zip("add", ea, eb, [](float x, float y) { return x + y; });
    case BinaryOp::Sub:
      return zip("sub", ea, eb, [](float x, float y) { return x - y; });
    case BinaryOp::Mul:
      return zip("mul", ea, eb, [](float x, float y) { return x * y; });
    case BinaryOp::Div:
      return zip("div", ea, eb, [](float x, float y) { return x / y; });
  }
  throw Error("binary_forward: unknown op");
}

Tensor unary_forward(UnaryOp op, const Tensor& x, float s) {
  switch (op) {
    case UnaryOp::Log:
      return map(x, [](float v) { return std::log(v); });
    // std::max(v, s) returns v when v is NaN: NaN propagates like PyTorch's clamp.
    case UnaryOp::ClampMin:
      return map(x, [s](float v) { return std::max(v, s); });
    case UnaryOp::AddScalar:
      return map(x, [s](float v) { return v + s; });
    case UnaryOp::MulScalar:
      return map(x, [s](float v) { return v * s; });
  }
  throw Error("unary_forward: unknown op");
}

Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& dy, float s) {
  switch (op) {
    case UnaryOp::Log:
      return zip("log backward", x, dy, [](float v, float g) { return g / v; });
    case UnaryOp::ClampMin:
      return zip("clamp_min backward", x, dy, [s](float v, float g) { return v >= s ? g : 0.0f; });
    case UnaryOp::AddScalar:
    case UnaryOp::MulScalar:
      break;  // linear: the public op scales dy itself
  }
  throw Error("unary_backward: only log and clamp_min have a backward kernel");
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  const Shape& gs = g.shape();
  ENG_CHECK(shape.size() <= gs.size(), "sum_to", "cannot reduce ", shape_str(gs), " to ",
            shape_str(shape), " (target has more dimensions)");
  size_t lead = gs.size() - shape.size();
  std::vector<int> dims;  // the dimensions of g that were broadcast
  for (size_t i = 0; i < gs.size(); ++i) {
    if (i < lead) {
      dims.push_back(static_cast<int>(i));
      continue;
    }
    int64_t want = shape[i - lead];
    ENG_CHECK(want == gs[i] || want == 1, "sum_to", "cannot reduce ", shape_str(gs), " to ",
              shape_str(shape));
    if (want != gs[i]) dims.push_back(static_cast<int>(i));
  }
  Tensor out = sum_forward(g, dims);  // g's rank, reduced dimensions of size 1
  out.impl()->shape = shape;          // same elements in the same order: only 1s dropped
  return out;
}

}  // namespace eng::ref
