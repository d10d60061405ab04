// clusternet6c.hpp — the authors' VGG-like ClusterNet6c (MNIST), see paper/protocol.md:
//   4 blocks conv 5x5 (pad 2, no bias) -> batch norm -> ReLU, 2x2 max pool between them,
//   channels 64, 128, 256, 512; 24x24 input -> 512x3x3 = 4608 features; two heads
//   (A: overclustering k_a, B: main k_b), S sub-heads each.
// Init: conv Kaiming normal (fan_in, ReLU gain); batch norm weight 1, bias 0.
// Parameter names: "trunk.conv<i>.weight", "trunk.bn<i>.weight", "trunk.bn<i>.bias", heads.
#pragma once
#include "models/cluster_net.hpp"

namespace models {

struct ClusterNet6cConfig {
  int in_channels = 1;
  int input_size = 24;
  int k_a = 50;
  int k_b = 10;
  int subheads = 5;
};

class ClusterNet6c : public ClusterNet {
 public:
  ClusterNet6c(const ClusterNet6cConfig& cfg, eng::Rng& rng);
  eng::Tensor features(const eng::Tensor& x, eng::BatchNormMode mode) const override;
  std::string name() const override { return "ClusterNet6c"; }
  int64_t feature_count() const { return feature_count_; }

 private:
  ClusterNet6cConfig cfg_;
  int64_t feature_count_ = 0;
  struct Block {
    int conv, gamma, beta;
  };
  std::vector<Block> blocks_;
};

}  // namespace models
