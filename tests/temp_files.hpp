// temp_files.hpp — helpers for the tests that read and write files: a self-deleting temporary
// folder and writing bytes to files. (It brings in testing.hpp, whose error_of / contains the
// file-reading tests use to check error messages.)
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing.hpp"

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
  // The path of `name` inside the folder.
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline void write_bytes(const std::filesystem::path& p, const Bytes& b) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace testing
