// bf16.hpp — bfloat16 rounding shared by the CPU kernels that handle bf16 themselves: the
// reference kernels (which round their inputs and then compute in float32) and the dense conv2d
// (which writes its bf16 operand directly). bfloat16 is the top 16 bits of a float32; rounding
// is to nearest, ties to even (oneDNN's f32 -> bf16 conversion); NaN stays NaN.
#pragma once
#include <cstdint>
#include <cstring>

namespace eng {

inline uint16_t bf16_bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

// The bfloat16 value nearest to v, as a float32.
inline float round_to_bf16(float v) {
  uint32_t u = uint32_t(bf16_bits(v)) << 16;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

}  // namespace eng
