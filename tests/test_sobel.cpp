// test_sobel.cpp — the Sobel op against the independent PyTorch golden values
// (shared/golden/sobel.json, read at test time), on every CPU backend; no graph for a constant
// input (its gradient with respect to the greyscale input is in the op table,
// tests/op_cases.hpp, run by test_ops); and its input checks.
#define BOOST_TEST_MODULE sobel
#include <boost/test/unit_test.hpp>

#include "ops/sobel.hpp"
#include "tests/testing.hpp"

using eng::Shape;
using eng::Tensor;

namespace {

struct Golden {
  Tensor input, expected;
};
std::vector<Golden> golden_cases() {
  const eng::Json golden = testing::load_golden("sobel.json");
  std::vector<Golden> cases;
  for (const eng::Json& c : golden["cases"].as_array())
    cases.push_back(
        {testing::tensor_of(c["input_n1hw"]), testing::tensor_of(c["f64_output_n2hw"])});
  BOOST_REQUIRE_MESSAGE(!cases.empty(), "sobel.json has no cases");
  return cases;
}

}  // namespace

BOOST_AUTO_TEST_CASE(matches_golden_values) {
  for (const Golden& g : golden_cases()) {
    Shape in = g.input.shape();
    BOOST_REQUIRE(in.size() == 4 && in[1] == 1);
    BOOST_TEST((g.expected.shape() == Shape{in[0], 2, in[2], in[3]}));
    for (eng::CpuBackend be : testing::all_cpu_backends()) {
      eng::CpuBackendGuard guard(be);
      // Inputs in [0, 1], six products with weights of size <= 2: float32 rounding ~1e-6.
      testing::check_close(eng::sobel(g.input), g.expected, 1e-5, 1e-5,
                           std::string("sobel vs golden, backend ") +
                               (be == eng::CpuBackend::Reference ? "ref" : "fast"));
    }
  }
}

BOOST_AUTO_TEST_CASE(nothing_is_recorded_for_a_constant_input) {
  eng::Rng rng(8);
  Tensor constant = eng::sobel(testing::uniform({2, 1, 4, 5}, rng, 0.0f, 1.0f));
  BOOST_TEST(!constant.requires_grad());  // the weight never requires grad
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  for (const Shape& s : {Shape{2, 3, 4, 4}, Shape{4, 4}, Shape{1, 4, 4}})
    testing::expect_error([&] { eng::sobel(Tensor::zeros(s)); }, {"sobel", eng::shape_str(s)});
  BOOST_CHECK_THROW(eng::sobel(Tensor()), eng::Error);
}
