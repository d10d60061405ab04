// cifar.hpp — the official CIFAR-10 and CIFAR-100 binary formats, and the datasets IIC uses
// (CIFAR-10, and CIFAR100-20: CIFAR-100 with its 20 coarse "superclass" labels).
//
// Formats (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"):
//  - CIFAR-10: files of 3073-byte records <label 0..9><3072 pixels>; <root>/cifar-10-batches-bin/
//    data_batch_1..5.bin (train, 5 x 10000) and test_batch.bin (10000).
//  - CIFAR-100: 3074-byte records <coarse 0..19><fine 0..99><3072 pixels>;
//    <root>/cifar-100-binary/train.bin (50000) and test.bin (10000).
//  - Pixels: 1024 red, then 1024 green, then 1024 blue bytes, each plane 32x32 row-major — which
//    is already the Dataset's CHW order ([N, 3, 32, 32]).
// Validation: an empty file, a size that is not a whole number of records (truncated or not a
// CIFAR file) or a label out of range is an eng::Error naming the file, the record and the value.
// The record counts are not enforced (any whole number of records is read).
//
// Each file may also be stored as <file>.gz. Loaders find the folder under the data root
// (fetch.hpp: --data / IIC_DATA / ./data), or download the official archive, check its
// published MD5 and unpack it (ensure_dataset). Per-file digests of the genuine binary files are
// not published by the authors and are not known to this code; cifar10_provenance() recognises
// the lossy JPEG reconstruction that ../shared/data/cifar10/make-bin.sh writes, by the MD5 of
// each of its files.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/fetch.hpp"

namespace eng::data {

constexpr int kCifarSide = 32;
constexpr int kCifarImageBytes = 3 * kCifarSide * kCifarSide;  // 3072

enum class Cifar100Labels { Coarse, Fine };  // CIFAR100-20 uses Coarse (20 superclasses)

// One file's bytes (path is for messages).
Dataset parse_cifar10(const std::vector<uint8_t>& bytes, const std::string& path, std::string name);
Dataset parse_cifar100(const std::vector<uint8_t>& bytes, const std::string& path,
                       Cifar100Labels labels, std::string name);

enum class CifarSplit { Train, Test, TrainTest };  // TrainTest: train then test (authors)

const FetchSpec& cifar10_fetch_spec();
const FetchSpec& cifar100_fetch_spec();
// <dir> is the folder holding the .bin files (what ensure_dataset returns).
Dataset read_cifar10_dir(const std::string& dir, CifarSplit split);
Dataset read_cifar100_dir(const std::string& dir, CifarSplit split, Cifar100Labels labels);
Dataset load_cifar10(const DataRoot& root, CifarSplit split, Download download = Download::Allowed);
Dataset load_cifar100(const DataRoot& root, CifarSplit split,
                      Cifar100Labels labels = Cifar100Labels::Coarse,
                      Download download = Download::Allowed);

const std::vector<std::string>& cifar10_class_names();
const std::vector<std::string>& cifar100_coarse_class_names();

// "lossy JPEG reconstruction (make-bin.sh): pixels differ from the genuine CIFAR-10 by ~6/255"
// when every .bin file in dir (raw or .gz) has the MD5 make-bin.sh gives, else "" (origin not
// known).
std::string cifar10_provenance(const std::string& dir);

}  // namespace eng::data
