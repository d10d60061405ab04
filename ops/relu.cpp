// relu.cpp — the public relu op (see relu.hpp): validates the input, dispatches the forward
// kernel (ref / oneDNN / CUDA) and records the backward, which needs only the output y.
#include "ops/relu.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

const char* kOp = "relu";

Tensor forward_kernel(const Tensor& x) { ENG_DISPATCH3(x, relu_forward(x)); }

Tensor backward_kernel(const Tensor& y, const Tensor& dy) {
  ENG_DISPATCH3(y, relu_backward(y, dy));
}

}  // namespace

Tensor relu(const Tensor& x) {
  ENG_CHECK(x.defined(), kOp, "input is undefined");
  ENG_CHECK(x.dtype() == DType::F32, kOp, "needs a float32 input, got ", x.describe());
  ENG_CHECK(x.numel() > 0, kOp, "empty input ", shape_str(x.shape()));
  Tensor y = forward_kernel(x);
  // y.detach(): the closure lives in y's own node, so it must not hold y's impl (a cycle).
  record(y, kOp, {x}, [y_saved = y.detach()](const Tensor& dy) {
    return std::vector<Tensor>{backward_kernel(y_saved, dy)};
  });
  return y;
}

}  // namespace eng
