// test_md5.cpp — MD5 on RFC 1321's test vectors, streamed in uneven pieces and from a file,
// agreement with the system's md5sum around the padding boundaries, and misuse reported.
#define BOOST_TEST_MODULE md5
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "data/md5.hpp"
#include "tests/temp_files.hpp"

using eng::data::Md5;
using eng::data::md5_file_hex;
using eng::data::md5_hex;
using namespace testing;

namespace {
std::string hex_of(const std::string& s) { return md5_hex(s.data(), s.size()); }

// The digest computed by coreutils' md5sum, or "" when it is not available.
std::string system_md5(const std::string& s) {
  const std::string cmd = "printf '%s' '" + s + "' | md5sum 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[128] = {0};
  const std::string out = std::fgets(buf, sizeof buf, p) ? std::string(buf) : std::string();
  pclose(p);
  return out.size() >= 32 ? out.substr(0, 32) : "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(md5_matches_rfc1321_vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"}};
  for (const auto& [text, digest] : vectors) BOOST_TEST(hex_of(text) == digest);
}

BOOST_AUTO_TEST_CASE(streaming_and_files_give_the_one_shot_digest) {
  // Fed in uneven pieces (partial blocks, a 64-byte boundary) and from a file: the same digest.
  const std::string long_text(1000, 'x');
  Md5 h;
  for (size_t at = 0, step = 1; at < long_text.size(); at += step, step = step * 3 % 97 + 1)
    h.update(long_text.data() + at, std::min(step, long_text.size() - at));
  const std::string chunked = h.finish();
  BOOST_TEST(chunked == hex_of(long_text));
  for (size_t chunk : {1, 3, 55, 56, 63, 64, 65, 127, 1000}) {
    Md5 c;
    for (size_t at = 0; at < long_text.size(); at += chunk)
      c.update(long_text.data() + at, std::min(chunk, long_text.size() - at));
    BOOST_TEST(c.finish() == chunked, "chunk " << chunk);
  }
  TempDir dir("md5");
  write_bytes(dir.path / "x", Bytes(long_text.begin(), long_text.end()));
  BOOST_TEST(md5_file_hex(dir.file("x")) == chunked);
  BOOST_TEST(contains(error_of([&] { md5_file_hex(dir.file("nope")); }), dir.file("nope")));
}

BOOST_AUTO_TEST_CASE(padding_boundaries_match_md5sum) {
  if (system_md5("abc").empty()) {
    BOOST_TEST_MESSAGE("md5sum not available; boundary lengths not cross-checked");
    return;
  }
  for (size_t len : {1, 55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    const std::string s(len, 'x');
    BOOST_TEST(hex_of(s) == system_md5(s), "length " << len);
  }
}

BOOST_AUTO_TEST_CASE(misuse_is_reported) {
  Md5 h;
  h.update("a", 1);
  h.finish();
  BOOST_TEST(contains(error_of([&] { h.update("b", 1); }), "md5: update() after finish()"));
  BOOST_TEST(contains(error_of([&] { h.finish(); }), "md5: finish() called twice"));
}
