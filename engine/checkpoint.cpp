// checkpoint.cpp — safetensors writer (atomic) and validating reader (see checkpoint.hpp).
#include "engine/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "engine/json.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this build assumes a little-endian host");

namespace eng {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit
constexpr char kMetadataKey[] = "__metadata__";

std::string where(const std::string& path) { return "checkpoint " + path; }

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  throw Error(str(where(path), ": ", what, ": ", std::strerror(errno)));
}

// An open file descriptor, closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

void write_all(int fd, const void* data, size_t bytes, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_errno(path, "write failed");
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void read_all_at(int fd, void* data, size_t bytes, uint64_t offset, const std::string& path) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = ::pread(fd, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "read failed");
    ENG_CHECK(n > 0, where(path), "unexpected end of file at byte ", offset,
              " (the file shrank while being read?)");
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<size_t>(n);
  }
}

std::string header_json(const NamedTensors& tensors, const std::vector<Tensor>& host,
                        const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta.set(key, value);
    header.set(kMetadataKey, meta);
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    Json shape = Json::array();
    for (int64_t d : host[i].shape()) shape.push_back(d);
    uint64_t end = offset + host[i].storage_bytes();
    Json entry = Json::object();
    entry.set("dtype", dtype_name(host[i].dtype()));
    entry.set("shape", shape);
    entry.set("data_offsets", Json(Json::Array{Json(offset), Json(end)}));
    header.set(tensors[i].name, entry);
    offset = end;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

void save_checkpoint(const std::string& path, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata) {
  std::unordered_set<std::string> names;
  std::vector<Tensor> host;
  for (const NamedTensor& nt : tensors) {
    ENG_CHECK(!nt.name.empty() && nt.name != kMetadataKey, where(path), "invalid tensor name '",
              nt.name, "'");
    ENG_CHECK(names.insert(nt.name).second, where(path), "tensor name '", nt.name,
              "' appears twice");
    ENG_CHECK(nt.tensor.defined(), where(path), "tensor '", nt.name, "' is undefined");
    host.push_back(nt.tensor.plain().to(Device::CPU));
  }
  const std::string header = header_json(tensors, host, metadata);

  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  ENG_CHECK(!base.empty(), where(path), "the path names a directory, not a file");
  static std::atomic<unsigned> counter{0};
  std::string tmp = str(dir, "/.", base, ".tmp.", ::getpid(), ".", counter++);

  Fd file;
  file.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (file.fd < 0) fail_errno(path, "cannot create the temporary file " + tmp);
  try {
    uint64_t n = header.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    write_all(file.fd, len, 8, tmp);
    write_all(file.fd, header.data(), header.size(), tmp);
    for (const Tensor& t : host) write_all(file.fd, t.raw(), t.storage_bytes(), tmp);
    if (::fsync(file.fd) != 0) fail_errno(tmp, "fsync failed");
    if (::close(file.release()) != 0) fail_errno(tmp, "close failed");
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      fail_errno(path, "rename from " + tmp + " failed");
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd < 0 || ::fsync(d.fd) != 0) fail_errno(path, "fsync of directory " + dir + " failed");
}

namespace {

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& path, const std::string& name, const Json& e,
                  uint64_t data_bytes) {
  const std::string what = str("tensor '", name, "'");
  ENG_CHECK(e.is_object(), where(path), what, ": expected an object, got ", e.dump());
  for (const auto& member : e.as_object())
    ENG_CHECK(member.first == "dtype" || member.first == "shape" || member.first == "data_offsets",
              where(path), what, ": unexpected field '", member.first, "'");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    ENG_CHECK(e.contains(field), where(path), what, ": missing field '", field, "'");
  Entry out{name, DType::F32, {}, 0, 0};
  const Json& dtype = e.at("dtype");
  ENG_CHECK(dtype.is_string() && (dtype.as_string() == "F32" || dtype.as_string() == "BF16"),
            where(path), what, ": dtype ", dtype.dump(), " is not supported (F32 or BF16)");
  out.dtype = dtype.as_string() == "F32" ? DType::F32 : DType::BF16;
  const Json& shape = e.at("shape");
  ENG_CHECK(shape.is_array(), where(path), what, ": shape must be an array, got ", shape.dump());
  uint64_t numel = 1;
  for (const Json& d : shape.as_array()) {
    ENG_CHECK(d.is_number() && d.as_number() >= 0 && std::floor(d.as_number()) == d.as_number() &&
                  d.as_number() <= 9007199254740992.0,
              where(path), what, ": shape ", shape.dump(), " has an invalid size");
    uint64_t v = static_cast<uint64_t>(d.as_number());
    ENG_CHECK(v == 0 || numel <= (uint64_t{1} << 62) / v, where(path), what, ": shape ",
              shape.dump(), " is too large");
    numel *= v;
    out.shape.push_back(static_cast<int64_t>(v));
  }
  const Json& off = e.at("data_offsets");
  bool ok = off.is_array() && off.size() == 2;
  for (size_t i = 0; ok && i < 2; ++i) {
    double x = off[i].is_number() ? off[i].as_number() : -1;
    ok = x >= 0 && std::floor(x) == x && x <= 9007199254740992.0;
  }
  ENG_CHECK(ok, where(path), what, ": data_offsets must be two non-negative integers, got ",
            off.dump());
  out.begin = static_cast<uint64_t>(off[0].as_number());
  out.end = static_cast<uint64_t>(off[1].as_number());
  ENG_CHECK(out.begin <= out.end, where(path), what, ": data_offsets ", off.dump(),
            " end before they begin");
  ENG_CHECK(out.end <= data_bytes, where(path), what, ": data_offsets ", off.dump(),
            " reach past the ", data_bytes, " bytes of data (truncated file?)");
  uint64_t expected = numel * dtype_size(out.dtype);
  ENG_CHECK(out.end - out.begin == expected, where(path), what, ": data_offsets ", off.dump(),
            " span ", out.end - out.begin, " bytes but ", dtype.as_string(), " ",
            shape_str(out.shape), " needs ", expected);
  return out;
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path) {
  Fd file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) fail_errno(path, "cannot open");
  struct stat st;
  if (::fstat(file.fd, &st) != 0) fail_errno(path, "cannot stat");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  ENG_CHECK(size >= 8, where(path), "the file has ", size,
            " bytes, fewer than the 8-byte header length (truncated or not a safetensors file)");
  unsigned char len[8];
  read_all_at(file.fd, len, 8, 0, path);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | len[i];
  ENG_CHECK(header_bytes > 0 && header_bytes <= kMaxHeaderBytes && header_bytes <= size - 8,
            where(path), "header length ", header_bytes, " is impossible for a file of ", size,
            " bytes (truncated or not a safetensors file)");
  std::string text(header_bytes, '\0');
  read_all_at(file.fd, text.data(), header_bytes, 8, path);
  Json header = Json::parse(text, where(path) + " header");
  ENG_CHECK(header.is_object(), where(path), "the header must be a JSON object, got ",
            Json::type_name(header.type()));
  const uint64_t data_bytes = size - 8 - header_bytes;

  Checkpoint ck;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.as_object()) {
    if (name == kMetadataKey) {
      ENG_CHECK(value.is_object(), where(path), "__metadata__ must be an object, got ",
                value.dump());
      for (const auto& [key, v] : value.as_object()) {
        ENG_CHECK(v.is_string(), where(path), "metadata '", key, "' must be a string, got ",
                  v.dump());
        ck.metadata[key] = v.as_string();
      }
      continue;
    }
    entries.push_back(parse_entry(path, name, value, data_bytes));
  }

  // The tensors must tile the data exactly: sorted by offset, each starts where the last ended.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(),
                   [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : by_offset) {
    ENG_CHECK(e->begin >= covered, where(path), "tensors '", previous ? previous->name : "",
              "' and '", e->name, "' overlap (bytes ", e->begin, "..", covered, ")");
    ENG_CHECK(e->begin == covered, where(path), "bytes ", covered, "..", e->begin,
              " of the data belong to no tensor");
    covered = e->end;
    previous = e;
  }
  ENG_CHECK(covered == data_bytes, where(path), "the tensors cover ", covered,
            " bytes but the file holds ", data_bytes, " bytes of data");

  const uint64_t data_start = 8 + header_bytes;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, Device::CPU, e.dtype);
    read_all_at(file.fd, t.raw(), e.end - e.begin, data_start + e.begin, path);
    ck.tensors.push_back({e.name, t});
  }
  return ck;
}

}  // namespace eng
