// rng.cpp — xoshiro256** with splitmix64 seeding (see rng.hpp).
#include "engine/rng.hpp"

#include <cmath>

#include "engine/error.hpp"

namespace eng {
namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed, uint64_t stream) {
  uint64_t mix = stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL;
  uint64_t x = seed ^ splitmix64(mix);
  for (auto& w : s_) w = splitmix64(x);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Rng::uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }

float Rng::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

int64_t Rng::randint(int64_t n) {
  ENG_CHECK(n > 0, "rng", "randint needs n > 0, got ", n);
  const uint64_t un = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % un;  // reject the biased tail
  uint64_t r;
  do r = next_u64();
  while (r >= limit);
  return static_cast<int64_t>(r % un);
}

float Rng::normal() {
  // Box-Muller on (0,1] x [0,1); one draw per call keeps the state self-contained.
  double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  double u2 = static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

Rng Rng::split(uint64_t stream) const {
  Rng copy = *this;
  return Rng(copy.next_u64(), stream);
}

}  // namespace eng
