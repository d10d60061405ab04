// protocol.hpp — the settings of one Table 1 row (paper/protocol.md), as data.
//
// A recipe fixes the network, input pipeline, heads, batch x repeats, head schedule per epoch,
// optimiser, precision and evaluation cadence. `authors` recipes are the authors' protocol;
// other recipes (`fast`) say in `notes` how they differ.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "engine/rng.hpp"
#include "models/cluster_net.hpp"

namespace iic {

struct Recipe {
  std::string name = "authors";  // "authors", "authors-code" or "fast"
  std::string dataset;           // "mnist", "cifar10", "cifar100-20", "stl10"
  std::string table_name;        // as the paper's Table 1 names it: "MNIST", ...
  std::string network;           // "ClusterNet6c" / "ClusterNet5g"
  int input_channels = 1;        // after the pipeline (1 greyscale, 2 Sobel)
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
  eng::data::MnistAugment mnist;   // MNIST tf2's rotation sampling and crop sides
  int authors_epochs = 3200;       // what the authors ran
  std::string notes;               // how the recipe differs from the authors' protocol, if it does
};

// The authors' protocol for a dataset; throws for an unknown name (listing the known ones).
Recipe authors_recipe(const std::string& dataset);
std::vector<std::string> table1_datasets();  // mnist, cifar10, cifar100-20, stl10
// "authors" -> authors_recipe; "authors-code" (MNIST only) -> what the authors' released
// cluster_greyscale_twohead.py actually runs: its head-A pass calls net(x) without head="A", so
// every pass trains head B (head A stays at its initialisation), tf2 rotates with nearest
// sampling (torchvision's default), data in the datasets' own order; "fast" -> the fast recipe
// (MNIST only: 99% as soon as possible on CPUs, docs/results.md): authors-code with tf2 crops of
// 20 or 24 pixels only, bf16, an evaluation after every pass, a stop at 99%. Unknown names or
// datasets without one are errors listing the known.
Recipe make_recipe(const std::string& name, const std::string& dataset);

// The recipe's network (network, input_size, k_a, k_b, subheads), initialised from `rng`.
// Greyscale input; `sobel` (ClusterNet5g only): the network applies the Sobel step itself, as
// in Table 1; false feeds the greyscale image to the trunk directly.
std::unique_ptr<models::ClusterNet> make_network(const Recipe& r, eng::Rng& rng, bool sobel = true);
// The recipe's tf1/tf2/tf3: MNIST's greyscale pipeline with the recipe's MnistAugment, else the
// Sobel pipeline (STL-10's 64-pixel crops, CIFAR's 20-pixel ones), greyscale out.
eng::data::TransformSet make_transforms(const Recipe& r);

}  // namespace iic
