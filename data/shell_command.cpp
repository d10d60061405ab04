// shell_command.cpp — shell quoting, command runner and curl/wget download (see the header).
#include "data/shell_command.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace eng::data {
namespace {
bool have_program(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}
}  // namespace

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

bool run_command(const std::string& cmd, std::string& why) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) {
    why = std::string("cannot run '") + cmd + "': " + std::strerror(errno);
    return false;
  }
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  if (status == 0) return true;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  why = out.empty() ? "exit status " + std::to_string(status) : out;
  return false;
}

bool fetch_url(const std::string& url, const std::string& dest, std::string& why) {
  const std::string to = shell_quote(dest) + " " + shell_quote(url);
  if (have_program("curl"))
    return run_command(
        "curl -fsSL --connect-timeout 20 --speed-limit 1000 --speed-time 60 -o " + to, why);
  if (have_program("wget")) return run_command("wget -q -T 60 -O " + to, why);
  why = "neither curl nor wget is installed";
  return false;
}

}  // namespace eng::data
