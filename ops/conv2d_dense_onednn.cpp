// conv2d_dense_onednn.cpp — conv2d as X . W' on oneDNN's matmul (contract in the header).
// W' is built from w on every call that needs it (forward, dx), in the compute type; dW' comes
// back float32 and is folded into dw by one pass over it. The three products use oneDNN's
// matmul primitives, created once per (shapes, type) key; every tensor they return is plain.
#include "ops/conv2d_dense_onednn.hpp"

#include <vector>

#include "ops/bf16.hpp"
#include "ops/onednn_common.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

// The convolution's sizes and, for every (output position, input position) pair, the kernel
// tap u*KW + v that joins them (-1: none).
struct Dense {
  int64_t n, c, hw, o, kk, ohw;
  std::vector<int> tap;  // [ohw * hw]
  Dense(const Tensor& x, const Tensor& w, const Conv2dParams& p)
      : n(x.size(0)),
        c(x.size(1)),
        hw(x.size(2) * x.size(3)),
        o(w.size(0)),
        kk(w.size(2) * w.size(3)) {
    const Shape ys = conv2d_output_shape(x, w, Tensor(), p);
    const int64_t h = x.size(2), wd = x.size(3), kh = w.size(2), kw = w.size(3);
    ohw = ys[2] * ys[3];
    tap.assign(size_t(ohw * hw), -1);
    for (int64_t i = 0; i < ys[2]; ++i)
      for (int64_t j = 0; j < ys[3]; ++j)
        for (int64_t u = 0; u < kh; ++u)
          for (int64_t v = 0; v < kw; ++v) {
            const int64_t y = i * p.stride_h - p.pad_h + u * p.dil_h;
            const int64_t xx = j * p.stride_w - p.pad_w + v * p.dil_w;
            if (y >= 0 && y < h && xx >= 0 && xx < wd)
              tap[size_t((i * ys[3] + j) * hw + y * wd + xx)] = int(u * kw + v);
          }
  }
  int64_t k() const { return c * hw; }   // rows of W'
  int64_t m() const { return o * ohw; }  // columns of W'
};

dt compute_type() { return compute_precision() == Precision::BF16 ? dt::bf16 : dt::f32; }

// W' [k, m] row-major in the compute type, from the plain float32 w.
Tensor unrolled_weights(const Dense& d, const Tensor& w_in) {
  const Tensor w = w_in.plain();
  const float* src = w.data();
  const bool bf16 = compute_type() == dt::bf16;
  Tensor out = storage_for(memory::desc({d.k(), d.m()}, compute_type(), tag::ab));
  float* f32 = bf16 ? nullptr : static_cast<float*>(out.raw());
  uint16_t* b16 = bf16 ? static_cast<uint16_t*>(out.raw()) : nullptr;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < d.c; ++c)
    for (int64_t pos = 0; pos < d.hw; ++pos) {
      const int64_t row = (c * d.hw + pos) * d.m();
      for (int64_t o = 0; o < d.o; ++o) {
        const float* taps = src + (o * d.c + c) * d.kk;
        for (int64_t q = 0; q < d.ohw; ++q) {
          const int t = d.tap[size_t(q * d.hw + pos)];
          const float v = t < 0 ? 0.0f : taps[t];
          const int64_t at = row + o * d.ohw + q;
          if (bf16)
            b16[at] = bf16_bits(v);
          else
            f32[at] = v;
        }
      }
    }
  return out;
}

// t as a plain tensor in the compute type (t itself when it already is one).
Tensor plain_in_compute_type(const Tensor& t) {
  const memory::desc plain = plain_desc(t.shape());
  const auto& st = plain.data.format_desc.blocking.strides;
  return to_desc(
      t, memory::desc(plain.dims(), compute_type(), memory::dims(st, st + t.shape().size())));
}

// A 2-D operand of a product: sizes, type and the layout tag (ab: row-major; ba: the
// transpose of a row-major matrix, read in place).
memory::desc operand(int64_t rows, int64_t cols, dt type, tag layout) {
  return memory::desc({rows, cols}, type, layout);
}

// dst = a . b (+ bias, one value per column), dst plain float32.
void product(const memory::desc& a_md, const Tensor& a, const memory::desc& b_md, const Tensor& b,
             Tensor& dst, const Tensor& bias = Tensor()) {
  static PrimitiveCache<CachedPrimitive<dnnl::matmul>> cache;
  const memory::desc dst_md = operand(a_md.dims()[0], b_md.dims()[1], dt::f32, tag::ab);
  const memory::desc bias_md =
      bias.defined() ? operand(1, b_md.dims()[1], dt::f32, tag::ab) : memory::desc();
  auto& mm = cache.get(desc_key(a_md) + desc_key(b_md) + desc_key(bias_md), [&] {
    auto d = bias.defined() ? dnnl::matmul::desc(a_md, b_md, bias_md, dst_md)
                            : dnnl::matmul::desc(a_md, b_md, dst_md);
    return CachedPrimitive<dnnl::matmul>({d, cpu_engine()});
  });
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(a_md, cpu_engine(), a.raw())},
                                       {DNNL_ARG_WEIGHTS, memory(b_md, cpu_engine(), b.raw())},
                                       {DNNL_ARG_DST, memory(dst_md, cpu_engine(), dst.raw())}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, memory(bias_md, cpu_engine(), bias.raw()));
  run(mm.prim, args);
}

// dw [O, C, KH, KW] from dW' [k, m]: each tap's sum over the position pairs it joins, in a
// fixed order (input position, then output position); each thread owns input channels.
Tensor fold_weight_gradient(const Dense& d, const Tensor& dwp, const Shape& w_shape) {
  Tensor dw = Tensor::zeros(w_shape);
  float* out = dw.data();
  const float* src = dwp.data();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < d.c; ++c)
    for (int64_t pos = 0; pos < d.hw; ++pos) {
      const float* row = src + (c * d.hw + pos) * d.m();
      for (int64_t o = 0; o < d.o; ++o) {
        float* taps = out + (o * d.c + c) * d.kk;
        for (int64_t q = 0; q < d.ohw; ++q) {
          const int t = d.tap[size_t(q * d.hw + pos)];
          if (t >= 0) taps[t] += row[o * d.ohw + q];
        }
      }
    }
  return dw;
}

}  // namespace

bool conv2d_dense_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  const Shape ys = conv2d_output_shape(x, w, Tensor(), p);
  const int64_t hw = x.size(2) * x.size(3), kk = w.size(2) * w.size(3);
  const int64_t weights = x.size(1) * hw * w.size(0) * ys[2] * ys[3];
  return hw <= kk && weights * int64_t(sizeof(float)) <= (int64_t(256) << 20);
}

Tensor conv2d_dense_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                            const Conv2dParams& p) {
  const Dense d(x, w, p);
  const dt type = compute_type();
  const Tensor xin = plain_in_compute_type(x), wp = unrolled_weights(d, w);
  Tensor y = Tensor::empty(conv2d_output_shape(x, w, b, p));
  Tensor bias;
  if (b.defined()) {
    const Tensor bp = b.plain();
    bias = Tensor::empty({d.m()});
    const float* per_channel = bp.data();
    float* per_column = bias.data();
    for (int64_t o = 0; o < d.o; ++o)
      for (int64_t q = 0; q < d.ohw; ++q) per_column[o * d.ohw + q] = per_channel[o];
  }
  product(operand(d.n, d.k(), type, tag::ab), xin, operand(d.k(), d.m(), type, tag::ab), wp, y,
          bias);
  return y;
}

Conv2dGrads conv2d_dense_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                  const Conv2dParams& p, bool need_dx, bool need_dw) {
  const Dense d(x, w, p);
  const dt type = compute_type();
  const Tensor g = plain_in_compute_type(dy);
  Conv2dGrads grads;
  if (need_dx) {  // dx = dy . W'^T
    grads.dx = Tensor::empty(x.shape());
    product(operand(d.n, d.m(), type, tag::ab), g, operand(d.m(), d.k(), type, tag::ba),
            unrolled_weights(d, w), grads.dx);
  }
  if (need_dw) {  // dW' = X^T . dy
    Tensor dwp = Tensor::empty({d.k(), d.m()});
    product(operand(d.k(), d.n, type, tag::ba), plain_in_compute_type(x),
            operand(d.n, d.m(), type, tag::ab), g, dwp);
    grads.dw = fold_weight_gradient(d, dwp, w.shape());
  }
  return grads;
}

}  // namespace eng::onednn
