#include <string>

#include "engine/ops/op.h"
#include "engine/ops/reference/common.h"

namespace plateau::ops {

Status ApplyPostOpsReference(const graph::Node& node, std::span<const TensorView> inputs,
                             const TensorView& out) {
  if (node.post_ops.empty()) return Status::Ok();
  if (out.dtype != DType::kFloat32) {
    return Status::Unimplemented(node.Describe() + ": post-ops need a float32 output, got " +
                                 DTypeName(out.dtype));
  }
  float* y = out.as<float>();
  const int64_t n = out.shape.num_elements();
  for (const graph::PostOp& op : node.post_ops) {
    if (op.kind == graph::PostOp::Kind::kEltwise) {
      for (int64_t i = 0; i < n; ++i) y[i] = graph::ApplyEltwise(op.alg, op.alpha, op.beta, y[i]);
      continue;
    }
    size_t index = node.inputs.size();
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] == op.operand) {
        index = i;
        break;
      }
    }
    if (index >= inputs.size()) {
      return Status::Internal(node.Describe() + ": the operand of a sum post-op (value " +
                              std::to_string(op.operand.index) + ") is not among the node's inputs");
    }
    const TensorView& operand = inputs[index];
    if (operand.dtype != DType::kFloat32 || operand.shape != out.shape) {
      return Status::Internal(node.Describe() + ": sum post-op operand is " + DTypeName(operand.dtype) + " " +
                              operand.shape.ToString() + ", expected float32 " + out.shape.ToString());
    }
    const float* x = operand.as<const float>();
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
  }
  return Status::Ok();
}

}  // namespace plateau::ops
