// shell_command.hpp — the few shell commands the data layer runs: downloads (curl, else wget)
// and unpacking (tar). Failures come back as false plus the tool's own last message (or exit
// status) in `why`, so callers can list every mirror's reason in one error.
#pragma once
#include <string>

namespace eng::data {

std::string shell_quote(const std::string& s);  // single-quoted for /bin/sh
// Runs cmd (stderr merged); true on exit status 0.
bool run_command(const std::string& cmd, std::string& why);
// Downloads url to dest with curl or wget; a transfer that stalls (under 1 kB/s for a minute)
// is abandoned.
bool fetch_url(const std::string& url, const std::string& dest, std::string& why);

}  // namespace eng::data
