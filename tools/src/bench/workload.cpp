// workload.cpp — recipes, networks, pipelines and synthetic inputs of the bench cases (see
// workload.hpp).
#include "tools/src/bench/workload.hpp"

#include "data/augment_sobel.hpp"
#include "engine/error.hpp"

namespace bench {

eng::data::TransformSet pipeline_transforms(const std::string& dataset) {
  ENG_CHECK(dataset == "mnist" || dataset == "cifar10", "bench", "no workload for dataset '",
            dataset, "' (mnist, cifar10)");
  return dataset == "mnist" ? eng::data::mnist_transforms()
                            : eng::data::sobel_transforms(eng::data::cifar_sobel_pipeline());
}

Workload make_workload(const std::string& dataset, eng::Rng& rng) {
  Workload w;
  w.transforms = pipeline_transforms(dataset);
  w.recipe = iic::authors_recipe(dataset);
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
  const bool mnist = dataset == "mnist";
  const int c = mnist ? 1 : 3, side = mnist ? 28 : 32;
  std::vector<uint8_t> pixels(size_t(n) * c * side * side);
  for (uint8_t& v : pixels) v = static_cast<uint8_t>(rng.randint(256));
  return eng::data::Dataset("synthetic " + dataset, n, c, side, side, std::move(pixels));
}

std::string head_name(const std::string& head) { return head == "A" ? "head_a" : "head_b"; }

}  // namespace bench
