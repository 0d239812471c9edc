// Helpers shared by the op definitions in this folder: input/attribute checks, axis normalisation,
// broadcasting, overflow-safe shape arithmetic and plain-layout indexing. Internal to src/engine/ops.
//
// Contract of the reference kernels built on these: on success they do not touch the heap (a Session
// with reference kernels reaches zero allocations per steady-state run); only error paths build strings.
// validate/infer run at plan time and may allocate.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/graph/graph.h"
#include "engine/ops/op.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ops::reference {

// Attribute access that never allocates, for reference kernels, which run on the steady-state path
// (graph::Node's getters take std::string names and return copies). Defaults apply when the attribute
// is absent or has another type.
const graph::AttrValue* FindAttr(const graph::Node& node, std::string_view name);
inline bool HasAttribute(const graph::Node& node, std::string_view name) {
  return FindAttr(node, name) != nullptr;
}
int64_t AttrInt(const graph::Node& node, std::string_view name, int64_t dflt);
float AttrFloat(const graph::Node& node, std::string_view name, float dflt);
std::string_view AttrString(const graph::Node& node, std::string_view name, std::string_view dflt);
// Empty when absent.
std::span<const int64_t> AttrInts(const graph::Node& node, std::string_view name);

// Element i of an int64/int32 tensor (the caller checked the dtype) and of a float32 tensor.
int64_t IntAt(const TensorView& t, int64_t i);
inline float FloatAt(const TensorView& t, int64_t i) { return t.as<const float>()[i]; }
// Fails unless `t` holds int64 or int32; `what` names it.
Status RequireInts(const TensorView& t, const std::string& what);

// Highest default-domain opset any op here is checked against.
inline constexpr int kMaxOpset = 13;
// Opset range given to the engine's own "plateau.*" ops, which ignore the model's opset.
inline constexpr int kInternalMinOpset = 1;
inline constexpr int kInternalMaxOpset = 1000;

// The number of node.inputs that belong to the op itself: node.inputs minus the trailing entries that
// are operands of kSum post-ops (fusion appends them after the op's own inputs).
size_t OwnInputCount(const graph::Node& node);
// Whether own input `i` is present (listed and not an omitted optional input).
bool HasInput(const graph::Node& node, size_t i);

// Fails unless min <= OwnInputCount(node) <= max and input 0..min-1 are present.
Status CheckInputs(const graph::Node& node, size_t min, size_t max);
// Fails unless node.outputs.size() == n.
Status CheckOutputs(const graph::Node& node, size_t n);
// CheckInputs + CheckOutputs; the usual body of a validate function.
Status CheckArity(const graph::Node& node, size_t min_in, size_t max_in, size_t outputs);

// Maps axis in [-rank, rank) to [0, rank); `what` names the attribute in the error.
StatusOr<int> NormalizeAxis(int64_t axis, int rank, const std::string& what);
// a * b for non-negative dims; fails instead of overflowing.
StatusOr<int64_t> CheckedMul(int64_t a, int64_t b);
// Product of dims [begin, end) of `shape`, overflow-checked.
StatusOr<int64_t> CheckedProduct(const Shape& shape, int begin, int end);
// Fails unless every dim is > 0; `what` names the tensor (e.g. "output").
Status CheckPositiveDims(const Shape& shape, const std::string& what);
// Shape from a vector of dims (fails beyond Shape::kMaxRank).
StatusOr<Shape> MakeShape(const std::vector<int64_t>& dims);

// numpy-style broadcast of two shapes (right-aligned; dims equal or one of them 1).
StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b);
// Whether `from` broadcasts to exactly `to`.
bool BroadcastsTo(const Shape& from, const Shape& to);

// Row-major element strides of `shape`.
std::array<int64_t, Shape::kMaxRank> Strides(const Shape& shape);
// Strides for reading `in` while iterating over `out` (right-aligned; 0 where `in` is broadcast).
// Requires BroadcastsTo(in, out).
std::array<int64_t, Shape::kMaxRank> BroadcastStrides(const Shape& in, const Shape& out);

// Iterates the multi-index of a shape in row-major order; Next() returns false after the last one.
class IndexCounter {
 public:
  explicit IndexCounter(const Shape& shape) : shape_(shape) { index_.fill(0); }
  const std::array<int64_t, Shape::kMaxRank>& index() const { return index_; }
  bool Next() {
    for (int d = shape_.rank() - 1; d >= 0; --d) {
      if (++index_[d] < shape_[d]) return true;
      index_[d] = 0;
    }
    return false;
  }
  int64_t Offset(const std::array<int64_t, Shape::kMaxRank>& strides) const {
    int64_t off = 0;
    for (int d = 0; d < shape_.rank(); ++d) off += index_[d] * strides[d];
    return off;
  }

 private:
  Shape shape_;
  std::array<int64_t, Shape::kMaxRank> index_;
};

// Integer contents of a constant int64/int32 value, e.g. a shape or axes input. Fails (naming `what`)
// when the value is not constant at plan time or has another dtype.
StatusOr<std::vector<int64_t>> ConstantInts(const ValueInfo& info, const std::string& what);

// Fails unless `dtype` is float32; `what` names the input.
Status RequireFloat(DType dtype, const std::string& what);

// "1x2x3" style text for dims lists in messages.
std::string DimsToString(std::span<const int64_t> dims);

}  // namespace plateau::ops::reference
