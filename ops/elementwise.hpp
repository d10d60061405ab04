// elementwise.hpp — binary arithmetic with broadcasting, and the unary ops IIC needs.
//
// Broadcasting: shapes are aligned at the right; each dimension pair must be equal or one of
// them 1 (a missing leading dimension counts as 1). The gradient of a broadcast input is the
// output gradient summed over the broadcast dimensions.
//   add, sub, mul, div            a (op) b
//   add_scalar, mul_scalar        a + s, a * s
//   log                           natural log (of positive inputs; log(0) = -inf, like PyTorch)
//   clamp_min                     max(x, lo); gradient 0 where x < lo (the clamped entries)
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

enum class BinaryOp { Add, Sub, Mul, Div };
enum class UnaryOp { Log, ClampMin, AddScalar, MulScalar };

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b);
const char* binary_name(BinaryOp op);  // "add", "sub", "mul", "div" (for messages)

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add_scalar(const Tensor& a, float s);
Tensor mul_scalar(const Tensor& a, float s);
Tensor log(const Tensor& x);
Tensor clamp_min(const Tensor& x, float lo);

// Kernels. binary_forward broadcasts; unary_forward applies op with scalar s (ignored by Log);
// unary_backward gives dx from x and dy (for Log: dy / x; ClampMin: dy where x >= s else 0;
// scalar ops are handled in the op itself). sum_to reduces a broadcast gradient back to `shape`.
#define ENG_ELEMENTWISE_KERNELS                                                  \
  Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b);          \
  Tensor unary_forward(UnaryOp op, const Tensor& x, float s);                    \
  Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& dy, float s); \
  Tensor sum_to(const Tensor& g, const Shape& shape);
ENG_DECLARE_KERNELS(ENG_ELEMENTWISE_KERNELS)

}  // namespace eng
