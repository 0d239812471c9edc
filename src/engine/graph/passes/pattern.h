// Small pattern-matching helpers shared by the passes. Internal to src/engine/graph/passes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/graph/graph.h"
#include "plateau/tensor.h"

namespace plateau::graph::passes {

// Who reads each value, as a snapshot of the graph. Queries skip nodes removed since the snapshot, so
// it stays valid while a pass only removes nodes; rebuild it after adding a reader to a value.
class UseIndex {
 public:
  explicit UseIndex(const Graph& g);

  // Distinct live nodes that read `v` (a node reading it twice is listed once).
  std::vector<NodeId> Readers(ValueId v) const;
  bool IsGraphOutput(ValueId v) const {
    return v.valid() && static_cast<size_t>(v.index) < is_output_.size() && is_output_[v.index];
  }
  // The one node reading `v`, when exactly one node does and `v` is not a graph output; else invalid.
  NodeId SoleReader(ValueId v) const;

 private:
  const Graph& g_;
  std::vector<std::vector<NodeId>> readers_;
  std::vector<bool> is_output_;
};

// The constant tensor behind `v`, or nullptr (also for an invalid id).
const Tensor* ConstantOf(const Graph& g, ValueId v);

// The value of a float constant with exactly one element whose rank is at most `max_rank` (so
// broadcasting it cannot raise the rank of the other operand).
std::optional<float> ScalarConstant(const Graph& g, ValueId v, int max_rank);

// For a two-input node reading `v` exactly once, the other input; invalid otherwise.
ValueId OtherInput(const Node& n, ValueId v);

// Index of `v` among n.inputs, or -1.
int InputIndex(const Node& n, ValueId v);

// A new float constant tensor.
std::shared_ptr<const Tensor> MakeFloatTensor(const Shape& shape, const std::vector<float>& values);

bool IsConvLike(const Node& n);  // Conv or ConvTranspose
// Conv, ConvTranspose or MatMul: the nodes whose kernels apply post-ops (activations, sums).
bool HostsPostOps(const Node& n);

// PostOp{kEltwise, alg, alpha, beta}.
PostOp MakeEltwise(Eltwise alg, float alpha = 0.f, float beta = 0.f);

// Clip bounds: from constant inputs 1 and 2 (opset 11) or the min/max attributes (earlier opsets);
// a missing bound is the float limit. nullopt when a bound input is not a one-element constant.
struct ClipBounds {
  float min;
  float max;
};
std::optional<ClipBounds> ClipBoundsOf(const Graph& g, const Node& clip);

// Rewires: `n` now produces `end` as its output 0; the old output 0 is left without a producer.
void TakeOverOutput(Graph& g, NodeId n, ValueId end);

}  // namespace plateau::graph::passes
