#include "plateau/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>

#include "common/aligned_buffer.h"

namespace plateau {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kUInt8:
      return 1;
  }
  return 0;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kUInt8:
      return "uint8";
  }
  return "unknown";
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  assert(dims.size() <= kMaxRank);
  for (int64_t d : dims) dims_[rank_++] = d;
}

StatusOr<Shape> Shape::FromSpan(std::span<const int64_t> dims) {
  if (dims.size() > kMaxRank) {
    return Status::Unimplemented("rank " + std::to_string(dims.size()) + " exceeds the maximum of " +
                                 std::to_string(kMaxRank));
  }
  Shape s;
  for (int64_t d : dims) s.dims_[s.rank_++] = d;
  return s;
}

StatusOr<Shape> Shape::Parse(const std::string& text) {
  Shape s;
  std::string token;
  std::stringstream in(text);
  while (std::getline(in, token, 'x')) {
    if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos || token.size() > 12) {
      return Status::InvalidArgument("shape '" + text +
                                     "' is not dims separated by 'x' (expected e.g. 1x3x960x736)");
    }
    if (s.rank_ == kMaxRank) return Status::InvalidArgument("shape '" + text + "' has too many dims");
    s.dims_[s.rank_++] = std::stoll(token);
  }
  if (s.rank_ == 0) return Status::InvalidArgument("shape '" + text + "' is empty");
  return s;
}

int64_t Shape::num_elements() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] < 0) return 0;
    if (dims_[i] != 0 && n > std::numeric_limits<int64_t>::max() / dims_[i]) {
      return std::numeric_limits<int64_t>::max();
    }
    n *= dims_[i];
  }
  return n;
}

void Shape::push_back(int64_t d) {
  assert(rank_ < kMaxRank);
  dims_[rank_++] = d;
}

void Shape::resize(int rank, int64_t fill) {
  assert(rank >= 0 && rank <= kMaxRank);
  for (int i = rank_; i < rank; ++i) dims_[i] = fill;
  rank_ = rank;
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] != o.dims_[i]) return false;
  }
  return true;
}

size_t Shape::Hash() const {
  size_t h = static_cast<size_t>(rank_) * 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < rank_; ++i) {
    h ^= static_cast<size_t>(dims_[i]) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  return h;
}

std::string Shape::ToString() const {
  if (rank_ == 0) return "scalar";
  std::string out;
  for (int i = 0; i < rank_; ++i) {
    if (i) out += 'x';
    out += std::to_string(dims_[i]);
  }
  return out;
}

void Tensor::FreeDeleter::operator()(void* p) const { AlignedFree(p); }

StatusOr<Tensor> Tensor::Zeros(DType dtype, const Shape& shape) {
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] < 0) return Status::InvalidArgument("negative dim in shape " + shape.ToString());
  }
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  size_t bytes = t.byte_size();
  void* p = AlignedAlloc(bytes == 0 ? kBufferAlignment : bytes);
  if (p == nullptr) {
    return Status::ResourceExhausted("could not allocate " + std::to_string(bytes) +
                                     " bytes for a tensor of shape " + shape.ToString());
  }
  std::memset(p, 0, bytes);
  t.data_.reset(p);
  return t;
}

StatusOr<Tensor> Tensor::CopyOf(const TensorView& view) {
  PLATEAU_ASSIGN_OR_RETURN(Tensor t, Zeros(view.dtype, view.shape));
  if (view.byte_size() > 0) std::memcpy(t.data(), view.data, view.byte_size());
  return t;
}

}  // namespace plateau
