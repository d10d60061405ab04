// matmul.cpp — the public matmul op: validates ranks, inner and batch dimensions, runs the
// kernel, records the backward da = dy b^T, db = a^T dy (the kernel's transposition flags).
#include "ops/matmul.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

Tensor matmul_dispatch(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  ENG_DISPATCH3(a, matmul_forward(a, b, ta, tb))
}

void check_matmul_inputs(const Tensor& a, const Tensor& b) {
  ENG_CHECK(a.defined() && b.defined(), "matmul", "undefined operand: a ", a.describe(), ", b ",
            b.describe());
  for (const Tensor* t : {&a, &b})
    ENG_CHECK(t->ndim() == 2 || t->ndim() == 3, "matmul", t == &a ? "a" : "b",
              " must be 2-D or 3-D (batched), got ", shape_str(t->shape()));
  ENG_CHECK(a.ndim() == b.ndim(), "matmul", "a ", shape_str(a.shape()), " and b ",
            shape_str(b.shape()), " must have the same rank");
  ENG_CHECK(a.size(-1) == b.size(-2), "matmul", "inner dimensions differ: a ", shape_str(a.shape()),
            " has K = ", a.size(-1), " but b ", shape_str(b.shape()), " has K = ", b.size(-2));
  ENG_CHECK(a.ndim() == 2 || a.size(0) == b.size(0), "matmul", "batch sizes differ: a ",
            shape_str(a.shape()), " vs b ", shape_str(b.shape()));
  ENG_CHECK(a.numel() > 0 && b.numel() > 0, "matmul", "empty operand: a ", shape_str(a.shape()),
            ", b ", shape_str(b.shape()));
  check_same_device("matmul", a, b);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matmul_inputs(a, b);
  Tensor y = matmul_dispatch(a, b, false, false);
  const bool need_da = a.requires_grad(), need_db = b.requires_grad();
  record(y, "matmul", {a, b}, [a, b, need_da, need_db](const Tensor& dy) {
    return std::vector<Tensor>{need_da ? matmul_dispatch(dy, b, false, true) : Tensor(),
                               need_db ? matmul_dispatch(a, dy, true, false) : Tensor()};
  });
  return y;
}

}  // namespace eng
