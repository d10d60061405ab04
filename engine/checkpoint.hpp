// checkpoint.hpp — named tensors and string metadata in the safetensors format.
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON header {"<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin,
// end]}, ..., "__metadata__": {"<key>": "<value>", ...}} (padded with spaces to a multiple of 8
// bytes), then the raw little-endian tensor data; offsets are relative to the start of the data.
//
// Contract:
//  - save_checkpoint writes atomically: a temporary file in the same directory, fsync, rename
//    over `path`, fsync of the directory. A crash leaves either the old file or the new one.
//    Tensors may live on any device or carry a backend layout (they are copied out plain);
//    dtypes F32 and BF16; names non-empty, unique and not "__metadata__".
//  - load_checkpoint reads everything to plain CPU tensors, in header order, and validates
//    before allocating: header length against the file size, the JSON, each entry's dtype and
//    shape, offsets inside the data, end - begin == numel * dtype size, and the tensors tiling
//    the data with no overlap and no gap (as the reference implementation requires). A
//    truncated or corrupt file is an eng::Error "checkpoint <path>: <what is wrong>".
#pragma once
#include <map>
#include <string>

#include "engine/params.hpp"

namespace eng {

struct Checkpoint {
  NamedTensors tensors;
  std::map<std::string, std::string> metadata;
};

void save_checkpoint(const std::string& path, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata = {});
Checkpoint load_checkpoint(const std::string& path);

}  // namespace eng
