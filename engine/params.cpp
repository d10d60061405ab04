// params.cpp — parameters and initialisers (see params.hpp).
#include "engine/params.hpp"

#include <cmath>

#include "engine/allocator.hpp"

namespace eng {

Tensor make_parameter(const Shape& shape) {
  Tensor t = Tensor::zeros(shape);
  t.set_requires_grad(true);
  return t;
}

void init_kaiming_normal(Tensor& w, FanMode mode, Rng& rng) {
  ENG_CHECK(w.ndim() >= 2, "init_kaiming_normal", "needs a weight of rank >= 2, got ",
            shape_str(w.shape()));
  int64_t receptive = 1;
  for (int i = 2; i < w.ndim(); ++i) receptive *= w.size(i);
  int64_t fan = (mode == FanMode::FanIn ? w.size(1) : w.size(0)) * receptive;
  init_normal(w, 0.0f, static_cast<float>(std::sqrt(2.0 / static_cast<double>(fan))), rng);
}

void init_normal(Tensor& t, float mean, float stddev, Rng& rng) {
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = mean + stddev * rng.normal();
}

void init_constant(Tensor& t, float value) {
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = value;
}

const Tensor& find_named(const NamedTensors& list, const std::string& name) {
  for (const NamedTensor& nt : list)
    if (nt.name == name) return nt.tensor;
  throw Error(str("parameters: no tensor named '", name, "'"));
}

void assign_named(NamedTensors& params, const NamedTensors& saved, const std::string& source) {
  for (NamedTensor& p : params) {
    const NamedTensor* match = nullptr;
    for (const NamedTensor& s : saved)
      if (s.name == p.name) match = &s;
    ENG_CHECK(match, "parameters", source, " has no tensor '", p.name, "'");
    ENG_CHECK(match->tensor.dtype() == p.tensor.dtype(), "parameters", source, ": tensor ", p.name,
              " is ", dtype_name(match->tensor.dtype()), ", the model's is ",
              dtype_name(p.tensor.dtype()));
    ENG_CHECK(match->tensor.shape() == p.tensor.shape(), "parameters", source, ": tensor ", p.name,
              " has shape ", shape_str(match->tensor.shape()), ", the model expects ",
              shape_str(p.tensor.shape()));
    Tensor on_device = match->tensor.to(p.tensor.device());
    device_copy(p.tensor.raw(), p.tensor.device(), on_device.raw(), on_device.device(),
                p.tensor.storage_bytes());
  }
}

}  // namespace eng
