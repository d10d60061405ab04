// fetch_archive.cpp — locate, or download + MD5-verify + unpack, a dataset archive (see
// fetch_archive.hpp). Downloads and unpacking run the system's curl/wget and tar.
#include "data/fetch_archive.hpp"

#include <filesystem>

#include "data/md5.hpp"
#include "data/shell_command.hpp"
#include "engine/error.hpp"

namespace eng::data {
namespace fs = std::filesystem;
namespace {

std::vector<fs::path> missing_files(const fs::path& dir, const ArchiveSpec& spec) {
  std::vector<fs::path> missing;
  for (const std::string& f : spec.files)
    if (!fs::is_regular_file(dir / f)) missing.push_back(dir / f);
  return missing;
}

// Checks the archive's MD5; on a mismatch returns false with the digests in `why`.
bool archive_ok(const fs::path& archive, const ArchiveSpec& spec, std::string& why) {
  const std::string got = md5_file_hex(archive.string());
  if (got == spec.md5) return true;
  why = str("MD5 of ", archive.string(), " is ", got, ", expected ", spec.md5,
            " (corrupt, truncated or a different file)");
  return false;
}

// Downloads the archive to `dest`; returns "" on success, else the reasons per URL.
std::string download_archive(const fs::path& dest, const ArchiveSpec& spec) {
  const fs::path part = dest.string() + ".part";
  std::string failures;
  for (const std::string& url : spec.urls) {
    std::string why;
    if (fetch_url(url, part.string(), why) && archive_ok(part, spec, why)) {
      fs::rename(part, dest);
      return "";
    }
    std::error_code ignored;
    fs::remove(part, ignored);
    failures += "\n  " + url + ": " + why;
  }
  return failures.empty() ? "\n  no download URL known" : failures;
}
}  // namespace

std::string ensure_archive(const DataRoot& root, const ArchiveSpec& spec, Download download) {
  const fs::path dir = fs::path(root.path) / spec.folder;
  const fs::path archive = fs::path(root.path) / spec.archive;
  std::vector<fs::path> missing = missing_files(dir, spec);
  if (missing.empty()) return dir.string();

  std::string problem;
  if (download == Download::Never) {
    problem = "downloads disabled";
  } else {
    std::error_code ec;
    fs::create_directories(root.path, ec);
    std::string why;
    if (ec) {
      problem = "cannot create the data root " + root.path + ": " + ec.message();
    } else if (fs::is_regular_file(archive) && !archive_ok(archive, spec, why)) {
      problem = why + "; delete it to download it again";
    } else if (!fs::is_regular_file(archive) && !(why = download_archive(archive, spec)).empty()) {
      problem = "download failed:" + why;
    } else if (!run_command(
                   "tar -xzf " + shell_quote(archive.string()) + " -C " + shell_quote(root.path),
                   why)) {
      problem = "unpacking " + archive.string() + " failed: " + why;
    } else if (!(missing = missing_files(dir, spec)).empty()) {
      problem = archive.string() + " unpacked, but it does not hold " + missing.front().string();
    } else {
      return dir.string();
    }
  }
  std::string urls;
  for (const std::string& u : spec.urls) urls += "\n  " + u;
  throw Error(str(spec.dataset, ": ", missing.front().string(), " not found (data root '",
                  root.path, "' from ", root.source, "); ", problem, "\nProvide the data: unpack ",
                  spec.archive, " (MD5 ", spec.md5, ") into DIR so that DIR/", spec.folder,
                  "/ holds ", spec.files.front(),
                  " etc., and run with --data DIR or IIC_DATA=DIR. ",
                  "The archive can be downloaded from:", urls));
}

}  // namespace eng::data
