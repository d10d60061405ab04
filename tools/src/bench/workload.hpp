// workload.hpp — what a bench case needs of a Table 1 row without its dataset: the authors'
// recipe (iic::authors_recipe), the network it trains (ClusterNet6c for "mnist", ClusterNet5g
// with the Sobel step inside for "cifar10"), the row's augmentation pipeline, and synthetic
// inputs of the right shapes.
//
// Contract: inputs are what the loader would hand the trainer: greyscale [N, 1, side, side]
// floats in [0, 1) (side 24 for MNIST, 32 for CIFAR-10: the Sobel step is part of
// ClusterNet5g::features). Source images (for the pipelines) are uniform random uint8 of the
// datasets' own shapes: 1x28x28 (MNIST), 3x32x32 (CIFAR-10). Everything draws from `rng`.
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

// dataset: "mnist" or "cifar10"; throws for others.
Workload make_workload(const std::string& dataset, eng::Rng& rng);
// The row's augmentation: MNIST greyscale pipeline, or the CIFAR Sobel pipeline's transforms.
eng::data::TransformSet pipeline_transforms(const std::string& dataset);
// [n, 1, side, side], uniform [0, 1).
eng::Tensor random_inputs(int64_t n, int side, eng::Rng& rng);
// n random source images of the dataset's shape (labels: none).
eng::data::Dataset random_source_images(const std::string& dataset, int64_t n, eng::Rng& rng);
// "head_a" / "head_b" for "A" / "B".
std::string head_name(const std::string& head);

}  // namespace bench
