// registry.cpp — the table of networks (see registry.hpp). One row per network.
#include "models/registry.hpp"

#include "engine/error.hpp"
#include "engine/registry.hpp"
#include "models/clusternet5g.hpp"
#include "models/clusternet6c.hpp"

namespace models {
namespace {

std::vector<NetworkEntry> builtin_networks() {
  return {
      {"ClusterNet6c", "6c", "VGG-like, 4 conv 5x5 blocks (the authors' MNIST network)", false,
       [](const NetworkSpec& s, eng::Rng& rng) -> std::unique_ptr<ClusterNet> {
         ClusterNet6cConfig c;
         c.in_channels = s.in_channels, c.input_size = s.input_size;
         c.k_a = s.k_a, c.k_b = s.k_b, c.subheads = s.subheads;
         return std::make_unique<ClusterNet6c>(c, rng);
       }},
      {"ClusterNet5g", "5g", "ResNet34 trunk, optional Sobel step (the authors' CIFAR/STL network)",
       true,
       [](const NetworkSpec& s, eng::Rng& rng) -> std::unique_ptr<ClusterNet> {
         ClusterNet5gConfig c;
         c.sobel = s.sobel, c.in_channels = s.in_channels, c.input_size = s.input_size;
         c.k_a = s.k_a, c.k_b = s.k_b, c.subheads = s.subheads;
         return std::make_unique<ClusterNet5g>(c, rng);
       }},
  };
}

eng::Registry<NetworkEntry>& registry() {
  static eng::Registry<NetworkEntry> table("networks", "network", builtin_networks,
                                           [](const NetworkEntry& e) {
                                             return std::vector<std::string>{e.name, e.alias};
                                           });
  return table;
}

}  // namespace

const std::vector<NetworkEntry>& network_registry() { return registry().rows(); }
std::string network_names() { return registry().names(); }
const NetworkEntry& find_network(const std::string& name_or_alias) {
  return registry().find(name_or_alias);
}

void register_network(NetworkEntry entry) {
  ENG_CHECK(entry.make != nullptr, "networks", "network '", entry.name, "' has no factory");
  registry().add(std::move(entry));
}

std::unique_ptr<ClusterNet> make_network(const std::string& name, const NetworkSpec& spec,
                                         eng::Rng& rng) {
  const NetworkEntry& e = find_network(name);
  ENG_CHECK(!spec.sobel || e.sobel, "networks", e.name,
            " has no Sobel step; use a greyscale pipeline with it (or a network that has one: ",
            network_names(), ")");
  return e.make(spec, rng);
}

}  // namespace models
