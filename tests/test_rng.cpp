// test_rng.cpp — reproducibility and independence of the seeded RNG, and the initialisers.
#define BOOST_TEST_MODULE rng
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "engine/params.hpp"
#include "engine/rng.hpp"

BOOST_AUTO_TEST_CASE(same_seed_same_sequence) {
  eng::Rng a(42, 3), b(42, 3);
  for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(a.next_u64() == b.next_u64());
  eng::Rng c(42, 3);
  auto s = c.state();
  float u = c.uniform();
  c.set_state(s);
  BOOST_TEST(c.uniform() == u);
}

BOOST_AUTO_TEST_CASE(streams_and_seeds_differ) {
  eng::Rng a(42, 0), b(42, 1), c(43, 0);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = a.next_u64();
    same_ab += x == b.next_u64();
    same_ac += x == c.next_u64();
  }
  BOOST_TEST(same_ab == 0);
  BOOST_TEST(same_ac == 0);
}

BOOST_AUTO_TEST_CASE(distributions_have_the_right_moments) {
  eng::Rng r(7);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  int64_t hist[5] = {0};
  for (int i = 0; i < n; ++i) {
    float u = r.uniform();
    BOOST_REQUIRE(u >= 0.0f && u < 1.0f);
    su += u;
    double z = r.normal();
    sn += z, sn2 += z * z;
    hist[r.randint(5)]++;
  }
  BOOST_TEST(std::fabs(su / n - 0.5) < 0.005);
  BOOST_TEST(std::fabs(sn / n) < 0.01);
  BOOST_TEST(std::fabs(sn2 / n - 1.0) < 0.01);
  for (int64_t h : hist) BOOST_TEST(std::fabs(h / double(n) - 0.2) < 0.005);
  BOOST_CHECK_THROW(r.randint(0), eng::Error);
}

BOOST_AUTO_TEST_CASE(kaiming_normal_has_pytorch_std) {
  eng::Rng r(1);
  eng::Tensor w = eng::make_parameter({64, 32, 5, 5});
  eng::init_kaiming_normal(w, eng::FanMode::FanIn, r);
  double s2 = 0;
  for (int64_t i = 0; i < w.numel(); ++i) s2 += double(w.data()[i]) * w.data()[i];
  BOOST_TEST(std::fabs(std::sqrt(s2 / w.numel()) - std::sqrt(2.0 / (32 * 25))) < 0.002);
  eng::init_kaiming_normal(w, eng::FanMode::FanOut, r);
  s2 = 0;
  for (int64_t i = 0; i < w.numel(); ++i) s2 += double(w.data()[i]) * w.data()[i];
  BOOST_TEST(std::fabs(std::sqrt(s2 / w.numel()) - std::sqrt(2.0 / (64 * 25))) < 0.002);
  eng::init_constant(w, 0.5f);
  BOOST_TEST(w.data()[17] == 0.5f);
  BOOST_TEST(w.requires_grad());
}
