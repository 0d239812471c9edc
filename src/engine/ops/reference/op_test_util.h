// Test support: runs one op through validate, infer and its reference kernel, the way the engine does.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/check.h"
#include "engine/graph/graph.h"
#include "engine/ops/op.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ops::testing {

// Aborts on a count mismatch, which is a mistake in the test itself.
inline Tensor MakeTensor(DType dtype, const Shape& shape, const void* data, size_t count) {
  PLATEAU_CHECK(static_cast<int64_t>(count) == shape.num_elements());
  StatusOr<Tensor> t = Tensor::Zeros(dtype, shape);
  PLATEAU_CHECK(t.ok());
  if (data != nullptr && count > 0) std::memcpy(t->data(), data, t->byte_size());
  return std::move(t).value();
}
inline Tensor Floats(const Shape& shape, const std::vector<float>& v) {
  return MakeTensor(DType::kFloat32, shape, v.data(), v.size());
}
inline Tensor Int64s(const Shape& shape, const std::vector<int64_t>& v) {
  return MakeTensor(DType::kInt64, shape, v.data(), v.size());
}
inline Tensor Int32s(const Shape& shape, const std::vector<int32_t>& v) {
  return MakeTensor(DType::kInt32, shape, v.data(), v.size());
}
template <typename T>
std::vector<T> Values(const Tensor& t) {
  const T* p = t.as<const T>();
  return std::vector<T>(p, p + t.shape().num_elements());
}

// One input of the node under test: a runtime tensor, a plan-time constant, or an omitted input.
// Copyable so that tests can list inputs in braces.
struct Input {
  std::shared_ptr<const Tensor> tensor;
  bool constant = false;
  bool present = true;
};
inline Input Runtime(Tensor t) { return Input{std::make_shared<const Tensor>(std::move(t)), false, true}; }
inline Input Constant(Tensor t) { return Input{std::make_shared<const Tensor>(std::move(t)), true, true}; }
inline Input Omitted() { return Input{nullptr, false, false}; }

struct OpRun {
  std::vector<ValueInfo> infos;  // what infer produced
  std::vector<Tensor> outputs;
};

// Builds input/output ids for `node` (input i gets id i; outputs follow), then validates at `opset`,
// infers, allocates the outputs and runs the reference kernel. Post-op operands given in node.post_ops
// must name ids of `inputs`.
inline StatusOr<OpRun> RunOp(graph::Node node, std::vector<Input> inputs, int opset = 11,
                             size_t num_outputs = 1) {
  const OpDef* def = FindOp(node.op_type);
  if (def == nullptr) return Status::NotFound("no op " + node.op_type);
  if (node.name.empty()) node.name = "test";
  const bool keep_inputs = !node.inputs.empty();
  if (!keep_inputs) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      node.inputs.push_back(inputs[i].present ? graph::ValueId{static_cast<int32_t>(i)} : graph::ValueId{});
    }
  }
  node.outputs.clear();
  for (size_t i = 0; i < num_outputs; ++i) {
    node.outputs.push_back(graph::ValueId{static_cast<int32_t>(inputs.size() + i)});
  }
  PLATEAU_RETURN_IF_ERROR(def->validate(node, opset));
  std::vector<ValueInfo> in_infos(inputs.size());
  std::vector<TensorView> in_views(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].present) continue;
    in_infos[i].dtype = inputs[i].tensor->dtype();
    in_infos[i].shape = inputs[i].tensor->shape();
    if (inputs[i].constant) in_infos[i].constant = inputs[i].tensor;
    in_views[i] = inputs[i].tensor->view();
  }
  OpRun run;
  run.infos.resize(num_outputs);
  PLATEAU_RETURN_IF_ERROR(def->infer(node, in_infos, run.infos));
  std::vector<TensorView> out_views;
  for (const ValueInfo& info : run.infos) {
    PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(info.dtype, info.shape));
    run.outputs.push_back(std::move(t));
    out_views.push_back(run.outputs.back().view());
  }
  PLATEAU_RETURN_IF_ERROR(def->reference(node, in_views, out_views));
  return run;
}

inline graph::Node MakeNode(const std::string& op_type, std::map<std::string, graph::AttrValue> attrs = {}) {
  graph::Node n;
  n.name = std::string(1, 'n');
  n.op_type = op_type;
  n.attrs = std::move(attrs);
  return n;
}

}  // namespace plateau::ops::testing
