// test_checkpoint.cpp — engine/checkpoint: round trips (F32, BF16, scalars, empty tensors,
// metadata), the exact safetensors byte layout, reading files laid out as other writers do,
// atomic replacement, and rejection of truncated or corrupt files with messages that name the
// file and the problem.
#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/checkpoint.hpp"
#include "engine/json.hpp"
#include "tests/temp_files.hpp"

namespace fs = std::filesystem;
using eng::NamedTensors;
using eng::Tensor;
using testing::contains;
using testing::TempDir;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

std::string floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// A safetensors file from a header text and a data blob.
std::string make_file(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

std::string load_error(const std::string& path) {
  return testing::error_of([&] { eng::load_checkpoint(path); });
}

// Write `bytes` as a file and expect loading it to fail with a message naming the file and
// containing `problem`.
void expect_rejected(const TempDir& dir, const std::string& bytes, const std::string& problem) {
  std::string path = dir.file("bad.safetensors");
  write_bytes(path, bytes);
  std::string e = load_error(path);
  BOOST_TEST(contains(e, "checkpoint " + path), "message '" << e << "' does not name the file");
  BOOST_TEST(contains(e, problem), "message '" << e << "' lacks '" << problem << "'");
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_keeps_names_order_shapes_bits_and_metadata) {
  TempDir dir;
  eng::Rng rng(3);
  Tensor bf16 = Tensor::empty({5}, eng::Device::CPU, eng::DType::BF16);
  for (int i = 0; i < 5; ++i) bf16.data<uint16_t>()[i] = static_cast<uint16_t>(0x3f80 + 7 * i);
  NamedTensors tensors = {{"z.last", testing::randn({2, 3, 4}, rng)},
                          {"scalar", Tensor::scalar(-0.0f)},
                          {"empty", Tensor::zeros({0, 3})},
                          {"a.bf16", bf16},
                          {"w", testing::randn({7}, rng)}};
  tensors[0].tensor.data()[5] = std::nanf("");  // NaN payloads survive too
  std::map<std::string, std::string> meta = {{"iic_state", R"({"epoch": 3})"}, {"note", "é\n"}};
  std::string path = dir.file("ck.safetensors");
  eng::save_checkpoint(path, tensors, meta);
  eng::Checkpoint ck = eng::load_checkpoint(path);
  BOOST_TEST(ck.metadata == meta);
  BOOST_REQUIRE(ck.tensors.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &a = tensors[i].tensor, &b = ck.tensors[i].tensor;
    BOOST_TEST(ck.tensors[i].name == tensors[i].name);
    BOOST_TEST(b.shape() == a.shape());
    BOOST_TEST((b.dtype() == a.dtype()));
    BOOST_TEST((b.device() == eng::Device::CPU));
    BOOST_TEST(std::memcmp(a.raw(), b.raw(), a.storage_bytes()) == 0);
  }
  // Saving to the same path again replaces the file and leaves no temporary behind.
  eng::save_checkpoint(path, {{"only", Tensor::full({2}, 1.5f)}});
  ck = eng::load_checkpoint(path);
  BOOST_TEST(ck.tensors.size() == 1u);
  BOOST_TEST(ck.metadata.empty());
  BOOST_TEST(ck.tensors[0].tensor.to_vector() == std::vector<float>({1.5f, 1.5f}));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) ++files, (void)entry;
  BOOST_TEST(files == 1);
}

BOOST_AUTO_TEST_CASE(file_bytes_follow_the_safetensors_layout) {
  TempDir dir;
  std::string path = dir.file("a.safetensors");
  eng::save_checkpoint(
      path,
      {{"a", Tensor::from_vector({2}, {1.0f, 2.0f})}, {"b", Tensor::from_vector({1, 1}, {-3.0f})}},
      {{"format", "pt"}});
  std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}})";
  header.append((8 - header.size() % 8) % 8, ' ');  // padded to 8 bytes, like the reference
  BOOST_TEST(read_bytes(path) == make_file(header, floats({1.0f, 2.0f, -3.0f})));
}

BOOST_AUTO_TEST_CASE(reads_files_laid_out_by_other_writers) {
  // Header order differs from data order, metadata last, whitespace, no padding.
  TempDir dir;
  std::string header =
      "{ \"second\": {\"shape\": [2], \"dtype\": \"F32\", \"data_offsets\": [4, 12]},\n"
      "  \"first\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]},\n"
      "  \"__metadata__\": {\"format\": \"pt\"} }";
  std::string path = dir.file("other.safetensors");
  write_bytes(path, make_file(header, floats({7.0f, 8.0f, 9.0f})));
  eng::Checkpoint ck = eng::load_checkpoint(path);
  BOOST_REQUIRE(ck.tensors.size() == 2u);
  BOOST_TEST(ck.tensors[0].name == "second");
  BOOST_TEST(ck.tensors[0].tensor.to_vector() == std::vector<float>({8.0f, 9.0f}));
  BOOST_TEST(ck.tensors[1].tensor.shape().empty());
  BOOST_TEST(ck.tensors[1].tensor.item() == 7.0f);
  BOOST_TEST(ck.metadata.at("format") == "pt");
}

BOOST_AUTO_TEST_CASE(truncated_files_are_rejected_at_every_length) {
  TempDir dir;
  std::string good_path = dir.file("good.safetensors");
  eng::Rng rng(5);
  eng::save_checkpoint(good_path, {{"w", testing::randn({4, 4}, rng)}, {"b", Tensor::zeros({4})}},
                       {{"k", "v"}});
  std::string good = read_bytes(good_path);
  BOOST_REQUIRE(eng::load_checkpoint(good_path).tensors.size() == 2u);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::string path = dir.file("cut.safetensors");
    write_bytes(path, good.substr(0, cut));
    std::string e = load_error(path);
    BOOST_TEST(contains(e, "checkpoint " + path), "cut at " << cut << ": '" << e << "'");
  }
  expect_rejected(dir, good.substr(0, 5), "fewer than the 8-byte header length");
  expect_rejected(dir, good.substr(0, 40), "header length");
  expect_rejected(dir, good.substr(0, good.size() - 1), "reach past the");
  expect_rejected(dir, good + "x", "the tensors cover 80 bytes but the file holds 81");
}

BOOST_AUTO_TEST_CASE(corrupt_headers_are_rejected_with_the_reason) {
  TempDir dir;
  const std::string d8 = floats({1.0f, 2.0f});
  auto entry = [](const std::string& name, const std::string& body) {
    return "\"" + name + "\":{" + body + "}";
  };
  const std::string ok_a = entry("a", R"("dtype":"F32","shape":[2],"data_offsets":[0,8])");
  expect_rejected(dir, le64(1000000000000ull) + "{}", "header length 1000000000000 is impossible");
  expect_rejected(dir, le64(0), "header length 0");
  expect_rejected(dir, make_file("{\"a\":", d8), "header: line 1, column 6: expected a value");
  expect_rejected(dir, make_file("[1,2]", ""), "the header must be a JSON object, got array");
  expect_rejected(dir, make_file("{" + ok_a + "," + ok_a + "}", d8), "'a' is a duplicate");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F16","shape":[4],"data_offsets":[0,8])") + "}", d8),
      "tensor 'a': dtype \"F16\" is not supported");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F32","shape":[3],"data_offsets":[0,8])") + "}", d8),
      "span 8 bytes but F32 [3] needs 12");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F32","shape":[-2],"data_offsets":[0,8])") + "}", d8),
      "has an invalid size");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F32","shape":[2],"data_offsets":[8,0])") + "}", d8),
      "end before they begin");
  expect_rejected(
      dir, make_file("{" + entry("a", R"("dtype":"F32","shape":[2],"data_offsets":[0])") + "}", d8),
      "data_offsets must be two non-negative integers");
  expect_rejected(dir, make_file("{" + entry("a", R"("dtype":"F32","shape":[2])") + "}", d8),
                  "missing field 'data_offsets'");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1)") + "}",
                d8),
      "unexpected field 'x'");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F32","shape":[2],"data_offsets":[0,8])") + "," +
                    entry("b", R"("dtype":"F32","shape":[1],"data_offsets":[4,8])") + "}",
                d8),
      "tensors 'a' and 'b' overlap");
  expect_rejected(
      dir,
      make_file("{" + entry("a", R"("dtype":"F32","shape":[1],"data_offsets":[4,8])") + "}", d8),
      "bytes 0..4 of the data belong to no tensor");
  expect_rejected(dir, make_file("{\"__metadata__\":{\"k\":1}," + ok_a + "}", d8),
                  "metadata 'k' must be a string");
  expect_rejected(
      dir,
      make_file(
          "{" +
              entry("a",
                    R"("dtype":"F32","shape":[4503599627370496,1048576],"data_offsets":[0,8])") +
              "}",
          d8),
      "is too large");
  BOOST_TEST(contains(load_error(dir.file("missing.safetensors")), "cannot open"));
}

BOOST_AUTO_TEST_CASE(bad_saves_are_reported_and_keep_the_old_file) {
  TempDir dir;
  std::string path = dir.file("keep.safetensors");
  eng::save_checkpoint(path, {{"x", Tensor::full({3}, 2.0f)}});
  std::string before = read_bytes(path);
  auto save_error = [&](const NamedTensors& t) {
    return testing::error_of([&] { eng::save_checkpoint(path, t); });
  };
  BOOST_TEST(contains(save_error({{"x", Tensor::zeros({1})}, {"x", Tensor::zeros({1})}}),
                      "'x' appears twice"));
  BOOST_TEST(contains(save_error({{"__metadata__", Tensor::zeros({1})}}), "invalid tensor name"));
  BOOST_TEST(contains(save_error({{"", Tensor::zeros({1})}}), "invalid tensor name ''"));
  BOOST_TEST(contains(save_error({{"u", Tensor()}}), "tensor 'u' is undefined"));
  BOOST_TEST(read_bytes(path) == before);
  const std::string e = testing::error_of([&] {
    eng::save_checkpoint(dir.file("no/such/dir/x.safetensors"), {{"x", Tensor::zeros({1})}});
  });
  BOOST_TEST(contains(e, "no/such/dir/x.safetensors: cannot create the temporary file"), e);
}

BOOST_AUTO_TEST_CASE(assign_named_copies_by_name_and_names_what_is_wrong) {
  eng::Rng rng(5);
  NamedTensors params = {{"a", eng::make_parameter({2, 3})}, {"b", eng::make_parameter({4})}};
  // Saved in another order, with an extra tensor the model does not have.
  NamedTensors saved = {{"extra", Tensor::full({1}, 9.0f)},
                        {"b", testing::randn({4}, rng)},
                        {"a", testing::randn({2, 3}, rng)}};
  eng::assign_named(params, saved, "ck.safetensors");
  BOOST_TEST(params[0].tensor.to_vector() == saved[2].tensor.to_vector());
  BOOST_TEST(params[1].tensor.to_vector() == saved[1].tensor.to_vector());
  BOOST_TEST(params[0].tensor.requires_grad());  // still the model's leaves

  NamedTensors missing = {{"a", testing::randn({2, 3}, rng)}};
  std::string e = testing::error_of([&] { eng::assign_named(params, missing, "ck.safetensors"); });
  BOOST_TEST(contains(e, "ck.safetensors has no tensor 'b'"), e);
  NamedTensors wrong = {{"a", testing::randn({3, 2}, rng)}, {"b", testing::randn({4}, rng)}};
  e = testing::error_of([&] { eng::assign_named(params, wrong, "ck.safetensors"); });
  BOOST_TEST(contains(e, "ck.safetensors: tensor a has shape [3, 2], the model expects [2, 3]"), e);
  NamedTensors half = {{"a", Tensor::empty({2, 3}, eng::Device::CPU, eng::DType::BF16)},
                       {"b", testing::randn({4}, rng)}};
  e = testing::error_of([&] { eng::assign_named(params, half, "ck.safetensors"); });
  BOOST_TEST(contains(e, "ck.safetensors: tensor a is BF16, the model's is F32"), e);
}
