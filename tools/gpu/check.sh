#!/usr/bin/env bash
# check.sh — run on the GPU machine (device tool, with .carry carried): the GPU checks
# (docs/benchmarks.md, "On the GPU") in one call, each stage time-limited and logged to $OUT
# (else out/gpu/):
#   build       tools/gpu/build.sh without tests                       -> build.log
#   cuda_tests  ctest -R "cuda|test_ops" (CUDA against the CPU reference) -> cuda_tests.log
#   tests       the rest of ctest (CPU, reference kernels)             -> tests.log
#   bench       tools/bench-compare --device cuda (ours vs PyTorch)    -> bench.txt
#   mnist       run_table1 --dataset mnist on the GPU, authors' recipe -> mnist.log, results.json
#   cifar10     CIFAR-10 binaries from .carry/cifar10src (prepare_carry.sh), then run_table1
#               --dataset cifar10 on the GPU, authors' recipe         -> cifar10.log, results.json
#   seeds       one run of $SEEDS_DATASET (default mnist) per seed in $SEEDS, side by side on
#               the GPU (a seed search), with MNIST_ARGS / CIFAR10_ARGS, SEED_THREADS and
#               SEED_LOADERS threads each (default 2, 2)     -> <dataset>-seed<S>.log, .json
#   twin        tools/pytorch/check_step.py --device cuda: one whole training step on the GPU
#               against the PyTorch twin (float64 on the CPU)           -> twin.log
# Usage: STAGES="build cuda_tests bench" tools/gpu/check.sh
#        STAGES="build seeds" SEEDS="10 11 12 13" MNIST_ARGS="--stop-at 99" tools/gpu/check.sh
# Environment: STAGES (default: build cuda_tests twin tests bench mnist), MNIST_ARGS / CIFAR10_ARGS
# (extra run_table1 arguments, e.g. "--seed 1 --time-budget 5m"), SEEDS (stage seeds; each run
# gets 2 threads and 2 loader threads), DATA (default .carry/data), T_<stage> (seconds per
# stage), BUILD_DIR (default build-gpu).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-$ROOT/out/gpu}
BUILD=${BUILD_DIR:-$ROOT/build-gpu}
DATA=${DATA:-$ROOT/.carry/data}
STAGES=${STAGES:-build cuda_tests twin tests bench mnist}
mkdir -p "$OUT"

source "$ROOT/tools/gpu/cudnn.sh"
export LD_LIBRARY_PATH="$ROOT/.carry/lib${CUDNN_LIB:+:$(dirname "$CUDNN_LIB")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

stage() {  # stage NAME DEFAULT_SECONDS LOG COMMAND...
  local name=$1 limit=$2 log=$3
  shift 3
  local var="T_$name"
  limit=${!var:-$limit}
  echo "== $name (limit ${limit}s) $(date -u +%H:%M:%S)"
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0))s"
  tail -n "${TAIL:-15}" "$OUT/$log"
  return $rc
}

# CIFAR-10 in the official binary layout, from the JPEG tree the shared data folder holds
# (its make-bin.sh, with stb_image from .carry: the GPU machine has gcc but no libstb-dev).
make_cifar10_bin() {
  local src=$ROOT/.carry/cifar10src tmp
  [ -f "$src/make_cifar10_bin.c" ] || {
    echo "check.sh: no CIFAR-10 in $DATA or $src (IIC_DATA=... tools/gpu/prepare_carry.sh)" >&2
    return 1
  }
  tmp=$(mktemp -d)
  mkdir -p "$DATA/cifar-10-batches-bin"
  tar xzf "$src/cifar-10-jpeg.tar.gz" -C "$tmp" &&
    gcc -O2 -I"$ROOT/.carry/include" -o "$tmp/make_bin" "$src/make_cifar10_bin.c" -lm &&
    "$tmp/make_bin" "$tmp" "$src/labels.json" "$DATA/cifar-10-batches-bin" >/dev/null
  local rc=$?
  rm -rf "$tmp"
  [ $rc = 0 ] && (cd "$DATA/cifar-10-batches-bin" && sha256sum ./*.bin)
  return $rc
}

# The data of dataset $1 under $DATA: MNIST is carried; CIFAR-10 is made on first use.
have_data() {
  [ "$1" != cifar10 ] || [ -f "$DATA/cifar-10-batches-bin/test_batch.bin" ] || make_cifar10_bin
}

for s in $STAGES; do
  case $s in
  build) NO_TEST=1 stage build 360 build.log tools/gpu/build.sh || exit 1 ;;
  cuda_tests) stage cuda_tests 240 cuda_tests.log \
    ctest --test-dir "$BUILD" --output-on-failure -R "cuda|test_ops" -V ;;
  tests) stage tests 240 tests.log \
    ctest --test-dir "$BUILD" --output-on-failure -j 16 -E "cuda|test_ops" ;;
  bench) stage bench 300 bench.txt python3 tools/bench-compare --device cuda --python python3 \
    --bench-binary "$BUILD/bench" --iters 20 --warmup 3 ;;
  mnist | cifar10)
    have_data "$s" || continue
    args_var="$(echo "$s" | tr a-z A-Z)_ARGS"
    # shellcheck disable=SC2086  # *_ARGS is a list of arguments
    stage "$s" 540 "$s.log" "$BUILD/run_table1" --repo "$ROOT" --device cuda --data "$DATA" \
      --dataset "$s" --out "$ROOT/runs/gpu" --quiet --threads 8 --loader-threads 6 ${!args_var:-}
    cp "$ROOT"/runs/gpu/results.json "$ROOT"/runs/gpu/table1.md "$OUT/" 2>/dev/null || true
    ;;
  twin) stage twin 300 twin.log python3 tools/pytorch/check_step.py --binary "$BUILD/twin_step" \
    --device cuda ;;
  seeds)
    seeds=${SEEDS:?check.sh: stage seeds needs SEEDS, the seeds separated by spaces}
    ds=${SEEDS_DATASET:-mnist}
    args_var="$(echo "$ds" | tr a-z A-Z)_ARGS"
    have_data "$ds" || continue
    echo "== seeds $seeds of $ds (limit ${T_seeds:-540}s) $(date -u +%H:%M:%S)"
    pids=()
    for sd in $seeds; do
      # shellcheck disable=SC2086  # *_ARGS is a list of arguments
      timeout "${T_seeds:-540}" "$BUILD/run_table1" --repo "$ROOT" --device cuda --data "$DATA" \
        --dataset "$ds" --out "$ROOT/runs/gpu-$ds-seed$sd" --quiet --threads "${SEED_THREADS:-2}" \
        --loader-threads "${SEED_LOADERS:-2}" --seed "$sd" ${!args_var:-} \
        >>"$OUT/$ds-seed$sd.log" 2>&1 &
      pids+=($!)
    done
    i=0
    for sd in $seeds; do
      wait "${pids[$i]}"
      echo "-- seed $sd: exit $? (124: stopped by the stage limit)"
      i=$((i + 1))
      cp "$ROOT/runs/gpu-$ds-seed$sd/results.json" "$OUT/$ds-seed$sd.json" 2>/dev/null
      grep -E 'epoch [0-9.]+:|time to' "$OUT/$ds-seed$sd.log" | tail -n 4
    done
    ;;
  *) echo "check.sh: unknown stage '$s'" >&2 && exit 2 ;;
  esac
done
