// test_loader.cpp — the prefetching IIC batch loader: reproducibility across worker counts,
// seeds and epochs, the row layout of x / x_tf (images that encode their index), drop_last,
// epoch orders, restarts, error propagation, and the multithreaded tf3 helper. (Batches on CUDA:
// test_cuda_pipeline.)
#define BOOST_TEST_MODULE loader
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "data/loader.hpp"
#include "tests/noise_dataset.hpp"
#include "tests/testing.hpp"

using namespace eng::data;
using eng::Rng;
using eng::Tensor;
using testing::contains;
using testing::error_of;
using testing::noise_dataset;

namespace {
// n 1x4x4 images with every pixel = i (so an image encodes its index, i < 256).
Dataset index_dataset(int64_t n) {
  std::vector<uint8_t> px(n * 16);
  for (int64_t i = 0; i < n; ++i)
    for (int p = 0; p < 16; ++p) px[i * 16 + p] = uint8_t(i);
  return Dataset("index", n, 1, 4, 4, std::move(px));
}

// Channel 0: the source pixel (the index / 255); channel 1: one uniform draw of the stream,
// which tells the independent copies apart.
TransformSet tagging_transforms() {
  auto tag = [](const Image& img, Rng& rng) {
    Image out(2, 1, 1);
    out.px[0] = img.px[0];
    out.px[1] = rng.uniform();
    return out;
  };
  return {tag, tag, tag, 2, 1, 1};
}

std::vector<Batch> run_epoch(const Dataset& d, const TransformSet& tf, LoaderOptions opt,
                             int64_t epoch, std::vector<int64_t> order) {
  BatchLoader loader(d, tf, opt);
  loader.start_epoch(epoch, std::move(order));
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (size_t s = 0; s < a.size(); ++s)
    if (a[s].x.to_vector() != b[s].x.to_vector() ||
        a[s].x_tf.to_vector() != b[s].x_tf.to_vector() || a[s].indices != b[s].indices ||
        a[s].labels != b[s].labels)
      return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(same_seed_same_batches_for_any_worker_count) {
  const Dataset d = noise_dataset(37);
  LoaderOptions opt;
  opt.batch_size = 6, opt.repeats = 3, opt.seed = 5, opt.workers = 1, opt.drop_last = true;
  const std::vector<Batch> one = run_epoch(d, mnist_transforms(), opt, 2, sequential_order(37));
  BOOST_TEST(one.size() == 6u);  // 37 / 6, the last partial batch dropped
  BOOST_TEST(eng::shape_str(one[0].x.shape()) == "[6, 1, 24, 24]");
  BOOST_TEST(eng::shape_str(one[0].x_tf.shape()) == "[18, 1, 24, 24]");
  for (const Batch& b : one) {
    for (float v : b.x.to_vector()) BOOST_REQUIRE((v >= 0.0f && v <= 1.0f));
    for (float v : b.x_tf.to_vector()) BOOST_REQUIRE((v >= 0.0f && v <= 1.0f));
  }
  opt.workers = 3;
  BOOST_TEST(same_batches(one, run_epoch(d, mnist_transforms(), opt, 2, sequential_order(37))));
  opt.prefetch = 1;
  BOOST_TEST(same_batches(one, run_epoch(d, mnist_transforms(), opt, 2, sequential_order(37))));
  opt.seed = 6;
  BOOST_TEST(!same_batches(one, run_epoch(d, mnist_transforms(), opt, 2, sequential_order(37))));
  opt.seed = 5;
  BOOST_TEST(!same_batches(one, run_epoch(d, mnist_transforms(), opt, 3, sequential_order(37))));
}

BOOST_AUTO_TEST_CASE(rows_of_x_and_x_tf_share_their_source_image) {
  const Dataset d = index_dataset(50);
  LoaderOptions opt;
  opt.batch_size = 8, opt.repeats = 4, opt.workers = 2;
  const std::vector<int64_t> order = shuffled_order(50, 1, 0);
  const std::vector<Batch> batches = run_epoch(d, tagging_transforms(), opt, 0, order);
  BOOST_REQUIRE(batches.size() == 7u);  // 6 of 8 images, then the last 2 (no drop_last)
  std::set<float> draws;
  for (size_t s = 0; s < batches.size(); ++s) {
    const Batch& b = batches[s];
    const int rows = s < 6 ? 8 : 2;
    BOOST_TEST(b.step == int64_t(s));
    BOOST_REQUIRE(b.x.size(0) == rows);
    BOOST_REQUIRE(b.x_tf.size(0) == 4 * rows);
    BOOST_REQUIRE(b.indices.size() == size_t(rows));
    const std::vector<float> x = b.x.to_vector(), x_tf = b.x_tf.to_vector();
    for (int i = 0; i < rows; ++i) {
      const int64_t index = order[s * 8 + i];
      BOOST_TEST(b.indices[i] == index);
      BOOST_TEST(b.labels[i] == -1);
      BOOST_TEST(x[i * 2] == float(index) / 255.0f);
      draws.insert(x[i * 2 + 1]);
      for (int c = 0; c < 4; ++c) {
        const int row = c * rows + i;  // copy c of image i
        BOOST_TEST(x_tf[row * 2] == float(index) / 255.0f);
        draws.insert(x_tf[row * 2 + 1]);
      }
    }
  }
  BOOST_TEST(draws.size() == 50u * 5u);  // every view drew from its own stream
}

BOOST_AUTO_TEST_CASE(draws_depend_only_on_seed_epoch_position_copy) {
  const Dataset d = index_dataset(20);
  LoaderOptions opt;
  opt.batch_size = 5, opt.repeats = 2, opt.seed = 9;
  const std::vector<Batch> b = run_epoch(d, tagging_transforms(), opt, 4, sequential_order(20));
  for (int64_t pos = 0; pos < 20; ++pos) {
    const int64_t s = pos / 5, i = pos % 5;
    Rng tf1 = sample_rng(9, 4, pos, 0), copy1 = sample_rng(9, 4, pos, 2);
    BOOST_TEST(b[s].x.to_vector()[i * 2 + 1] == tf1.uniform());
    BOOST_TEST(b[s].x_tf.to_vector()[(5 + i) * 2 + 1] == copy1.uniform());
  }
}

BOOST_AUTO_TEST_CASE(epoch_orders) {
  const std::vector<int64_t> seq = sequential_order(5);
  BOOST_TEST(seq == std::vector<int64_t>({0, 1, 2, 3, 4}), boost::test_tools::per_element());
  std::vector<int64_t> a = shuffled_order(1000, 3, 0), b = shuffled_order(1000, 3, 0);
  BOOST_TEST(a == b);
  BOOST_TEST(a != shuffled_order(1000, 3, 1));
  BOOST_TEST(a != shuffled_order(1000, 4, 0));
  BOOST_TEST(a != sequential_order(1000));
  std::sort(a.begin(), a.end());
  BOOST_TEST(a == sequential_order(1000));  // a permutation
}

BOOST_AUTO_TEST_CASE(restart_mid_epoch_and_end_of_epoch) {
  const Dataset d = noise_dataset(12);
  LoaderOptions opt;
  opt.batch_size = 4, opt.repeats = 1, opt.workers = 2;
  const std::vector<Batch> fresh = run_epoch(d, mnist_transforms(), opt, 1, sequential_order(12));
  BatchLoader loader(d, mnist_transforms(), opt);
  BOOST_TEST(loader.steps_per_epoch() == 3);       // a whole-dataset pass before start_epoch
  BOOST_CHECK_THROW(loader.next(), eng::Error);    // before start_epoch
  loader.start_epoch(1, sequential_order(12), 1);  // resumed at step 1
  std::vector<Batch> resumed;
  while (auto b = loader.next()) resumed.push_back(std::move(*b));
  BOOST_REQUIRE(resumed.size() == 2u);
  BOOST_TEST(resumed[0].step == 1);
  BOOST_TEST(same_batches({fresh[1], fresh[2]}, resumed));
  BOOST_TEST(contains(error_of([&] { loader.start_epoch(1, sequential_order(12), 4); }),
                      "loader: first_step 4 is outside the pass of 3 steps"));
  loader.start_epoch(0, sequential_order(12));
  BOOST_TEST(loader.steps_per_epoch() == 3);
  BOOST_TEST(loader.next().has_value());
  loader.start_epoch(1, sequential_order(12));  // abandons epoch 0
  std::vector<Batch> again;
  while (auto b = loader.next()) again.push_back(std::move(*b));
  BOOST_TEST(same_batches(fresh, again));
  BOOST_TEST(!loader.next().has_value());
  loader.start_epoch(2, sequential_order(3));  // fewer samples than a batch: one partial batch
  BOOST_TEST(loader.steps_per_epoch() == 1);
  BOOST_TEST(loader.next()->x.size(0) == 3);
  BOOST_TEST(!loader.next().has_value());
  opt.drop_last = true;
  BatchLoader dropping(d, mnist_transforms(), opt);
  dropping.start_epoch(2, sequential_order(3));  // with drop_last: no steps
  BOOST_TEST(!dropping.next().has_value());
  loader.start_epoch(3, sequential_order(12));  // destroyed with batches in flight
}

BOOST_AUTO_TEST_CASE(errors_are_reported) {
  const Dataset d = index_dataset(10);
  LoaderOptions opt;
  opt.batch_size = 0;
  BOOST_TEST(contains(error_of([&] { BatchLoader(d, tagging_transforms(), opt); }),
                      "loader: batch_size, repeats, workers and prefetch must be > 0, got 0"));
  opt.batch_size = 2;
  BatchLoader loader(d, tagging_transforms(), opt);
  BOOST_TEST(contains(error_of([&] {
                        loader.start_epoch(0, {0, 1, 10});
                      }),
                      "loader: order[2] = 10 is not an index of 'index' (size 10)"));
  // A transform that returns the wrong shape: the worker's error surfaces from next().
  TransformSet wrong = tagging_transforms();
  wrong.out_h = 2;
  BatchLoader bad(d, wrong, opt);
  bad.start_epoch(0, sequential_order(10));
  BOOST_TEST(contains(error_of([&] { bad.next(); }),
                      "loader: tf1 returned a 2x1x1 image, expected 2x2x1"));
  BOOST_TEST(contains(error_of([&] { transform_range(d, tagging_transforms(), 5, 11, 2); }),
                      "transform_range: range [5, 11) is not inside 'index' (size 10)"));
  if (!eng::built_with_cuda()) {
    opt.device = eng::Device::CUDA;
    BOOST_TEST(contains(error_of([&] { BatchLoader(d, tagging_transforms(), opt); }),
                        "loader: device cuda needs a build with CUDA"));
  }
}

BOOST_AUTO_TEST_CASE(transform_range_applies_tf3_on_threads) {
  const Dataset d = noise_dataset(23);
  const TransformSet tf = mnist_transforms();
  const Tensor one = transform_range(d, tf, 3, 20, 1);
  BOOST_TEST(eng::shape_str(one.shape()) == "[17, 1, 24, 24]");
  const Tensor three = transform_range(d, tf, 3, 20, 3);
  BOOST_TEST(one.to_vector() == three.to_vector());
  const std::vector<float> v = one.to_vector();
  for (int64_t i = 3; i < 20; ++i) {
    Image want = mnist_tf3(image_from_u8(d.image(i), 1, 28, 28));
    for (int p = 0; p < 24 * 24; ++p)
      BOOST_REQUIRE(std::fabs(v[(i - 3) * 576 + p] - want.px[p]) <= 1e-6f);
  }
  BOOST_TEST(transform_range(d, tf, 4, 4, 2).numel() == 0);
}
