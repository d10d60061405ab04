// fetch.cpp — data root resolution, gzip-transparent reading, and ensure_dataset: find the files,
// else download (curl/wget), MD5-verify and install or unpack them (see fetch.hpp).
#include "data/fetch.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "data/md5.hpp"
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

std::string find_file(const std::string& dir, const std::string& file) {
  const fs::path raw = fs::path(dir) / file, gz = fs::path(dir) / (file + ".gz");
  return (!fs::is_regular_file(raw) && fs::is_regular_file(gz) ? gz : raw).string();
}

namespace {
bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool is_archive(const RemoteFile& d) { return ends_with(d.name, ".tar.gz"); }

std::vector<std::string> missing_files(const fs::path& dir, const FetchSpec& spec) {
  std::vector<std::string> missing;
  for (const std::string& f : spec.files)
    if (!fs::is_regular_file(find_file(dir.string(), f))) missing.push_back(f);
  return missing;
}

// A single-file download is needed when the file it holds (its name, or its name less ".gz") is
// missing; an archive while anything is.
bool needed(const RemoteFile& d, const std::vector<std::string>& missing) {
  if (is_archive(d)) return !missing.empty();
  for (const std::string& f : missing)
    if (d.name == f || d.name == f + ".gz") return true;
  return false;
}

// Checks the MD5 of `path`; on a mismatch returns false with the digests in `why`.
bool md5_ok(const fs::path& path, const RemoteFile& d, std::string& why) {
  const std::string got = md5_file_hex(path.string());
  if (got == d.md5) return true;
  why = str("MD5 of ", path.string(), " is ", got, ", expected ", d.md5,
            " (corrupt, truncated or a different file)");
  return false;
}

// Fetches d to dest through dest.part, trying each URL; "" on success, else the reasons per URL.
std::string fetch_verified(const fs::path& dest, const RemoteFile& d) {
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return str("cannot create ", dest.parent_path().string(), ": ", ec.message());
  const fs::path part = dest.string() + ".part";
  std::string failures;
  for (const std::string& url : d.urls) {
    std::string why;
    if (fetch_url(url, part.string(), why) && md5_ok(part, d, why)) {
      fs::rename(part, dest);
      return "";
    }
    fs::remove(part, ec);
    failures += "\n  " + url + ": " + why;
  }
  return "download of " + d.name + " failed:" + (failures.empty() ? " no URL known" : failures);
}

// Obtains one download (see the contract); "" on success, else what went wrong.
std::string obtain(const fs::path& root, const fs::path& dir, const RemoteFile& d) {
  if (!is_archive(d)) return fetch_verified(dir / d.name, d);
  const fs::path archive = root / d.name;
  std::string why;
  if (fs::is_regular_file(archive)) {
    if (!md5_ok(archive, d, why)) return why + "; delete it to download it again";
  } else if (!(why = fetch_verified(archive, d)).empty()) {
    return why;
  }
  if (!run_command(
          "tar -xzf " + shell_quote(archive.string()) + " -C " + shell_quote(root.string()), why))
    return "unpacking " + archive.string() + " failed: " + why;
  return "";
}

}  // namespace

std::string ensure_dataset(const DataRoot& root, const FetchSpec& spec, Download download) {
  const fs::path dir = fs::path(root.path) / spec.folder;
  std::vector<std::string> missing = missing_files(dir, spec);
  if (missing.empty()) return dir.string();

  std::string problem;  // the first failure ends the attempt
  if (download == Download::Never) problem = "downloads disabled";
  for (size_t i = 0; problem.empty() && i < spec.downloads.size(); ++i) {
    const RemoteFile& d = spec.downloads[i];
    if (!needed(d, missing)) continue;
    problem = obtain(root.path, dir, d);
    missing = missing_files(dir, spec);
    if (problem.empty() && is_archive(d) && !missing.empty())
      problem = (fs::path(root.path) / d.name).string() + " unpacked, but it does not hold " +
                (dir / missing.front()).string();
  }
  if (missing.empty()) return dir.string();
  if (problem.empty()) problem = "no download holds " + join(missing, ", ");

  const std::string first = (dir / missing.front()).string();
  std::string others, urls;
  if (missing.size() > 1)
    others =
        str(", and likewise for ", missing.size() - 1,
            " more: ", join(std::vector<std::string>(missing.begin() + 1, missing.end()), ", "));
  bool archives = false;
  for (const RemoteFile& d : spec.downloads) {
    archives = archives || is_archive(d);
    for (const std::string& u : d.urls) urls += "\n  " + u + " (MD5 " + d.md5 + ")";
  }
  throw Error(str(spec.title, ": ", first, " not found (data root '", root.path, "' from ",
                  root.source, "): looked for ", first, " and ", first, ".gz", others, "; ",
                  problem, "\nProvide the data: put the ", spec.title, " files (",
                  join(spec.files, ", "), "; raw or .gz) in DIR/", spec.folder, "/",
                  archives ? " (the archive below, unpacked in DIR, puts them there)" : "",
                  " and run with --data DIR or IIC_DATA=DIR.",
                  urls.empty() ? "" : " Published downloads:", urls));
}

}  // namespace eng::data
