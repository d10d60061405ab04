// test_matmul.cpp — matmul beyond the op table (tests/op_cases.hpp, whose cases test_ops runs
// for parity of every kernel family — the op through autograd and the kernel for every
// transposition — and finite differences): the reference kernel (the shared GEMM) against the
// definition in double for every transposition and block-crossing shapes, a product by hand,
// gradients only for operands that require them, thread-count independence of the reference,
// and the error messages for bad input.
#define BOOST_TEST_MODULE matmul
#include <array>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "ops/matmul.hpp"
#include "tests/testing.hpp"

using eng::CpuBackend;
using eng::Shape;
using eng::Tensor;
using testing::expect_error;

namespace {

// op(a) is [M, K], op(b) is [K, N], optionally batched; stored shapes follow the flags.
struct Case {
  int64_t batch, M, K, N;  // batch 0: 2-D
  bool ta, tb;
  Shape a() const { return with_batch(ta ? Shape{K, M} : Shape{M, K}); }
  Shape b() const { return with_batch(tb ? Shape{N, K} : Shape{K, N}); }
  Shape with_batch(Shape s) const {
    if (batch) s.insert(s.begin(), batch);
    return s;
  }
  std::string name() const {
    return eng::str("B", batch, " M", M, " K", K, " N", N, ta ? " ta" : "", tb ? " tb" : "");
  }
};

std::vector<Case> all_flags(int64_t batch, int64_t M, int64_t K, int64_t N) {
  return {{batch, M, K, N, false, false},
          {batch, M, K, N, true, false},
          {batch, M, K, N, false, true},
          {batch, M, K, N, true, true}};
}

// The definition, in double, from the stored operands.
std::vector<double> matmul_by_definition(const Case& c, const Tensor& a, const Tensor& b) {
  std::vector<float> va = a.to_vector(), vb = b.to_vector();
  std::vector<double> y;
  for (int64_t n = 0; n < std::max<int64_t>(c.batch, 1); ++n) {
    const float* pa = va.data() + n * c.M * c.K;
    const float* pb = vb.data() + n * c.K * c.N;
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < c.K; ++k)
          s += double(c.ta ? pa[k * c.M + i] : pa[i * c.K + k]) *
               (c.tb ? pb[j * c.K + k] : pb[k * c.N + j]);
        y.push_back(s);
      }
  }
  return y;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reference_kernel_matches_definition) {
  // Shapes crossing the GEMM's blocks (4 rows, 32-row and 256-column tiles, 128-deep k blocks).
  std::vector<Case> cases;
  for (const auto& s : std::vector<std::array<int64_t, 4>>{{0, 1, 1, 1},
                                                           {0, 5, 3, 7},
                                                           {0, 33, 129, 17},
                                                           {0, 7, 300, 257},
                                                           {3, 6, 5, 4},
                                                           {2, 35, 17, 1}})
    for (const Case& c : all_flags(s[0], s[1], s[2], s[3])) cases.push_back(c);
  for (const Case& c : cases) {
    eng::Rng rng(3);
    Tensor a = testing::randn(c.a(), rng), b = testing::randn(c.b(), rng);
    std::vector<float> got = eng::ref::matmul_forward(a, b, c.ta, c.tb).to_vector();
    std::vector<double> want = matmul_by_definition(c, a, b);
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i)
      worst = std::max(worst,
                       std::fabs(got[i] - want[i]) / (std::sqrt(double(c.K)) + std::fabs(want[i])));
    // float32 sums of K O(1) products vs double: ~1e-7 per term relative to sqrt(K).
    BOOST_CHECK_MESSAGE(worst < 1e-5, c.name() << ": worst relative error " << worst);
  }
}

BOOST_AUTO_TEST_CASE(small_product_by_hand) {
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    Tensor b = Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1});
    BOOST_TEST(eng::matmul(a, b).to_vector() == std::vector<float>({4, 5, 10, 11}));
    BOOST_TEST(eng::matmul(a, b).shape() == Shape({2, 2}));
  }
}

BOOST_AUTO_TEST_CASE(only_operands_that_require_grad_get_one) {
  for (CpuBackend be : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(be);
    eng::Rng rng(9);
    Tensor a = testing::randn({4, 3}, rng).set_requires_grad(true);
    Tensor b = testing::randn({3, 2}, rng);
    eng::run_backward(eng::matmul(a, b), Tensor::full({4, 2}, 1.0f));
    BOOST_TEST(a.grad().defined());
    BOOST_TEST(!b.grad().defined());
  }
}

BOOST_AUTO_TEST_CASE(reference_is_independent_of_thread_count) {
  // Every flag combination, with a row tail (70 % 4) and more than one tile each way.
  auto bits = [](int threads) {
    int previous = eng::num_threads();
    eng::set_num_threads(threads);
    std::vector<float> all;
    for (const Case& c : all_flags(0, 70, 300, 260)) {
      eng::Rng rng(10);
      Tensor a = testing::randn(c.a(), rng), b = testing::randn(c.b(), rng);
      std::vector<float> v = eng::ref::matmul_forward(a, b, c.ta, c.tb).to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
    eng::set_num_threads(previous);
    return all;
  };
  BOOST_TEST((bits(1) == bits(3)), "same bits with 1 and 3 threads");
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  auto mm = [](Tensor a, Tensor b) { return [=] { eng::matmul(a, b); }; };
  expect_error(mm(Tensor::zeros({3}), Tensor::zeros({3, 2})), {"matmul", "a", "2-D", "[3]"});
  expect_error(mm(Tensor::zeros({3, 2}), Tensor::zeros({1, 1, 2, 2})),
               {"matmul", "b", "3-D", "[1, 1, 2, 2]"});
  expect_error(mm(Tensor::zeros({3, 2}), Tensor::zeros({1, 2, 2})),
               {"matmul", "same rank", "[3, 2]", "[1, 2, 2]"});
  expect_error(mm(Tensor::zeros({3, 4}), Tensor::zeros({5, 2})),
               {"matmul", "inner dimensions", "[3, 4]", "[5, 2]"});
  expect_error(mm(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 2})),
               {"matmul", "batch", "[2, 3, 4]", "[3, 4, 2]"});
  expect_error(mm(Tensor::zeros({0, 4}), Tensor::zeros({4, 2})), {"matmul", "empty", "[0, 4]"});
  expect_error(mm(Tensor(), Tensor::zeros({4, 2})), {"matmul", "undefined"});
}
