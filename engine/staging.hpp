// staging.hpp — float32 tensors filled on the CPU and delivered on a device without making the
// training thread wait: for CUDA they are staged in page-locked memory and copied on the copy
// stream, so that the copy overlaps the engine stream's kernels (the batch loader's workers).
//
// Contract:
//  - StagedTensors s(shapes, device); fill s.host(k) with tensor k, plain row-major; then
//    upload() (once) returns the tensors on `device`.
//  - CPU: host(k) is the tensor's own storage and upload() hands the tensors over; nothing waits.
//  - CUDA: host(k) lies in a page-locked block of the pinned allocator. upload() allocates the
//    device tensors, enqueues the copies behind the engine stream's work so far and returns at
//    once; copied() is the copies' event. Call ready_on_engine(copied()) before any op reads the
//    tensors, and before dropping them unread (their blocks would otherwise be handed out again
//    under a running copy). The page-locked block goes back to the
//    cache when s is destroyed, and is handed out again only after the copies read it.
//  - Any thread may stage and upload; a StagedTensors belongs to one thread. A build without CUDA
//    throws for Device::CUDA.
#pragma once
#include <memory>
#include <vector>

#include "engine/tensor.hpp"

namespace eng {

class StagedTensors {
 public:
  StagedTensors(std::vector<Shape> shapes, Device device);
  ~StagedTensors();
  StagedTensors(const StagedTensors&) = delete;
  StagedTensors& operator=(const StagedTensors&) = delete;

  float* host(size_t k);
  std::vector<Tensor> upload();
  // The cuda::Event of upload()'s copies; null on the CPU and before upload().
  const std::shared_ptr<void>& copied() const { return copied_; }

 private:
  const std::vector<Shape> shapes_;
  const Device device_;
  std::vector<Tensor> cpu_;      // CPU: the tensors themselves
  std::vector<size_t> offsets_;  // CUDA: byte offset of each tensor in the page-locked block
  size_t pinned_bytes_ = 0;
  char* pinned_ = nullptr;
  std::shared_ptr<void> copied_;
};

// The engine stream waits for `copied` (a StagedTensors::copied() event); nothing for null.
void ready_on_engine(const std::shared_ptr<void>& copied);

}  // namespace eng
