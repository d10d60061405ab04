// shape_ops.cpp — the public shape ops (see shape_ops.hpp): argument checks, kernel dispatch
// (reference on the CPU, CUDA kernels on the GPU) and the backward passes:
//   reshape/flatten -> dy relabelled with the input shape (no copy for a plain dy)
//   permute/transpose -> dy permuted by the inverse permutation
//   concat -> the slice of dy that each input contributed
//   slice  -> dy written into zeros of the input shape
#include "ops/shape_ops.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

Tensor permute_k(const Tensor& x, const std::vector<int>& dims) {
  ENG_DISPATCH2(x, permute_forward(x, dims));
}
Tensor concat_k(const std::vector<Tensor>& xs, int dim) {
  ENG_DISPATCH2(xs.front(), concat_forward(xs, dim));
}
Tensor slice_k(const Tensor& x, int dim, int64_t start, int64_t length) {
  ENG_DISPATCH2(x, slice_forward(x, dim, start, length));
}
Tensor slice_grad_k(const Tensor& dy, const Shape& x_shape, int dim, int64_t start) {
  ENG_DISPATCH2(dy, slice_backward(dy, x_shape, dim, start));
}

std::string dims_str(const std::vector<int>& dims) {
  return shape_str(Shape(dims.begin(), dims.end()));
}

void check_defined(const char* op, const Tensor& x) {
  ENG_CHECK(x.defined(), op, "input is undefined");
}

// dim in [-ndim, ndim) made non-negative.
int normalized_dim(const char* op, int dim, const Tensor& x) {
  int n = x.ndim();
  ENG_CHECK(dim >= -n && dim < n, op, "dimension ", dim, " out of range for shape ",
            shape_str(x.shape()));
  return dim < 0 ? dim + n : dim;
}

// x's elements under another shape with the same count: shares x's storage when x is plain
// (a plain row-major buffer reads the same under any shape), else a plain copy.
Tensor relabelled(const Tensor& x, const Shape& shape) {
  Tensor y = x.plain().detach();
  y.impl()->shape = shape;
  return y;
}

// shape with its one -1 (if any) replaced by what makes `count` elements.
Shape resolved_shape(const Tensor& x, const Shape& shape) {
  Shape out = shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      ENG_CHECK(infer < 0, "reshape", "more than one -1 in target shape ", shape_str(shape));
      infer = static_cast<int>(i);
    } else {
      ENG_CHECK(shape[i] >= 0, "reshape", "negative size in target shape ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0 && known > 0) out[infer] = x.numel() / known;
  ENG_CHECK((infer < 0 || known > 0) && numel_of(out) == x.numel(), "reshape", "cannot reshape ",
            shape_str(x.shape()), " (", x.numel(), " elements) to ", shape_str(shape));
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_defined("reshape", x);
  Shape target = resolved_shape(x, shape);
  if (target == x.shape()) return x;
  Tensor y = relabelled(x, target);
  record(y, "reshape", {x}, [x_shape = x.shape()](const Tensor& dy) {
    return std::vector<Tensor>{relabelled(dy, x_shape)};
  });
  return y;
}

Tensor flatten(const Tensor& x, int start_dim) {
  check_defined("flatten", x);
  int start = normalized_dim("flatten", start_dim, x);
  Shape target(x.shape().begin(), x.shape().begin() + start);
  target.push_back(numel_of(Shape(x.shape().begin() + start, x.shape().end())));
  return reshape(x, target);
}

Tensor permute(const Tensor& x, const std::vector<int>& dims) {
  check_defined("permute", x);
  int n = x.ndim();
  ENG_CHECK(static_cast<int>(dims.size()) == n, "permute", "dims ", dims_str(dims), " has ",
            dims.size(), " entries for the ", n, "-D shape ", shape_str(x.shape()));
  std::vector<int> perm(n), inverse(n, -1);
  for (int i = 0; i < n; ++i) {
    int d = dims[i] < 0 ? dims[i] + n : dims[i];
    ENG_CHECK(d >= 0 && d < n && inverse[d] < 0, "permute", "dims ", dims_str(dims),
              " is not a permutation of the dimensions of shape ", shape_str(x.shape()));
    perm[i] = d;
    inverse[d] = i;
  }
  Tensor y = permute_k(x, perm);
  record(y, "permute", {x},
         [inverse](const Tensor& dy) { return std::vector<Tensor>{permute_k(dy, inverse)}; });
  return y;
}

Tensor transpose(const Tensor& x, int d0, int d1) {
  check_defined("transpose", x);
  int a = normalized_dim("transpose", d0, x), b = normalized_dim("transpose", d1, x);
  std::vector<int> perm(x.ndim());
  for (int i = 0; i < x.ndim(); ++i) perm[i] = i;
  std::swap(perm[a], perm[b]);
  return permute(x, perm);
}

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  ENG_CHECK(!xs.empty(), "concat", "empty list of tensors");
  for (size_t k = 0; k < xs.size(); ++k)
    ENG_CHECK(xs[k].defined(), "concat", "input ", k, " is undefined");
  const Tensor& x0 = xs.front();
  ENG_CHECK(x0.ndim() >= 1, "concat", "inputs need at least one dimension, got shape ",
            shape_str(x0.shape()));
  int d = normalized_dim("concat", dim, x0);
  std::vector<int64_t> sizes;
  for (size_t k = 0; k < xs.size(); ++k) {
    check_same_device("concat", x0, xs[k]);
    Shape a = x0.shape(), b = xs[k].shape();
    bool rank_ok = a.size() == b.size();
    if (rank_ok) a[d] = b[d];
    ENG_CHECK(rank_ok && a == b, "concat", "input ", k, " has shape ", shape_str(xs[k].shape()),
              " but input 0 has shape ", shape_str(x0.shape()),
              " (all dimensions except dimension ", d, " must match)");
    sizes.push_back(b[d]);
  }
  Tensor y = concat_k(xs, d);
  std::vector<bool> need;
  for (const Tensor& x : xs) need.push_back(x.requires_grad());
  record(y, "concat", xs, [sizes, need, d](const Tensor& dy) {
    std::vector<Tensor> grads(sizes.size());
    int64_t offset = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (need[k]) grads[k] = slice_k(dy, d, offset, sizes[k]);
      offset += sizes[k];
    }
    return grads;
  });
  return y;
}

Tensor slice(const Tensor& x, int dim, int64_t start, int64_t length) {
  check_defined("slice", x);
  ENG_CHECK(x.ndim() >= 1, "slice", "input needs at least one dimension, got shape ",
            shape_str(x.shape()));
  int d = normalized_dim("slice", dim, x);
  int64_t size = x.shape()[d];
  ENG_CHECK(length > 0, "slice", "length must be positive, got ", length, " (shape ",
            shape_str(x.shape()), ", dimension ", d, ")");
  ENG_CHECK(start >= 0 && start <= size - length, "slice", "elements ", start, "..",
            start + length - 1, " out of range for dimension ", d, " of size ", size, " (shape ",
            shape_str(x.shape()), ")");
  Tensor y = slice_k(x, d, start, length);
  record(y, "slice", {x}, [x_shape = x.shape(), d, start](const Tensor& dy) {
    return std::vector<Tensor>{slice_grad_k(dy, x_shape, d, start)};
  });
  return y;
}

}  // namespace eng
