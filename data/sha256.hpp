// sha256.hpp — a small, dependency-free SHA-256 (FIPS 180-4), used to verify dataset files.
//
// Contract: Sha256 hashes a byte stream fed in any number of update() calls; finish() returns
// the 32-byte digest (the object must not be updated afterwards). sha256_hex() is the one-shot
// lower-case hex digest, the form published next to datasets ("ba8910...").
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/hash_blocks.hpp"

namespace eng::data {

class Sha256 {
 public:
  Sha256();
  void update(const void* bytes, size_t n);
  std::array<uint8_t, 32> finish();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> h_;
  HashBlocks blocks_{"sha256"};
};

std::string to_hex(const std::array<uint8_t, 32>& digest);
std::string sha256_hex(const void* bytes, size_t n);

}  // namespace eng::data
