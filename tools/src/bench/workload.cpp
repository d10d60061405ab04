// workload.cpp — recipes, networks, pipelines and synthetic inputs of the bench cases (see
// workload.hpp).
#include "tools/src/bench/workload.hpp"

#include <cctype>

#include "engine/error.hpp"
#include "iic/datasets.hpp"

namespace bench {

Workload make_workload(const std::string& dataset, eng::Rng& rng) {
  Workload w;
  w.recipe = iic::make_recipe("", dataset);
  w.transforms = iic::make_transforms(w.recipe);
  w.input_side = w.recipe.input_size;
  w.net = iic::make_network(w.recipe, rng);
  return w;
}

eng::Tensor random_inputs(int64_t n, int side, eng::Rng& rng) {
  eng::Tensor x = eng::Tensor::empty({n, 1, side, side});
  float* p = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = rng.uniform();
  return x;
}

eng::data::Dataset random_source_images(const std::string& dataset, int64_t n, eng::Rng& rng) {
  const std::optional<iic::ImageShape>& shape = iic::find_dataset(dataset).images;
  ENG_CHECK(shape.has_value(), "bench", "dataset '", dataset, "' has no fixed image shape");
  std::vector<uint8_t> pixels(size_t(n) * shape->channels * shape->height * shape->width);
  for (uint8_t& v : pixels) v = static_cast<uint8_t>(rng.randint(256));
  return eng::data::Dataset("synthetic " + dataset, n, shape->channels, shape->height, shape->width,
                            std::move(pixels));
}

std::string network_case(const std::string& dataset) {
  std::string name = iic::make_recipe("", dataset).network;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string head_name(const std::string& head) { return head == "A" ? "head_a" : "head_b"; }

}  // namespace bench
