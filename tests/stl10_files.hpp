// stl10_files.hpp — small STL-10 folders in the exact official binary format, for the tests that
// read or train on STL-10. Image number n has pixel (c, y, x) = (n + 101 c + 7 y + 3 x) mod 256:
// its first byte is n (mod 256), and a missed transpose (x and y swapped) shows. The files store
// each channel plane column-major (byte x * 96 + y is pixel (y, x)), as the official ones.
#pragma once
#include <cstdint>
#include <filesystem>

#include "data/stl10.hpp"
#include "tests/temp_files.hpp"

namespace testing {

inline uint8_t stl10_value(int64_t image, int c, int y, int x) {
  return uint8_t((image + c * 101 + y * 7 + x * 3) % 256);
}

// `n` images numbered from `first`, in the official file layout.
inline Bytes stl10_images_file(int64_t n, int64_t first) {
  constexpr int S = eng::data::kStl10Side;
  Bytes b(size_t(n) * eng::data::kStl10ImageBytes);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c)
      for (int x = 0; x < S; ++x)
        for (int y = 0; y < S; ++y)
          b[size_t(i) * eng::data::kStl10ImageBytes + size_t(c) * S * S + size_t(x) * S + y] =
              stl10_value(first + i, c, y, x);
  return b;
}

// A complete <root>/stl10_binary/ folder: train images numbered from 0 with the given labels
// (classes 1..10, as in the files), test images numbered from 100, `unlabelled` images from 200.
inline std::filesystem::path write_stl10_folder(const std::filesystem::path& root,
                                                const Bytes& train_labels, const Bytes& test_labels,
                                                int64_t unlabelled) {
  const std::filesystem::path dir = root / "stl10_binary";
  write_bytes(dir / "train_X.bin", stl10_images_file(int64_t(train_labels.size()), 0));
  write_bytes(dir / "train_y.bin", train_labels);
  write_bytes(dir / "test_X.bin", stl10_images_file(int64_t(test_labels.size()), 100));
  write_bytes(dir / "test_y.bin", test_labels);
  write_bytes(dir / "unlabeled_X.bin", stl10_images_file(unlabelled, 200));
  return dir;
}

}  // namespace testing
