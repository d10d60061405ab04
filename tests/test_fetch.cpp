// test_fetch.cpp — the one fetch path (data/fetch.hpp): data root resolution, finding files raw
// or .gz, a single-file .gz download and an archive download served from file:// URLs (accepted
// with the published MD5, rejected with a wrong one, leaving nothing behind), downloads only of
// what is missing, and the missing-data error.
#define BOOST_TEST_MODULE fetch
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/fetch.hpp"
#include "data/md5.hpp"
#include "tests/data_files.hpp"

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::have_curl;
using testing::only_if;
using testing::TempDir;
using testing::write_bytes;
using testing::write_gz;

namespace {
const std::string kNowhere = "file:///nonexistent-iic-mirror/";
std::string file_url(const fs::path& p) { return "file://" + p.string(); }
}  // namespace

BOOST_AUTO_TEST_CASE(data_root_resolution) {
  setenv("IIC_DATA", "/from/env", 1);
  BOOST_TEST(resolve_data_root("/from/flag").path == "/from/flag");
  BOOST_TEST(resolve_data_root("/from/flag").source == "--data");
  BOOST_TEST(resolve_data_root("").path == "/from/env");
  BOOST_TEST(resolve_data_root("").source == "IIC_DATA");
  unsetenv("IIC_DATA");
  BOOST_TEST(resolve_data_root("").path == "./data");
  BOOST_TEST(resolve_data_root("").source == "default");
}

BOOST_AUTO_TEST_CASE(files_are_found_raw_or_gzip) {
  TempDir dir;
  const std::string d = dir.path.string();
  BOOST_TEST(find_file(d, "a") == dir.file("a"));  // neither: the raw path
  write_gz(dir.path / "a.gz", Bytes{1, 2});
  BOOST_TEST(find_file(d, "a") == dir.file("a.gz"));
  write_bytes(dir.path / "a", Bytes{3});
  BOOST_TEST(find_file(d, "a") == dir.file("a"));  // raw preferred
  BOOST_TEST(ensure_dataset({d, "--data"}, {"A", ".", {"a"}, {}}, Download::Never) ==
             (dir.path / ".").string());
}

BOOST_AUTO_TEST_CASE(single_file_download_verifies_the_published_md5, *only_if(have_curl)) {
  TempDir mirror, root;
  const Bytes payload{7, 7, 1, 2, 3};
  write_gz(mirror.path / "toy-labels.gz", payload);
  const std::string good = md5_file_hex(mirror.file("toy-labels.gz"));
  const std::string url = file_url(mirror.path / "toy-labels.gz");
  FetchSpec spec{"TOY", "toy", {"toy-labels"}, {{"toy-labels.gz", good, {kNowhere + "x.gz", url}}}};
  const DataRoot r{root.path.string(), "--data"};
  // The first URL fails, the second serves the file with the published digest: stored as is.
  const std::string dir = ensure_dataset(r, spec);
  BOOST_TEST(dir == (root.path / "toy").string());
  BOOST_TEST(find_file(dir, "toy-labels") == (root.path / "toy/toy-labels.gz").string());
  BOOST_TEST(read_maybe_gzip(find_file(dir, "toy-labels")) == payload);
  // Present now: found without downloading.
  BOOST_TEST(ensure_dataset(r, spec, Download::Never) == dir);

  // A digest mismatch rejects the file and leaves nothing behind; every URL's failure is named.
  fs::remove_all(root.path / "toy");
  spec.downloads[0].md5 = std::string(32, '0');
  const std::string e = error_of([&] { ensure_dataset(r, spec); });
  BOOST_TEST(contains(e, "download of toy-labels.gz failed"));
  BOOST_TEST(contains(e, url + ": MD5 of " + (root.path / "toy/toy-labels.gz.part").string() +
                             " is " + good + ", expected " + std::string(32, '0')));
  BOOST_TEST(contains(e, kNowhere + "x.gz: "));
  BOOST_TEST(!fs::exists(root.path / "toy/toy-labels.gz"));
  BOOST_TEST(!fs::exists(root.path / "toy/toy-labels.gz.part"));
}

BOOST_AUTO_TEST_CASE(only_missing_files_are_downloaded, *only_if(have_curl)) {
  TempDir mirror, root;
  write_bytes(mirror.path / "b", Bytes{2});
  const std::string md5_b = md5_file_hex(mirror.file("b"));
  // "a" is on disk; its download (a URL that cannot work) must not even be tried.
  write_bytes(root.path / "toy/a", Bytes{1});
  FetchSpec spec{"TOY",
                 "toy",
                 {"a", "b"},
                 {{"a.gz", std::string(32, '0'), {kNowhere + "a.gz"}},
                  {"b", md5_b, {file_url(mirror.path / "b")}}}};
  const std::string dir = ensure_dataset({root.path.string(), "--data"}, spec);
  BOOST_TEST(read_maybe_gzip(find_file(dir, "b")) == Bytes{2});
  BOOST_TEST(!fs::exists(root.path / "toy/a.gz"));
}

BOOST_AUTO_TEST_CASE(archive_download_verifies_md5_and_unpacks, *only_if(have_curl)) {
  TempDir mirror, root;
  const Bytes content{4, 2, 4, 2};
  write_bytes(mirror.path / "pkg/toy-batches/test.bin", content);
  const std::string tar = "tar -czf " + mirror.file("toy.tar.gz") + " -C " +
                          (mirror.path / "pkg").string() + " toy-batches";
  BOOST_REQUIRE(std::system(tar.c_str()) == 0);
  const std::string md5 = md5_file_hex(mirror.file("toy.tar.gz"));
  FetchSpec spec{
      "TOY",
      "toy-batches",
      {"test.bin"},
      {{"toy.tar.gz", md5, {kNowhere + "toy.tar.gz", file_url(mirror.path / "toy.tar.gz")}}}};
  const DataRoot r{root.path.string(), "--data"};

  // A wrong digest: rejected, nothing left behind, every URL's failure named.
  FetchSpec wrong = spec;
  wrong.downloads[0].md5 = std::string(32, '0');
  std::string e = error_of([&] { ensure_dataset(r, wrong); });
  BOOST_TEST(contains(e, kNowhere + "toy.tar.gz: "));
  BOOST_TEST(contains(e, "MD5 of " + root.file("toy.tar.gz.part") + " is " + md5 + ", expected " +
                             std::string(32, '0')));
  BOOST_TEST(contains(e, "(the archive below, unpacked in DIR, puts them there)"));
  BOOST_TEST(!fs::exists(root.path / "toy.tar.gz"));
  BOOST_TEST(!fs::exists(root.path / "toy.tar.gz.part"));
  BOOST_TEST(!fs::exists(root.path / "toy-batches"));

  // The right digest: downloaded from the second URL, kept, unpacked, readable.
  const std::string dir = ensure_dataset(r, spec);
  BOOST_TEST(dir == (root.path / "toy-batches").string());
  BOOST_TEST(fs::is_regular_file(root.path / "toy.tar.gz"));
  BOOST_TEST(read_maybe_gzip(find_file(dir, "test.bin")) == content);
  // Present now: found without downloading.
  BOOST_TEST(ensure_dataset(r, spec, Download::Never) == dir);

  // An archive already in the root is checked before use.
  fs::remove_all(dir);
  write_bytes(root.path / "toy.tar.gz", Bytes(10, 1));
  e = error_of([&] { ensure_dataset(r, spec); });
  BOOST_TEST(contains(e, "MD5 of " + root.file("toy.tar.gz")));
  BOOST_TEST(contains(e, "delete it to download it again"));

  // A verified archive that lacks a required file.
  fs::remove(root.path / "toy.tar.gz");
  FetchSpec more = spec;
  more.files.push_back("train.bin");
  e = error_of([&] { ensure_dataset(r, more); });
  BOOST_TEST(contains(
      e, root.file("toy.tar.gz") + " unpacked, but it does not hold " + dir + "/train.bin"));
}

BOOST_AUTO_TEST_CASE(missing_data_error_names_paths_and_remedies) {
  TempDir root;
  const FetchSpec spec{"TOY", "toy", {"a", "b"}, {}};
  std::string e = error_of([&] { ensure_dataset({root.path.string(), "default"}, spec); });
  const std::string dir = (root.path / "toy").string();
  BOOST_TEST(contains(e, "TOY: " + dir + "/a not found (data root '" + root.path.string() +
                             "' from default): looked for " + dir + "/a and " + dir + "/a.gz"));
  BOOST_TEST(contains(e, "likewise for 1 more: b"));
  BOOST_TEST(contains(e, "no download holds a, b"));
  BOOST_TEST(contains(e,
                      "put the TOY files (a, b; raw or .gz) in DIR/toy/ and run with --data "
                      "DIR or IIC_DATA=DIR."));
  BOOST_TEST(!contains(e, "Published downloads"));
  e = error_of([&] { ensure_dataset({root.path.string(), "--data"}, spec, Download::Never); });
  BOOST_TEST(contains(e, "downloads disabled"));
}
