// matmul_onednn.cpp — matmul on the oneDNN matmul primitive, 2-D or batched 3-D. A transposed
// operand is described by swapping the strides of its last two dimensions (no copy); the
// result is plain. Primitives are created once per (operand shapes, flags).
#include "ops/matmul.hpp"
#include "ops/onednn_common.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;

// The logical operand op(t) of a plain tensor t: t itself or, when transposed, t with its last
// two dimensions (and their strides) swapped.
memory::desc operand_desc(const Shape& stored, bool transposed) {
  memory::desc plain = plain_desc(stored);
  if (!transposed) return plain;
  memory::dims dims = dims_of(stored);
  const auto& st = plain.data.format_desc.blocking.strides;
  memory::dims strides(st, st + stored.size());
  const size_t r = stored.size();
  std::swap(dims[r - 1], dims[r - 2]);
  std::swap(strides[r - 1], strides[r - 2]);
  return memory::desc(dims, memory::data_type::f32, strides);
}

}  // namespace

Tensor matmul_forward(const Tensor& a_in, const Tensor& b_in, bool ta, bool tb) {
  static PrimitiveCache<CachedPrimitive<dnnl::matmul>> cache;
  const Tensor a = a_in.plain(), b = b_in.plain();
  const memory::desc a_md = operand_desc(a.shape(), ta), b_md = operand_desc(b.shape(), tb);
  Shape y_shape = a.shape();
  y_shape.back() = b_md.dims().back();
  y_shape[y_shape.size() - 2] = a_md.dims()[y_shape.size() - 2];
  auto& c = cache.get(desc_key(a_md) + desc_key(b_md), [&] {
    return CachedPrimitive<dnnl::matmul>(
        {dnnl::matmul::desc(a_md, b_md, plain_desc(y_shape)), cpu_engine()});
  });
  Tensor y = Tensor::empty(y_shape);
  run(c.prim, {{DNNL_ARG_SRC, memory(a_md, cpu_engine(), a.raw())},
               {DNNL_ARG_WEIGHTS, memory(b_md, cpu_engine(), b.raw())},
               {DNNL_ARG_DST, memory_of(y)}});
  return y;
}

}  // namespace eng::onednn
