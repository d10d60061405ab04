// heads.hpp — a head of S sub-heads, each one linear layer (with bias) from the trunk's F
// features to k clusters followed by softmax; initialised as the authors did: weight N(0, 0.01),
// bias 0. Its parameters are named "<head>.sub<j>.weight" / ".bias".
#pragma once
#include <string>

#include "engine/params.hpp"

namespace models {

struct ClusterHeads {
  std::string name;
  int64_t in_features = 0;
  int k = 0;
  int subheads = 0;
  int first_param = 0;  // index of sub0.weight in the model's parameter list; then bias, sub1...

  // probabilities [S, N, k] from features [N, F]; params is the model's parameter list.
  eng::Tensor forward(const eng::NamedTensors& params, const eng::Tensor& features) const;
};

}  // namespace models
