// test_sha256.cpp — SHA-256 on the FIPS 180-4 / NIST test vectors, streaming in awkward chunk
// sizes, and agreement with the system's sha256sum around the padding boundaries.
#define BOOST_TEST_MODULE sha256
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

#include "data/sha256.hpp"
#include "engine/error.hpp"

using eng::data::Sha256;
using eng::data::sha256_hex;

namespace {
std::string hex_of(const std::string& s) { return sha256_hex(s.data(), s.size()); }

std::string hex_in_chunks(const std::string& s, size_t chunk) {
  Sha256 h;
  for (size_t at = 0; at < s.size(); at += chunk)
    h.update(s.data() + at, std::min(chunk, s.size() - at));
  return eng::data::to_hex(h.finish());
}

// The digest computed by coreutils' sha256sum, or "" when it is not available.
std::string system_sha256(const std::string& s) {
  std::string cmd = "printf '%s' '" + s + "' | sha256sum 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[128] = {0};
  std::string out = std::fgets(buf, sizeof buf, p) ? std::string(buf) : std::string();
  pclose(p);
  return out.size() >= 64 ? out.substr(0, 64) : "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(known_vectors) {
  BOOST_TEST(hex_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hex_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(hex_of(std::string(1000000, 'a')) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(streaming_equals_one_shot) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += char('a' + (i * 7) % 26);
  const std::string whole = hex_of(s);
  for (size_t chunk : {1, 3, 55, 56, 63, 64, 65, 127, 1000})
    BOOST_TEST(hex_in_chunks(s, chunk) == whole);
}

BOOST_AUTO_TEST_CASE(padding_boundaries_match_sha256sum) {
  if (system_sha256("abc").empty()) {
    BOOST_TEST_MESSAGE("sha256sum not available; boundary lengths not cross-checked");
    return;
  }
  for (size_t len : {1, 55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    std::string s(len, 'x');
    BOOST_TEST(hex_of(s) == system_sha256(s), "length " << len);
  }
}

BOOST_AUTO_TEST_CASE(misuse_is_reported) {
  Sha256 h;
  h.update("a", 1);
  h.finish();
  BOOST_CHECK_THROW(h.update("b", 1), eng::Error);
  BOOST_CHECK_THROW(h.finish(), eng::Error);
}
