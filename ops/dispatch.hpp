// dispatch.hpp — route an op's kernel call to the reference, oneDNN or CUDA implementation.
//
// Every op declares its kernels once per backend namespace (eng::ref, eng::onednn, eng::cuda)
// with the same signature, in the op's header. The public op (conv2d.cpp, ...) calls
//   ENG_DISPATCH3(x, conv2d_forward(x, w, b, p))   // op with a oneDNN kernel
//   ENG_DISPATCH2(x, sum_forward(x, dims, keep))    // op without one: oneDNN builds use ref
// and the kernel family is chosen from x's device and the CPU backend setting (backend.hpp).
#pragma once
#include "engine/backend.hpp"

#ifdef ENG_HAVE_ONEDNN
#define ENG_IF_ONEDNN(call) return ::eng::onednn::call;
#else
#define ENG_IF_ONEDNN(call) return ::eng::ref::call;
#endif
#ifdef ENG_HAVE_CUDA
#define ENG_IF_CUDA(call) return ::eng::cuda::call;
#else
#define ENG_IF_CUDA(call) \
  throw ::eng::Error("this build has no CUDA support (configure with ENG_CUDA=ON)");
#endif

#define ENG_DISPATCH3(x, call)     \
  switch (::eng::pick_kernel(x)) { \
    case ::eng::Kernel::OneDNN:    \
      ENG_IF_ONEDNN(call)          \
    case ::eng::Kernel::CUDA:      \
      ENG_IF_CUDA(call)            \
    default:                       \
      return ::eng::ref::call;     \
  }

#define ENG_DISPATCH2(x, call)     \
  switch (::eng::pick_kernel(x)) { \
    case ::eng::Kernel::CUDA:      \
      ENG_IF_CUDA(call)            \
    default:                       \
      return ::eng::ref::call;     \
  }

// Declare an op's kernel set in each backend namespace that exists in this build.
#define ENG_DECLARE_KERNELS(DECL) \
  namespace ref {                 \
  DECL                            \
  }                               \
  namespace onednn {              \
  DECL                            \
  }                               \
  namespace cuda {                \
  DECL                            \
  }
