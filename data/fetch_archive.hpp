// fetch_archive.hpp — datasets distributed as one .tar.gz archive (CIFAR-10, CIFAR-100, STL-10):
// find their unpacked folder under the data root, or download, verify and unpack the archive.
//
// Contract:
//  - The archive unpacks to <root>/<folder>/ (the name the official archive uses, e.g.
//    cifar-10-batches-bin); the dataset is present when every file of `files` exists there.
//  - Otherwise, with Download::Allowed: an archive already at <root>/<archive> is used as is,
//    else it is fetched from each URL in turn (curl -fL, or wget) to <root>/<archive>.part. Its
//    MD5 must equal the digest the dataset's authors publish (a bad copy is deleted, a good one
//    renamed to <root>/<archive> and kept); then `tar -xzf` unpacks it into <root>, and the
//    required files must now exist. Any failure is an eng::Error that names the paths looked at,
//    what went wrong with each URL, and how to provide the data by hand (--data DIR / IIC_DATA).
//  - Download::Never only looks; the error says what is missing and where to get it.
#pragma once
#include <string>
#include <vector>

#include "data/download.hpp"

namespace eng::data {

struct ArchiveSpec {
  std::string dataset;             // for messages: "CIFAR-10"
  std::string folder;              // what the archive unpacks to under the root
  std::vector<std::string> files;  // required files inside <root>/<folder>/
  std::string archive;             // archive file name: "cifar-10-binary.tar.gz"
  std::vector<std::string> urls;   // full URLs of the archive, tried in order
  std::string md5;                 // lower-case hex MD5 of the archive, as published
};

// Returns <root>/<folder> with every required file in it (see the contract above).
std::string ensure_archive(const DataRoot& root, const ArchiveSpec& spec,
                           Download download = Download::Allowed);

}  // namespace eng::data
