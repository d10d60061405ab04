#!/usr/bin/env bash
# prepare_carry.sh — run on the development machine: collect into .carry/ (ignored by git) what
# the GPU machine lacks to build and test the CUDA build (it has CUDA, cuDNN in PyTorch's wheels,
# CMake and g++, but no Boost, stb or zlib headers, and nothing can be installed there):
#   .carry/include/boost/...          only the Boost headers the tests include (found by g++ -M)
#   .carry/include/stb/*.h            the stb headers the sources include (+ stb_image.h)
#   .carry/include/zlib/zlib.h, zconf.h
#   .carry/lib/libboost_unit_test_framework.so.*, libz.so.1*
#   .carry/lib/cmake/Boost/BoostConfig.cmake   a minimal CMake package for Boost.Test
#   .carry/data/mnist/                the MNIST IDX files, when $IIC_DATA/mnist has them
#   .carry/cifar10src/                CIFAR-10 as the shared folder holds it (JPEG tree, labels,
#                                     make_cifar10_bin.c), when $IIC_DATA/cifar10 has it; the
#                                     binary files are 180 MB, so check.sh builds them there
# Then tools/gpu/build.sh (or check.sh) runs there with `carry: [".carry"]`. Fails if .carry
# exceeds 40 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CARRY=$ROOT/.carry
LIBDIR=/usr/lib/x86_64-linux-gnu
rm -rf "$CARRY"
mkdir -p "$CARRY/include/stb" "$CARRY/include/zlib" "$CARRY/lib/cmake/Boost"

# Boost headers: the union of what every source that includes Boost pulls in.
deps=$(mktemp)
trap 'rm -f "$deps"' EXIT
mapfile -t boost_users < <(grep -rl --include='*.cpp' --include='*.hpp' '#include <boost/' \
  engine ops models data iic tests tools 2>/dev/null || true)
for f in "${boost_users[@]}"; do
  if ! g++ -std=c++17 -M -I"$ROOT" -I/usr/include/stb -DBOOST_TEST_DYN_LINK -DENG_HAVE_CUDA=1 \
      -DIIC_SHARED_DIR='""' "$f" >>"$deps" 2>/dev/null; then
    echo "prepare_carry: warning: g++ -M failed on $f (its Boost headers may be missing)" >&2
  fi
done
n=0
for h in $(tr ' \\' '\n\n' <"$deps" | grep '^/usr/include/boost/' | sort -u); do
  mkdir -p "$CARRY/include/$(dirname "${h#/usr/include/}")"
  cp "$h" "$CARRY/include/${h#/usr/include/}"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "prepare_carry: found no Boost headers (is libboost-test-dev installed?)" >&2; exit 1; }
# All of boost/config: another g++ version there may select other compiler/stdlib headers.
cp -r /usr/include/boost/config "$CARRY/include/boost/"
echo "prepare_carry: $n Boost headers (+ boost/config)"

# Boost.Test shared library and a minimal CMake package for it.
boost_so=$(ls "$LIBDIR"/libboost_unit_test_framework.so.*.*.* | head -n1)
cp "$boost_so" "$CARRY/lib/"
boost_version=$(basename "$boost_so" | sed 's/^libboost_unit_test_framework\.so\.//')
cat >"$CARRY/lib/cmake/Boost/BoostConfig.cmake" <<CMAKE
# BoostConfig.cmake — minimal package written by tools/gpu/prepare_carry.sh: Boost.Test only.
get_filename_component(_carry "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(Boost_VERSION_STRING ${boost_version})
set(Boost_VERSION ${boost_version})
set(Boost_INCLUDE_DIRS "\${_carry}/include")
if(NOT TARGET Boost::unit_test_framework)
  add_library(Boost::unit_test_framework SHARED IMPORTED)
  set_target_properties(Boost::unit_test_framework PROPERTIES
    IMPORTED_LOCATION "\${_carry}/lib/$(basename "$boost_so")"
    IMPORTED_SONAME "$(basename "$boost_so")"
    INTERFACE_INCLUDE_DIRECTORIES "\${_carry}/include")
endif()
set(Boost_LIBRARIES Boost::unit_test_framework)
set(Boost_unit_test_framework_FOUND TRUE)
set(Boost_FOUND TRUE)
CMAKE

# stb: the headers the sources include, and stb_image.h (what CMake looks for).
stb=$( (grep -rhoE '#include [<"]stb[a-z_]*\.h' engine ops models data iic tools tests 2>/dev/null || true) |
  grep -oE 'stb[a-z_]*\.h' | sort -u)
for h in stb_image.h $stb; do cp "/usr/include/stb/$h" "$CARRY/include/stb/"; done

# zlib headers and library (used when the GPU machine has no zlib.h).
cp /usr/include/zlib.h /usr/include/zconf.h "$CARRY/include/zlib/"
cp "$LIBDIR"/libz.so.1.* "$CARRY/lib/"

# Data, when a data root is given (IIC_DATA=../shared/data on our machines).
if [ -n "${IIC_DATA:-}" ] && [ -d "$IIC_DATA/mnist" ]; then
  mkdir -p "$CARRY/data"
  cp -r "$IIC_DATA/mnist" "$CARRY/data/"
  echo "prepare_carry: MNIST from $IIC_DATA/mnist"
fi
if [ -n "${IIC_DATA:-}" ] && [ -f "$IIC_DATA/cifar10/make_cifar10_bin.c" ]; then
  mkdir -p "$CARRY/cifar10src"
  cp "$IIC_DATA"/cifar10/{cifar-10-jpeg.tar.gz,labels.json,make_cifar10_bin.c} "$CARRY/cifar10src/"
  echo "prepare_carry: CIFAR-10 sources from $IIC_DATA/cifar10"
fi

size_kib=$(du -sk "$CARRY" | cut -f1)
echo "prepare_carry: .carry is $((size_kib / 1024)) MiB ($size_kib KiB)"
[ "$size_kib" -le $((40 * 1024)) ] || { echo "prepare_carry: .carry exceeds 40 MiB" >&2; exit 1; }
