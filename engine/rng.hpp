// rng.hpp — seeded, reproducible random numbers with independent streams.
//
// xoshiro256** seeded through splitmix64 from (seed, stream): the same (seed, stream) always
// gives the same sequence on every machine; different streams are statistically independent,
// so each worker thread / purpose gets its own stream and results do not depend on scheduling.
// The full state can be saved and restored (checkpoints resume bit for bit).
#pragma once
#include <array>
#include <cstdint>

namespace eng {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0);
  uint64_t next_u64();
  float uniform();                    // [0, 1), 24 random bits
  float uniform(float lo, float hi);  // [lo, hi)
  int64_t randint(int64_t n);         // [0, n), unbiased; n > 0
  bool bernoulli(float p) { return uniform() < p; }
  float normal();                    // N(0, 1), Box-Muller
  Rng split(uint64_t stream) const;  // independent child stream derived from this state

  using State = std::array<uint64_t, 4>;
  State state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_;
};

}  // namespace eng
