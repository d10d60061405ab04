// test_cuda_ops.cpp — what the CUDA kernels must do beyond parity with the CPU (which the op
// table checks for every op: tests/op_cases.hpp, run by test_ops): copies between devices,
// PyTorch's TF32 defaults and the TF32 mode staying close, determinism of repeated CUDA runs,
// device-mismatch errors. Tolerances: tests/cuda_parity.hpp. Without a GPU, or in a build without
// CUDA, it prints "SKIPPED: ..." and exits with 77, which ctest reports as skipped (never as
// passed).
#define BOOST_TEST_MODULE cuda_ops
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/cuda_parity.hpp"

#ifdef ENG_HAVE_CUDA
using namespace cuda_parity;

BOOST_AUTO_TEST_CASE(tf32_defaults_are_pytorchs) {
  BOOST_TEST(eng::cuda::tf32().conv);
  BOOST_TEST(!eng::cuda::tf32().matmul);
}

BOOST_AUTO_TEST_CASE(copies_between_devices) {
  Tensor x = randn({3, 17, 5}, 1);
  Tensor d = x.to(Device::CUDA);
  BOOST_TEST(eng::device_name(d.device()) == std::string("cuda"));
  BOOST_TEST(d.to_vector() == x.to_vector());
  BOOST_TEST(d.clone().to(Device::CPU).to_vector() == x.to_vector());
  BOOST_TEST(Tensor::zeros({1000}, Device::CUDA).to_vector() == std::vector<float>(1000, 0.0f));
}

BOOST_AUTO_TEST_CASE(repeated_runs_are_bitwise_identical) {  // TF32 off: optest::run
  auto conv_then_linear = [](const std::vector<Tensor>& t) {
    Tensor h = eng::conv2d(t[0], t[1], t[2], eng::Conv2dParams::square(1, 2));
    h = eng::max_pool2d(h, eng::Pool2dParams::square(2, 2));
    return eng::softmax(eng::linear(eng::flatten(h, 1), t[3], Tensor()), 1);
  };
  std::vector<Tensor> in = {randn({16, 8, 12, 12}, 210), randn({32, 8, 5, 5}, 211, 0.1f),
                            randn({32}, 212), randn({7, 32 * 6 * 6}, 213, 0.05f)};
  const std::vector<optest::Role> roles = roles_of(in, {});
  const Tensor seed = randn({16, 7}, 214);
  optest::Run a = optest::run(eng::Kernel::CUDA, conv_then_linear, in, roles, seed, "first");
  optest::Run b = optest::run(eng::Kernel::CUDA, conv_then_linear, in, roles, seed, "second");
  check_bitwise(a.out, b.out, "output");
  for (size_t k = 0; k < in.size(); ++k)
    check_bitwise(a.grads[k], b.grads[k], "gradient " + std::to_string(k));
}

BOOST_AUTO_TEST_CASE(tf32_mode_stays_close) {
  Tf32Guard tf32(true);
  eng::CpuBackendGuard ref(eng::CpuBackend::Reference);
  Tensor x = randn({4, 64, 12, 12}, 220), w = randn({128, 64, 5, 5}, 221, 0.05f);
  Tensor gpu = eng::conv2d(x.to(Device::CUDA), w.to(Device::CUDA), Tensor(),
                           eng::Conv2dParams::square(1, 2));
  check_scaled(gpu, eng::conv2d(x, w, Tensor(), eng::Conv2dParams::square(1, 2)), kTf32,
               "conv2d tf32");
  Tensor a = randn({7, 4608}, 222), b = randn({10, 4608}, 223, 0.02f);
  check_scaled(eng::linear(a.to(Device::CUDA), b.to(Device::CUDA), Tensor()),
               eng::linear(a, b, Tensor()), kTf32, "linear tf32");
}

BOOST_AUTO_TEST_CASE(device_mismatch_errors_name_the_op) {
  Tensor x = randn({2, 3, 5, 5}, 230).to(Device::CUDA), w_cpu = randn({4, 3, 3, 3}, 231);
  testing::expect_error([&] { eng::conv2d(x, w_cpu, Tensor(), {}); }, {"conv2d"});
  Tensor a = randn({2, 3}, 232).to(Device::CUDA), lw = randn({4, 3}, 233);
  testing::expect_error([&] { eng::linear(a, lw, Tensor()); }, {"linear"});
  testing::expect_error([&] { eng::matmul(a, randn({3, 2}, 234)); }, {"matmul"});
  eng::BatchNormParams p;
  p.running_mean = Tensor::zeros({3}), p.running_var = Tensor::full({3}, 1.0f);
  Tensor g = Tensor::full({3}, 1.0f, Device::CUDA), b = Tensor::zeros({3}, Device::CUDA);
  testing::expect_error([&] { eng::batch_norm(x, g, b, p); }, {"batch_norm"});
}

#endif  // ENG_HAVE_CUDA

int main(int argc, char* argv[]) { return cuda_parity::main_or_skip(argc, argv); }
