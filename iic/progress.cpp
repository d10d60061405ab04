// progress.cpp — the training progress bar (see progress.hpp).
#include "iic/progress.hpp"

#include <cstdio>

namespace iic {

std::string format_duration(double seconds) {
  char buf[32];
  long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

Progress::Progress(bool enabled, int64_t total_steps)
    : enabled_(enabled), total_(total_steps), start_(std::chrono::steady_clock::now()) {}

void Progress::update(int64_t step, int epoch, int epochs, const std::string& head, double loss,
                      double pairs_per_s) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (first_step_ < 0) first_step_ = step - 1, start_ = now;
  last_loss_[head] = loss;
  rate_ = rate_ == 0 ? pairs_per_s : 0.9 * rate_ + 0.1 * pairs_per_s;
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(250) && step != total_) return;
  last_draw_ = now;
  drawn_ = true;
  const int width = 20;
  int filled = total_ > 0 ? static_cast<int>(width * step / total_) : 0;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double per_step = step > first_step_ ? elapsed / double(step - first_step_) : 0;
  std::string losses;
  for (const auto& [h, l] : last_loss_) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.4f", h.c_str(), l);
    losses += buf;
  }
  std::fprintf(stderr, "\repoch %d/%d [%s] %lld/%lld loss%s  %.0f pairs/s  ETA %s   ", epoch,
               epochs, bar.c_str(), (long long)step, (long long)total_, losses.c_str(), rate_,
               format_duration(per_step * double(total_ - step)).c_str());
  std::fflush(stderr);
}

void Progress::finish_line() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace iic
