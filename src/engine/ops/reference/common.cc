#include "engine/ops/reference/common.h"

#include <algorithm>
#include <limits>
#include <variant>

namespace plateau::ops::reference {

size_t OwnInputCount(const graph::Node& node) {
  // Each sum operand is stripped at most once, so an operand that is also a genuine input stays counted.
  // A bit per post-op marks the ones already matched (no heap: this runs inside kernels).
  uint64_t matched = 0;
  const size_t num_post_ops = std::min<size_t>(node.post_ops.size(), 64);
  size_t n = node.inputs.size();
  while (n > 0) {
    bool found = false;
    for (size_t k = 0; k < num_post_ops && !found; ++k) {
      const graph::PostOp& op = node.post_ops[k];
      if (op.kind == graph::PostOp::Kind::kSum && !((matched >> k) & 1) && op.operand == node.inputs[n - 1]) {
        matched |= uint64_t{1} << k;
        found = true;
      }
    }
    if (!found) break;
    --n;
  }
  return n;
}

const graph::AttrValue* FindAttr(const graph::Node& node, std::string_view name) {
  for (const auto& [key, value] : node.attrs) {
    if (key == name) return &value;
  }
  return nullptr;
}

int64_t AttrInt(const graph::Node& node, std::string_view name, int64_t dflt) {
  const graph::AttrValue* v = FindAttr(node, name);
  const int64_t* p = v ? std::get_if<int64_t>(v) : nullptr;
  return p ? *p : dflt;
}

float AttrFloat(const graph::Node& node, std::string_view name, float dflt) {
  const graph::AttrValue* v = FindAttr(node, name);
  const float* p = v ? std::get_if<float>(v) : nullptr;
  return p ? *p : dflt;
}

std::string_view AttrString(const graph::Node& node, std::string_view name, std::string_view dflt) {
  const graph::AttrValue* v = FindAttr(node, name);
  const std::string* p = v ? std::get_if<std::string>(v) : nullptr;
  return p ? std::string_view(*p) : dflt;
}

std::span<const int64_t> AttrInts(const graph::Node& node, std::string_view name) {
  const graph::AttrValue* v = FindAttr(node, name);
  const std::vector<int64_t>* p = v ? std::get_if<std::vector<int64_t>>(v) : nullptr;
  return p ? std::span<const int64_t>(*p) : std::span<const int64_t>();
}

int64_t IntAt(const TensorView& t, int64_t i) {
  return t.dtype == DType::kInt64 ? t.as<const int64_t>()[i] : t.as<const int32_t>()[i];
}

Status RequireInts(const TensorView& t, const std::string& what) {
  if (t.dtype != DType::kInt64 && t.dtype != DType::kInt32) {
    return Status::InvalidArgument(what + " has dtype " + DTypeName(t.dtype) + ", expected int64");
  }
  return Status::Ok();
}

bool HasInput(const graph::Node& node, size_t i) { return i < OwnInputCount(node) && node.inputs[i].valid(); }

Status CheckInputs(const graph::Node& node, size_t min, size_t max) {
  size_t n = OwnInputCount(node);
  if (n < min || n > max) {
    std::string expected =
        min == max ? std::to_string(min) : "between " + std::to_string(min) + " and " + std::to_string(max);
    return Status::InvalidArgument("has " + std::to_string(n) + " inputs, expected " + expected);
  }
  for (size_t i = 0; i < min; ++i) {
    if (!node.inputs[i].valid()) {
      return Status::InvalidArgument("required input " + std::to_string(i) + " is missing");
    }
  }
  return Status::Ok();
}

Status CheckOutputs(const graph::Node& node, size_t n) {
  if (node.outputs.size() != n) {
    return Status::InvalidArgument("has " + std::to_string(node.outputs.size()) + " outputs, expected " +
                                   std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!node.outputs[i].valid()) {
      return Status::InvalidArgument("output " + std::to_string(i) + " is missing");
    }
  }
  return Status::Ok();
}

Status CheckArity(const graph::Node& node, size_t min_in, size_t max_in, size_t outputs) {
  PLATEAU_RETURN_IF_ERROR(CheckInputs(node, min_in, max_in));
  return CheckOutputs(node, outputs);
}

StatusOr<int> NormalizeAxis(int64_t axis, int rank, const std::string& what) {
  if (axis < -rank || axis >= rank) {
    return Status::InvalidArgument(what + " " + std::to_string(axis) + " is out of range for rank " +
                                   std::to_string(rank) + " (expected [" + std::to_string(-rank) + ", " +
                                   std::to_string(rank) + "))");
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

StatusOr<int64_t> CheckedMul(int64_t a, int64_t b) {
  if (a < 0 || b < 0) return Status::InvalidArgument("negative dimension in a size computation");
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) {
    return Status::OutOfRange("size " + std::to_string(a) + " * " + std::to_string(b) + " overflows int64");
  }
  return a * b;
}

StatusOr<int64_t> CheckedProduct(const Shape& shape, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) {
    PLATEAU_ASSIGN_OR_RETURN(p, CheckedMul(p, shape[i]));
  }
  return p;
}

Status CheckPositiveDims(const Shape& shape, const std::string& what) {
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] <= 0) {
      return Status::InvalidArgument(what + " shape " + shape.ToString() + " has dim " + std::to_string(i) +
                                     " <= 0 (expected every dim > 0)");
    }
  }
  // Reject element counts that overflow, so kernels can index with int64.
  return CheckedProduct(shape, 0, shape.rank()).status();
}

StatusOr<Shape> MakeShape(const std::vector<int64_t>& dims) {
  return Shape::FromSpan(std::span<const int64_t>(dims.data(), dims.size()));
}

StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  int rank = std::max(a.rank(), b.rank());
  Shape out;
  out.resize(rank);
  for (int i = 0; i < rank; ++i) {
    int ia = i - (rank - a.rank());
    int ib = i - (rank - b.rank());
    int64_t da = ia >= 0 ? a[ia] : 1;
    int64_t db = ib >= 0 ? b[ib] : 1;
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return Status::InvalidArgument("shapes " + a.ToString() + " and " + b.ToString() +
                                     " are not broadcastable (dim " + std::to_string(i) + ": " +
                                     std::to_string(da) + " vs " + std::to_string(db) + ")");
    }
  }
  return out;
}

bool BroadcastsTo(const Shape& from, const Shape& to) {
  if (from.rank() > to.rank()) return false;
  int shift = to.rank() - from.rank();
  for (int i = 0; i < from.rank(); ++i) {
    if (from[i] != 1 && from[i] != to[i + shift]) return false;
  }
  return true;
}

std::array<int64_t, Shape::kMaxRank> Strides(const Shape& shape) {
  std::array<int64_t, Shape::kMaxRank> s{};
  int64_t stride = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    s[i] = stride;
    stride *= shape[i];
  }
  return s;
}

std::array<int64_t, Shape::kMaxRank> BroadcastStrides(const Shape& in, const Shape& out) {
  std::array<int64_t, Shape::kMaxRank> s{};
  auto own = Strides(in);
  int shift = out.rank() - in.rank();
  for (int i = 0; i < in.rank(); ++i) s[i + shift] = in[i] == 1 ? 0 : own[i];
  return s;
}

namespace {

StatusOr<std::vector<int64_t>> IntsOf(const TensorView& t, const std::string& what) {
  int64_t n = t.shape.num_elements();
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (t.dtype == DType::kInt64) {
    for (int64_t i = 0; i < n; ++i) out[i] = t.as<const int64_t>()[i];
  } else if (t.dtype == DType::kInt32) {
    for (int64_t i = 0; i < n; ++i) out[i] = t.as<const int32_t>()[i];
  } else {
    return Status::InvalidArgument(what + " has dtype " + DTypeName(t.dtype) + ", expected int64");
  }
  return out;
}

}  // namespace

StatusOr<std::vector<int64_t>> ConstantInts(const ValueInfo& info, const std::string& what) {
  if (info.constant == nullptr) {
    return Status::Unimplemented(what +
                                 " must be a constant known at plan time, but it is computed at "
                                 "run time");
  }
  return IntsOf(info.constant->view(), what);
}

Status RequireFloat(DType dtype, const std::string& what) {
  if (dtype != DType::kFloat32) {
    return Status::Unimplemented(what + " has dtype " + DTypeName(dtype) + ", expected float32");
  }
  return Status::Ok();
}

std::string DimsToString(std::span<const int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace plateau::ops::reference
