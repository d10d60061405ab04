// workload.hpp — what a bench case needs of a registered dataset without its data: its default
// recipe (for Table 1 rows the authors'), the network it trains, its augmentation pipeline
// (iic::make_transforms), and synthetic inputs of the right shapes (the registry row's images).
//
// Contract: inputs are what the loader would hand the trainer: greyscale [N, 1, side, side]
// floats in [0, 1) (side 24 for MNIST, 32 for CIFAR-10: the Sobel step is part of
// ClusterNet5g::features). Source images (for the pipelines) are uniform random uint8 of the
// datasets' own shapes (the row's `images`: 1x28x28 for MNIST, 3x32x32 for CIFAR-10; a row
// without a fixed shape is an Error). Everything draws from `rng`.
#pragma once
#include <memory>
#include <string>

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "engine/rng.hpp"
#include "iic/protocol.hpp"
#include "models/cluster_net.hpp"

namespace bench {

struct Workload {
  iic::Recipe recipe;
  std::unique_ptr<models::ClusterNet> net;  // on the CPU, freshly initialised
  eng::data::TransformSet transforms;
  int input_side = 0;  // of the network's (greyscale) input
};

// dataset: a registered dataset's name (unknown ones are an Error listing the known).
Workload make_workload(const std::string& dataset, eng::Rng& rng);
// [n, 1, side, side], uniform [0, 1).
eng::Tensor random_inputs(int64_t n, int side, eng::Rng& rng);
// n random source images of the dataset's shape (labels: none).
eng::data::Dataset random_source_images(const std::string& dataset, int64_t n, eng::Rng& rng);
// The prefix of the dataset's network cases: its network's name in lower case ("clusternet6c").
std::string network_case(const std::string& dataset);
// "head_a" / "head_b" for "A" / "B".
std::string head_name(const std::string& head);

}  // namespace bench
