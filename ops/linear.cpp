// linear.cpp — the public linear op: validates x, w, b, runs the kernel, records the backward
// (dx = dy w, dw = dy^T x, db = column sums of dy; only the gradients that are needed).
#include "ops/linear.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

Tensor linear_dispatch(const Tensor& x, const Tensor& w,
                       const Tensor& b){ENG_DISPATCH3(x, linear_forward(x, w, b))}

LinearGrads linear_backward_dispatch(const Tensor& x, const Tensor& w, const Tensor& dy,
                                     bool need_dx, bool need_dw, bool need_db) {
  ENG_DISPATCH3(x, linear_backward(x, w, dy, need_dx, need_dw, need_db))
}

void check_linear_inputs(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_ndim("linear", "input x (N, IN)", x, 2);
  check_ndim("linear", "weight w (OUT, IN)", w, 2);
  ENG_CHECK(x.numel() > 0, "linear", "empty input x ", shape_str(x.shape()));
  ENG_CHECK(w.numel() > 0, "linear", "empty weight w ", shape_str(w.shape()));
  ENG_CHECK(x.size(1) == w.size(1), "linear", "x ", shape_str(x.shape()), " has ", x.size(1),
            " features but w ", shape_str(w.shape()), " expects ", w.size(1));
  check_same_device("linear", x, w);
  if (b.defined()) {
    ENG_CHECK(b.ndim() == 1 && b.size(0) == w.size(0), "linear", "bias must be [", w.size(0),
              "] for w ", shape_str(w.shape()), ", got ", shape_str(b.shape()));
    check_same_device("linear", x, b);
  }
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_linear_inputs(x, w, b);
  Tensor y = linear_dispatch(x, w, b);
  const bool need_dx = x.requires_grad(), need_dw = w.requires_grad();
  const bool need_db = b.defined() && b.requires_grad();
  record(y, "linear", {x, w, b}, [x, w, need_dx, need_dw, need_db](const Tensor& dy) {
    LinearGrads g = linear_backward_dispatch(x, w, dy, need_dx, need_dw, need_db);
    return std::vector<Tensor>{g.dx, g.dw, g.db};
  });
  return y;
}

}  // namespace eng
