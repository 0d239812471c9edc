#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"

namespace plateau::graph::passes {
namespace {

struct Match {
  PostOp op;
  ValueId end;                // the pattern's last value; the fused node produces it
  std::vector<NodeId> nodes;  // pattern nodes to remove
};

bool Near(float v, float want) { return std::fabs(v - want) <= 1e-5f * std::max(1.f, std::fabs(want)); }

int KnownRank(const Graph& g, ValueId v) {
  if (!v.valid()) return -1;
  const Value& x = g.value(v);
  if (x.constant != nullptr) return x.constant->shape().rank();
  return x.shape_known ? x.shape.rank() : -1;
}

// A lower bound on the rank of the node's output 0. A constant operand of a fused binary op must not
// have a higher rank, or broadcasting would have changed the output's shape.
int MinOutputRank(const Graph& g, const Node& n) {
  if (IsConvLike(n)) {
    const int r = n.inputs.size() > 1 ? KnownRank(g, n.inputs[1]) : -1;
    return std::max(r, 3);
  }
  const int ra = n.inputs.size() > 0 ? KnownRank(g, n.inputs[0]) : -1;
  const int rb = n.inputs.size() > 1 ? KnownRank(g, n.inputs[1]) : -1;
  // MatMul: a 1-D operand loses its dim in the result.
  if (ra >= 1 && rb >= 1) {
    if (ra == 1 && rb == 1) return 0;
    if (ra == 1) return rb - 1;
    if (rb == 1) return ra - 1;
    return std::max(ra, rb);
  }
  return std::max({ra - 1, rb - 1, 0});
}

// One reader applying an element-wise function of y alone.
std::optional<Match> MatchUnary(const Graph& g, const UseIndex& uses, ValueId y, int max_rank) {
  const NodeId rid = uses.SoleReader(y);
  if (!rid.valid()) return std::nullopt;
  const Node& r = g.node(rid);
  if (r.outputs.empty() || !r.outputs[0].valid() || r.inputs.empty()) return std::nullopt;
  Match m;
  m.end = r.outputs[0];
  m.nodes = {rid};
  const std::string& op = r.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "HardSigmoid" || op == "Clip") {
    if (r.inputs[0] != y) return std::nullopt;
    if (op == "Relu") {
      m.op = MakeEltwise(Eltwise::kRelu);
    } else if (op == "Sigmoid") {
      m.op = MakeEltwise(Eltwise::kSigmoid);
    } else if (op == "HardSigmoid") {
      m.op = MakeEltwise(Eltwise::kHardSigmoid, r.GetFloat("alpha", 0.2f), r.GetFloat("beta", 0.5f));
    } else {
      std::optional<ClipBounds> b = ClipBoundsOf(g, r);
      if (!b) return std::nullopt;
      m.op = MakeEltwise(Eltwise::kClip, b->min, b->max);
    }
    return m;
  }
  if (op != "Mul" && op != "Add" && op != "Sub" && op != "Div") return std::nullopt;
  const std::optional<float> c = ScalarConstant(g, OtherInput(r, y), max_rank);
  if (!c) return std::nullopt;
  const bool y_first = r.inputs[0] == y;
  if (op == "Mul") {
    m.op = MakeEltwise(Eltwise::kLinear, *c, 0.f);
  } else if (op == "Add") {
    m.op = MakeEltwise(Eltwise::kLinear, 1.f, *c);
  } else if (op == "Sub") {
    m.op = y_first ? MakeEltwise(Eltwise::kLinear, 1.f, -*c) : MakeEltwise(Eltwise::kLinear, -1.f, *c);
  } else {
    if (!y_first || *c == 0.f) return std::nullopt;
    m.op = MakeEltwise(Eltwise::kLinear, 1.f / *c, 0.f);
  }
  return m;
}

// The single reader of `v` when it is an `op_type` node with a valid output 0; else invalid.
NodeId NextNode(const Graph& g, const UseIndex& uses, ValueId v, const char* op_type) {
  const NodeId id = uses.SoleReader(v);
  if (!id.valid()) return NodeId{};
  const Node& n = g.node(id);
  if (n.op_type != op_type || n.outputs.empty() || !n.outputs[0].valid()) return NodeId{};
  return id;
}

ValueId Out(const Graph& g, NodeId id) { return g.node(id).outputs[0]; }

// y read by exactly two nodes, returned in both orders.
std::vector<std::pair<NodeId, NodeId>> TwoReaders(const UseIndex& uses, ValueId y) {
  if (uses.IsGraphOutput(y)) return {};
  std::vector<NodeId> r = uses.Readers(y);
  if (r.size() != 2) return {};
  return {{r[0], r[1]}, {r[1], r[0]}};
}

// Mul(y, Clip(Add(y, 3), 0, 6)) then Div(., 6) or Mul(., 1/6); or Mul(y, HardSigmoid(y, 1/6, 0.5)).
std::optional<Match> MatchHardSwish(const Graph& g, const UseIndex& uses, ValueId y, int max_rank) {
  for (auto [first, mul] : TwoReaders(uses, y)) {
    const Node& p = g.node(first);
    const Node& m = g.node(mul);
    if (m.op_type != "Mul" || m.outputs.empty() || !m.outputs[0].valid()) continue;
    if (p.op_type == "HardSigmoid" && p.inputs.size() == 1 && !p.outputs.empty() &&
        Near(p.GetFloat("alpha", 0.2f), 1.f / 6.f) && Near(p.GetFloat("beta", 0.5f), 0.5f)) {
      if (NextNode(g, uses, Out(g, first), "Mul") != mul || OtherInput(m, y) != Out(g, first)) continue;
      return Match{MakeEltwise(Eltwise::kHardSwish), Out(g, mul), {first, mul}};
    }
    if (p.op_type != "Add" || p.outputs.empty() || !p.outputs[0].valid()) continue;
    const std::optional<float> three = ScalarConstant(g, OtherInput(p, y), max_rank);
    if (!three || !Near(*three, 3.f)) continue;
    const NodeId clip = NextNode(g, uses, Out(g, first), "Clip");
    if (!clip.valid() || g.node(clip).inputs[0] != Out(g, first)) continue;
    const std::optional<ClipBounds> b = ClipBoundsOf(g, g.node(clip));
    if (!b || !Near(b->min, 0.f) || !Near(b->max, 6.f)) continue;
    if (NextNode(g, uses, Out(g, clip), "Mul") != mul || OtherInput(m, y) != Out(g, clip)) continue;
    const NodeId scale = uses.SoleReader(Out(g, mul));
    if (!scale.valid()) continue;
    const Node& s = g.node(scale);
    if (s.outputs.empty() || !s.outputs[0].valid()) continue;
    const std::optional<float> k = ScalarConstant(g, OtherInput(s, Out(g, mul)), max_rank);
    const bool divides_by_6 = s.op_type == "Div" && s.inputs[0] == Out(g, mul) && k && Near(*k, 6.f);
    const bool times_sixth = s.op_type == "Mul" && k && Near(*k, 1.f / 6.f);
    if (!divides_by_6 && !times_sixth) continue;
    return Match{MakeEltwise(Eltwise::kHardSwish), Out(g, scale), {first, clip, mul, scale}};
  }
  return std::nullopt;
}

// Mul(y, Sigmoid(y)) or Mul(y, Sigmoid(Mul(y, beta))).
std::optional<Match> MatchSwish(const Graph& g, const UseIndex& uses, ValueId y, int max_rank) {
  for (auto [first, mul] : TwoReaders(uses, y)) {
    const Node& p = g.node(first);
    const Node& m = g.node(mul);
    if (m.op_type != "Mul" || m.outputs.empty() || !m.outputs[0].valid()) continue;
    if (p.outputs.empty() || !p.outputs[0].valid()) continue;
    std::vector<NodeId> nodes = {first};
    NodeId sigmoid;
    float alpha = 1.f;
    if (p.op_type == "Sigmoid" && p.inputs.size() == 1) {
      sigmoid = first;
    } else if (p.op_type == "Mul") {
      const std::optional<float> beta = ScalarConstant(g, OtherInput(p, y), max_rank);
      if (!beta) continue;
      alpha = *beta;
      sigmoid = NextNode(g, uses, Out(g, first), "Sigmoid");
      if (!sigmoid.valid()) continue;
      nodes.push_back(sigmoid);
    } else {
      continue;
    }
    if (NextNode(g, uses, Out(g, sigmoid), "Mul") != mul || OtherInput(m, y) != Out(g, sigmoid)) continue;
    nodes.push_back(mul);
    return Match{MakeEltwise(Eltwise::kSwish, alpha), Out(g, mul), nodes};
  }
  return std::nullopt;
}

void Append(std::vector<PostOp>& post_ops, const PostOp& op) {
  if (!post_ops.empty() && op.kind == PostOp::Kind::kEltwise && op.alg == Eltwise::kLinear) {
    PostOp& last = post_ops.back();
    if (last.kind == PostOp::Kind::kEltwise && last.alg == Eltwise::kLinear) {
      // a2 * (a1 * x + b1) + b2
      last.beta = op.alpha * last.beta + op.beta;
      last.alpha = op.alpha * last.alpha;
      return;
    }
  }
  post_ops.push_back(op);
}

}  // namespace

StatusOr<int> FuseActivations(Graph& g) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  // Fusing only removes nodes and repoints the fused node's output, so the index stays valid.
  UseIndex uses(g);
  int fused = 0;
  for (NodeId id : order) {
    const Node& start = g.node(id);
    if (!HostsPostOps(start)) continue;
    const int max_rank = MinOutputRank(g, start);
    while (true) {
      Node& n = g.node(id);
      if (n.outputs.empty() || !n.outputs[0].valid()) break;
      const ValueId y = n.outputs[0];
      if (uses.IsGraphOutput(y)) break;
      std::optional<Match> m = MatchUnary(g, uses, y, max_rank);
      if (!m) m = MatchHardSwish(g, uses, y, max_rank);
      if (!m) m = MatchSwish(g, uses, y, max_rank);
      if (!m) break;
      Append(n.post_ops, m->op);
      for (NodeId r : m->nodes) g.RemoveNode(r);
      TakeOverOutput(g, id, m->end);
      ++fused;
    }
  }
  return fused;
}

}  // namespace plateau::graph::passes
