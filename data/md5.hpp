// md5.hpp — a small, dependency-free MD5 (RFC 1321), used only to verify downloaded dataset
// archives against the digests their authors publish (CIFAR, STL-10 list MD5, not SHA-256).
// MD5 is broken for adversarial collisions; here it detects corrupt or truncated downloads.
//
// Contract: Md5 hashes a byte stream fed in any number of update() calls; finish() returns the
// lower-case hex digest (the object must not be updated afterwards). md5_hex() is one-shot;
// md5_file_hex() streams a file of any size and throws eng::Error naming it when unreadable.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/hash_blocks.hpp"

namespace eng::data {

class Md5 {
 public:
  Md5();
  void update(const void* bytes, size_t n);
  std::string finish();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 4> h_;
  HashBlocks blocks_{"md5"};
};

std::string md5_hex(const void* bytes, size_t n);
std::string md5_file_hex(const std::string& path);

}  // namespace eng::data
