// Data-movement and shape ops: Concat, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Shape,
// Cast, Gather and plateau.Reorder. They work on any dtype (shape arithmetic runs on int64/int32).

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

const char* ByteAt(const TensorView& t, int64_t element) {
  return static_cast<const char*>(t.data) + element * static_cast<int64_t>(DTypeSize(t.dtype));
}

// Copies input 0 to output 0 unless they already share memory (view ops run only when not aliased).
Status CopyInputToOutput(const TensorView& in, const TensorView& out) {
  if (in.byte_size() != out.byte_size()) {
    return Status::Internal("view op copies " + std::to_string(in.byte_size()) + " bytes into a buffer of " +
                            std::to_string(out.byte_size()));
  }
  if (out.data != in.data && in.byte_size() > 0) std::memmove(out.data, in.data, in.byte_size());
  return Status::Ok();
}

Status ReferenceCopy(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  return CopyInputToOutput(in[0], out[0]);
}

// Axes from the attribute (older opsets) or from constant input 1 (opset 13).
StatusOr<std::vector<int64_t>> AxesOf(const Node& node, std::span<const ValueInfo> in) {
  if (HasInput(node, 1)) return ConstantInts(in[1], "axes");
  std::span<const int64_t> axes = AttrInts(node, "axes");
  return std::vector<int64_t>(axes.begin(), axes.end());
}

// ---------------------------------------------------------------------------------------------------
// Concat

Status ValidateConcat(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 1 << 20, 1));
  for (size_t i = 0; i < OwnInputCount(node); ++i) {
    if (!node.inputs[i].valid()) return Status::InvalidArgument("input " + std::to_string(i) + " is missing");
  }
  if (!HasAttribute(node, "axis")) return Status::InvalidArgument("attribute axis is required");
  return Status::Ok();
}

Status InferConcat(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const size_t n = OwnInputCount(node);
  const Shape& first = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(AttrInt(node, "axis", 0), first.rank(), "axis"));
  Shape y = first;
  for (size_t i = 1; i < n; ++i) {
    const Shape& s = in[i].shape;
    if (in[i].dtype != in[0].dtype) {
      return Status::InvalidArgument("input " + std::to_string(i) + " has dtype " + DTypeName(in[i].dtype) +
                                     ", expected " + DTypeName(in[0].dtype) + " like input 0");
    }
    bool same = s.rank() == first.rank();
    for (int d = 0; same && d < s.rank(); ++d) same = d == axis || s[d] == first[d];
    if (!same) {
      return Status::InvalidArgument("input " + std::to_string(i) + " has shape " + s.ToString() +
                                     ", which does not match input 0 (" + first.ToString() +
                                     ") outside axis " + std::to_string(axis));
    }
    y[axis] += s[axis];
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(y, "output"));
  out[0].dtype = in[0].dtype;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceConcat(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const size_t n = OwnInputCount(node);
  const Shape& ys = out[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(AttrInt(node, "axis", 0), ys.rank(), "axis"));
  const int64_t elem = static_cast<int64_t>(DTypeSize(out[0].dtype));
  const int64_t outer = CheckedProduct(ys, 0, axis).value();
  const int64_t out_row = CheckedProduct(ys, axis, ys.rank()).value() * elem;
  char* dst = static_cast<char*>(out[0].data);
  int64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t row = CheckedProduct(in[i].shape, axis, in[i].shape.rank()).value() * elem;
    const char* src = static_cast<const char*>(in[i].data);
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row + offset, src + o * row, row);
    offset += row;
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Reshape: 0 copies the input dim at the same index, -1 takes the remaining size.

Status ValidateReshape(const Node& node, int opset) {
  if (opset < 5) return Status::Unimplemented("Reshape with a shape attribute (opset < 5) is not supported");
  if (AttrInt(node, "allowzero", 0) != 0) {
    return Status::Unimplemented(
        "Reshape allowzero=1 is not supported (expected 0: a 0 copies the input dim)");
  }
  return CheckArity(node, 2, 2, 1);
}

Status InferReshape(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<int64_t> target, ConstantInts(in[1], "shape (input 1)"));
  const Shape& x = in[0].shape;
  std::vector<int64_t> dims = target;
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) {
      if (static_cast<int>(i) >= x.rank()) {
        return Status::InvalidArgument("shape " + DimsToString(target) + " has 0 at index " +
                                       std::to_string(i) + ", beyond the input's rank " +
                                       std::to_string(x.rank()));
      }
      dims[i] = x[static_cast<int>(i)];
    }
    if (dims[i] == -1) {
      if (inferred >= 0)
        return Status::InvalidArgument("shape " + DimsToString(target) + " has more than one -1");
      inferred = static_cast<int>(i);
      continue;
    }
    if (dims[i] < 0) {
      return Status::InvalidArgument("shape " + DimsToString(target) + " has a negative dim other than -1");
    }
    PLATEAU_ASSIGN_OR_RETURN(known, CheckedMul(known, dims[i]));
  }
  const int64_t total = x.num_elements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      return Status::InvalidArgument("cannot reshape " + x.ToString() + " (" + std::to_string(total) +
                                     " elements) to " + DimsToString(target));
    }
    dims[inferred] = total / known;
  } else if (known != total) {
    return Status::InvalidArgument("cannot reshape " + x.ToString() + " (" + std::to_string(total) +
                                   " elements) to " + DimsToString(target) + " (" + std::to_string(known) +
                                   " elements)");
  }
  PLATEAU_ASSIGN_OR_RETURN(out[0].shape, MakeShape(dims));
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(out[0].shape, "output"));
  out[0].dtype = in[0].dtype;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// Flatten

Status ValidateFlatten(const Node& node, int opset) { return CheckArity(node, 1, 1, 1); }

Status InferFlatten(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const Shape& x = in[0].shape;
  // Unlike most axes, axis may equal the rank (everything goes to the first dim).
  const int64_t axis_attr = AttrInt(node, "axis", 1);
  if (axis_attr < -x.rank() || axis_attr > x.rank()) {
    return Status::InvalidArgument("axis " + std::to_string(axis_attr) + " is out of range for rank " +
                                   std::to_string(x.rank()) + " (expected [" + std::to_string(-x.rank()) +
                                   ", " + std::to_string(x.rank()) + "])");
  }
  const int axis = static_cast<int>(axis_attr < 0 ? axis_attr + x.rank() : axis_attr);
  PLATEAU_ASSIGN_OR_RETURN(int64_t outer, CheckedProduct(x, 0, axis));
  PLATEAU_ASSIGN_OR_RETURN(int64_t inner, CheckedProduct(x, axis, x.rank()));
  out[0].dtype = in[0].dtype;
  out[0].shape = Shape{outer, inner};
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// Squeeze / Unsqueeze: axes is an attribute before opset 13 and a constant input from 13 on.

Status ValidateAxesForm(const Node& node, int opset, bool required) {
  if (opset < 13) {
    PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
    if (required && !HasAttribute(node, "axes")) return Status::InvalidArgument("attribute axes is required");
    return Status::Ok();
  }
  if (HasAttribute(node, "axes")) {
    return Status::InvalidArgument("from opset 13 axes is an input, not an attribute");
  }
  return CheckArity(node, required ? 2 : 1, 2, 1);
}
Status ValidateSqueeze(const Node& node, int opset) { return ValidateAxesForm(node, opset, false); }
Status ValidateUnsqueeze(const Node& node, int opset) { return ValidateAxesForm(node, opset, true); }

Status InferSqueeze(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const Shape& x = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOf(node, in));
  std::vector<bool> drop(static_cast<size_t>(x.rank()), false);
  if (axes.empty() && !HasInput(node, 1) && !HasAttribute(node, "axes")) {
    for (int i = 0; i < x.rank(); ++i) drop[i] = x[i] == 1;
  }
  for (int64_t a : axes) {
    PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(a, x.rank(), "axes entry"));
    if (x[axis] != 1) {
      return Status::InvalidArgument("cannot squeeze dim " + std::to_string(axis) + " of " + x.ToString() +
                                     ": its size is not 1");
    }
    drop[axis] = true;
  }
  Shape y;
  for (int i = 0; i < x.rank(); ++i) {
    if (!drop[i]) y.push_back(x[i]);
  }
  out[0].dtype = in[0].dtype;
  out[0].shape = y;
  return Status::Ok();
}

Status InferUnsqueeze(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const Shape& x = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOf(node, in));
  const int rank = x.rank() + static_cast<int>(axes.size());
  if (rank > Shape::kMaxRank) {
    return Status::Unimplemented("unsqueezed rank " + std::to_string(rank) + " exceeds the maximum of " +
                                 std::to_string(Shape::kMaxRank));
  }
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(a, rank, "axes entry"));
    if (inserted[axis]) return Status::InvalidArgument("axes " + DimsToString(axes) + " repeats an axis");
    inserted[axis] = true;
  }
  Shape y;
  int next = 0;
  for (int i = 0; i < rank; ++i) y.push_back(inserted[i] ? 1 : x[next++]);
  out[0].dtype = in[0].dtype;
  out[0].shape = y;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// Transpose

Status ValidateTranspose(const Node& node, int opset) { return CheckArity(node, 1, 1, 1); }

using DimArray = std::array<int64_t, Shape::kMaxRank>;

// The permutation, checked; runs inside the kernel, so it lives in a fixed array.
StatusOr<DimArray> PermOf(const Node& node, int rank) {
  DimArray perm{};
  if (!HasAttribute(node, "perm")) {
    for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
    return perm;
  }
  std::span<const int64_t> attr = AttrInts(node, "perm");
  if (static_cast<int>(attr.size()) != rank) {
    return Status::InvalidArgument("perm " + DimsToString(attr) + " has " + std::to_string(attr.size()) +
                                   " entries, expected " + std::to_string(rank) + " (the input rank)");
  }
  uint32_t seen = 0;
  for (int i = 0; i < rank; ++i) {
    const int64_t p = attr[i];
    if (p < 0 || p >= rank || ((seen >> p) & 1)) {
      return Status::InvalidArgument("perm " + DimsToString(attr) + " is not a permutation of 0.." +
                                     std::to_string(rank - 1));
    }
    seen |= uint32_t{1} << p;
    perm[i] = p;
  }
  return perm;
}

Status InferTranspose(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const Shape& x = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(DimArray perm, PermOf(node, x.rank()));
  Shape y = x;
  for (int i = 0; i < x.rank(); ++i) y[i] = x[static_cast<int>(perm[i])];
  out[0].dtype = in[0].dtype;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceTranspose(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(DimArray perm, PermOf(node, xs.rank()));
  const auto in_strides = Strides(xs);
  DimArray strides{};
  for (int i = 0; i < xs.rank(); ++i) strides[i] = in_strides[perm[i]];
  const size_t elem = DTypeSize(in[0].dtype);
  char* dst = static_cast<char*>(out[0].data);
  IndexCounter it(out[0].shape);
  for (int64_t i = 0; i < out[0].shape.num_elements(); ++i, it.Next()) {
    std::memcpy(dst + i * elem, ByteAt(in[0], it.Offset(strides)), elem);
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Slice: attributes starts/ends/axes before opset 10; inputs starts, ends[, axes[, steps]] from 10 on.

Status ValidateSlice(const Node& node, int opset) {
  if (opset < 10) {
    PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
    if (!HasAttribute(node, "starts") || !HasAttribute(node, "ends")) {
      return Status::InvalidArgument("Slice before opset 10 needs attributes starts and ends");
    }
    return Status::Ok();
  }
  if (HasAttribute(node, "starts") || HasAttribute(node, "ends") || HasAttribute(node, "axes")) {
    return Status::InvalidArgument("from opset 10 Slice takes starts/ends/axes as inputs, not attributes");
  }
  return CheckArity(node, 3, 5, 1);
}

// A starts/ends/axes/steps list. Each names at most one entry per dim, so a fixed array holds it.
struct SliceList {
  DimArray v{};
  int size = 0;
  bool present = false;
  std::span<const int64_t> span() const { return {v.data(), static_cast<size_t>(size)}; }
};

Status FillList(std::span<const int64_t> values, const char* what, SliceList* list) {
  if (values.size() > static_cast<size_t>(Shape::kMaxRank)) {
    return Status::InvalidArgument(std::string(what) + " has " + std::to_string(values.size()) +
                                   " entries, more than any supported rank");
  }
  list->size = static_cast<int>(values.size());
  list->present = true;
  std::copy(values.begin(), values.end(), list->v.begin());
  return Status::Ok();
}

Status FillList(const TensorView& t, const char* what, SliceList* list) {
  PLATEAU_RETURN_IF_ERROR(RequireInts(t, what));
  const int64_t n = t.shape.num_elements();
  if (n > Shape::kMaxRank) {
    return Status::InvalidArgument(std::string(what) + " has " + std::to_string(n) +
                                   " entries, more than any supported rank");
  }
  list->size = static_cast<int>(n);
  list->present = true;
  for (int64_t i = 0; i < n; ++i) list->v[i] = IntAt(t, i);
  return Status::Ok();
}

struct SliceParams {
  SliceList starts, ends, axes, steps;
};

// Per-dim start and step plus the output shape, after clamping as ONNX specifies.
struct SliceGeometry {
  DimArray start{};
  DimArray step{};
  Shape out;
};

StatusOr<SliceGeometry> MakeSliceGeometry(const Shape& x, SliceParams p) {
  const int n = p.starts.size;
  if (!p.axes.present) {
    p.axes.size = n;
    for (int i = 0; i < n; ++i) p.axes.v[i] = i;
  }
  if (!p.steps.present) {
    p.steps.size = n;
    for (int i = 0; i < n; ++i) p.steps.v[i] = 1;
  }
  if (p.ends.size != n || p.axes.size != n || p.steps.size != n) {
    return Status::InvalidArgument("starts " + DimsToString(p.starts.span()) + ", ends " +
                                   DimsToString(p.ends.span()) + ", axes " + DimsToString(p.axes.span()) +
                                   " and steps " + DimsToString(p.steps.span()) + " differ in length");
  }
  SliceGeometry g;
  g.out = x;
  for (int d = 0; d < x.rank(); ++d) g.step[d] = 1;
  uint32_t seen = 0;
  for (int i = 0; i < n; ++i) {
    PLATEAU_ASSIGN_OR_RETURN(int d, NormalizeAxis(p.axes.v[i], x.rank(), "axes entry"));
    if ((seen >> d) & 1) {
      return Status::InvalidArgument("axes " + DimsToString(p.axes.span()) + " repeats an axis");
    }
    seen |= uint32_t{1} << d;
    const int64_t dim = x[d];
    const int64_t step = p.steps.v[i];
    if (step == 0) return Status::InvalidArgument("steps " + DimsToString(p.steps.span()) + " contains 0");
    const SliceRange range = ResolveSliceRange(dim, p.starts.v[i], p.ends.v[i], step);
    const int64_t start = range.start, count = range.count;
    if (count <= 0) {
      return Status::Unimplemented("Slice of " + x.ToString() + " along axis " + std::to_string(d) +
                                   " from " + std::to_string(p.starts.v[i]) + " to " +
                                   std::to_string(p.ends.v[i]) +
                                   " is empty; empty tensors are not supported");
    }
    g.start[d] = start;
    g.step[d] = step;
    g.out[d] = count;
  }
  return g;
}

// Reads the attribute form, or the input form with `input(i)` giving the TensorView of input i (or
// an error when it cannot be read).
template <typename InputFn>
StatusOr<SliceParams> ReadSliceParams(const Node& node, InputFn input) {
  SliceParams p;
  if (OwnInputCount(node) == 1) {
    PLATEAU_RETURN_IF_ERROR(FillList(AttrInts(node, "starts"), "starts", &p.starts));
    PLATEAU_RETURN_IF_ERROR(FillList(AttrInts(node, "ends"), "ends", &p.ends));
    if (HasAttribute(node, "axes"))
      PLATEAU_RETURN_IF_ERROR(FillList(AttrInts(node, "axes"), "axes", &p.axes));
    return p;
  }
  static constexpr const char* kNames[] = {"", "starts", "ends", "axes", "steps"};
  SliceList* lists[] = {nullptr, &p.starts, &p.ends, &p.axes, &p.steps};
  for (size_t i = 1; i <= 4; ++i) {
    if (!HasInput(node, i)) continue;
    PLATEAU_ASSIGN_OR_RETURN(TensorView t, input(i, kNames[i]));
    PLATEAU_RETURN_IF_ERROR(FillList(t, kNames[i], lists[i]));
  }
  return p;
}

Status InferSlice(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  auto input = [&](size_t i, const char* what) -> StatusOr<TensorView> {
    if (in[i].constant == nullptr) {
      return Status::Unimplemented(std::string(what) +
                                   " must be a constant known at plan time, but it is computed at run time");
    }
    return in[i].constant->view();
  };
  PLATEAU_ASSIGN_OR_RETURN(SliceParams p, ReadSliceParams(node, input));
  PLATEAU_ASSIGN_OR_RETURN(SliceGeometry g, MakeSliceGeometry(in[0].shape, p));
  out[0].dtype = in[0].dtype;
  out[0].shape = g.out;
  return Status::Ok();
}

Status ReferenceSlice(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  auto input = [&](size_t i, const char*) -> StatusOr<TensorView> { return in[i]; };
  PLATEAU_ASSIGN_OR_RETURN(SliceParams p, ReadSliceParams(node, input));
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(SliceGeometry g, MakeSliceGeometry(xs, p));
  const auto strides = Strides(xs);
  const size_t elem = DTypeSize(in[0].dtype);
  char* dst = static_cast<char*>(out[0].data);
  IndexCounter it(g.out);
  for (int64_t i = 0; i < g.out.num_elements(); ++i, it.Next()) {
    int64_t off = 0;
    for (int d = 0; d < xs.rank(); ++d) off += (g.start[d] + it.index()[d] * g.step[d]) * strides[d];
    std::memcpy(dst + i * elem, ByteAt(in[0], off), elem);
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Shape: its contents follow from the input shape, so inference also sets them as a constant.

Status ValidateShape(const Node& node, int opset) { return CheckArity(node, 1, 1, 1); }

Status InferShape(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const Shape& x = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(DType::kInt64, Shape{x.rank()}));
  for (int i = 0; i < x.rank(); ++i) t.as<int64_t>()[i] = x[i];
  out[0].dtype = DType::kInt64;
  out[0].shape = Shape{x.rank()};
  out[0].constant = std::make_shared<const Tensor>(std::move(t));
  return Status::Ok();
}

Status ReferenceShape(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  for (int i = 0; i < in[0].shape.rank(); ++i) out[0].as<int64_t>()[i] = in[0].shape[i];
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// Cast between float32, int32, int64 and uint8 (ONNX TensorProto codes 1, 6, 7, 2).

StatusOr<DType> CastTarget(const Node& node) {
  switch (AttrInt(node, "to", -1)) {
    case 1:
      return DType::kFloat32;
    case 2:
      return DType::kUInt8;
    case 6:
      return DType::kInt32;
    case 7:
      return DType::kInt64;
    default:
      return Status::Unimplemented("Cast to type " + std::to_string(AttrInt(node, "to", -1)) +
                                   " is not supported (expected 1 float, 2 uint8, 6 int32 or 7 int64)");
  }
}

Status ValidateCast(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
  return CastTarget(node).status();
}

Status InferCast(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_ASSIGN_OR_RETURN(out[0].dtype, CastTarget(node));
  out[0].shape = in[0].shape;
  return Status::Ok();
}

template <typename From, typename To>
void CastValues(const TensorView& in, const TensorView& out) {
  const From* x = in.as<const From>();
  To* y = out.as<To>();
  for (int64_t i = 0; i < in.shape.num_elements(); ++i) y[i] = static_cast<To>(x[i]);
}

template <typename From>
void CastFrom(const TensorView& in, const TensorView& out) {
  switch (out.dtype) {
    case DType::kFloat32:
      CastValues<From, float>(in, out);
      break;
    case DType::kInt32:
      CastValues<From, int32_t>(in, out);
      break;
    case DType::kInt64:
      CastValues<From, int64_t>(in, out);
      break;
    case DType::kUInt8:
      CastValues<From, uint8_t>(in, out);
      break;
  }
}

Status ReferenceCast(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  switch (in[0].dtype) {
    case DType::kFloat32:
      CastFrom<float>(in[0], out[0]);
      break;
    case DType::kInt32:
      CastFrom<int32_t>(in[0], out[0]);
      break;
    case DType::kInt64:
      CastFrom<int64_t>(in[0], out[0]);
      break;
    case DType::kUInt8:
      CastFrom<uint8_t>(in[0], out[0]);
      break;
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Gather

Status ValidateGather(const Node& node, int opset) { return CheckArity(node, 2, 2, 1); }

Status CheckIndices(const TensorView& indices, int64_t dim) {
  PLATEAU_RETURN_IF_ERROR(RequireInts(indices, "indices"));
  for (int64_t k = 0; k < indices.shape.num_elements(); ++k) {
    const int64_t i = IntAt(indices, k);
    if (i < -dim || i >= dim) {
      return Status::OutOfRange("index " + std::to_string(i) + " is out of range for a dim of size " +
                                std::to_string(dim));
    }
  }
  return Status::Ok();
}

Status InferGather(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  const Shape& x = in[0].shape;
  const Shape& idx = in[1].shape;
  if (in[1].dtype != DType::kInt64 && in[1].dtype != DType::kInt32) {
    return Status::InvalidArgument(std::string("indices have dtype ") + DTypeName(in[1].dtype) +
                                   ", expected int64 or int32");
  }
  if (x.rank() == 0) return Status::InvalidArgument("data is a scalar, expected rank >= 1");
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(AttrInt(node, "axis", 0), x.rank(), "axis"));
  if (x.rank() - 1 + idx.rank() > Shape::kMaxRank) {
    return Status::Unimplemented("Gather output rank exceeds the maximum of " +
                                 std::to_string(Shape::kMaxRank));
  }
  if (in[1].constant != nullptr) {
    PLATEAU_RETURN_IF_ERROR(CheckIndices(in[1].constant->view(), x[axis]));
  }
  Shape y;
  for (int i = 0; i < axis; ++i) y.push_back(x[i]);
  for (int i = 0; i < idx.rank(); ++i) y.push_back(idx[i]);
  for (int i = axis + 1; i < x.rank(); ++i) y.push_back(x[i]);
  out[0].dtype = in[0].dtype;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceGather(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(AttrInt(node, "axis", 0), xs.rank(), "axis"));
  const TensorView& indices = in[1];
  PLATEAU_RETURN_IF_ERROR(CheckIndices(indices, xs[axis]));
  const int64_t outer = CheckedProduct(xs, 0, axis).value();
  const int64_t inner_bytes =
      CheckedProduct(xs, axis + 1, xs.rank()).value() * static_cast<int64_t>(DTypeSize(in[0].dtype));
  const char* src = static_cast<const char*>(in[0].data);
  char* dst = static_cast<char*>(out[0].data);
  const int64_t n = indices.shape.num_elements();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = IntAt(indices, k) < 0 ? IntAt(indices, k) + xs[axis] : IntAt(indices, k);
      std::memcpy(dst + (o * n + k) * inner_bytes, src + (o * xs[axis] + i) * inner_bytes, inner_bytes);
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// plateau.Reorder: changes the memory layout only; reference execution is always plain, so it copies.

Status ValidateReorder(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
  const int64_t layout = AttrInt(node, "layout", 0);
  if (layout < 0 || layout > 3) {
    return Status::InvalidArgument("layout " + std::to_string(layout) +
                                   " is unknown (expected 0 plain, 1 NHWC, 2 nChw8c or 3 nChw16c)");
  }
  return Status::Ok();
}

Status InferReorder(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  if (AttrInt(node, "layout", 0) != 0 && in[0].shape.rank() != 4) {
    return Status::InvalidArgument("NHWC and blocked layouts need a rank-4 value, got " +
                                   in[0].shape.ToString());
  }
  out[0].dtype = in[0].dtype;
  out[0].shape = in[0].shape;
  return Status::Ok();
}

constexpr OpDef kShapeOps[] = {
    {"Concat", 4, kMaxOpset, &ValidateConcat, &InferConcat, &ReferenceConcat},
    {"Reshape", 5, kMaxOpset, &ValidateReshape, &InferReshape, &ReferenceCopy, /*is_view=*/true},
    {"Flatten", 1, kMaxOpset, &ValidateFlatten, &InferFlatten, &ReferenceCopy, /*is_view=*/true},
    {"Squeeze", 1, kMaxOpset, &ValidateSqueeze, &InferSqueeze, &ReferenceCopy, /*is_view=*/true},
    {"Unsqueeze", 1, kMaxOpset, &ValidateUnsqueeze, &InferUnsqueeze, &ReferenceCopy, /*is_view=*/true},
    {"Transpose", 1, kMaxOpset, &ValidateTranspose, &InferTranspose, &ReferenceTranspose},
    {"Slice", 1, kMaxOpset, &ValidateSlice, &InferSlice, &ReferenceSlice},
    {"Shape", 1, kMaxOpset, &ValidateShape, &InferShape, &ReferenceShape},
    {"Cast", 6, kMaxOpset, &ValidateCast, &InferCast, &ReferenceCast},
    {"Gather", 1, kMaxOpset, &ValidateGather, &InferGather, &ReferenceGather},
    {"plateau.Reorder", kInternalMinOpset, kInternalMaxOpset, &ValidateReorder, &InferReorder,
     &ReferenceCopy},
};

}  // namespace

std::span<const OpDef> ShapeOps() { return kShapeOps; }

}  // namespace plateau::ops::reference

namespace plateau::ops {

SliceRange ResolveSliceRange(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  SliceRange r;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    r.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    // Walking backwards the first index can be the last element and the end can sit before element 0.
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    r.count = start > end ? (start - end - step - 1) / -step : 0;
  }
  r.start = start;
  return r;
}

}  // namespace plateau::ops
