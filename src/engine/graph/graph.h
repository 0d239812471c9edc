// The engine's own graph IR: Values and Nodes addressed by strong ids, owned by a Graph.
//
// A Graph is built by the ONNX loader (src/engine/model), rewritten by passes (src/engine/graph/passes),
// specialised to one concrete input shape (shape_inference.h) and then planned (src/engine/planner).
// Constants (weights, folded shape tensors) are shared_ptr<const Tensor>, so cloning a Graph to
// specialise it copies no weights.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::graph {

struct ValueId {
  int32_t index = -1;
  bool valid() const { return index >= 0; }
  bool operator==(const ValueId& o) const { return index == o.index; }
  bool operator!=(const ValueId& o) const { return index != o.index; }
  bool operator<(const ValueId& o) const { return index < o.index; }
};

struct NodeId {
  int32_t index = -1;
  bool valid() const { return index >= 0; }
  bool operator==(const NodeId& o) const { return index == o.index; }
  bool operator!=(const NodeId& o) const { return index != o.index; }
  bool operator<(const NodeId& o) const { return index < o.index; }
};

// Memory layout of a value's data. kPlain is row-major in the logical (ONNX) dim order. kNhwc is for
// rank-4 values whose logical shape is NCHW but whose bytes are stored N,H,W,C. kBlocked8 and kBlocked16
// (oneDNN's nChw8c / nChw16c) store N, C/b, H, W, b for rank-4 values whose C is a multiple of the block
// b, so their bytes are exactly as many as the plain ones. The numeric values are the plateau.Reorder
// node's "layout" attribute.
enum class Layout : uint8_t { kPlain = 0, kNhwc = 1, kBlocked8 = 2, kBlocked16 = 3 };

// The channel block of a blocked layout, 0 for the others.
inline int ChannelBlock(Layout layout) {
  return layout == Layout::kBlocked8 ? 8 : layout == Layout::kBlocked16 ? 16 : 0;
}
const char* LayoutName(Layout layout);

struct Value {
  std::string name;
  DType dtype = DType::kFloat32;
  // Concrete when shape_known; for graph inputs before specialisation, -1 marks a dynamic dim.
  Shape shape;
  bool shape_known = false;
  // Set when the value is known at plan time (weights, folded sub-graphs). Such values take no arena
  // space.
  std::shared_ptr<const Tensor> constant;
  NodeId producer;  // invalid for graph inputs and constants
  Layout layout = Layout::kPlain;
};

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::shared_ptr<const Tensor>>;

// Element-wise functions, used both as fused post-ops and by the reference kernels.
//   kRelu:        max(x, 0)
//   kClip:        min(max(x, alpha), beta)
//   kLinear:      alpha * x + beta
//   kHardSigmoid: max(0, min(1, alpha * x + beta))
//   kHardSwish:   x * max(0, min(6, x + 3)) / 6
//   kSigmoid:     1 / (1 + exp(-x))
//   kSwish:       x * sigmoid(alpha * x)
enum class Eltwise : uint8_t { kRelu, kClip, kLinear, kHardSigmoid, kHardSwish, kSigmoid, kSwish };

float ApplyEltwise(Eltwise alg, float alpha, float beta, float x);
const char* EltwiseName(Eltwise alg);

// An operation fused into the node that produces output 0, applied in order after the node's own
// computation.
struct PostOp {
  enum class Kind : uint8_t {
    kEltwise,  // out = f(out)
    kSum,      // out = out + operand (operand has exactly out's shape); a residual connection
  };
  Kind kind = Kind::kEltwise;
  Eltwise alg = Eltwise::kRelu;
  float alpha = 0.f;
  float beta = 0.f;
  ValueId operand;  // kSum only; listed in Node::inputs too, so liveness sees it
};

struct Node {
  std::string name;
  // The ONNX op type, or "plateau.<Name>" for ops the passes create (e.g. plateau.LayerNorm).
  std::string op_type;
  // An invalid id marks an omitted optional input.
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::map<std::string, AttrValue> attrs;
  std::vector<PostOp> post_ops;
  bool removed = false;

  // Attribute accessors: the default when absent; wrong-typed attributes also yield the default (the
  // loader validates types, so this only happens for programmer errors).
  int64_t GetInt(const std::string& name, int64_t dflt) const;
  float GetFloat(const std::string& name, float dflt) const;
  std::string GetString(const std::string& name, const std::string& dflt) const;
  std::vector<int64_t> GetInts(const std::string& name, const std::vector<int64_t>& dflt = {}) const;
  std::vector<float> GetFloats(const std::string& name, const std::vector<float>& dflt = {}) const;
  bool HasAttr(const std::string& name) const { return attrs.count(name) != 0; }
  // "Conv 'p2o.Conv.3'", for error messages.
  std::string Describe() const;
};

class Graph {
 public:
  ValueId AddValue(Value v);
  // Adds a node and sets the producer of each output.
  NodeId AddNode(Node n);
  // Convenience: a new constant value holding `t`.
  ValueId AddConstant(std::string name, std::shared_ptr<const Tensor> t);

  Value& value(ValueId id) { return values_[id.index]; }
  const Value& value(ValueId id) const { return values_[id.index]; }
  Node& node(NodeId id) { return nodes_[id.index]; }
  const Node& node(NodeId id) const { return nodes_[id.index]; }
  size_t num_values() const { return values_.size(); }
  size_t num_nodes() const { return nodes_.size(); }  // including removed ones

  std::vector<ValueId>& inputs() { return inputs_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  std::vector<ValueId>& outputs() { return outputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  int opset() const { return opset_; }
  void set_opset(int opset) { opset_ = opset; }

  // Live (not removed) nodes in an order where every node comes after the producers of its inputs;
  // ties keep insertion order, so the result is deterministic. Fails if the graph has a cycle.
  StatusOr<std::vector<NodeId>> TopologicalOrder() const;
  // For each value (by index), the live nodes that read it, in node order.
  std::vector<std::vector<NodeId>> Consumers() const;
  // Rewires every live node input (and graph output) that reads `from` to read `to` instead.
  void ReplaceAllUses(ValueId from, ValueId to);
  void RemoveNode(NodeId id) { nodes_[id.index].removed = true; }
  // Marks removed every live node none of whose outputs reaches a graph output.
  void RemoveDeadNodes();
  // Finds a value by name; invalid id if absent.
  ValueId FindValue(const std::string& name) const;
  // Deep copy of the structure; constants are shared, not copied.
  Graph Clone() const { return *this; }

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  int opset_ = 0;
};

}  // namespace plateau::graph
