// protocol.hpp — a recipe: the settings of one training run (for Table 1 rows: paper/protocol.md),
// as data, and what is built from it (the network, the input pipeline).
//
// A recipe fixes the network, input pipeline, heads, batch x repeats, head schedule per epoch,
// optimiser, precision and evaluation cadence. Recipes belong to datasets (iic/datasets.hpp:
// each row lists its recipes, the first being its default); `authors` recipes are the authors'
// protocol, other recipes say in `notes` how they differ. Nothing here switches on a dataset's
// or network's name: the network comes from the network registry (models/registry.hpp), the
// transforms from the recipe's pipeline.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "data/augment_sobel.hpp"
#include "engine/rng.hpp"
#include "models/cluster_net.hpp"

namespace iic {

// The input pipeline: the authors' MNIST transforms (greyscale in and out), or the Sobel
// pipeline's transforms (crop, resize, flip, jitter, greyscale out; the Sobel step itself runs in
// the network when Recipe::sobel).
enum class PipelineKind { Mnist, Sobel };

struct Recipe {
  std::string name = "authors";  // "authors", "authors-code", "fast", ...
  std::string dataset;           // the dataset registry's name: "mnist", "cifar10", ...
  std::string table_name;        // the dataset's title: "MNIST" (Table 1's name), ...
  std::string network;           // the network registry's name: "ClusterNet6c", ...
  bool sobel = false;            // the network applies the Sobel step to the greyscale views
  int input_size = 24;
  int k_a = 50, k_b = 10;  // overclustering head A, main head B
  int subheads = 5;
  int batch = 140, repeats = 5;
  std::vector<std::string> schedule;  // head passes per epoch, e.g. head_b, head_b, head_a
  float lr = 1e-4f;
  float lambda = 1.0f;
  std::string precision = "fp32";  // "bf16": the CPU convolutions in bf16 where supported
  int eval_every_passes = 0;       // 0: evaluate after every epoch; n: also every n passes
  double stop_at_accuracy = 0;     // > 0: stop once the lowest-loss sub-head reaches it
  bool shuffle = true;             // false: the datasets' own order (the authors')
  bool drop_last = false;          // true: leave out a pass's last partial batch (the authors
                                   // train on it)
  PipelineKind pipeline = PipelineKind::Mnist;
  eng::data::MnistAugment mnist;      // Mnist pipeline: tf2's rotation sampling and crop sides
  eng::data::SobelPipeline sobel_tf;  // Sobel pipeline: crop, input side, flip, jitter
  std::string notes;  // how the recipe differs from the authors' protocol, if it does
};

// The recipe `name` of the registered dataset `dataset` (iic/datasets.hpp); "" = the dataset's
// default (its first). Unknown names, or a dataset without that recipe, are errors listing the
// known ones.
Recipe make_recipe(const std::string& name, const std::string& dataset);
Recipe authors_recipe(const std::string& dataset);  // make_recipe("authors", dataset)

// The recipe's network from the network registry, initialised from `rng`: input of the recipe's
// side, greyscale (one channel), the Sobel step inside when `sobel`.
std::unique_ptr<models::ClusterNet> make_network(const Recipe& r, eng::Rng& rng);
// The network a pipeline gets when a recipe does not name one (own images, a changed pipeline):
// the authors' choice, ClusterNet6c for the MNIST pipeline and ClusterNet5g for the Sobel one.
std::string default_network(PipelineKind pipeline);
// The recipe's tf1/tf2/tf3 (greyscale out).
eng::data::TransformSet make_transforms(const Recipe& r);

}  // namespace iic
