// progress.hpp — a one-line progress bar on stderr for training:
//   epoch 2/10 [#######.......]  3012/15000  head_b loss -2.1043 (head_a -3.5012)  512 pairs/s  ETA
//   12m05s
// Redrawn at most 4 times a second with '\r'; silent when disabled.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace iic {

class Progress {
 public:
  Progress(bool enabled, int64_t total_steps);
  void update(int64_t step, int epoch, int epochs, const std::string& head, double loss,
              double pairs_per_s);
  void finish_line();  // end the current line (before other output)

 private:
  bool enabled_;
  int64_t total_;
  int64_t first_step_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::map<std::string, double> last_loss_;
  double rate_ = 0;  // smoothed pairs/s
  bool drawn_ = false;
};

std::string format_duration(double seconds);  // "1h02m", "12m05s", "42s"

}  // namespace iic
