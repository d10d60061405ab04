// fetch.hpp — where datasets live and how to obtain them: the data root, reading (optionally
// gzip-compressed) files, and the one fetch path every dataset uses.
//
// Contract:
//  - Data root: an explicit --data DIR wins, else the environment variable IIC_DATA, else ./data.
//  - A FetchSpec names the folder <root>/<folder>/ that holds the files its reader needs. A file
//    is present when <folder>/<file> or <folder>/<file>.gz is a regular file (find_file: raw
//    preferred).
//  - ensure_dataset() returns <root>/<folder> once every file is present. Otherwise, with
//    Download::Allowed, it goes through the downloads in order:
//      * a <name>.tar.gz archive is used when a file is still missing: an archive already at
//        <root>/<name> is checked, else it is fetched to <root>/<name>.part; then
//        `tar -xzf <root>/<name> -C <root>` unpacks it (the archive is kept);
//      * any other download (typically <file>.gz, one compressed file) is used when the file it
//        holds (its name, or its name less ".gz") is missing; it is fetched to
//        <folder>/<name>.part and stored as <folder>/<name>, still compressed.
//    Each download tries its URLs in order with `curl -fL` (or `wget` when curl is absent); the
//    MD5 of what was fetched must equal the published digest, else the .part file is deleted and
//    the next URL tried. Only a verified file is renamed into place (an interrupted or corrupt
//    download never looks like data). A download that fails from every URL ends the attempt.
//  - When a file is still missing, or with Download::Never, eng::Error names the paths looked
//    at, the data root and where it came from, why each URL failed (or "downloads disabled"), and
//    how to provide the data: put the files (raw or .gz) in DIR/<folder>/ (or unpack the archive
//    into DIR) and run with --data DIR or IIC_DATA=DIR, with the URLs and their MD5s.
//  - Downloads are verified; files found on disk are not (ensure_dataset only looks): readers
//    that know a content digest check it when they read the file (see idx.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eng::data {

struct DataRoot {
  std::string path;
  std::string source;  // how it was chosen: "--data", "IIC_DATA" or "default"
};
// flag_value: the value of --data ("" when not given).
DataRoot resolve_data_root(const std::string& flag_value);

// The whole file; gzip data (recognised by its magic bytes) is decompressed. Errors (missing,
// unreadable, corrupt or truncated gzip) name the file.
std::vector<uint8_t> read_maybe_gzip(const std::string& path);

// <dir>/<file>.gz when only that is a regular file, else <dir>/<file> (which need not exist:
// reading it then reports it missing).
std::string find_file(const std::string& dir, const std::string& file);

// One artifact as its publisher serves it.
struct RemoteFile {
  std::string name;               // as served: "train-images-idx3-ubyte.gz", "x-binary.tar.gz"
  std::string md5;                // its published MD5, lower-case hex
  std::vector<std::string> urls;  // full URLs, tried in order
};

struct FetchSpec {
  std::string title;               // for messages: "MNIST", "CIFAR-10"
  std::string folder;              // under the data root: "mnist", "cifar-10-batches-bin"
  std::vector<std::string> files;  // what the reader needs in the folder (each raw or .gz)
  std::vector<RemoteFile> downloads;
};

enum class Download { Allowed, Never };

// Returns <root>/<folder> with every file of the spec present (see the contract above).
std::string ensure_dataset(const DataRoot& root, const FetchSpec& spec,
                           Download download = Download::Allowed);

}  // namespace eng::data
