#include <unordered_map>
#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"

namespace plateau::graph::passes {
namespace {

// True when `v` is computed from an output of node `n` (directly or through other nodes). Reading `v`
// from `n` would then form a cycle.
bool DependsOn(const Graph& g, ValueId v, NodeId n) {
  std::vector<bool> seen(g.num_nodes(), false);
  std::vector<NodeId> stack;
  if (g.value(v).producer.valid()) stack.push_back(g.value(v).producer);
  while (!stack.empty()) {
    const NodeId cur = stack.back();
    stack.pop_back();
    if (cur == n) return true;
    if (seen[cur.index] || g.node(cur).removed) continue;
    seen[cur.index] = true;
    for (ValueId in : g.node(cur).inputs) {
      if (in.valid() && g.value(in).producer.valid()) stack.push_back(g.value(in).producer);
    }
  }
  return false;
}

// Node N producing `a` can absorb Add(a, b) as a sum post-op.
NodeId SumHost(const Graph& g, const UseIndex& uses, const SumHostFilter& also_sum_host, NodeId add,
               ValueId a, ValueId b) {
  const Value& av = g.value(a);
  const Value& bv = g.value(b);
  const NodeId n = av.producer;
  if (!n.valid() || g.node(n).outputs.empty() || g.node(n).outputs[0] != a) return NodeId{};
  if (!HostsPostOps(g.node(n)) && !(also_sum_host && also_sum_host(g, n))) return NodeId{};
  if (uses.SoleReader(a) != add) return NodeId{};
  if (bv.constant != nullptr || !av.shape_known || !bv.shape_known || av.shape != bv.shape) return NodeId{};
  if (av.dtype != DType::kFloat32 || bv.dtype != DType::kFloat32) return NodeId{};
  if (DependsOn(g, b, n)) return NodeId{};
  return n;
}

}  // namespace

StatusOr<int> FuseResidualAdd(Graph& g, const SumHostFilter& also_sum_host) {
  int fused = 0;
  // Each rewrite adds a reader (the host now reads b), so the use index and order are rebuilt after
  // every rewrite; graphs have a handful of residual Adds.
  while (true) {
    PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
    std::vector<int> position(g.num_nodes(), -1);
    for (size_t i = 0; i < order.size(); ++i) position[order[i].index] = static_cast<int>(i);
    UseIndex uses(g);
    bool changed = false;
    for (NodeId add_id : order) {
      const Node& add = g.node(add_id);
      if (add.op_type != "Add" || add.inputs.size() != 2 || !add.post_ops.empty() ||
          add.outputs.size() != 1 || !add.outputs[0].valid() || !add.inputs[0].valid() ||
          !add.inputs[1].valid() || add.inputs[0] == add.inputs[1]) {
        continue;
      }
      const Value& out = g.value(add.outputs[0]);
      NodeId host[2];
      for (int k = 0; k < 2; ++k)
        host[k] = SumHost(g, uses, also_sum_host, add_id, add.inputs[k], add.inputs[1 - k]);
      int pick = -1;
      if (host[0].valid() && host[1].valid()) {
        // Fuse into the producer that runs later: the other operand is then already computed, and no
        // earlier value has to stay alive longer.
        pick = position[host[0].index] > position[host[1].index] ? 0 : 1;
      } else if (host[0].valid()) {
        pick = 0;
      } else if (host[1].valid()) {
        pick = 1;
      }
      if (pick < 0) continue;
      if (out.shape_known && out.shape != g.value(add.inputs[pick]).shape) continue;
      const ValueId b = add.inputs[1 - pick];
      const ValueId end = add.outputs[0];
      const NodeId n = host[pick];
      g.RemoveNode(add_id);
      PostOp sum;
      sum.kind = PostOp::Kind::kSum;
      sum.operand = b;
      g.node(n).post_ops.push_back(sum);
      g.node(n).inputs.push_back(b);
      TakeOverOutput(g, n, end);
      ++fused;
      changed = true;
      break;
    }
    if (!changed) break;
  }
  return fused;
}

}  // namespace plateau::graph::passes
