// reduce.cpp — the public reductions sum and mean (see reduce.hpp): dimension checks, kernel
// dispatch, and the backward pass (dy broadcast back over the reduced dimensions).
// mean is sum scaled by 1/count, so its gradient comes from the two recorded steps.
#include "ops/reduce.hpp"

#include <algorithm>

#include "engine/autograd.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"

namespace eng {
namespace {

Tensor sum_k(const Tensor& x, const std::vector<int>& dims) {
  ENG_DISPATCH2(x, sum_forward(x, dims));
}
Tensor broadcast_k(const Tensor& g, const Shape& shape) {
  ENG_DISPATCH2(g, broadcast_to(g, shape));
}

std::string dims_str(const std::vector<int>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// dims made non-negative, sorted and checked (in range, no repeats, not empty).
std::vector<int> normalized_dims(const char* op, const Tensor& x, const std::vector<int>& dims) {
  ENG_CHECK(x.defined(), op, "input is undefined");
  ENG_CHECK(!dims.empty(), op, "empty list of dimensions for input ", shape_str(x.shape()),
            " (use ", op, "(x) to reduce all of them)");
  int n = x.ndim();
  std::vector<int> out;
  for (int d : dims) {
    ENG_CHECK(d >= -n && d < n, op, "dimension ", d, " out of range for shape ",
              shape_str(x.shape()), " (dims ", dims_str(dims), ")");
    out.push_back(d < 0 ? d + n : d);
  }
  std::sort(out.begin(), out.end());
  ENG_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op,
            "dimension repeated in dims ", dims_str(dims), " for shape ", shape_str(x.shape()));
  return out;
}

std::vector<int> all_dims(const Tensor& x) {
  std::vector<int> dims(x.ndim());
  for (int i = 0; i < x.ndim(); ++i) dims[i] = i;
  return dims;
}

// x's shape with the reduced dimensions set to 1 (keepdim) or removed.
Shape reduced_shape(const Shape& x, const std::vector<int>& dims, bool keepdim) {
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), static_cast<int>(i));
    if (!reduced)
      out.push_back(x[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

// sum over normalized dims (possibly none: a copy).
Tensor sum_checked(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  Shape kept = reduced_shape(x.shape(), dims, true);
  Tensor y = reshape(sum_k(x, dims), reduced_shape(x.shape(), dims, keepdim));
  record(y, "sum", {x}, [kept, x_shape = x.shape()](const Tensor& dy) {
    return std::vector<Tensor>{broadcast_k(reshape(dy, kept), x_shape)};
  });
  return y;
}

Tensor mean_checked(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  int64_t count = 1;
  for (int d : dims) count *= x.shape()[d];
  ENG_CHECK(count > 0, "mean", "no elements to average over dims ", dims_str(dims), " of shape ",
            shape_str(x.shape()));
  return mul_scalar(sum_checked(x, dims, keepdim), static_cast<float>(1.0 / count));
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  return sum_checked(x, normalized_dims("sum", x, dims), keepdim);
}

Tensor sum(const Tensor& x) {
  ENG_CHECK(x.defined(), "sum", "input is undefined");
  return sum_checked(x, all_dims(x), false);
}

Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  return mean_checked(x, normalized_dims("mean", x, dims), keepdim);
}

Tensor mean(const Tensor& x) {
  ENG_CHECK(x.defined(), "mean", "input is undefined");
  return mean_checked(x, all_dims(x), false);
}

}  // namespace eng
