#include "io/npy.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <vector>

namespace plateau::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// NumPy aligns the start of the data to 64 bytes so the array can be memory-mapped with any alignment.
constexpr size_t kAlignment = 64;

std::optional<DType> DTypeFromDescr(const std::string& descr) {
  if (descr == "<f4") return DType::kFloat32;
  if (descr == "<i4") return DType::kInt32;
  if (descr == "<i8") return DType::kInt64;
  if (descr == "|u1" || descr == "<u1") return DType::kUInt8;
  return std::nullopt;
}

const char* DescrOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "<f4";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kUInt8:
      return "|u1";
  }
  return "?";
}

// The header is the repr() of a Python dict with exactly the keys 'descr', 'fortran_order' and 'shape'.
// This parser accepts what NumPy writes (any key order, optional trailing comma, spaces) and nothing that
// needs a real Python evaluator.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& label) : text_(text), label_(label) {}

  Status Parse() {
    SkipSpace();
    if (!Consume('{')) return Error("expected '{' at the start of the header");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      PLATEAU_RETURN_IF_ERROR(ParseQuoted(&key));
      SkipSpace();
      if (!Consume(':')) return Error("expected ':' after key '" + key + "'");
      SkipSpace();
      if (key == "descr") {
        PLATEAU_RETURN_IF_ERROR(ParseQuoted(&descr_));
        has_descr_ = true;
      } else if (key == "fortran_order") {
        PLATEAU_RETURN_IF_ERROR(ParseBool(&fortran_order_));
        has_fortran_order_ = true;
      } else if (key == "shape") {
        PLATEAU_RETURN_IF_ERROR(ParseShape());
        has_shape_ = true;
      } else {
        return Error("unexpected key '" + key + "' (expected descr, fortran_order and shape)");
      }
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume('}')) break;
      return Error("expected ',' or '}' after the value of '" + key + "'");
    }
    if (!has_descr_ || !has_fortran_order_ || !has_shape_) {
      return Error("header lacks one of the keys descr, fortran_order, shape");
    }
    return Status::Ok();
  }

  const std::string& descr() const { return descr_; }
  bool fortran_order() const { return fortran_order_; }
  const std::vector<int64_t>& dims() const { return dims_; }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument(label_ + ": malformed .npy header: " + what + " at offset " +
                                   std::to_string(pos_) + " of '" + std::string(text_) + "'");
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t')) ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  Status ParseQuoted(std::string* out) {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return Error("expected a quoted string");
    }
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return Error("unterminated string");
    *out = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return Status::Ok();
  }
  Status ParseBool(bool* out) {
    if (text_.substr(pos_, 4) == "True") {
      *out = true;
      pos_ += 4;
    } else if (text_.substr(pos_, 5) == "False") {
      *out = false;
      pos_ += 5;
    } else {
      return Error("expected True or False");
    }
    return Status::Ok();
  }
  Status ParseShape() {
    if (!Consume('(')) return Error("expected '(' to open the shape");
    while (true) {
      SkipSpace();
      if (Consume(')')) return Status::Ok();
      const size_t start = pos_;
      int64_t value = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) return Error("dimension too large");
        value = value * 10 + (text_[pos_] - '0');
        ++pos_;
      }
      // NumPy writes Python ints, which may carry an 'L' suffix in files from Python 2.
      Consume('L');
      if (pos_ == start) return Error("expected a non-negative integer dimension");
      dims_.push_back(value);
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume(')')) return Status::Ok();
      return Error("expected ',' or ')' in the shape");
    }
  }

  std::string_view text_;
  const std::string& label_;
  size_t pos_ = 0;
  std::string descr_;
  bool fortran_order_ = false;
  std::vector<int64_t> dims_;
  bool has_descr_ = false, has_fortran_order_ = false, has_shape_ = false;
};

uint32_t ReadLittleEndian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string ShapeTuple(const Shape& shape) {
  if (shape.rank() == 0) return "()";
  std::string s = "(";
  for (int i = 0; i < shape.rank(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.rank() == 1) s += ",";
  return s + ")";
}

}  // namespace

StatusOr<Tensor> ParseNpy(std::string_view bytes, const std::string& label) {
  if (bytes.size() < kMagicSize + 2 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    return Status::InvalidArgument(label +
                                   ": not a .npy file (expected the magic string \\x93NUMPY at the "
                                   "start)");
  }
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const int major = u[6];
  const int minor = u[7];
  int length_bytes = 0;
  if (major == 1) {
    length_bytes = 2;
  } else if (major == 2 || major == 3) {
    length_bytes = 4;
  } else {
    return Status::Unimplemented(label + ": .npy format version " + std::to_string(major) + "." +
                                 std::to_string(minor) + " is not supported (expected 1.0, 2.0 or 3.0)");
  }
  const size_t prefix = kMagicSize + 2 + length_bytes;
  if (bytes.size() < prefix) {
    return Status::DataLoss(label + ": truncated .npy file: it ends inside the header length field");
  }
  const size_t header_len = ReadLittleEndian(u + kMagicSize + 2, length_bytes);
  if (bytes.size() < prefix + header_len) {
    return Status::DataLoss(label + ": truncated .npy file: the header announces " +
                            std::to_string(header_len) + " bytes but the file has " +
                            std::to_string(bytes.size() - prefix) + " after the length field");
  }
  HeaderParser header(bytes.substr(prefix, header_len), label);
  PLATEAU_RETURN_IF_ERROR(header.Parse());

  const std::optional<DType> dtype = DTypeFromDescr(header.descr());
  if (!dtype) {
    return Status::Unimplemented(label + ": element type '" + header.descr() +
                                 "' is not supported (expected little-endian '<f4', '<i4', '<i8' or '|u1')");
  }
  if (header.fortran_order()) {
    return Status::Unimplemented(label +
                                 ": Fortran-order (column-major) arrays are not supported; save "
                                 "the array in C order (e.g. numpy.ascontiguousarray)");
  }
  auto shape = Shape::FromSpan(header.dims());
  if (!shape.ok()) return shape.status().WithContext(label);

  // Overflow-safe element count: Shape::num_elements saturates, so compare in bytes with a guard.
  const int64_t elements = shape->num_elements();
  const size_t element_size = DTypeSize(*dtype);
  if (static_cast<uint64_t>(elements) > std::numeric_limits<size_t>::max() / element_size) {
    return Status::InvalidArgument(label + ": shape " + shape->ToString() + " is too large");
  }
  const size_t data_bytes = static_cast<size_t>(elements) * element_size;
  const size_t available = bytes.size() - prefix - header_len;
  if (available < data_bytes) {
    return Status::DataLoss(label + ": truncated .npy file: shape " + shape->ToString() + " of " +
                            DTypeName(*dtype) + " needs " + std::to_string(data_bytes) +
                            " data bytes but only " + std::to_string(available) + " are present");
  }
  if (available > data_bytes) {
    return Status::InvalidArgument(label + ": .npy file has " + std::to_string(available - data_bytes) +
                                   " unexpected bytes after the data of shape " + shape->ToString());
  }
  auto tensor = Tensor::Zeros(*dtype, *shape);
  if (!tensor.ok()) return tensor.status().WithContext(label);
  if (data_bytes > 0) std::memcpy(tensor->data(), bytes.data() + prefix + header_len, data_bytes);
  return std::move(tensor).value();
}

StatusOr<Tensor> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open .npy file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::DataLoss(path + ": read error");
  return ParseNpy(bytes, path);
}

std::string EncodeNpy(const TensorView& tensor) {
  std::string dict = std::string("{'descr': '") + DescrOf(tensor.dtype) +
                     "', 'fortran_order': False, 'shape': " + ShapeTuple(tensor.shape) + ", }";
  // Version 1.0 stores the header length in 2 bytes; larger headers need 2.0's 4 bytes.
  int length_bytes = 2;
  size_t unpadded = kMagicSize + 2 + length_bytes + dict.size() + 1;
  if (unpadded + kAlignment > std::numeric_limits<uint16_t>::max()) {
    length_bytes = 4;
    unpadded = kMagicSize + 2 + length_bytes + dict.size() + 1;
  }
  const size_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
  dict.append(padding, ' ');
  dict.push_back('\n');

  std::string out(kMagic, kMagicSize);
  out.push_back(static_cast<char>(length_bytes == 2 ? 1 : 2));
  out.push_back(0);
  const size_t header_len = dict.size();
  for (int i = 0; i < length_bytes; ++i) out.push_back(static_cast<char>((header_len >> (8 * i)) & 0xff));
  out += dict;
  if (tensor.byte_size() > 0) out.append(static_cast<const char*>(tensor.data), tensor.byte_size());
  return out;
}

Status WriteNpy(const std::string& path, const TensorView& tensor) {
  if (tensor.data == nullptr && tensor.byte_size() > 0) {
    return Status::InvalidArgument(path + ": cannot write a tensor of shape " + tensor.shape.ToString() +
                                   " without data");
  }
  const std::string bytes = EncodeNpy(tensor);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::NotFound(path + ": cannot create .npy file");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Status::DataLoss(path + ": write failed");
  return Status::Ok();
}

}  // namespace plateau::io
