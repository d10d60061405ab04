// download.cpp — data root resolution, gzip-transparent reading, fetching with curl/wget and
// SHA-256 verification (see download.hpp).
#include "data/download.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "data/sha256.hpp"
#include "data/shell_command.hpp"
#include "engine/error.hpp"

namespace eng::data {
namespace fs = std::filesystem;

DataRoot resolve_data_root(const std::string& flag_value) {
  if (!flag_value.empty()) return {flag_value, "--data"};
  const char* env = std::getenv("IIC_DATA");
  if (env && *env) return {env, "IIC_DATA"};
  return {"./data", "default"};
}

std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  ENG_CHECK(fs::is_regular_file(path), path, "no such file");
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged, inflates gzip ones
  ENG_CHECK(f != nullptr, path, "cannot open: ", std::strerror(errno));
  gzbuffer(f, 1 << 18);
  std::vector<uint8_t> bytes;
  constexpr size_t kChunk = 1 << 20;
  for (;;) {
    size_t at = bytes.size();
    bytes.resize(at + kChunk);
    int got = gzread(f, bytes.data() + at, kChunk);
    if (got < 0) break;  // error: reported below
    bytes.resize(at + got);
    if (got == 0) break;
  }
  int err = Z_OK;
  std::string msg = gzerror(f, &err);
  gzclose(f);
  ENG_CHECK(err == Z_OK || err == Z_STREAM_END, path, "corrupt or truncated gzip data (", msg, ")");
  return bytes;
}

const FetchSpec& mnist_fetch_spec() {
  static const FetchSpec spec{
      "mnist",
      {{"train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
       {"train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
       {"t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
       {"t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"}},
      {"https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"}};
  return spec;
}

void verify_sha256(const std::vector<uint8_t>& bytes, const RemoteFile& file,
                   const std::string& path) {
  std::string got = sha256_hex(bytes.data(), bytes.size());
  ENG_CHECK(got == file.sha256, path, "SHA-256 of the decompressed ", file.name,
            " does not match: expected ", file.sha256, ", got ", got,
            " (a corrupt or different file; delete it to download it again)");
}

namespace {
// Tries every mirror; returns the installed .gz path, or "" with the reasons in `failures`.
std::string download_file(const fs::path& dir, const RemoteFile& file,
                          const std::vector<std::string>& mirrors, std::string& failures) {
  const fs::path part = dir / (file.name + ".gz.part"), final_path = dir / (file.name + ".gz");
  for (const std::string& mirror : mirrors) {
    const std::string url = mirror + file.name + ".gz";
    std::string why;
    if (fetch_url(url, part.string(), why, 900)) {
      try {
        verify_sha256(read_maybe_gzip(part.string()), file, url);
        fs::rename(part, final_path);
        return final_path.string();
      } catch (const std::exception& e) {
        why = e.what();
      }
    }
    std::error_code ignored;
    fs::remove(part, ignored);
    failures += "\n  " + url + ": " + why;
  }
  return "";
}
}  // namespace

std::vector<std::string> ensure_files(const DataRoot& root, const FetchSpec& spec,
                                      Download download) {
  const fs::path dir = fs::path(root.path) / spec.dataset;
  std::vector<std::string> paths;
  for (const RemoteFile& file : spec.files) {
    const fs::path raw = dir / file.name, gz = dir / (file.name + ".gz");
    if (fs::is_regular_file(raw)) {
      paths.push_back(raw.string());
      continue;
    }
    if (fs::is_regular_file(gz)) {
      paths.push_back(gz.string());
      continue;
    }
    std::string failures;
    if (download == Download::Never) {
      failures = "downloads disabled";
    } else {
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) {
        failures = "cannot create " + dir.string() + ": " + ec.message();
      } else {
        std::string got = download_file(dir, file, spec.mirrors, failures);
        if (!got.empty()) {
          paths.push_back(got);
          continue;
        }
        failures = "download failed:" + failures;
      }
    }
    std::string urls;
    for (const std::string& m : spec.mirrors) urls += "\n  " + m + file.name + ".gz";
    throw Error(str(spec.dataset, ": ", file.name, " not found: looked for ", raw.string(), " and ",
                    gz.string(), " (data root '", root.path, "' from ", root.source, "); ",
                    failures, "\nProvide the data: put the ", spec.dataset,
                    " files (raw or .gz) in DIR/", spec.dataset,
                    "/ and run with --data DIR or IIC_DATA=DIR. They can be "
                    "downloaded from:",
                    urls));
  }
  return paths;
}

}  // namespace eng::data
