// error.hpp — the engine's one exception type and the check macro every op uses.
//
// Contract: bad input never crashes and never yields silent garbage. Every check throws
// eng::Error whose message starts with the op (or file) at fault and names the offending
// shapes/values, e.g. "conv2d: input must be 4-D (N,C,H,W), got [3, 4]".
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace eng {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Concatenate anything streamable into one string: str("got ", 3, " channels").
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// The strings with `sep` between them: join({"a", "b"}, ", ") == "a, b" (messages, listings).
inline std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

}  // namespace eng

// ENG_CHECK(cond, "op", parts...): throw eng::Error("op: parts...") when cond is false.
#define ENG_CHECK(cond, op, ...)                                        \
  do {                                                                  \
    if (!(cond)) throw ::eng::Error(::eng::str(op, ": ", __VA_ARGS__)); \
  } while (0)
