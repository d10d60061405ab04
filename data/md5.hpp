// md5.hpp — a small, dependency-free MD5 (RFC 1321), the one hash of the data layer: every
// dataset publisher's digest is MD5 (torchvision's per-file .gz digests, the CIFAR and STL-10
// archives), and the content digests of known files are kept in the same form. MD5 is broken
// for adversarial collisions; here it detects corrupt, truncated or different files.
//
// Contract: Md5 hashes a byte stream fed in any number of update() calls; finish() returns the
// lower-case hex digest. After finish(), update() and finish() throw eng::Error ("md5: update()
// after finish()"). md5_hex() is one-shot; md5_file_hex() streams a file of any size and throws
// eng::Error naming it when unreadable.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace eng::data {

class Md5 {
 public:
  Md5();
  void update(const void* bytes, size_t n);
  std::string finish();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 4> h_;
  std::array<uint8_t, 64> buf_;  // a partial block
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes hashed so far
  bool finished_ = false;
};

std::string md5_hex(const void* bytes, size_t n);
std::string md5_file_hex(const std::string& path);

}  // namespace eng::data
