// clusternet6c.cpp — ClusterNet6c trunk (see clusternet6c.hpp).
#include "models/clusternet6c.hpp"

#include "ops/ops.hpp"

namespace models {

ClusterNet6c::ClusterNet6c(const ClusterNet6cConfig& cfg, eng::Rng& rng) : cfg_(cfg) {
  ENG_CHECK(cfg.input_size % 8 == 0 && cfg.input_size >= 8, "ClusterNet6c",
            "input size must be a multiple of 8 (three 2x2 poolings), got ", cfg.input_size);
  const int widths[4] = {64, 128, 256, 512};
  int in = cfg.in_channels;
  for (int i = 0; i < 4; ++i) {
    std::string p = "trunk.";
    Block b;
    b.conv = add_parameter(p + "conv" + std::to_string(i + 1) + ".weight", {widths[i], in, 5, 5});
    b.gamma = add_parameter(p + "bn" + std::to_string(i + 1) + ".weight", {widths[i]});
    b.beta = add_parameter(p + "bn" + std::to_string(i + 1) + ".bias", {widths[i]});
    eng::init_kaiming_normal(param_mut(b.conv), eng::FanMode::FanIn, rng);
    eng::init_constant(param_mut(b.gamma), 1.0f);
    blocks_.push_back(b);
    in = widths[i];
  }
  int side = cfg.input_size / 8;
  feature_count_ = int64_t(512) * side * side;
  add_heads("head_a", feature_count_, cfg.k_a, cfg.subheads, rng);
  add_heads("head_b", feature_count_, cfg.k_b, cfg.subheads, rng);
}

eng::Tensor ClusterNet6c::features(const eng::Tensor& x, eng::BatchNormMode mode) const {
  ENG_CHECK(x.ndim() == 4 && x.size(1) == cfg_.in_channels && x.size(2) == cfg_.input_size &&
                x.size(3) == cfg_.input_size,
            "ClusterNet6c", "expects input [N, ", cfg_.in_channels, ", ", cfg_.input_size, ", ",
            cfg_.input_size, "], got ", eng::shape_str(x.shape()));
  eng::BatchNormParams bn;
  bn.mode = mode;
  bn.relu = true;
  eng::Tensor h = x;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (i > 0) h = eng::max_pool2d(h, eng::Pool2dParams::square(2, 2));
    h = eng::conv2d(h, param(blocks_[i].conv), eng::Tensor(), eng::Conv2dParams::square(1, 2));
    h = eng::batch_norm(h, param(blocks_[i].gamma), param(blocks_[i].beta), bn);
  }
  return eng::flatten(h, 1);
}

}  // namespace models
