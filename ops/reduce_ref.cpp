// reduce_ref.cpp — reference sum_forward (reduce.hpp): plain C++ + OpenMP, the oracle and the
// CPU kernel. (broadcast_to, the other kernel of reduce.hpp, is a strided copy and lives with
// the other copies in shape_ops_ref.cpp.)
//
// Each output element is one double accumulator fed in row-major order of the reduced
// indices; threads split the output elements only, so the result is bit-identical for any
// thread count. Adjacent dimensions of the same kind (kept / reduced) are merged first, which
// turns e.g. a [N, C, H, W] -> [1, C, 1, 1] reduction into [N] x [HW] strided runs.
#include <algorithm>

#include "ops/reduce.hpp"

namespace eng::ref {
namespace {

constexpr int64_t kParallelMin = 1 << 15;  // elements below which one thread is faster

struct Run {  // a group of merged dimensions: `size` steps of `stride` elements
  int64_t size, stride;
};

// acc += every x[sum_k i_k * runs[k].stride], i in row-major order over runs[0..n).
void accumulate(const float* x, const Run* runs, size_t n, double& acc) {
  if (n == 0) {
    acc += *x;
  } else if (n == 1) {
    for (int64_t i = 0; i < runs[0].size; ++i) acc += x[i * runs[0].stride];
  } else {
    for (int64_t i = 0; i < runs[0].size; ++i)
      accumulate(x + i * runs[0].stride, runs + 1, n - 1, acc);
  }
}

}  // namespace

Tensor sum_forward(const Tensor& x, const std::vector<int>& dims) {
  Tensor xp = x.plain();
  const Shape& shape = xp.shape();
  int nd = static_cast<int>(shape.size());
  for (size_t k = 0; k < dims.size(); ++k)
    ENG_CHECK(dims[k] >= 0 && dims[k] < nd && (k == 0 || dims[k] > dims[k - 1]), "sum_forward",
              "dims must be sorted, unique and in range for shape ", shape_str(shape));

  // Split the dimensions into kept and reduced runs (row-major strides of the plain input).
  std::vector<Run> kept, reduced;
  Shape out_shape = shape;
  int64_t stride = 1;
  bool last_reduced = false, have_last = false;
  for (int d = nd - 1; d >= 0; --d) {  // innermost first, so strides grow as we go
    bool is_reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (is_reduced) out_shape[d] = 1;
    if (shape[d] != 1) {
      std::vector<Run>& runs = is_reduced ? reduced : kept;
      if (have_last && last_reduced == is_reduced)
        runs.front().size *= shape[d];  // contiguous with the run inside it: merge
      else
        runs.insert(runs.begin(), Run{shape[d], stride});
      last_reduced = is_reduced;
      have_last = true;
    }
    stride *= shape[d];
  }

  Tensor y = Tensor::empty(out_shape);
  const float* px = xp.data();
  float* py = y.data();
  int64_t n_out = y.numel();
  int64_t n_in = xp.numel();
#pragma omp parallel for schedule(static) if (n_in > kParallelMin && n_out > 1)
  for (int64_t o = 0; o < n_out; ++o) {
    int64_t base = 0, rest = o;  // o in row-major order over the kept runs -> input offset
    for (size_t k = kept.size(); k-- > 0;) {
      base += (rest % kept[k].size) * kept[k].stride;
      rest /= kept[k].size;
    }
    double acc = 0;
    accumulate(px + base, reduced.data(), reduced.size(), acc);
    py[o] = static_cast<float>(acc);
  }
  return y;
}

}  // namespace eng::ref
