// cluster_net.hpp — what every IIC clustering network offers the trainer: a trunk that maps
// images to features, and named heads of sub-heads that map features to cluster probabilities.
//
// Contract:
//  - features(x, mode): x [N, C, H, W] -> [N, F]; batch norm in `mode` (Train while training,
//    EvalBatchStats in evaluation, as the authors ran it).
//  - head(name, features) -> [S, N, k]: the softmax outputs of all S sub-heads of that head,
//    computed in one go (one linear layer over the concatenated sub-head weights).
//  - parameters(): every trainable tensor with a stable name (checkpoints, optimizer state).
//  - to(device) moves all parameters (they stay leaves that require grad).
#pragma once
#include <string>
#include <vector>

#include "engine/params.hpp"
#include "models/heads.hpp"
#include "ops/batchnorm.hpp"

namespace models {

class ClusterNet {
 public:
  virtual ~ClusterNet() = default;
  virtual eng::Tensor features(const eng::Tensor& x, eng::BatchNormMode mode) const = 0;
  virtual std::string name() const = 0;

  eng::Tensor head(const std::string& head_name, const eng::Tensor& features) const;
  const ClusterHeads& heads(const std::string& head_name) const;
  std::vector<std::string> head_names() const;
  eng::NamedTensors parameters() const;
  void to(eng::Device device);
  eng::Device device() const;

 protected:
  // Registers a parameter; returns its index in params_ (stable for the model's life).
  int add_parameter(const std::string& name, const eng::Shape& shape);
  const eng::Tensor& param(int index) const { return params_[index].tensor; }
  eng::Tensor& param_mut(int index) { return params_[index].tensor; }
  void add_heads(const std::string& head_name, int64_t in_features, int k, int subheads,
                 eng::Rng& rng);

 private:
  eng::NamedTensors params_;
  std::vector<ClusterHeads> heads_;
};

}  // namespace models
