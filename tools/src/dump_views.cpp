// dump_views — what the network sees: the tf1, tf2 or tf3 views of a dataset's images, made by
// the transforms the trainer uses for a recipe, written to a safetensors file (for comparing
// the augmentation with torchvision's, tools/pytorch/check_augment.py, or for looking at them).
//
//   dump_views --dataset mnist|cifar10 [--recipe authors|authors-code|fast] [--data DIR]
//              --transform tf1|tf2|tf3 --out FILE [--first I] [--count N] [--draws D] [--seed S]
//
// FILE: "views" [D*N, C, H, W] float32, row d*N + i = draw d of image first + i; "labels" [N] as
// floats; metadata dataset, recipe, transform, first, count, draws, seed. Images come from the
// data root as training reads them (train then test). Random streams are the loader's
// (data/loader.hpp) for an unshuffled run, order position = image: tf2 draw d is copy d + 1 of
// pass 0, sample_rng(seed, 0, image, d + 1) (for d < r, the views of a training batch); tf1
// draw d is the tf1 of pass d, sample_rng(seed, d, image, 0). tf3 has one draw.
#include <algorithm>
#include <cstdio>
#include <string>

#include "data/cifar.hpp"
#include "data/download.hpp"
#include "data/loader.hpp"
#include "data/mnist.hpp"
#include "engine/checkpoint.hpp"
#include "engine/error.hpp"
#include "iic/cli.hpp"
#include "iic/protocol.hpp"

namespace {

constexpr const char* kTool = "dump_views";

int run(int argc, char** argv) {
  iic::Cli cli(argc, argv,
               {"dataset", "recipe", "data", "transform", "out", "first", "count", "draws", "seed"},
               {});
  const std::string dataset = cli.get("dataset", ""), which = cli.get("transform", "");
  ENG_CHECK(cli.has("out"), kTool,
            "usage: dump_views --dataset mnist|cifar10 [--recipe R] [--data DIR] --transform "
            "tf1|tf2|tf3 --out FILE [--first I] [--count N] [--draws D] [--seed S]");
  ENG_CHECK(dataset == "mnist" || dataset == "cifar10", kTool,
            "--dataset must be mnist or cifar10, got '", dataset, "'");
  ENG_CHECK(which == "tf1" || which == "tf2" || which == "tf3", kTool,
            "--transform must be tf1, tf2 or tf3, got '", which, "'");
  const eng::data::DataRoot root = eng::data::resolve_data_root(cli.get("data", ""));
  const eng::data::Dataset data =
      dataset == "mnist" ? eng::data::load_mnist_train_test(root)
                         : eng::data::load_cifar10(root, eng::data::CifarSplit::TrainTest);
  const std::string recipe_name = cli.get("recipe", "authors");
  const iic::Recipe recipe = iic::make_recipe(recipe_name, dataset);
  const eng::data::TransformSet tfs = iic::make_transforms(recipe);
  const int64_t first = cli.get_int("first", 0), count = cli.get_int("count", 1000);
  const int draws = which == "tf3" ? 1 : static_cast<int>(cli.get_int("draws", 1));
  const uint64_t seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  ENG_CHECK(first >= 0 && count > 0 && first + count <= data.size() && draws > 0, kTool, "--first ",
            first, " --count ", count, " --draws ", draws, ": ", data.name(), " has ", data.size(),
            " images (need first >= 0, count > 0, first + count <= size, draws > 0)");

  const eng::data::Transform& tf = which == "tf1" ? tfs.tf1 : which == "tf2" ? tfs.tf2 : tfs.tf3;
  const int64_t view = int64_t(tfs.out_c) * tfs.out_h * tfs.out_w;
  eng::Tensor views = eng::Tensor::zeros({draws * count, tfs.out_c, tfs.out_h, tfs.out_w});
  eng::Tensor labels = eng::Tensor::zeros({count});
  for (int d = 0; d < draws; ++d)
    for (int64_t i = 0; i < count; ++i) {
      const int64_t k = first + i;
      eng::Rng rng = which == "tf1" ? eng::data::sample_rng(seed, d, k, 0)
                                    : eng::data::sample_rng(seed, 0, k, d + 1);
      const eng::data::Image img =
          tf(eng::data::image_from_u8(data.image(k), data.channels(), data.height(), data.width()),
             rng);
      ENG_CHECK(img.c == tfs.out_c && img.h == tfs.out_h && img.w == tfs.out_w, kTool, which,
                " returned a ", img.c, "x", img.h, "x", img.w, " view, expected ", tfs.out_c, "x",
                tfs.out_h, "x", tfs.out_w);
      std::copy(img.px.begin(), img.px.end(), views.data() + (d * count + i) * view);
      if (d == 0) labels.data()[i] = data.has_labels() ? static_cast<float>(data.labels()[k]) : -1;
    }
  eng::save_checkpoint(cli.get("out", ""), {{"views", views}, {"labels", labels}},
                       {{"dataset", dataset},
                        {"recipe", recipe_name},
                        {"transform", which},
                        {"first", std::to_string(first)},
                        {"count", std::to_string(count)},
                        {"draws", std::to_string(draws)},
                        {"seed", std::to_string(seed)}});
  std::printf("dump_views: %d x %lld %s views of %s -> %s\n", draws, static_cast<long long>(count),
              which.c_str(), data.name().c_str(), cli.get("out", "").c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return iic::run_tool("dump_views", [&] { return run(argc, argv); });
}
