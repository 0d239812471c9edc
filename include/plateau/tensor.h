// Tensors: element types, fixed-capacity shapes, borrowed views and owning buffers.
//
// Shape holds up to kMaxRank dims inline, so copying or hashing one never allocates. A TensorView borrows
// memory it does not own; a Tensor owns a 64-byte aligned buffer. Both are plain row-major (the ONNX
// layout) unless a comment says otherwise.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>

#include "plateau/status.h"

namespace plateau {

enum class DType : uint8_t { kFloat32, kInt32, kInt64, kUInt8 };

size_t DTypeSize(DType dtype);
const char* DTypeName(DType dtype);

class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  // Fails if dims.size() > kMaxRank.
  static StatusOr<Shape> FromSpan(std::span<const int64_t> dims);
  // Parses "1x3x960x736". Fails on anything else, naming the text.
  static StatusOr<Shape> Parse(const std::string& text);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t dim(int i) const { return dims_[i]; }
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  // Product of dims; 1 for rank 0. Saturates at INT64_MAX instead of overflowing.
  int64_t num_elements() const;
  // Appends a dim; the caller guarantees rank() < kMaxRank.
  void push_back(int64_t d);
  void resize(int rank, int64_t fill = 1);

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  size_t Hash() const;
  // "1x3x960x736"; "scalar" for rank 0.
  std::string ToString() const;

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

struct ShapeHash {
  size_t operator()(const Shape& s) const { return s.Hash(); }
};

// Borrowed tensor: does not own `data`.
struct TensorView {
  DType dtype = DType::kFloat32;
  Shape shape;
  void* data = nullptr;

  size_t byte_size() const { return static_cast<size_t>(shape.num_elements()) * DTypeSize(dtype); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

// Owning tensor with a 64-byte aligned buffer. Copying shares nothing: use Clone() for a deep copy;
// moves are cheap. An empty (default) Tensor has no data.
class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-initialised storage. Fails (ResourceExhausted) if the allocation fails.
  static StatusOr<Tensor> Zeros(DType dtype, const Shape& shape);
  // Copies `view` into a new tensor.
  static StatusOr<Tensor> CopyOf(const TensorView& view);

  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  StatusOr<Tensor> Clone() const { return CopyOf(view()); }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  void* data() const { return data_.get(); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_.get());
  }
  size_t byte_size() const { return static_cast<size_t>(shape_.num_elements()) * DTypeSize(dtype_); }
  TensorView view() const { return TensorView{dtype_, shape_, data_.get()}; }
  bool empty() const { return data_ == nullptr; }
  // Same bytes, new shape with the same element count (checked by the caller).
  void Reshape(const Shape& shape) { shape_ = shape; }

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  std::unique_ptr<void, FreeDeleter> data_;
};

}  // namespace plateau
