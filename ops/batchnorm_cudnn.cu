// batchnorm_cudnn.cu — eng::cuda batch-norm kernels on cuDNN (see batchnorm.hpp).
//
// Every input is seen as 4-D NCHW in SPATIAL mode (one mean/var per channel): [N,C] -> [N,C,1,1],
// [N,C,L] -> [N,C,L,1]. Modes:
//   Train           cudnnBatchNormalizationForwardTraining; running stats, when given, updated in
//                   place by cuDNN with exponentialAverageFactor = momentum and the unbiased batch
//                   variance, which is exactly the contract (and PyTorch's);
//   EvalBatchStats  the same call with null running buffers (batch statistics, nothing updated);
//   EvalRunning     cudnnBatchNormalizationForwardInference; its backward is the affine map
//                   (kernels below; cuDNN's backward always differentiates batch statistics).
// The fused ReLU runs eng::cuda::relu_forward after the normalisation; backward first masks dy
// with relu_backward(y, dy) (y > 0), then differentiates the normalisation.
// Saved: mean and inv_std = 1/sqrt(var + eps) of the statistics used (cuDNN's saveMean and
// saveInvVariance in the batch modes), and y.
#include "ops/batchnorm.hpp"
#include "ops/cuda_common.hpp"
#include "ops/relu.hpp"

namespace eng::cuda {
namespace {

constexpr const char* kOp = "batch_norm";

// x's shape as cuDNN sees it.
Shape as_nchw(const Shape& s) {
  ENG_CHECK(s.size() >= 2 && s.size() <= 4, kOp, "input must be [N,C], [N,C,L] or [N,C,H,W], got ",
            shape_str(s));
  Shape r = s;
  while (r.size() < 4) r.push_back(1);
  return r;
}

void check_channel_vector(const Tensor& t, int64_t c, const char* what) {
  device_in(t, kOp, what);
  ENG_CHECK(t.shape() == Shape{c}, kOp, what, " must be [", c, "], got ", shape_str(t.shape()));
}

__global__ void inv_std_kernel(const float* var, float eps, float* inv_std, int64_t c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < c;
       i += int64_t(blockDim.x) * gridDim.x)
    inv_std[i] = 1.0f / sqrtf(var[i] + eps);
}

// One block per channel: dbeta[c] = sum dy, dgamma[c] = inv_std[c] * sum dy * (x - mean[c]),
// over n and the spatial positions. Each thread sums a fixed strided subset in double, then a
// fixed-shape tree in shared memory: the result does not depend on scheduling.
constexpr int kReduceThreads = 256;
__global__ void affine_param_grads_kernel(const float* x, const float* dy, const float* mean,
                                          const float* inv_std, int64_t n, int64_t c, int64_t hw,
                                          float* dgamma, float* dbeta) {
  __shared__ double s_dy[kReduceThreads];
  __shared__ double s_dyx[kReduceThreads];
  const int64_t ch = blockIdx.x;
  const double m = mean[ch];
  double sum_dy = 0, sum_dyx = 0;
  for (int64_t j = threadIdx.x; j < n * hw; j += kReduceThreads) {
    int64_t idx = (j / hw) * c * hw + ch * hw + j % hw;
    double g = dy[idx];
    sum_dy += g;
    sum_dyx += g * (double(x[idx]) - m);
  }
  s_dy[threadIdx.x] = sum_dy;
  s_dyx[threadIdx.x] = sum_dyx;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      s_dy[threadIdx.x] += s_dy[threadIdx.x + half];
      s_dyx[threadIdx.x] += s_dyx[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    dbeta[ch] = float(s_dy[0]);
    dgamma[ch] = float(s_dyx[0] * inv_std[ch]);
  }
}

// dx = dy * gamma[c] * inv_std[c].
__global__ void affine_dx_kernel(const float* dy, const float* gamma, const float* inv_std,
                                 int64_t total, int64_t c, int64_t hw, float* dx) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(blockDim.x) * gridDim.x) {
    int64_t ch = (i / hw) % c;
    dx[i] = dy[i] * gamma[ch] * inv_std[ch];
  }
}

}  // namespace

Tensor batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                          const BatchNormParams& p, BatchNormSaved* saved) {
  const float* xp = device_in(x, kOp, "input");
  const Shape s = as_nchw(x.shape());
  const int64_t c = s[1], per_channel = s[0] * s[2] * s[3];
  check_channel_vector(gamma, c, "gamma");
  check_channel_vector(beta, c, "beta");
  const bool have_running = p.running_mean.defined() || p.running_var.defined();
  if (have_running || p.mode == BatchNormMode::EvalRunning) {
    check_channel_vector(p.running_mean, c, "running_mean");
    check_channel_vector(p.running_var, c, "running_var");
  }
  TensorDesc xd(kOp, s), sd(kOp, 1, c, 1, 1);
  Tensor y = Tensor::empty(x.shape(), Device::CUDA);
  Tensor mean = Tensor::empty({c}, Device::CUDA), inv_std = Tensor::empty({c}, Device::CUDA);

  if (p.mode == BatchNormMode::EvalRunning) {
    ENG_CUDNN_CHECK(kOp,
                    cudnnBatchNormalizationForwardInference(
                        cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, xd, xp, xd, y.raw(), sd,
                        gamma.raw(), beta.raw(), p.running_mean.raw(), p.running_var.raw(), p.eps));
    mean = p.running_mean.clone();
    inv_std_kernel<<<grid_blocks(c), kThreads, 0, stream_of()>>>(
        static_cast<const float*>(p.running_var.raw()), p.eps, device_out(inv_std, kOp, "inv_std"),
        c);
    ENG_CUDA_LAUNCH_CHECK(kOp);
  } else {
    const bool update = p.mode == BatchNormMode::Train && have_running;
    ENG_CHECK(!update || per_channel > 1, kOp,
              "updating the running variance needs more than one value per channel, got input ",
              shape_str(x.shape()));
    ENG_CUDNN_CHECK(
        kOp,
        cudnnBatchNormalizationForwardTraining(
            cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, xd, xp, xd, y.raw(), sd, gamma.raw(),
            beta.raw(), double(p.momentum), update ? p.running_mean.raw() : nullptr,
            update ? p.running_var.raw() : nullptr, p.eps, mean.raw(), inv_std.raw()));
  }
  if (p.relu) y = relu_forward(y);
  if (saved) {
    saved->mean = mean;
    saved->inv_std = inv_std;
    saved->y = y;
  }
  return y;
}

BatchNormGrads batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& dy,
                                   const BatchNormParams& p, const BatchNormSaved& saved) {
  const float* xp = device_in(x, kOp, "input");
  const Shape s = as_nchw(x.shape());
  const int64_t c = s[1], hw = s[2] * s[3];
  check_channel_vector(gamma, c, "gamma");
  check_channel_vector(saved.mean, c, "saved mean");
  check_channel_vector(saved.inv_std, c, "saved inv_std");
  check_same_shape(kOp, x, dy);
  const Tensor g = p.relu ? relu_backward(saved.y, dy) : dy;
  const float* gp = device_in(g, kOp, "output gradient");

  BatchNormGrads out;
  out.dx = Tensor::empty(x.shape(), Device::CUDA);
  out.dgamma = Tensor::empty({c}, Device::CUDA);
  out.dbeta = Tensor::empty({c}, Device::CUDA);
  if (p.mode == BatchNormMode::EvalRunning) {
    const float* mp = static_cast<const float*>(saved.mean.raw());
    const float* ip = static_cast<const float*>(saved.inv_std.raw());
    affine_param_grads_kernel<<<unsigned(as_int(c, kOp, "channels")), kReduceThreads, 0,
                                stream_of()>>>(xp, gp, mp, ip, s[0], c, hw,
                                               static_cast<float*>(out.dgamma.raw()),
                                               static_cast<float*>(out.dbeta.raw()));
    ENG_CUDA_LAUNCH_CHECK(kOp);
    affine_dx_kernel<<<grid_blocks(x.numel()), kThreads, 0, stream_of()>>>(
        gp, static_cast<const float*>(gamma.raw()), ip, x.numel(), c, hw,
        static_cast<float*>(out.dx.raw()));
    ENG_CUDA_LAUNCH_CHECK(kOp);
    return out;
  }
  TensorDesc xd(kOp, s), sd(kOp, 1, c, 1, 1);
  ENG_CUDNN_CHECK(kOp, cudnnBatchNormalizationBackward(
                           cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne, &kZero, xd, xp,
                           xd, gp, xd, out.dx.raw(), sd, gamma.raw(), out.dgamma.raw(),
                           out.dbeta.raw(), p.eps, saved.mean.raw(), saved.inv_std.raw()));
  return out;
}

}  // namespace eng::cuda
