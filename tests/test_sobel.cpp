// test_sobel.cpp — the Sobel op against the independent PyTorch golden values
// (shared/golden/sobel.json, read at test time), on every CPU backend; its gradient with
// respect to the greyscale input; and its input checks.
#define BOOST_TEST_MODULE sobel
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ops/sobel.hpp"
#include "tests/testing.hpp"

using eng::Shape;
using eng::Tensor;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  BOOST_REQUIRE_MESSAGE(f, "cannot open " << path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Just enough JSON for a nested array of numbers: the value of the first "key" at or after
// `from`, as a tensor whose shape is the nesting (checked to be rectangular).
class ArrayReader {
 public:
  ArrayReader(const std::string& text, const std::string& key, size_t from) : s_(text) {
    pos_ = s_.find("\"" + key + "\"", from);
    BOOST_REQUIRE_MESSAGE(pos_ != std::string::npos, "sobel.json: no key " << key);
    pos_ = s_.find(':', pos_) + 1;
  }
  Tensor read() {
    Shape shape;
    std::vector<float> values;
    parse(0, shape, values);
    return Tensor::from_vector(shape, values);
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  // Parses one value at nesting depth `depth`, recording (or checking) the length there.
  void parse(size_t depth, Shape& shape, std::vector<float>& values) {
    skip_space();
    if (s_[pos_] != '[') {
      char* end = nullptr;
      values.push_back(std::strtof(s_.c_str() + pos_, &end));
      BOOST_REQUIRE_MESSAGE(end != s_.c_str() + pos_, "sobel.json: bad number at " << pos_);
      if (leaf_depth_ < 0) leaf_depth_ = static_cast<int>(depth);
      BOOST_REQUIRE_MESSAGE(static_cast<int>(depth) == leaf_depth_, "sobel.json: ragged array");
      pos_ = end - s_.c_str();
      return;
    }
    ++pos_;  // '['
    int64_t count = 0;
    for (;;) {
      parse(depth + 1, shape, values);
      ++count;
      skip_space();
      if (s_[pos_++] == ']') break;  // else ','
    }
    if (shape.size() <= depth) shape.resize(depth + 1, -1);  // -1: length not seen yet
    if (shape[depth] < 0) shape[depth] = count;
    BOOST_REQUIRE_MESSAGE(shape[depth] == count, "sobel.json: ragged array");
  }
  const std::string& s_;
  size_t pos_;
  int leaf_depth_ = -1;
};

struct Golden {
  Tensor input, expected;
};
std::vector<Golden> load_golden() {
  std::string text = read_file(std::string(IIC_SHARED_DIR) + "/golden/sobel.json");
  std::vector<Golden> cases;
  for (size_t at = text.find("\"input_n1hw\""); at != std::string::npos;
       at = text.find("\"input_n1hw\"", at + 1))
    cases.push_back({ArrayReader(text, "input_n1hw", at).read(),
                     ArrayReader(text, "f64_output_n2hw", at).read()});
  BOOST_REQUIRE_MESSAGE(!cases.empty(), "sobel.json has no cases");
  return cases;
}

std::vector<eng::CpuBackend> all_cpu_backends() {
  std::vector<eng::CpuBackend> b{eng::CpuBackend::Reference};
  for (eng::CpuBackend f : testing::fast_cpu_backends()) b.push_back(f);
  return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(matches_golden_values) {
  for (const Golden& g : load_golden()) {
    Shape in = g.input.shape();
    BOOST_REQUIRE(in.size() == 4 && in[1] == 1);
    BOOST_TEST((g.expected.shape() == Shape{in[0], 2, in[2], in[3]}));
    for (eng::CpuBackend be : all_cpu_backends()) {
      eng::CpuBackendGuard guard(be);
      // Inputs in [0, 1], six products with weights of size <= 2: float32 rounding ~1e-6.
      testing::check_close(eng::sobel(g.input), g.expected, 1e-5, 1e-5,
                           std::string("sobel vs golden, backend ") +
                               (be == eng::CpuBackend::Reference ? "ref" : "fast"));
    }
  }
}

BOOST_AUTO_TEST_CASE(gradient_flows_to_the_input_only) {
  eng::Rng rng(8);
  Tensor gray = testing::uniform({2, 1, 4, 5}, rng, 0.0f, 1.0f);
  for (eng::CpuBackend be : all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    testing::gradcheck("sobel", [](const std::vector<Tensor>& v) { return eng::sobel(v[0]); },
                       {gray});
  }
  Tensor constant = eng::sobel(gray);  // no input requires grad: nothing recorded
  BOOST_TEST(!constant.requires_grad());
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  for (const Shape& s : {Shape{2, 3, 4, 4}, Shape{4, 4}, Shape{1, 4, 4}}) {
    try {
      eng::sobel(Tensor::zeros(s));
      BOOST_ERROR("sobel accepted " << eng::shape_str(s));
    } catch (const eng::Error& e) {
      std::string msg = e.what();
      BOOST_TEST(msg.find("sobel") != std::string::npos, msg);
      BOOST_TEST(msg.find(eng::shape_str(s)) != std::string::npos, msg);
    }
  }
  BOOST_CHECK_THROW(eng::sobel(Tensor()), eng::Error);
}
