// The op registry: for every op type the engine supports, how to validate it at load, how to infer its
// output shapes for a concrete input shape, and a naive reference kernel.
//
// Reference kernels are readable, slow, plain-layout implementations. They are used for constant
// folding, by the reference executor in tests, and as the yardstick every fast (oneDNN) kernel is
// compared against. No oneDNN here.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/graph/graph.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ops {

// What shape inference knows about one value.
struct ValueInfo {
  DType dtype = DType::kFloat32;
  Shape shape;
  // Non-null when the value's contents are known at plan time. Inference may set it on outputs whose
  // contents follow from input shapes alone (Shape); other constant outputs are computed by folding.
  std::shared_ptr<const Tensor> constant;
};

// Checks attributes and input/output counts of a freshly loaded node against `opset`. Errors name the
// attribute and what was expected (the caller adds the node name).
using ValidateFn = Status (*)(const graph::Node& node, int opset);
// Fills outputs[i].dtype and .shape (outputs.size() == node.outputs.size()). Omitted optional inputs
// appear with an empty ValueInfo and are told apart via node.inputs[i].valid().
using InferFn = Status (*)(const graph::Node& node, std::span<const ValueInfo> inputs,
                           std::span<ValueInfo> outputs);
// Computes outputs from inputs, plain layout, into pre-allocated outputs of the inferred shapes.
// Applies node.post_ops to output 0 (for kSum the operand is also among `inputs`, at the index where
// node.inputs holds it).
using ReferenceFn = Status (*)(const graph::Node& node, std::span<const TensorView> inputs,
                               std::span<const TensorView> outputs);

struct OpDef {
  std::string_view op_type;
  int min_opset = 1;  // supported ONNX opset range (for the default domain)
  int max_opset = 11;
  ValidateFn validate = nullptr;
  InferFn infer = nullptr;
  ReferenceFn reference = nullptr;
  // Output 0 is input 0's bytes under another shape (Reshape, Squeeze, Unsqueeze, Flatten, Identity):
  // the planner makes it an alias and no kernel runs.
  bool is_view = false;
};

// nullptr when the op type is not supported.
const OpDef* FindOp(std::string_view op_type);
// Sorted names of every supported op type, for error messages.
std::vector<std::string> SupportedOps();

// Applies node.post_ops to `out` (plain layout); `inputs` as passed to the reference kernel. Reference
// kernels of ops that take post-ops call this last.
Status ApplyPostOpsReference(const graph::Node& node, std::span<const TensorView> inputs,
                             const TensorView& out);

// ONNX Slice on one axis of length `dim`: negative start/end count from the end, then both are clamped
// as the spec says for the sign of `step` (which must not be 0). Returns the first index taken and how
// many elements are taken (0 when the range is empty). Shared by the reference and the fast kernel.
struct SliceRange {
  int64_t start = 0;
  int64_t count = 0;
};
SliceRange ResolveSliceRange(int64_t dim, int64_t start, int64_t end, int64_t step);

}  // namespace plateau::ops
