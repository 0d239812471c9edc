#include <memory>
#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"

namespace plateau::graph::passes {
namespace {

// The Mul(x, s) that `m` is, read by the Add alone, with s a per-channel gate computed by a node that
// takes element-wise post-ops and read by this Mul alone; x is the Add's other operand.
struct Gate {
  NodeId mul;
  ValueId s;
  NodeId s_producer;
};

bool Matches(const Graph& g, const UseIndex& uses, NodeId add, ValueId m, ValueId x, Gate* gate) {
  const NodeId mul = g.value(m).producer;
  if (!mul.valid() || uses.SoleReader(m) != add) return false;
  const Node& mn = g.node(mul);
  if (mn.removed || mn.op_type != "Mul" || !mn.post_ops.empty() || mn.inputs.size() != 2 ||
      mn.outputs.size() != 1 || mn.outputs[0] != m) {
    return false;
  }
  int xi = -1;
  for (int k = 0; k < 2; ++k) {
    if (mn.inputs[k] == x) xi = k;
  }
  if (xi < 0 || mn.inputs[1 - xi] == x) return false;
  const ValueId s = mn.inputs[1 - xi];
  const Value& xv = g.value(x);
  const Value& sv = g.value(s);
  const Value& mv = g.value(m);
  if (!s.valid() || sv.constant != nullptr || xv.constant != nullptr) return false;
  if (!xv.shape_known || !sv.shape_known || !mv.shape_known || mv.shape != xv.shape) return false;
  if (xv.dtype != DType::kFloat32 || sv.dtype != DType::kFloat32) return false;
  // A gate per channel of an NCHW-like tensor: [N or 1, C, 1, ...].
  const Shape& xs = xv.shape;
  const Shape& ss = sv.shape;
  if (xs.rank() < 3 || ss.rank() != xs.rank() || ss[1] != xs[1] || (ss[0] != xs[0] && ss[0] != 1))
    return false;
  for (int d = 2; d < ss.rank(); ++d) {
    if (ss[d] != 1) return false;
  }
  const NodeId p = sv.producer;
  if (!p.valid() || g.node(p).removed || !HostsPostOps(g.node(p)) || g.node(p).outputs.empty() ||
      g.node(p).outputs[0] != s || uses.SoleReader(s) != mul) {
    return false;
  }
  *gate = Gate{mul, s, p};
  return true;
}

}  // namespace

StatusOr<int> FoldGatedResidual(Graph& g) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  int folded = 0;
  // Rebuilt after each rewrite, which changes who reads what.
  auto uses = std::make_unique<UseIndex>(g);
  for (NodeId add_id : order) {
    const Node& add = g.node(add_id);
    if (add.removed || add.op_type != "Add" || add.inputs.size() != 2 || !add.post_ops.empty() ||
        add.outputs.size() != 1 || !add.outputs[0].valid() || !add.inputs[0].valid() ||
        !add.inputs[1].valid() || add.inputs[0] == add.inputs[1]) {
      continue;
    }
    Gate gate;
    int k = 0;
    while (k < 2 && !Matches(g, *uses, add_id, add.inputs[k], add.inputs[1 - k], &gate)) ++k;
    if (k == 2) continue;
    const ValueId x = add.inputs[1 - k];
    const ValueId end = add.outputs[0];
    g.node(gate.s_producer).post_ops.push_back(MakeEltwise(Eltwise::kLinear, 1.f, 1.f));
    g.node(gate.mul).inputs = {x, gate.s};
    g.RemoveNode(add_id);
    TakeOverOutput(g, gate.mul, end);
    uses = std::make_unique<UseIndex>(g);
    ++folded;
  }
  return folded;
}

}  // namespace plateau::graph::passes
