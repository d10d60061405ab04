// loader.hpp — the IIC batch loader: per step, the tf1 views x of B images and r independent
// tf2 views of each, built by worker threads ahead of the training loop; and the evaluation
// helper that applies tf3 to a range of a dataset.
//
// Contract:
//  - An epoch is an index order over the dataset (sequential_order: the authors' fixed order;
//    shuffled_order: a seeded permutation). Step s covers order positions [s*B, (s+1)*B). The
//    last len(order) % B positions make a last, smaller batch (as the authors' DataLoaders,
//    drop_last=False), or with drop_last are left out: ceil or floor of len(order) / B steps.
//  - Batch of b images (b = B but in a last partial batch): x [b, C, H, W] = tf1 of each image;
//    x_tf [r*b, C, H, W], row d*b + i = the d-th
//    independent tf2 draw of the image of row i (tf2 applies to the original image, not to x);
//    indices / labels of row i.
//  - Reproducible: the draws of the sample at order position p, copy k (0 = tf1, 1..r = tf2)
//    come from sample_rng(seed, epoch, p, k) alone, so batches are bit-identical for any number
//    of workers and any scheduling.
//  - Prefetch: `workers` std::threads build whole batches, at most max(prefetch, workers)
//    steps ahead of the one last returned by next(); a batch whose transform threw rethrows
//    from next(). `epoch` is any pass counter (one per pass over the data: the trainer numbers
//    its head passes).
//  - The Dataset must outlive the loader; the transforms are called concurrently from the
//    workers, so they must depend only on their arguments (the MNIST ones do).
//  - x and x_tf are on options.device (indices and labels stay on the host). For CUDA the
//    workers build each batch in page-locked memory and start its copy on the copy stream
//    (eng::StagedTensors), so the copy of a batch overlaps the steps before it; next() makes the
//    engine stream wait for the copy (the host does not) before it returns the batch. Same bits
//    on either device.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "engine/rng.hpp"
#include "engine/tensor.hpp"

namespace eng::data {

struct Batch {
  int64_t epoch = 0, step = 0;
  Tensor x;                      // [B, C, H, W]
  Tensor x_tf;                   // [r*B, C, H, W]
  std::vector<int64_t> indices;  // dataset index of each row of x
  std::vector<int> labels;       // label of each row of x (-1: none)
};

struct LoaderOptions {
  int64_t batch_size = 140;
  int repeats = 5;
  int workers = 1;
  int prefetch = 2;
  uint64_t seed = 0;
  bool drop_last = false;       // true: no last partial batch
  Device device = Device::CPU;  // where x and x_tf go
};

// Steps of a pass over n positions in batches of `batch` (see drop_last above).
int64_t pass_step_count(int64_t n, int64_t batch, bool drop_last);

Rng sample_rng(uint64_t seed, int64_t epoch, int64_t position, int copy);
std::vector<int64_t> sequential_order(int64_t n);
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch);

class BatchLoader {
 public:
  BatchLoader(const Dataset& data, TransformSet transforms, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts building the batches of a pass (abandoning any unfinished one) from first_step on;
  // a pass resumed at step k yields the same batches k, k+1, ... as an uninterrupted one.
  void start_epoch(int64_t epoch, std::vector<int64_t> order, int64_t first_step = 0);
  // The next batch of the pass, or nullopt when the pass is over.
  std::optional<Batch> next();
  // Steps of the current pass; before the first start_epoch, of a pass over the whole dataset.
  int64_t steps_per_epoch() const { return steps_; }
  const LoaderOptions& options() const { return opt_; }

 private:
  struct Slot {
    Batch batch;
    std::shared_ptr<void> copied;  // CUDA: the event of the batch's copy (StagedTensors)
    std::exception_ptr error;
  };
  Batch build(int64_t step, std::shared_ptr<void>& copied) const;
  void worker_loop();
  void stop_workers();
  void discard_ready();  // drops the batches not handed out (workers stopped)

  const Dataset& data_;
  const TransformSet tf_;
  const LoaderOptions opt_;
  bool started_ = false;
  int64_t epoch_ = 0, steps_ = 0;
  std::vector<int64_t> order_;

  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool stopping_ = false;
  int64_t next_claim_ = 0;  // next step a worker will build
  int64_t next_out_ = 0;    // next step next() returns
  std::map<int64_t, Slot> ready_;
  std::vector<std::thread> threads_;
};

// tf3 of images [begin, end) into an [end - begin, C, H, W] tensor, on `threads` threads
// (result independent of the thread count).
Tensor transform_range(const Dataset& data, const TransformSet& transforms, int64_t begin,
                       int64_t end, int threads);

}  // namespace eng::data
