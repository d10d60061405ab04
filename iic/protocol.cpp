// protocol.cpp — recipes by name, and the network and transforms a recipe builds (see
// protocol.hpp). The recipes themselves are the rows of iic/datasets.cpp.
#include "iic/protocol.hpp"

#include <algorithm>

#include "engine/error.hpp"
#include "iic/datasets.hpp"
#include "models/registry.hpp"

namespace iic {

Recipe make_recipe(const std::string& name, const std::string& dataset) {
  const DatasetEntry& row = find_dataset(dataset);
  std::vector<std::string> known_here, known_anywhere;
  for (const auto& [recipe, make] : row.recipes) {
    if (name.empty() || recipe == name) {
      Recipe r = make();
      r.name = recipe, r.dataset = row.name, r.table_name = row.title;
      return r;
    }
    known_here.push_back(recipe);
  }
  for (const DatasetEntry& e : dataset_registry())
    for (const auto& entry : e.recipes)
      if (std::find(known_anywhere.begin(), known_anywhere.end(), entry.first) ==
          known_anywhere.end())
        known_anywhere.push_back(entry.first);
  ENG_CHECK(std::find(known_anywhere.begin(), known_anywhere.end(), name) != known_anywhere.end(),
            "protocol", "unknown recipe '", name, "' (known: ", eng::join(known_anywhere, ", "),
            ")");
  throw eng::Error(eng::str("protocol: there is no ", name, " recipe for '", dataset,
                            "' (known for it: ", eng::join(known_here, ", "), "); use --recipe ",
                            row.recipes.front().first));
}

Recipe authors_recipe(const std::string& dataset) { return make_recipe("authors", dataset); }

std::unique_ptr<models::ClusterNet> make_network(const Recipe& r, eng::Rng& rng) {
  models::NetworkSpec s;
  s.input_size = r.input_size, s.in_channels = 1, s.sobel = r.sobel;
  s.k_a = r.k_a, s.k_b = r.k_b, s.subheads = r.subheads;
  return models::make_network(r.network, s, rng);
}

std::string default_network(PipelineKind pipeline) {
  return pipeline == PipelineKind::Mnist ? "ClusterNet6c" : "ClusterNet5g";
}

eng::data::TransformSet make_transforms(const Recipe& r) {
  if (r.pipeline == PipelineKind::Mnist) return eng::data::mnist_transforms(r.mnist);
  return eng::data::sobel_transforms(r.sobel_tf);
}

}  // namespace iic
