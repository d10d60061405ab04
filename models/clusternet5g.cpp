// clusternet5g.cpp — ClusterNet5g: Sobel step, ResNet34 trunk, heads (see clusternet5g.hpp).
#include "models/clusternet5g.hpp"

#include "ops/ops.hpp"

namespace models {
namespace {
constexpr int kBlocks[4] = {3, 4, 6, 3};
constexpr int kWidths[4] = {64, 128, 256, 512};

// Output side of a k x k window with stride s and padding p (floor), as the pool/conv ops.
int out_side(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }
}  // namespace

ClusterNet5g::ConvBn ClusterNet5g::add_conv_bn(const std::string& prefix,
                                               const std::string& conv_name,
                                               const std::string& bn_name, int out, int in,
                                               int kernel, eng::Rng& rng) {
  ConvBn p;
  p.conv = add_parameter(prefix + conv_name + ".weight", {out, in, kernel, kernel});
  p.gamma = add_parameter(prefix + bn_name + ".weight", {out});
  p.beta = add_parameter(prefix + bn_name + ".bias", {out});
  eng::init_kaiming_normal(param_mut(p.conv), eng::FanMode::FanOut, rng);
  eng::init_constant(param_mut(p.gamma), 1.0f);  // beta stays 0
  return p;
}

ClusterNet5g::ClusterNet5g(const ClusterNet5gConfig& cfg, eng::Rng& rng) : cfg_(cfg) {
  ENG_CHECK(
      !cfg.sobel || cfg.in_channels == 1, "ClusterNet5g",
      "the Sobel step takes a 1-channel greyscale input, got in_channels = ", cfg.in_channels);
  ENG_CHECK(cfg.in_channels >= 1, "ClusterNet5g", "in_channels must be >= 1, got ",
            cfg.in_channels);
  ENG_CHECK(cfg.input_size >= 4, "ClusterNet5g", "input size must be >= 4, got ", cfg.input_size);
  stem_ = add_conv_bn("trunk.", "conv1", "bn1", 64, cfg.sobel ? 2 : cfg.in_channels, 3, rng);
  int side = out_side(cfg.input_size, 2, 2, 1);  // max pool k2 s2 p1
  int in = 64;
  for (int stage = 0; stage < 4; ++stage) {
    for (int b = 0; b < kBlocks[stage]; ++b) {
      const std::string prefix =
          "trunk.layer" + std::to_string(stage + 1) + "." + std::to_string(b) + ".";
      Block blk;
      blk.stride = stage > 0 && b == 0 ? 2 : 1;
      const int out = kWidths[stage];
      blk.a = add_conv_bn(prefix, "conv1", "bn1", out, in, 3, rng);
      blk.b = add_conv_bn(prefix, "conv2", "bn2", out, out, 3, rng);
      if (blk.stride != 1 || in != out)
        blk.shortcut = add_conv_bn(prefix, "downsample.0", "downsample.1", out, in, 1, rng);
      blocks_.push_back(blk);
      side = out_side(side, 3, blk.stride, 1);
      in = out;
    }
  }
  pool_kernel_ = side;  // 3 for 32x32 input, 5 for 64x64, 7 for 96x96: a 1x1 output
  add_heads("head_a", feature_count(), cfg.k_a, cfg.subheads, rng);
  add_heads("head_b", feature_count(), cfg.k_b, cfg.subheads, rng);
}

eng::Tensor ClusterNet5g::conv_bn(const eng::Tensor& x, const ConvBn& p, int stride, int pad,
                                  bool relu, eng::BatchNormMode mode) const {
  eng::BatchNormParams bn;
  bn.mode = mode;
  bn.relu = relu;
  eng::Tensor h =
      eng::conv2d(x, param(p.conv), eng::Tensor(), eng::Conv2dParams::square(stride, pad));
  return eng::batch_norm(h, param(p.gamma), param(p.beta), bn);
}

eng::Tensor ClusterNet5g::features(const eng::Tensor& x, eng::BatchNormMode mode) const {
  ENG_CHECK(x.ndim() == 4 && x.size(1) == cfg_.in_channels && x.size(2) == cfg_.input_size &&
                x.size(3) == cfg_.input_size,
            "ClusterNet5g", "expects input [N, ", cfg_.in_channels, ", ", cfg_.input_size, ", ",
            cfg_.input_size, "]", cfg_.sobel ? " (greyscale, before the Sobel step)" : "", ", got ",
            eng::shape_str(x.shape()));
  eng::Tensor h = cfg_.sobel ? eng::sobel(x) : x;
  h = conv_bn(h, stem_, 1, 1, true, mode);
  h = eng::max_pool2d(h, eng::Pool2dParams::square(2, 2, 1));
  for (const Block& blk : blocks_) {
    eng::Tensor out = conv_bn(h, blk.a, blk.stride, 1, true, mode);
    out = conv_bn(out, blk.b, 1, 1, false, mode);
    eng::Tensor shortcut =
        blk.shortcut.conv >= 0 ? conv_bn(h, blk.shortcut, blk.stride, 0, false, mode) : h;
    h = eng::relu(eng::add(out, shortcut));
  }
  h = eng::avg_pool2d(h, eng::Pool2dParams::square(pool_kernel_, 1));
  return eng::flatten(h, 1);
}

}  // namespace models
