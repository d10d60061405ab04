// adam.hpp — the Adam optimizer with torch.optim.Adam's update rule and defaults.
//
// For each parameter p with gradient g, at that parameter's own step t (counted from 1):
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   step_size = lr / (1 - b1^t);   denom = sqrt(v) / sqrt(1 - b2^t) + eps
//   p -= step_size * m / denom
// (bias corrections computed in double, like PyTorch's Python scalars; the element update in
// float32; the CUDA kernel forms 1 - beta in float, which differs from the CPU's rounded double
// by at most one ulp of that constant). Defaults: betas 0.9/0.999, eps 1e-8, weight_decay 0 (L2
// added to g when nonzero, as torch does: g += wd * p).
//
// Contract:
//  - State (m, v, step) is kept per parameter, keyed by the parameter's name, and created on
//    the first step in which that parameter has a gradient; a parameter whose grad is undefined
//    is skipped (its step does not advance), exactly like PyTorch.
//  - zero_grad() follows PyTorch 1.x (and the IIC authors' net.zero_grad()): gradients that
//    exist are replaced by zeros, so a parameter keeps being updated from its momentum in steps
//    where the loss did not reach it; zero_grad(true) drops them instead (set_to_none).
//  - Parameters and their gradients may live on the CPU (OpenMP, static schedule: bit for bit
//    reproducible) or on CUDA (eng::cuda::adam_update); state lives on the parameter's device.
//  - export_state()/import_state() give the state as NamedTensors for checkpoints:
//    "adam.m.<name>", "adam.v.<name>" (the parameter's shape) and "adam.step.<name>" (shape [1],
//    float32 like PyTorch's step tensor; exact up to 2^24 steps). Import checks names and shapes.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

#include "engine/params.hpp"

namespace eng {

// Hyper-parameters are doubles, like PyTorch's Python floats; the float32 element update uses
// them rounded to float (and 1 - beta rounded from double), as PyTorch's kernels do.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // CPU only (the CUDA update has no weight-decay term)
};

class Adam {
 public:
  // params: leaves that require grad, with unique non-empty names.
  Adam(NamedTensors params, AdamOptions options);

  void step();
  void zero_grad(bool set_to_none = false);

  const AdamOptions& options() const { return options_; }
  void set_lr(double lr);
  const NamedTensors& params() const { return params_; }
  int64_t step_count(const std::string& name) const;  // 0 before its first update

  NamedTensors export_state() const;  // tensors on the CPU
  void import_state(const NamedTensors& state);

 private:
  struct State {
    Tensor m, v;
    int64_t step = 0;
  };
  NamedTensors params_;
  AdamOptions options_;
  std::unordered_map<std::string, State> state_;
};

#ifdef ENG_HAVE_CUDA
namespace cuda {
// One Adam step over n contiguous floats on the engine stream (see the formula above):
// lr_t = lr / (1 - b1^t), bias2_sqrt = sqrt(1 - b2^t).
void adam_update(float* p, const float* g, float* m, float* v, int64_t n, float lr_t, float b1,
                 float b2, float eps, float bias2_sqrt);
}  // namespace cuda
#endif

}  // namespace eng
