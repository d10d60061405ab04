// softmax.cpp — the public softmax op: resolves a negative dim, rejects an out-of-range dim and
// empty input, runs the kernel and records the backward, which needs only the output y.
#include "ops/softmax.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

Tensor softmax_dispatch(const Tensor& x, int dim){ENG_DISPATCH3(x, softmax_forward(x, dim))}

Tensor softmax_backward_dispatch(const Tensor& y, const Tensor& dy, int dim) {
  ENG_DISPATCH3(y, softmax_backward(y, dy, dim))
}

}  // namespace

Tensor softmax(const Tensor& x, int dim) {
  ENG_CHECK(x.defined(), "softmax", "input is undefined");
  const int d = dim < 0 ? dim + x.ndim() : dim;
  ENG_CHECK(d >= 0 && d < x.ndim(), "softmax", "dim ", dim, " out of range for input ",
            shape_str(x.shape()));
  ENG_CHECK(x.numel() > 0, "softmax", "empty input ", shape_str(x.shape()));
  Tensor y = softmax_dispatch(x, d);
  // The closure keeps y's data, not y itself (that would make y own its own node).
  record(y, "softmax", {x}, [y_saved = y.detach(), d](const Tensor& dy) {
    return std::vector<Tensor>{softmax_backward_dispatch(y_saved, dy, d)};
  });
  return y;
}

}  // namespace eng
