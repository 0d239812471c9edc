#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"

namespace plateau::graph::passes {
namespace {

// The Mul(x, s) that `m` is, read by the Add alone, with s a per-channel gate computed by a node that
// takes element-wise post-ops and read by this Mul alone; x is then the Add's other operand.
struct Gate {
  NodeId mul;
  ValueId x;
  ValueId s;
  NodeId s_producer;
};

bool TakesPostOps(const Node& n) { return IsConvLike(n) || n.op_type == "MatMul"; }

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
  if (!p.valid() || g.node(p).removed || !TakesPostOps(g.node(p)) || g.node(p).outputs.empty() ||
      g.node(p).outputs[0] != s || uses.SoleReader(s) != mul) {
    return false;
  }
  *gate = Gate{mul, x, s, p};
  return true;
}

}  // namespace

StatusOr<int> FoldGatedResidual(Graph& g) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  int folded = 0;
  for (NodeId add_id : order) {
    const Node& add = g.node(add_id);
    if (add.removed || add.op_type != "Add" || add.inputs.size() != 2 || !add.post_ops.empty() ||
        add.outputs.size() != 1 || !add.outputs[0].valid() || !add.inputs[0].valid() ||
        !add.inputs[1].valid() || add.inputs[0] == add.inputs[1]) {
      continue;
    }
    // Rebuilt per match: a rewrite changes who reads what. Graphs have a handful of gates.
    const UseIndex uses(g);
    Gate gate;
    bool found = false;
    for (int k = 0; k < 2 && !found; ++k)
      found = Matches(g, uses, add_id, add.inputs[k], add.inputs[1 - k], &gate);
    if (!found) continue;
    const ValueId end = add.outputs[0];
    PostOp plus_one;
    plus_one.kind = PostOp::Kind::kEltwise;
    plus_one.alg = Eltwise::kLinear;
    plus_one.alpha = 1.f;
    plus_one.beta = 1.f;
    g.node(gate.s_producer).post_ops.push_back(plus_one);
    g.node(gate.mul).inputs = {gate.x, gate.s};
    g.RemoveNode(add_id);
    TakeOverOutput(g, gate.mul, end);
    ++folded;
  }
  return folded;
}

}  // namespace plateau::graph::passes
