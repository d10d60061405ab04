// staging.cpp — CPU tensors filled in place, CUDA tensors staged in page-locked memory and
// copied on the copy stream (see staging.hpp).
#include "engine/staging.hpp"

#include <utility>

#include "engine/allocator.hpp"

#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace eng {

StagedTensors::StagedTensors(std::vector<Shape> shapes, Device device)
    : shapes_(std::move(shapes)), device_(device) {
  if (device_ == Device::CPU) {
    for (const Shape& s : shapes_) cpu_.push_back(Tensor::empty(s));
    return;
  }
  for (const Shape& s : shapes_) {
    offsets_.push_back(pinned_bytes_);
    pinned_bytes_ += numel_of(s) * sizeof(float);
  }
  pinned_ = static_cast<char*>(pinned_alloc(pinned_bytes_));
}

StagedTensors::~StagedTensors() {
  if (pinned_) pinned_free(pinned_, pinned_bytes_, copied_);
}

float* StagedTensors::host(size_t k) {
  ENG_CHECK(k < shapes_.size(), "staging", "no tensor ", k, " among ", shapes_.size());
  if (device_ == Device::CPU) return cpu_[k].data<float>();
  return reinterpret_cast<float*>(pinned_ + offsets_[k]);
}

std::vector<Tensor> StagedTensors::upload() {
  if (device_ == Device::CPU) return std::move(cpu_);
  std::vector<Tensor> out;  // (a build without CUDA threw in the constructor)
#ifdef ENG_HAVE_CUDA
  std::vector<cuda::HostToDevice> copies;
  for (size_t k = 0; k < shapes_.size(); ++k) {
    out.push_back(Tensor::empty(shapes_[k], Device::CUDA));
    copies.push_back({out[k].raw(), pinned_ + offsets_[k], out[k].storage_bytes()});
  }
  copied_ = cuda::copy_to_device_async(copies);
#endif
  return out;
}

void ready_on_engine(const std::shared_ptr<void>& copied) {
#ifdef ENG_HAVE_CUDA
  if (copied) cuda::engine_wait(copied);
#else
  (void)copied;  // a build without CUDA never has an event
#endif
}

}  // namespace eng
