// temp_files.hpp — helpers for the dataset reader tests: a self-deleting temporary folder,
// writing bytes to files, and catching an eng::Error's message.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/error.hpp"

namespace testing {

using Bytes = std::vector<uint8_t>;

// A fresh empty folder, removed with everything in it when the object goes away.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "data") {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("iic-test-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline void write_bytes(const std::filesystem::path& p, const Bytes& b) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

// The message of the eng::Error that f throws ("" when it does not throw).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const eng::Error& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace testing
