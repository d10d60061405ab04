// registry.hpp — the networks a recipe or a tool can name: one row per network.
//
// Contract:
//  - A row: the network's name (what ClusterNet::name() returns and checkpoints record), a short
//    alias for command lines ("6c"), a one-line summary, whether it can apply the fixed Sobel
//    step itself, and a factory from a NetworkSpec (input side and channels, k of heads A and
//    B, sub-heads) and an RNG to an initialised network. The factory validates the spec (an
//    eng::Error naming the network and the value at fault).
//  - find_network(name or alias) returns the row, or throws an eng::Error listing the known
//    names. register_network adds a row (an Error when the name or alias is taken); the
//    built-in rows (ClusterNet6c, ClusterNet5g) are registered on first use.
//  - Adding a network: one file (its class) + one row in registry.cpp (docs/extending.md).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/rng.hpp"
#include "models/cluster_net.hpp"

namespace models {

struct NetworkSpec {
  int input_size = 24;  // square input side
  int in_channels = 1;  // channels of the images given to the network
  bool sobel = false;   // the network applies the Sobel step (greyscale in); needs a row that can
  int k_a = 50, k_b = 10;  // clusters of head A (overclustering) and head B (main)
  int subheads = 5;
};

struct NetworkEntry {
  std::string name;     // "ClusterNet6c"
  std::string alias;    // "6c"
  std::string summary;  // one line, for --help
  bool sobel = false;   // can apply the Sobel step itself
  std::function<std::unique_ptr<ClusterNet>(const NetworkSpec&, eng::Rng&)> make;
};

const std::vector<NetworkEntry>& network_registry();
const NetworkEntry& find_network(const std::string& name_or_alias);
void register_network(NetworkEntry entry);
// find_network(name).make(spec, rng), after checking that a Sobel spec meets a Sobel row.
std::unique_ptr<ClusterNet> make_network(const std::string& name, const NetworkSpec& spec,
                                         eng::Rng& rng);
std::string network_names();  // "ClusterNet6c (6c), ClusterNet5g (5g)", for messages

}  // namespace models
