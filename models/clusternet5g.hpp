// clusternet5g.hpp — the authors' ResNet34-like ClusterNet5g (CIFAR-10, CIFAR100-20, STL-10),
// see paper/protocol.md:
//   [sobel]  optional fixed Sobel step: greyscale [N, 1, H, W] -> gradients [N, 2, H, W]
//   stem     conv 3x3 s1 p1 (no bias) -> BN -> ReLU -> max pool k2 s2 p1
//   stages   BasicBlocks [3, 4, 6, 3], widths 64, 128, 256, 512; stages 2-4 start with stride
//            2 and a 1x1 strided conv + BN shortcut. BasicBlock: conv3x3(stride) -> BN -> ReLU
//            -> conv3x3 -> BN, + shortcut, ReLU.
//   pool     average pool over the whole final map (kernel 3 for 32x32 input, 5 for 64x64, 7 for
//            96x96, stride 1, as the authors), flatten -> 512 features
//   heads    A (overclustering, k_a) and B (main, k_b), S sub-heads each (heads.hpp).
// Init: conv Kaiming normal (fan_out, ReLU gain); batch norm weight 1, bias 0.
//
// Where the Sobel step lives: inside features(). With sobel = true the network takes the
// greyscale batch [N, 1, H, W] that the Sobel pipeline's transforms produce
// (data/augment_sobel.hpp) and applies eng::sobel itself, so the trainer, the loader and
// evaluation are the same for every pipeline. The filter is fixed (no parameters).
// With sobel = false it takes [N, in_channels, H, W] as is (greyscale or RGB pipelines).
//
// Parameter names follow PyTorch's ResNet: "trunk.conv1.weight", "trunk.bn1.weight",
// "trunk.layer2.0.conv1.weight", "trunk.layer2.0.downsample.0.weight" (1x1 conv),
// "trunk.layer2.0.downsample.1.weight" (its BN), ..., then the heads.
#pragma once
#include "models/cluster_net.hpp"

namespace models {

struct ClusterNet5gConfig {
  bool sobel = true;    // apply the Sobel step to a 1-channel input
  int in_channels = 1;  // channels given to features(); must be 1 with sobel
  int input_size = 32;  // square input side (32, 64, 96 in Table 1; any side >= 4 works)
  int k_a = 70;
  int k_b = 10;
  int subheads = 5;
};

class ClusterNet5g : public ClusterNet {
 public:
  ClusterNet5g(const ClusterNet5gConfig& cfg, eng::Rng& rng);
  eng::Tensor features(const eng::Tensor& x, eng::BatchNormMode mode) const override;
  std::string name() const override { return "ClusterNet5g"; }
  int64_t feature_count() const { return 512; }
  int avg_pool_kernel() const { return pool_kernel_; }  // side of the final feature map

 private:
  struct ConvBn {
    int conv = -1, gamma = -1, beta = -1;
  };
  struct Block {
    ConvBn a, b, shortcut;  // shortcut.conv < 0: identity
    int stride = 1;
  };
  ConvBn add_conv_bn(const std::string& prefix, const std::string& conv_name,
                     const std::string& bn_name, int out, int in, int kernel, eng::Rng& rng);
  eng::Tensor conv_bn(const eng::Tensor& x, const ConvBn& p, int stride, int pad, bool relu,
                      eng::BatchNormMode mode) const;

  ClusterNet5gConfig cfg_;
  ConvBn stem_;
  std::vector<Block> blocks_;
  int pool_kernel_ = 0;
};

}  // namespace models
