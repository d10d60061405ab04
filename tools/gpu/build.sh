#!/usr/bin/env bash
# build.sh — run on the GPU machine, in the repository root, with .carry/ carried (made by
# tools/gpu/prepare_carry.sh): configure the CUDA build (oneDNN off, CUDA on, Release), build it
# with 16 jobs and run ctest with the library paths set.
#   tools/gpu/build.sh [ctest arguments...]     e.g. tools/gpu/build.sh -R cuda_ops -V
# Environment: BUILD_DIR (default build-gpu), CUDNN_ROOT (default: PyTorch's nvidia.cudnn wheel),
# PYTHON (default python3), JOBS (default 16), TARGETS (default all: e.g. "test_cuda_ops"),
# NO_TEST=1 to build only.
# cuDNN comes from the wheel: headers in include/, libcudnn.so.9 in lib/ (there may be no
# unversioned libcudnn.so), so the library is handed to CMake by its full path.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CARRY=$ROOT/.carry
BUILD=${BUILD_DIR:-$ROOT/build-gpu}
JOBS=${JOBS:-16}
die() { echo "build.sh: $*" >&2; exit 1; }
[ -f "$CARRY/lib/cmake/Boost/BoostConfig.cmake" ] ||
  die "$CARRY is missing or incomplete: run tools/gpu/prepare_carry.sh here first and carry .carry"

source "$ROOT/tools/gpu/cudnn.sh"
[ -n "$CUDNN_ROOT" ] || die "cannot import nvidia.cudnn with ${PYTHON:-python3}; set CUDNN_ROOT"
[ -n "$CUDNN_H" ] || die "no cudnn.h under $CUDNN_ROOT"
[ -n "$CUDNN_LIB" ] || die "no libcudnn.so.9 under $CUDNN_ROOT"
CUDNN_INCLUDE=$(dirname "$CUDNN_H")

NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
[ -x "$NVCC" ] || die "nvcc not found"

zlib_args=()
if [ ! -f /usr/include/zlib.h ]; then
  zlib_lib=
  for f in /usr/lib/x86_64-linux-gnu/libz.so /usr/lib/x86_64-linux-gnu/libz.so.1 \
    /lib/x86_64-linux-gnu/libz.so.1 "$CARRY"/lib/libz.so.1.*; do
    if [ -f "$f" ]; then zlib_lib=$f; break; fi
  done
  zlib_args=(-DZLIB_INCLUDE_DIR="$CARRY/include/zlib" -DZLIB_LIBRARY="$zlib_lib")
fi

echo "build.sh: nvcc $NVCC, cuDNN $CUDNN_LIB (headers $CUDNN_INCLUDE)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total \
  --format=csv,noheader || true

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DENG_ONEDNN=OFF -DENG_CUDA=ON \
  -DCMAKE_CUDA_COMPILER="$NVCC" -DCUDNN_ROOT="$CUDNN_ROOT" \
  -DCUDNN_INCLUDE_DIR="$CUDNN_INCLUDE" -DCUDNN_LIBRARY="$CUDNN_LIB" \
  -DBoost_DIR="$CARRY/lib/cmake/Boost" -DSTB_INCLUDE_DIR="$CARRY/include/stb" "${zlib_args[@]}"
cmake --build "$BUILD" -j "$JOBS" ${TARGETS:+--target $TARGETS}

export LD_LIBRARY_PATH="$CARRY/lib:$(dirname "$CUDNN_LIB")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ "${NO_TEST:-0}" = 1 ] && exit 0
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" "$@"
