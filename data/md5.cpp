// md5.cpp — MD5 (RFC 1321, section 3): 64-byte blocks, padding, compression function, digest.
#include "data/md5.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/error.hpp"

namespace eng::data {
namespace {
// K[i] = floor(abs(sin(i + 1)) * 2^32) and the per-round left rotations.
constexpr uint32_t kK[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
}  // namespace

Md5::Md5() : h_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476} {}

void Md5::compress(const uint8_t* block) {
  uint32_t m[16];
  for (int t = 0; t < 16; ++t)  // little-endian words
    m[t] = uint32_t(block[4 * t]) | uint32_t(block[4 * t + 1]) << 8 |
           uint32_t(block[4 * t + 2]) << 16 | uint32_t(block[4 * t + 3]) << 24;
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3];
  for (int i = 0; i < 64; ++i) {
    const int round = i / 16;
    uint32_t f;
    int g;
    if (round == 0)
      f = (b & c) | (~b & d), g = i;
    else if (round == 1)
      f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
    else if (round == 2)
      f = b ^ c ^ d, g = (3 * i + 5) % 16;
    else
      f = c ^ (b | ~d), g = (7 * i) % 16;
    const uint32_t next = b + rotl(a + f + kK[i] + m[g], kShift[round][i % 4]);
    a = d, d = c, c = b, b = next;
  }
  h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d;
}

void Md5::update(const void* bytes, size_t n) {
  ENG_CHECK(!finished_, "md5", "update() after finish()");
  const uint8_t* p = static_cast<const uint8_t*>(bytes);
  total_ += n;
  if (buf_len_ > 0) {  // top up a partial block first
    const size_t take = std::min(n, buf_.size() - buf_len_);
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

std::string Md5::finish() {
  ENG_CHECK(!finished_, "md5", "finish() called twice");
  const uint64_t bits = total_ * 8;
  uint8_t pad[72] = {0x80};  // 0x80, zeros up to 56 mod 64, then the 64-bit length, little-endian
  const size_t pad_len = (buf_len_ < 56 ? 56 : 120) - buf_len_;
  for (int i = 0; i < 8; ++i) pad[pad_len + i] = uint8_t(bits >> (8 * i));
  update(pad, pad_len + 8);
  finished_ = true;
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint32_t word : h_)
    for (int j = 0; j < 4; ++j) {
      const uint8_t byte = uint8_t(word >> (8 * j));
      s += kDigits[byte >> 4], s += kDigits[byte & 15];
    }
  return s;
}

std::string md5_hex(const void* bytes, size_t n) {
  Md5 h;
  h.update(bytes, n);
  return h.finish();
}

std::string md5_file_hex(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  ENG_CHECK(f != nullptr, path, "cannot open: ", std::strerror(errno));
  Md5 h;
  std::vector<uint8_t> chunk(1 << 20);
  size_t got;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), f)) > 0) h.update(chunk.data(), got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  ENG_CHECK(!failed, path, "read error while hashing");
  return h.finish();
}

}  // namespace eng::data
