// download.hpp — where datasets live and how to obtain them: data root resolution, reading
// (optionally gzip-compressed) files, fetching missing files with checksum verification.
//
// Contract:
//  - Data root: an explicit --data DIR wins, else the environment variable IIC_DATA, else ./data.
//    A dataset `name` lives in <root>/<name>/; each of its files may be stored raw or as .gz.
//  - ensure_files(): for every file of a FetchSpec returns the path found in <root>/<name>/
//    (raw preferred over .gz). A missing file is downloaded (Download::Allowed) as <file>.gz
//    from each mirror in turn with `curl -fL` (or `wget` when curl is absent), decompressed in
//    memory and its SHA-256 (of the DECOMPRESSED bytes) compared with the spec; a good copy is
//    renamed into place, a bad one deleted. When no copy can be had, eng::Error says which paths
//    were looked at, why each download failed, and how to provide the data (IIC_DATA / --data,
//    the URLs).
//  - Checksums of files already present are verified by the dataset loaders when they read them
//    (verify_sha256), since they hold the decompressed bytes anyway.
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

struct RemoteFile {
  std::string name;    // decompressed file name, e.g. "train-images-idx3-ubyte"
  std::string sha256;  // lower-case hex digest of the decompressed bytes
};
struct FetchSpec {
  std::string dataset;  // sub-folder of the data root, e.g. "mnist"
  std::vector<RemoteFile> files;
  std::vector<std::string> mirrors;  // URL prefixes; a file is fetched as prefix + name + ".gz"
};
// The canonical MNIST files and the torchvision mirrors (train images, train labels, test
// images, test labels, in this order).
const FetchSpec& mnist_fetch_spec();

enum class Download { Allowed, Never };
std::vector<std::string> ensure_files(const DataRoot& root, const FetchSpec& spec,
                                      Download download = Download::Allowed);

// Throws eng::Error naming `path`, the expected and the actual digest when they differ.
void verify_sha256(const std::vector<uint8_t>& bytes, const RemoteFile& file,
                   const std::string& path);

}  // namespace eng::data
