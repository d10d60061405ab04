// loader.cpp — the prefetching IIC batch loader and the evaluation transform (see loader.hpp).
#include "data/loader.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "engine/backend.hpp"
#include "engine/error.hpp"
#include "engine/staging.hpp"

namespace eng::data {
namespace {
uint64_t mix64(uint64_t z) {  // splitmix64 finaliser: a bijection that scrambles all bits
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Copies a transformed image into its row, checking it has the promised shape.
void store(const Image& img, const TransformSet& tf, float* dst, const char* which) {
  ENG_CHECK(img.c == tf.out_c && img.h == tf.out_h && img.w == tf.out_w, "loader", which,
            " returned a ", img.c, "x", img.h, "x", img.w, " image, expected ", tf.out_c, "x",
            tf.out_h, "x", tf.out_w);
  std::memcpy(dst, img.px.data(), img.px.size() * sizeof(float));
}

Image source_image(const Dataset& data, int64_t index) {
  return image_from_u8(data.image(index), data.channels(), data.height(), data.width());
}

void check_transforms(const TransformSet& tf, const char* op) {
  ENG_CHECK(tf.out_c > 0 && tf.out_h > 0 && tf.out_w > 0, op, "transform output shape ", tf.out_c,
            "x", tf.out_h, "x", tf.out_w, " is not set");
}
}  // namespace

Rng sample_rng(uint64_t seed, int64_t epoch, int64_t position, int copy) {
  uint64_t h = mix64(uint64_t(epoch) * 0x9e3779b97f4a7c15ULL + 1);
  h = mix64(h ^ (uint64_t(position) * 0xc2b2ae3d27d4eb4fULL));
  h = mix64(h ^ (uint64_t(copy) * 0x165667b19e3779f9ULL + 7));
  return Rng(seed, h);
}

int64_t pass_step_count(int64_t n, int64_t batch, bool drop_last) {
  ENG_CHECK(n >= 0 && batch > 0, "loader", "need n >= 0 and batch > 0, got ", n, " and ", batch);
  return drop_last ? n / batch : (n + batch - 1) / batch;
}

std::vector<int64_t> sequential_order(int64_t n) {
  ENG_CHECK(n >= 0, "sequential_order", "n must be >= 0, got ", n);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order = sequential_order(n);
  Rng rng = sample_rng(seed, epoch, -1, -1);  // a stream no sample uses
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.randint(i + 1)]);
  return order;
}

BatchLoader::BatchLoader(const Dataset& data, TransformSet transforms, LoaderOptions options)
    : data_(data), tf_(std::move(transforms)), opt_(options) {
  ENG_CHECK(opt_.batch_size > 0 && opt_.repeats > 0 && opt_.workers > 0 && opt_.prefetch > 0,
            "loader", "batch_size, repeats, workers and prefetch must be > 0, got ",
            opt_.batch_size, ", ", opt_.repeats, ", ", opt_.workers, ", ", opt_.prefetch);
  ENG_CHECK(tf_.tf1 && tf_.tf2, "loader", "tf1 and tf2 must be set");
  check_transforms(tf_, "loader");
  ENG_CHECK(opt_.device == Device::CPU || built_with_cuda(), "loader",
            "device cuda needs a build with CUDA (configure with ENG_CUDA=ON)");
  steps_ = pass_step_count(data_.size(), opt_.batch_size, opt_.drop_last);
}

BatchLoader::~BatchLoader() {
  stop_workers();
  try {
    discard_ready();
  } catch (const std::exception&) {
    // A failed CUDA wait here means the context is already broken; the error that unwound the
    // caller is the one to report, and a throw from a destructor would terminate instead.
  }
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void BatchLoader::discard_ready() {
  for (auto& entry : ready_) ready_on_engine(entry.second.copied);  // their copies may still run
  ready_.clear();
}

void BatchLoader::start_epoch(int64_t epoch, std::vector<int64_t> order, int64_t first_step) {
  stop_workers();
  const int64_t steps = pass_step_count(int64_t(order.size()), opt_.batch_size, opt_.drop_last);
  ENG_CHECK(first_step >= 0 && first_step <= steps, "loader", "first_step ", first_step,
            " is outside the pass of ", steps, " steps");
  for (size_t p = 0; p < order.size(); ++p)
    ENG_CHECK(order[p] >= 0 && order[p] < data_.size(), "loader", "order[", p, "] = ", order[p],
              " is not an index of '", data_.name(), "' (size ", data_.size(), ")");
  epoch_ = epoch;
  order_ = std::move(order);
  steps_ = steps;
  started_ = true;
  stopping_ = false;
  next_claim_ = next_out_ = first_step;
  discard_ready();
  for (int w = 0; w < opt_.workers; ++w) threads_.emplace_back([this] { worker_loop(); });
}

void BatchLoader::worker_loop() {
  const int64_t ahead = std::max(opt_.prefetch, opt_.workers);
  for (;;) {
    int64_t step;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || next_claim_ >= steps_ || next_claim_ < next_out_ + ahead;
      });
      if (stopping_ || next_claim_ >= steps_) return;
      step = next_claim_++;
    }
    Slot slot;
    try {
      slot.batch = build(step, slot.copied);
    } catch (...) {
      slot.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_.emplace(step, std::move(slot));
    }
    cv_.notify_all();
  }
}

std::optional<Batch> BatchLoader::next() {
  ENG_CHECK(started_, "loader", "next() called before start_epoch()");
  if (next_out_ >= steps_) return std::nullopt;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ready_.count(next_out_) > 0; });
  Slot slot = std::move(ready_.at(next_out_));
  ready_.erase(next_out_++);
  lock.unlock();
  cv_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  ready_on_engine(slot.copied);
  return std::move(slot.batch);
}

Batch BatchLoader::build(int64_t step, std::shared_ptr<void>& copied) const {
  // Images in this batch: the batch size, fewer in a last partial batch.
  const int64_t B = std::min(opt_.batch_size, int64_t(order_.size()) - step * opt_.batch_size);
  const int64_t r = opt_.repeats;
  const int64_t row = int64_t(tf_.out_c) * tf_.out_h * tf_.out_w;
  StagedTensors staged(
      {{B, tf_.out_c, tf_.out_h, tf_.out_w}, {r * B, tf_.out_c, tf_.out_h, tf_.out_w}},
      opt_.device);
  Batch b;
  b.epoch = epoch_, b.step = step;
  float* x = staged.host(0);
  float* x_tf = staged.host(1);
  for (int64_t i = 0; i < B; ++i) {
    const int64_t pos = step * opt_.batch_size + i, index = order_[pos];
    const Image img = source_image(data_, index);
    b.indices.push_back(index);
    b.labels.push_back(data_.label(index));
    Rng rng = sample_rng(opt_.seed, epoch_, pos, 0);
    store(tf_.tf1(img, rng), tf_, x + i * row, "tf1");
    for (int64_t d = 0; d < r; ++d) {
      Rng copy_rng = sample_rng(opt_.seed, epoch_, pos, int(d + 1));
      store(tf_.tf2(img, copy_rng), tf_, x_tf + (d * B + i) * row, "tf2");
    }
  }
  std::vector<Tensor> tensors = staged.upload();
  b.x = std::move(tensors[0]), b.x_tf = std::move(tensors[1]);
  copied = staged.copied();
  return b;
}

Tensor transform_range(const Dataset& data, const TransformSet& tf, int64_t begin, int64_t end,
                       int threads) {
  ENG_CHECK(0 <= begin && begin <= end && end <= data.size(), "transform_range", "range [", begin,
            ", ", end, ") is not inside '", data.name(), "' (size ", data.size(), ")");
  ENG_CHECK(threads > 0, "transform_range", "threads must be > 0, got ", threads);
  ENG_CHECK(bool(tf.tf3), "transform_range", "tf3 must be set");
  check_transforms(tf, "transform_range");
  const int64_t n = end - begin, row = int64_t(tf.out_c) * tf.out_h * tf.out_w;
  Tensor out = Tensor::empty({n, tf.out_c, tf.out_h, tf.out_w});
  float* dst = out.data<float>();
  std::vector<std::exception_ptr> errors(threads);
  auto work = [&](int t) {
    try {  // contiguous chunk t of the range
      for (int64_t i = begin + n * t / threads; i < begin + n * (t + 1) / threads; ++i) {
        Rng rng = sample_rng(0, 0, i, 0);  // tf3 is deterministic; a fixed stream regardless
        store(tf.tf3(source_image(data, i), rng), tf, dst + (i - begin) * row, "tf3");
      }
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& th : pool) th.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

}  // namespace eng::data
