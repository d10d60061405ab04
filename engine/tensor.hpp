// tensor.hpp — the engine's n-D array: shape, dtype, device, reference-counted storage,
// an optional backend layout, and the autograd fields.
//
// Contract:
//  - Storage is contiguous and shared by reference counting; copying a Tensor is cheap and
//    aliases the same data (like PyTorch). clone() makes a deep copy.
//  - A tensor is "plain" (dense row-major in its logical shape, NCHW for images) unless a
//    backend attached a Layout (see layout.hpp). data<T>() needs a plain CPU tensor and says
//    so when it is not; plain() converts.
//  - dtype is float32 today; BF16 is reserved (storage sizes already go through dtype_size).
//  - Autograd: a tensor requires grad if it is a leaf marked with set_requires_grad(true) or
//    the output of an op recorded in the graph (grad_fn). backward() runs from a scalar.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/layout.hpp"

namespace eng {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3, 4]"
int64_t numel_of(const Shape& s);

enum class DType : uint8_t { F32, BF16 };
enum class Device : uint8_t { CPU, CUDA };
const char* device_name(Device d);  // "cpu" / "cuda"
size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "F32" / "BF16" (the safetensors tags)

// A block of memory on one device. Freed (returned to the device's caching allocator) when the
// last tensor referring to it goes away.
struct Storage {
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* ptr = nullptr;
  size_t bytes = 0;
  Device device;
};

struct Node;  // autograd.hpp

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::F32;
  std::shared_ptr<const Layout> layout;  // null: plain row-major
  bool requires_grad = false;            // set on leaves (parameters, inputs under test)
  std::shared_ptr<TensorImpl> grad;      // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;         // op that produced this tensor, if recorded
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Factories. Shapes may contain zeros only where an op documents it; negative sizes throw.
  static Tensor empty(const Shape& shape, Device device = Device::CPU, DType dtype = DType::F32);
  static Tensor zeros(const Shape& shape, Device device = Device::CPU);
  static Tensor full(const Shape& shape, float value, Device device = Device::CPU);
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values,
                            Device device = Device::CPU);
  static Tensor scalar(float value, Device device = Device::CPU) { return full({}, value, device); }
  // Uninitialised tensor whose storage follows a backend layout.
  static Tensor empty_with_layout(const Shape& shape, std::shared_ptr<const Layout> layout,
                                  Device device);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int ndim() const { return static_cast<int>(shape().size()); }
  int64_t size(int dim) const;  // negative dims count from the end; checked
  int64_t numel() const { return numel_of(shape()); }
  DType dtype() const;
  Device device() const;
  bool is_plain() const { return layout() == nullptr; }
  const Layout* layout() const;
  const std::shared_ptr<const Layout>& layout_ptr() const;
  std::string describe() const;  // "float32 cpu [2, 3]" (+ layout name), for messages

  // Typed access to a plain CPU tensor; throws naming the reason otherwise.
  template <class T = float>
  T* data();
  template <class T = float>
  const T* data() const;
  // Untyped pointer to the storage, any device or layout (for backends).
  void* raw() const;
  size_t storage_bytes() const;

  Tensor plain() const;                  // *this if plain, else a reordered plain copy (no graph)
  Tensor to(Device device) const;        // copy to a device (no graph); *this if already there
  Tensor clone() const;                  // deep plain copy on the same device (no graph)
  Tensor detach() const;                 // same storage and layout, no graph, no requires_grad
  std::vector<float> to_vector() const;  // any device/layout -> host floats, row-major
  float item() const;                    // the value of a one-element tensor

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);  // leaves only
  Tensor grad() const;                 // undefined until a backward reached this leaf
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the accumulated gradient
  const std::shared_ptr<Node>& grad_fn() const;
  void set_grad_fn(std::shared_ptr<Node> fn);
  void backward() const;  // from a one-element tensor; see autograd.hpp

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

// Shape helpers shared by the ops.
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_ndim(const char* op, const char* what, const Tensor& t, int ndim);
void check_same_device(const char* op, const Tensor& a, const Tensor& b);

}  // namespace eng
