// hash_blocks.hpp — the message framing that MD5 (RFC 1321) and SHA-256 (FIPS 180-4) share.
//
// Contract: HashBlocks gathers the bytes fed to update() into 64-byte blocks and hands each
// complete block to the hash's compression function; finish() closes the message with the
// padding 0x80, zeros up to 56 mod 64, then the message length in bits as 64 bits
// (little-endian for MD5, big-endian for SHA-256). After finish(), update() and finish() throw
// eng::Error naming the hash ("md5: update() after finish()").
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "engine/error.hpp"

namespace eng::data {

class HashBlocks {
 public:
  explicit HashBlocks(const char* hash) : hash_(hash) {}

  // compress(const uint8_t* block) runs on every 64-byte block completed by these bytes.
  template <class Compress>
  void update(const void* bytes, size_t n, Compress&& compress) {
    ENG_CHECK(!finished_, hash_, "update() after finish()");
    const uint8_t* p = static_cast<const uint8_t*>(bytes);
    total_ += n;
    if (buf_len_ > 0) {  // top up a partial block first
      size_t take = std::min(n, buf_.size() - buf_len_);
      std::memcpy(buf_.data() + buf_len_, p, take);
      buf_len_ += take, p += take, n -= take;
      if (buf_len_ < buf_.size()) return;
      compress(buf_.data());
      buf_len_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(p);
    std::memcpy(buf_.data(), p, n);
    buf_len_ = n;
  }

  // Pads the message (compressing the last blocks); the hash state then holds the digest.
  template <class Compress>
  void finish(bool big_endian_length, Compress&& compress) {
    ENG_CHECK(!finished_, hash_, "finish() called twice");
    const uint64_t bits = total_ * 8;
    uint8_t pad[72] = {0x80};  // 0x80, zeros up to 56 mod 64, then the 64-bit length
    size_t pad_len = (buf_len_ < 56 ? 56 : 120) - buf_len_;
    for (int i = 0; i < 8; ++i)
      pad[pad_len + i] = uint8_t(bits >> (big_endian_length ? 56 - 8 * i : 8 * i));
    update(pad, pad_len + 8, compress);
    finished_ = true;
  }

 private:
  const char* hash_;
  std::array<uint8_t, 64> buf_;
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes hashed so far
  bool finished_ = false;
};

}  // namespace eng::data
