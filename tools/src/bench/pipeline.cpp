// pipeline.cpp — `<dataset>_pipeline`: the data pipeline alone. The training batches of the
// authors' recipe (B originals: tf1; r tf2 draws of each) built by eng::data::BatchLoader from
// synthetic source images (MNIST greyscale pipeline on 1x28x28, CIFAR Sobel pipeline on 3x32x32;
// its Sobel step runs inside the network and is not part of this case), with --loader-threads
// workers (default: the compute thread count).
//
// An iteration is one pass of kBatches batches: start_epoch (the workers start from nothing,
// so no batch built ahead of the clock is counted) and next() until all have come. The line
// reports one batch: seconds = the iteration's time / kBatches; the rate is pairs per second.
#include "data/loader.hpp"
#include "engine/backend.hpp"
#include "engine/error.hpp"
#include "tools/src/bench/bench.hpp"
#include "tools/src/bench/workload.hpp"

namespace bench {
namespace {
constexpr int kBatches = 10;
}  // namespace

void run_pipeline(const Options& o, const std::string& dataset) {
  eng::Rng rng(o.seed, 2);
  const iic::Recipe recipe = iic::make_recipe("", dataset);
  eng::data::Dataset images = random_source_images(dataset, kBatches * recipe.batch, rng);
  eng::data::LoaderOptions lo;
  lo.batch_size = recipe.batch;
  lo.repeats = recipe.repeats;
  lo.workers = o.loader_threads > 0 ? o.loader_threads : eng::num_threads();
  lo.seed = o.seed;
  lo.device = o.device;  // CUDA: the staged upload is part of what is timed
  eng::data::BatchLoader loader(images, iic::make_transforms(recipe), lo);
  int64_t pass = 0;
  Timing t = time_iterations(o, [&](bool) {
    loader.start_epoch(pass++, eng::data::sequential_order(images.size()));
    for (int i = 0; i < kBatches; ++i)
      ENG_CHECK(loader.next().has_value(), "bench", "the loader ended early");
  });
  for (double* s : {&t.seconds, &t.best_seconds, &t.cpu_seconds}) *s /= kBatches;
  Result res(dataset + "_pipeline", "", "", "pairs", recipe.batch * recipe.repeats, t);
  res.extra.set("loader_threads", lo.workers);
  res.extra.set("batches_per_iteration", kBatches);
  emit(o, res);
}

}  // namespace bench
