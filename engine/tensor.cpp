// tensor.cpp — Tensor factories, accessors, conversions (see tensor.hpp).
#include "engine/tensor.hpp"

#include <cstring>

#include "engine/allocator.hpp"
#include "engine/autograd.hpp"

namespace eng {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }
const char* dtype_name(DType t) { return t == DType::F32 ? "F32" : "BF16"; }

Storage::Storage(size_t n, Device d) : bytes(n), device(d) { ptr = device_alloc(n, d); }
Storage::~Storage() { device_free(ptr, bytes, device); }

namespace {
void check_shape(const Shape& shape) {
  for (int64_t d : shape) ENG_CHECK(d >= 0, "tensor", "negative size in shape ", shape_str(shape));
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, Device device, DType dtype) {
  check_shape(shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(numel_of(shape) * dtype_size(dtype), device);
  return Tensor(std::move(impl));
}

Tensor Tensor::empty_with_layout(const Shape& shape, std::shared_ptr<const Layout> layout,
                                 Device device) {
  check_shape(shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->storage = std::make_shared<Storage>(layout->bytes(), device);
  impl->layout = std::move(layout);
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, Device device) {
  Tensor t = empty(shape, device);
  device_memset0(t.raw(), t.storage_bytes(), device);
  return t;
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  return from_vector(shape, std::vector<float>(numel_of(shape), value), device);
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values, Device device) {
  check_shape(shape);
  ENG_CHECK(static_cast<int64_t>(values.size()) == numel_of(shape), "tensor", "shape ",
            shape_str(shape), " needs ", numel_of(shape), " values, got ", values.size());
  Tensor t = empty(shape, device);
  device_copy(t.raw(), device, values.data(), Device::CPU, values.size() * sizeof(float));
  return t;
}

const TensorImpl& Tensor::checked() const {
  if (!impl_) throw Error("tensor: use of an undefined tensor");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked().shape; }

int64_t Tensor::size(int dim) const {
  int n = ndim();
  int d = dim < 0 ? dim + n : dim;
  ENG_CHECK(d >= 0 && d < n, "tensor", "dimension ", dim, " out of range for shape ",
            shape_str(shape()));
  return shape()[d];
}

DType Tensor::dtype() const { return checked().dtype; }
Device Tensor::device() const { return checked().storage->device; }
const Layout* Tensor::layout() const { return checked().layout.get(); }
const std::shared_ptr<const Layout>& Tensor::layout_ptr() const { return checked().layout; }

std::string Tensor::describe() const {
  if (!impl_) return "undefined";
  std::string s = str(dtype() == DType::F32 ? "float32 " : "bf16 ", device_name(device()), " ",
                      shape_str(shape()));
  if (layout()) s += " layout " + layout()->name();
  return s;
}

template <class T>
T* Tensor::data() {
  return const_cast<T*>(static_cast<const Tensor*>(this)->data<T>());
}

template <class T>
const T* Tensor::data() const {
  const TensorImpl& t = checked();
  ENG_CHECK(t.storage->device == Device::CPU, "tensor", "data() needs a CPU tensor, got ",
            describe());
  ENG_CHECK(!t.layout, "tensor", "data() needs a plain tensor, got ", describe(),
            " (call plain() first)");
  ENG_CHECK(sizeof(T) == dtype_size(t.dtype), "tensor", "data() element size ", sizeof(T),
            " does not match ", describe());
  return static_cast<const T*>(t.storage->ptr);
}

template float* Tensor::data<float>();
template const float* Tensor::data<float>() const;
template uint16_t* Tensor::data<uint16_t>();
template const uint16_t* Tensor::data<uint16_t>() const;

void* Tensor::raw() const { return checked().storage->ptr; }
size_t Tensor::storage_bytes() const { return checked().storage->bytes; }

Tensor Tensor::plain() const {
  const TensorImpl& t = checked();
  if (!t.layout) return *this;
  Tensor out = empty(t.shape, device(), t.dtype);
  t.layout->to_plain(*this, out);
  return out;
}

Tensor Tensor::to(Device d) const {
  if (device() == d) return *this;
  Tensor src = plain();
  Tensor out = empty(shape(), d, dtype());
  device_copy(out.raw(), d, src.raw(), src.device(), src.storage_bytes());
  return out;
}

Tensor Tensor::clone() const {
  Tensor src = plain();
  if (!src.same(*this)) return src;  // plain() already made a fresh copy
  Tensor out = empty(shape(), device(), dtype());
  device_copy(out.raw(), device(), src.raw(), device(), src.storage_bytes());
  return out;
}

Tensor Tensor::detach() const {
  const TensorImpl& t = checked();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage;
  impl->shape = t.shape;
  impl->dtype = t.dtype;
  impl->layout = t.layout;
  return Tensor(std::move(impl));
}

std::vector<float> Tensor::to_vector() const {
  ENG_CHECK(dtype() == DType::F32, "tensor", "to_vector() needs float32, got ", describe());
  Tensor src = plain();
  std::vector<float> out(numel());
  device_copy(out.data(), Device::CPU, src.raw(), src.device(), out.size() * sizeof(float));
  return out;
}

float Tensor::item() const {
  ENG_CHECK(numel() == 1, "tensor", "item() needs one element, got shape ", shape_str(shape()));
  return to_vector()[0];
}

bool Tensor::requires_grad() const {
  const TensorImpl& t = checked();
  return t.requires_grad || t.grad_fn != nullptr;
}

Tensor& Tensor::set_requires_grad(bool on) {
  ENG_CHECK(!checked().grad_fn, "tensor",
            "set_requires_grad() is for leaves; this tensor is the output of op '",
            impl_->grad_fn->op, "'");
  impl_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(checked().grad); }
void Tensor::set_grad(const Tensor& g) { impl_->grad = g.impl_ptr(); }
void Tensor::zero_grad() { checked(), impl_->grad.reset(); }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked().grad_fn; }
void Tensor::set_grad_fn(std::shared_ptr<Node> fn) { impl_->grad_fn = std::move(fn); }

void Tensor::backward() const {
  ENG_CHECK(numel() == 1, "backward", "needs a one-element tensor (a loss), got shape ",
            shape_str(shape()));
  run_backward(*this, Tensor::full(shape(), 1.0f, device()));
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  ENG_CHECK(a.shape() == b.shape(), op, "shapes differ: ", shape_str(a.shape()), " vs ",
            shape_str(b.shape()));
}

void check_ndim(const char* op, const char* what, const Tensor& t, int ndim) {
  ENG_CHECK(t.defined(), op, what, " is undefined");
  ENG_CHECK(t.ndim() == ndim, op, what, " must be ", ndim, "-D, got ", shape_str(t.shape()));
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  ENG_CHECK(a.device() == b.device(), op, "tensors on different devices: ", a.describe(), " and ",
            b.describe());
}

}  // namespace eng
