// data_files.hpp — helpers for the data-layer tests: IDX files in the exact format, gzip
// compression, whether curl can serve file:// URLs, and how a test that needs files the machine
// lacks is skipped (reported as skipped, never as passed).
#pragma once
#include <zlib.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "tests/temp_files.hpp"

namespace testing {

inline void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

// An IDX images file; pixel i is i * 37 mod 256 (image j's byte k: (j * rows * cols + k) * 37).
inline Bytes idx_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols,
                        size_t pixels) {
  Bytes b;
  put_be32(b, magic), put_be32(b, count), put_be32(b, rows), put_be32(b, cols);
  for (size_t i = 0; i < pixels; ++i) b.push_back(uint8_t(i * 37 % 256));
  return b;
}

// An IDX labels file; label i is (i + first) mod 10.
inline Bytes idx_labels(uint32_t magic, uint32_t count, size_t labels, size_t first = 0) {
  Bytes b;
  put_be32(b, magic), put_be32(b, count);
  for (size_t i = 0; i < labels; ++i) b.push_back(uint8_t((i + first) % 10));
  return b;
}

inline void write_gz(const std::filesystem::path& p, const Bytes& b) {
  std::filesystem::create_directories(p.parent_path());
  gzFile f = gzopen(p.c_str(), "wb");
  BOOST_REQUIRE(f);
  BOOST_REQUIRE(gzwrite(f, b.data(), unsigned(b.size())) == int(b.size()));
  gzclose(f);
}

inline bool have_curl() { return std::system("command -v curl >/dev/null 2>&1") == 0; }

// Decorator: run the test case only when pred() holds (else Boost reports it skipped).
template <class Pred>
auto only_if(Pred pred) {
  return boost::unit_test::precondition([pred](boost::unit_test::test_unit_id) { return pred(); });
}

}  // namespace testing
