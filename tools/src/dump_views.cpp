// dump_views — what the network sees: the tf1, tf2 or tf3 views of a dataset's images, made by
// the transforms the trainer uses for a recipe, written to a safetensors file (for comparing
// the augmentation with torchvision's, tools/pytorch/check_augment.py, or for looking at them).
//
//   dump_views --dataset D [--recipe R] [--data DIR] --transform tf1|tf2|tf3 --out FILE
//              [--first I] [--count N] [--draws D] [--seed S]      (--help lists them)
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

#include <iostream>

#include "data/loader.hpp"
#include "engine/checkpoint.hpp"
#include "engine/error.hpp"
#include "iic/cli.hpp"
#include "iic/datasets.hpp"
#include "iic/protocol.hpp"

namespace {

constexpr const char* kTool = "dump_views";

iic::CliSpec make_spec() {
  iic::CliSpec spec(kTool, "build/dump_views --dataset D --transform T --out FILE [options]",
                    "Writes the tf1, tf2 or tf3 views the trainer makes of a dataset's images.");
  spec.option("dataset", "D", "", "a registered dataset (" + iic::dataset_names() + ")")
      .option("recipe", "R", "", "its recipe (default: the dataset's first)")
      .option("data", "DIR", "", "data root (else $IIC_DATA, else ./data)")
      .option("transform", "T", "", "tf1 | tf2 | tf3")
      .option("out", "FILE", "", "the safetensors file to write")
      .option("first", "I", "0", "first image")
      .option("count", "N", "1000", "images")
      .option("draws", "D", "1", "random draws per image (tf1, tf2)")
      .option("seed", "S", "0", "the loader's seed");
  return spec;
}

int run(const iic::Cli& cli) {
  const std::string dataset = cli.get("dataset"), which = cli.get("transform");
  ENG_CHECK(cli.given("out") && cli.given("dataset"), kTool, "--dataset and --out are needed (",
            kTool, " --help)");
  iic::print_settings(kTool, cli.settings());
  ENG_CHECK(which == "tf1" || which == "tf2" || which == "tf3", kTool,
            "--transform must be tf1, tf2 or tf3, got '", which, "'");
  const iic::Recipe recipe = iic::make_recipe(cli.get("recipe"), dataset);
  iic::DataRequest request;
  request.root = eng::data::resolve_data_root(cli.get("data"));
  const eng::data::Dataset data = iic::find_dataset(dataset).load(request).train;
  const eng::data::TransformSet tfs = iic::make_transforms(recipe);
  const int64_t first = cli.get_int("first", 0), count = cli.get_int("count", 1);
  const int draws = which == "tf3" ? 1 : static_cast<int>(cli.get_int("draws", 1, 1000000));
  const uint64_t seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  ENG_CHECK(first + count <= data.size(), kTool, "--first ", first, " --count ", count, ": ",
            data.name(), " has ", data.size(), " images");

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
  eng::save_checkpoint(cli.get("out"), {{"views", views}, {"labels", labels}},
                       {{"dataset", dataset},
                        {"recipe", recipe.name},
                        {"transform", which},
                        {"first", std::to_string(first)},
                        {"count", std::to_string(count)},
                        {"draws", std::to_string(draws)},
                        {"seed", std::to_string(seed)}});
  std::printf("dump_views: %d x %lld %s views of %s -> %s\n", draws, static_cast<long long>(count),
              which.c_str(), data.name().c_str(), cli.get("out").c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return iic::run_tool(make_spec(), argc, argv, run); }
