// elementwise.cpp — the public element-wise ops (see elementwise.hpp): input checks, kernel
// dispatch (reference on the CPU, CUDA kernels on the GPU) and the backward passes.
//
// Backward passes are written with the kernels only (never CPU code), so they run on whatever
// device the tensors live on. A broadcast input receives the output gradient summed back to its
// shape (sum_to). Inputs that do not require grad get an undefined gradient (nothing computed).
// Saved tensors are detached so that a graph never refers to its own output.
#include "ops/elementwise.hpp"

#include <algorithm>

#include "engine/autograd.hpp"

namespace eng {

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "add";
    case BinaryOp::Sub:
      return "sub";
    case BinaryOp::Mul:
      return "mul";
    case BinaryOp::Div:
      return "div";
  }
  return "binary";
}

namespace {

Tensor binary_k(BinaryOp op, const Tensor& a, const Tensor& b) {
  ENG_DISPATCH2(a, binary_forward(op, a, b));
}
Tensor unary_k(UnaryOp op, const Tensor& x, float s) { ENG_DISPATCH2(x, unary_forward(op, x, s)); }
Tensor unary_grad_k(UnaryOp op, const Tensor& x, const Tensor& dy, float s) {
  ENG_DISPATCH2(x, unary_backward(op, x, dy, s));
}
Tensor sum_to_k(const Tensor& g, const Shape& shape) { ENG_DISPATCH2(g, sum_to(g, shape)); }

// The gradient of an input of shape `shape` from the (broadcast) output gradient g.
Tensor reduce_grad(const Tensor& g, const Shape& shape) {
  return g.shape() == shape ? g : sum_to_k(g, shape);
}

// What the backward pass of y = a (op) b reads. add/sub need only the shapes; mul keeps a and
// b; div keeps b and y.
struct BinarySaved {
  BinaryOp op;
  Tensor a, b, y;
  Shape a_shape, b_shape;
  bool need_a, need_b;
};

std::vector<Tensor> binary_grads(const BinarySaved& s, const Tensor& dy) {
  Tensor da, db;
  switch (s.op) {
    case BinaryOp::Add:
      if (s.need_a) da = reduce_grad(dy, s.a_shape);
      if (s.need_b) db = reduce_grad(dy, s.b_shape);
      break;
    case BinaryOp::Sub:
      if (s.need_a) da = reduce_grad(dy, s.a_shape);
      if (s.need_b) db = unary_k(UnaryOp::MulScalar, reduce_grad(dy, s.b_shape), -1.0f);
      break;
    case BinaryOp::Mul:
      if (s.need_a) da = reduce_grad(binary_k(BinaryOp::Mul, dy, s.b), s.a_shape);
      if (s.need_b) db = reduce_grad(binary_k(BinaryOp::Mul, dy, s.a), s.b_shape);
      break;
    case BinaryOp::Div: {  // da = dy / b,  db = -dy a / b^2 = -(dy / b) y
      Tensor dy_over_b = binary_k(BinaryOp::Div, dy, s.b);
      if (s.need_a) da = reduce_grad(dy_over_b, s.a_shape);
      if (s.need_b)
        db = unary_k(UnaryOp::MulScalar,
                     reduce_grad(binary_k(BinaryOp::Mul, dy_over_b, s.y), s.b_shape), -1.0f);
      break;
    }
  }
  return {da, db};
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  ENG_CHECK(a.defined() && b.defined(), name, "an input is undefined (", a.describe(), ", ",
            b.describe(), ")");
  check_same_device(name, a, b);
  broadcast_shape(name, a.shape(), b.shape());
  Tensor y = binary_k(op, a, b);
  if (!needs_grad({a, b})) return y;
  BinarySaved s{op, {}, {}, {}, a.shape(), b.shape(), a.requires_grad(), b.requires_grad()};
  if (op == BinaryOp::Mul) s.a = a.detach();
  if (op == BinaryOp::Mul || op == BinaryOp::Div) s.b = b.detach();
  if (op == BinaryOp::Div) s.y = y.detach();
  record(y, name, {a, b}, [s](const Tensor& dy) { return binary_grads(s, dy); });
  return y;
}

void check_unary_input(const char* op, const Tensor& x) {
  ENG_CHECK(x.defined(), op, "input is undefined");
}

}  // namespace

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Dimension i of the output, counted from the left; missing leading dimensions are 1.
    int64_t da = i + a.size() < rank ? 1 : a[i + a.size() - rank];
    int64_t db = i + b.size() < rank ? 1 : b[i + b.size() - rank];
    ENG_CHECK(da == db || da == 1 || db == 1, op, "cannot broadcast shapes ", shape_str(a), " and ",
              shape_str(b), " (sizes ", da, " and ", db, " at output dimension ", i, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }

Tensor add_scalar(const Tensor& a, float s) {
  check_unary_input("add_scalar", a);
  Tensor y = unary_k(UnaryOp::AddScalar, a, s);
  record(y, "add_scalar", {a}, [](const Tensor& dy) { return std::vector<Tensor>{dy}; });
  return y;
}

Tensor mul_scalar(const Tensor& a, float s) {
  check_unary_input("mul_scalar", a);
  Tensor y = unary_k(UnaryOp::MulScalar, a, s);
  record(y, "mul_scalar", {a},
         [s](const Tensor& dy) { return std::vector<Tensor>{unary_k(UnaryOp::MulScalar, dy, s)}; });
  return y;
}

Tensor log(const Tensor& x) {
  check_unary_input("log", x);
  Tensor y = unary_k(UnaryOp::Log, x, 0.0f);
  record(y, "log", {x}, [sx = x.detach()](const Tensor& dy) {
    return std::vector<Tensor>{unary_grad_k(UnaryOp::Log, sx, dy, 0.0f)};
  });
  return y;
}

Tensor clamp_min(const Tensor& x, float lo) {
  check_unary_input("clamp_min", x);
  Tensor y = unary_k(UnaryOp::ClampMin, x, lo);
  record(y, "clamp_min", {x}, [sx = x.detach(), lo](const Tensor& dy) {
    return std::vector<Tensor>{unary_grad_k(UnaryOp::ClampMin, sx, dy, lo)};
  });
  return y;
}

}  // namespace eng
