// noise_dataset.hpp — the loader tests' dataset (test_loader, test_cuda_pipeline): n 1x28x28
// images, image i random noise seeded by i, label i % 10.
#pragma once
#include <cstdint>
#include <vector>

#include "data/dataset.hpp"
#include "engine/rng.hpp"

namespace testing {

inline eng::data::Dataset noise_dataset(int64_t n) {
  std::vector<uint8_t> px(n * 28 * 28);
  std::vector<int> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    eng::Rng rng(99, i);
    for (int p = 0; p < 28 * 28; ++p) px[i * 784 + p] = uint8_t(rng.randint(256));
    labels[i] = int(i % 10);
  }
  return eng::data::Dataset("noise", n, 1, 28, 28, std::move(px), std::move(labels));
}

}  // namespace testing
