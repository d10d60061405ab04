// params.hpp — named parameters and the initialisers the models use.
//
// A model exposes its trainable tensors as an ordered list of (stable name, tensor); the names
// ("trunk.conv1.weight", "head_b.sub0.bias", ...) key checkpoints and optimizer state.
// Initialisers fill plain CPU tensors from an Rng and match PyTorch's definitions:
//   kaiming_normal: std = gain / sqrt(fan), gain = sqrt(2) for ReLU, fan = fan_in (C_in*kh*kw)
//   or fan_out (C_out*kh*kw) of a weight shaped [C_out, C_in, kh, kw] (or [out, in]).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/rng.hpp"
#include "engine/tensor.hpp"

namespace eng {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};
using NamedTensors = std::vector<NamedTensor>;

// A fresh leaf that requires grad, zero-filled, on the CPU.
Tensor make_parameter(const Shape& shape);

enum class FanMode { FanIn, FanOut };
void init_kaiming_normal(Tensor& w, FanMode mode, Rng& rng);  // ReLU gain
void init_normal(Tensor& t, float mean, float stddev, Rng& rng);
void init_constant(Tensor& t, float value);

// Lookup by name; throws naming the missing parameter.
const Tensor& find_named(const NamedTensors& list, const std::string& name);

// Copies each saved tensor (plain CPU, e.g. from a checkpoint) into the parameter of the same
// name, on whatever device the parameter lives. Errors name `source`, the tensor and what is
// wrong: a parameter missing from `saved`, or a dtype or shape other than the parameter's.
void assign_named(NamedTensors& params, const NamedTensors& saved, const std::string& source);

}  // namespace eng
