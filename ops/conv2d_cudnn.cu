// conv2d_cudnn.cu — eng::cuda conv2d kernels on cuDNN (see conv2d.hpp): forward (+ bias),
// backward data, backward filter and backward bias, NCHW float32.
//
// A ConvPlan per (x shape, w shape, params, TF32) holds the descriptors and, found on first use
// of each direction, the algorithm with its workspace size and math type. Algorithms come from
// cudnnFind*Algorithm (timed runs, like PyTorch's cudnn.benchmark): the fastest DETERMINISTIC
// one whose workspace is at most kMaxWorkspace (the fastest of any kind only if cuDNN offers no
// deterministic one), so repeated runs give the same bits. Never the FFT or Winograd algorithms:
// with them ClusterNet6c's whole training step (5x5 convolutions, tools/pytorch/check_step.py
// --device cuda, H100, 2026-11-23) was up to 6e-3 (losses) and 4e-2 (first-layer gradients) off
// a float64 twin, against at most 2e-4 and 3e-5 without them and float32 PyTorch's 7e-7..2e-5,
// and by different amounts from one process to the next. TF32: the descriptor's math type is
// CUDNN_TENSOR_OP_MATH when tf32() is on, else CUDNN_FMA_MATH (plain float32 FMA), as PyTorch.
// Each direction has its own convolution descriptor so each keeps the math type its algorithm
// was timed with. Workspace: eng::cuda::workspace(), one cached growing buffer.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/allocator.hpp"
#include "ops/conv2d.hpp"
#include "ops/cuda_common.hpp"

namespace eng::cuda {
namespace {

constexpr const char* kOp = "conv2d";
constexpr size_t kMaxWorkspace = size_t(1) << 30;

class ConvDesc {
 public:
  ConvDesc(const Conv2dParams& p, bool tf32) {
    ENG_CUDNN_CHECK(kOp, cudnnCreateConvolutionDescriptor(&d_));
    cudnnStatus_t s =
        cudnnSetConvolution2dDescriptor(d_, p.pad_h, p.pad_w, p.stride_h, p.stride_w, p.dil_h,
                                        p.dil_w, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
    if (s == CUDNN_STATUS_SUCCESS)
      s = cudnnSetConvolutionMathType(d_, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
    if (s != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyConvolutionDescriptor(d_);
      throw_cudnn_error(kOp, "cudnnSetConvolution2dDescriptor/MathType", s);
    }
  }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d_); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  operator cudnnConvolutionDescriptor_t() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

// The algorithm chosen for one direction.
struct Choice {
  bool found = false;
  int algo = 0;
  size_t bytes = 0;
};

// FFT and Winograd algorithms: exact in exact arithmetic, too inexact in float32 (file comment).
bool transform_based(cudnnConvolutionFwdAlgo_t a) {
  return a == CUDNN_CONVOLUTION_FWD_ALGO_FFT || a == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
}
bool transform_based(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
}
bool transform_based(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
}

// The fastest usable result of cuDNN's timed search (sorted fastest first), preferring
// deterministic algorithms; null when there is none. The three perf structs share these fields.
template <class Perf>
const Perf* choose(const std::vector<Perf>& perfs, int returned, bool tf32) {
  const Perf* fallback = nullptr;
  for (int i = 0; i < returned; ++i) {
    const Perf& r = perfs[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > kMaxWorkspace) continue;
    if (transform_based(r.algo)) continue;
    if (!tf32 && r.mathType != CUDNN_FMA_MATH) continue;  // never TF32 when it is off
    if (r.determinism == CUDNN_DETERMINISTIC) return &r;
    if (!fallback) fallback = &r;
  }
  return fallback;
}

// Runs cudnnFindConvolution<direction>Algorithm through `find(count, &returned, perfs)` and
// sets `desc` to the math type the chosen algorithm was timed with. cudnnFind* allocates its
// trial buffers with cudaMalloc: when nothing usable comes back, the caching allocator's idle
// blocks are released and the search runs once more.
template <class Perf, class Find>
Choice find_algorithm(const char* direction, int count, Find find, bool tf32,
                      cudnnConvolutionDescriptor_t desc) {
  std::vector<Perf> perfs(count);
  const std::string call = str("cudnnFindConvolution", direction, "Algorithm");
  for (int attempt = 0;; ++attempt) {
    int returned = 0;
    cudnnStatus_t s = find(count, &returned, perfs.data());
    if (s != CUDNN_STATUS_SUCCESS) throw_cudnn_error(kOp, call.c_str(), s);
    if (const Perf* best = choose(perfs, returned, tf32)) {
      ENG_CUDNN_CHECK(kOp, cudnnSetConvolutionMathType(desc, best->mathType));
      return {true, static_cast<int>(best->algo), best->memory};
    }
    ENG_CHECK(attempt == 0, kOp, "cuDNN offers no usable ", direction, " algorithm (", returned,
              " tried, workspace cap ", kMaxWorkspace, " bytes, tf32 ", tf32 ? "on" : "off", ")");
    allocator_release_cache(Device::CUDA);
  }
}

struct ConvPlan {
  ConvPlan(const Shape& xs, const Shape& ws, const Conv2dParams& p, bool tf32_on)
      : tf32(tf32_on),
        x(kOp, xs),
        w(kOp, ws),
        bias(kOp, 1, ws[0], 1, 1),
        fwd(p, tf32_on),
        data(p, tf32_on),
        filter(p, tf32_on) {
    int n = 0, c = 0, h = 0, wd = 0;
    ENG_CUDNN_CHECK(kOp, cudnnGetConvolution2dForwardOutputDim(fwd, x, w, &n, &c, &h, &wd));
    y_shape = {n, c, h, wd};
    y = std::make_unique<TensorDesc>(kOp, y_shape);
  }

  const Choice& forward() {
    if (!fwd_algo.found) {
      int count = 0;
      ENG_CUDNN_CHECK(kOp, cudnnGetConvolutionForwardAlgorithmMaxCount(cudnn(), &count));
      fwd_algo = find_algorithm<cudnnConvolutionFwdAlgoPerf_t>(
          "Forward", count,
          [&](int n, int* returned, cudnnConvolutionFwdAlgoPerf_t* perfs) {
            return cudnnFindConvolutionForwardAlgorithm(cudnn(), x, w, fwd, *y, n, returned, perfs);
          },
          tf32, fwd);
    }
    return fwd_algo;
  }
  const Choice& backward_data() {
    if (!data_algo.found) {
      int count = 0;
      ENG_CUDNN_CHECK(kOp, cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnn(), &count));
      data_algo = find_algorithm<cudnnConvolutionBwdDataAlgoPerf_t>(
          "BackwardData", count,
          [&](int n, int* returned, cudnnConvolutionBwdDataAlgoPerf_t* perfs) {
            return cudnnFindConvolutionBackwardDataAlgorithm(cudnn(), w, *y, data, x, n, returned,
                                                             perfs);
          },
          tf32, data);
    }
    return data_algo;
  }
  const Choice& backward_filter() {
    if (!filter_algo.found) {
      int count = 0;
      ENG_CUDNN_CHECK(kOp, cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnn(), &count));
      filter_algo = find_algorithm<cudnnConvolutionBwdFilterAlgoPerf_t>(
          "BackwardFilter", count,
          [&](int n, int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* perfs) {
            return cudnnFindConvolutionBackwardFilterAlgorithm(cudnn(), x, *y, filter, w, n,
                                                               returned, perfs);
          },
          tf32, filter);
    }
    return filter_algo;
  }

  bool tf32;
  TensorDesc x;
  FilterDesc w;
  TensorDesc bias;  // [1, O, 1, 1]
  ConvDesc fwd, data, filter;
  Shape y_shape;
  std::unique_ptr<TensorDesc> y;
  Choice fwd_algo, data_algo, filter_algo;
};

// The plan for these shapes (created on first use). Plans live for the process; the returned
// reference stays valid. Callers are the engine's one compute thread (see cuda_runtime.hpp).
ConvPlan& plan_for(const Shape& xs, const Shape& ws, const Conv2dParams& p) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ConvPlan>> plans;
  const bool on = tf32().conv;
  std::string key = str(shape_str(xs), shape_str(ws), p.stride_h, ',', p.stride_w, ',', p.pad_h,
                        ',', p.pad_w, ',', p.dil_h, ',', p.dil_w, on ? " tf32" : " fp32");
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans.find(key);
  if (it == plans.end()) it = plans.emplace(key, std::make_unique<ConvPlan>(xs, ws, p, on)).first;
  return *it->second;
}

// The plan for x and w, cross-checked against conv2d's own shape rule.
ConvPlan& checked_plan(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  Shape expected = conv2d_output_shape(x, w, Tensor(), p);
  ConvPlan& plan = plan_for(x.shape(), w.shape(), p);
  ENG_CHECK(plan.y_shape == expected, kOp, "cuDNN output shape ", shape_str(plan.y_shape),
            " differs from ", shape_str(expected), " for input ", shape_str(x.shape()),
            " and weight ", shape_str(w.shape()));
  return plan;
}

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const float* xp = device_in(x, kOp, "input");
  const float* wp = device_in(w, kOp, "weight");
  const float* bp = b.defined() ? device_in(b, kOp, "bias") : nullptr;
  ENG_CHECK(!b.defined() || b.shape() == Shape{w.size(0)}, kOp, "bias must be [", w.size(0),
            "], got ", shape_str(b.shape()));
  ConvPlan& plan = checked_plan(x, w, p);
  Tensor y = Tensor::empty(plan.y_shape, Device::CUDA);
  const Choice& c = plan.forward();
  void* ws = workspace(c.bytes);
  ENG_CUDNN_CHECK(kOp, cudnnConvolutionForward(cudnn(), &kOne, plan.x, xp, plan.w, wp, plan.fwd,
                                               static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ws,
                                               c.bytes, &kZero, *plan.y, y.raw()));
  if (bp) {
    ENG_CUDNN_CHECK(kOp, cudnnAddTensor(cudnn(), &kOne, plan.bias, bp, &kOne, *plan.y, y.raw()));
  }
  return y;
}

Conv2dGrads conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                            const Conv2dParams& p, bool need_dx, bool need_dw, bool need_db) {
  const float* xp = device_in(x, kOp, "input");
  const float* wp = device_in(w, kOp, "weight");
  const float* dyp = device_in(dy, kOp, "output gradient");
  ConvPlan& plan = checked_plan(x, w, p);
  ENG_CHECK(dy.shape() == plan.y_shape, kOp, "output gradient must be ", shape_str(plan.y_shape),
            ", got ", shape_str(dy.shape()));
  Conv2dGrads g;
  if (need_dx) {
    g.dx = Tensor::empty(x.shape(), Device::CUDA);
    const Choice& c = plan.backward_data();
    void* ws = workspace(c.bytes);
    ENG_CUDNN_CHECK(
        kOp, cudnnConvolutionBackwardData(cudnn(), &kOne, plan.w, wp, *plan.y, dyp, plan.data,
                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws,
                                          c.bytes, &kZero, plan.x, g.dx.raw()));
  }
  if (need_dw) {
    g.dw = Tensor::empty(w.shape(), Device::CUDA);
    const Choice& c = plan.backward_filter();
    void* ws = workspace(c.bytes);
    ENG_CUDNN_CHECK(
        kOp, cudnnConvolutionBackwardFilter(cudnn(), &kOne, plan.x, xp, *plan.y, dyp, plan.filter,
                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo),
                                            ws, c.bytes, &kZero, plan.w, g.dw.raw()));
  }
  if (need_db) {
    g.db = Tensor::empty({w.size(0)}, Device::CUDA);
    ENG_CUDNN_CHECK(kOp, cudnnConvolutionBackwardBias(cudnn(), &kOne, *plan.y, dyp, &kZero,
                                                      plan.bias, g.db.raw()));
  }
  return g;
}

}  // namespace eng::cuda
