#include <optional>
#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"

namespace plateau::graph::passes {
namespace {

// ReduceMean over the last axis only, keeping dims, reading `x` as its sole input.
bool IsMeanOverLastAxis(const Node& n, ValueId x) {
  return n.op_type == "ReduceMean" && n.inputs.size() == 1 && n.inputs[0] == x &&
         n.GetInts("axes") == std::vector<int64_t>{-1} && n.GetInt("keepdims", 1) == 1 &&
         !n.outputs.empty() && n.outputs[0].valid();
}

// The sole reader of `v` when it has op type `op` and a valid output 0.
const Node* Next(const Graph& g, const UseIndex& uses, ValueId v, const char* op, NodeId* id) {
  *id = uses.SoleReader(v);
  if (!id->valid()) return nullptr;
  const Node& n = g.node(*id);
  if (n.op_type != op || n.outputs.empty() || !n.outputs[0].valid()) return nullptr;
  return &n;
}

// A 1-D float constant with `len` elements (len < 0: any length).
const Tensor* Vector1D(const Graph& g, ValueId v, int64_t len) {
  const Tensor* t = ConstantOf(g, v);
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->shape().rank() != 1) return nullptr;
  if (len >= 0 && t->shape()[0] != len) return nullptr;
  return t;
}

struct LayerNormMatch {
  ValueId x, gamma, beta, end;
  float epsilon;
  std::vector<NodeId> nodes;
};

std::optional<LayerNormMatch> MatchAt(const Graph& g, const UseIndex& uses, NodeId mean_id) {
  const Node& mean = g.node(mean_id);
  if (mean.op_type != "ReduceMean" || mean.inputs.size() != 1) return std::nullopt;
  LayerNormMatch m;
  m.x = mean.inputs[0];
  if (!IsMeanOverLastAxis(mean, m.x)) return std::nullopt;
  m.nodes.push_back(mean_id);

  NodeId id;
  const Node* sub = Next(g, uses, mean.outputs[0], "Sub", &id);
  if (sub == nullptr || sub->inputs.size() != 2 || sub->inputs[0] != m.x ||
      sub->inputs[1] != mean.outputs[0]) {
    return std::nullopt;
  }
  m.nodes.push_back(id);
  const ValueId d = sub->outputs[0];

  // d feeds exactly Pow(d, 2) and Div(d, sqrt).
  if (uses.IsGraphOutput(d)) return std::nullopt;
  std::vector<NodeId> readers = uses.Readers(d);
  if (readers.size() != 2) return std::nullopt;
  NodeId pow_id = readers[0], div_id = readers[1];
  if (g.node(pow_id).op_type != "Pow") std::swap(pow_id, div_id);
  const Node& pow = g.node(pow_id);
  const Node& div = g.node(div_id);
  if (pow.op_type != "Pow" || div.op_type != "Div" || pow.inputs.size() != 2 || pow.inputs[0] != d ||
      pow.outputs.empty() || !pow.outputs[0].valid()) {
    return std::nullopt;
  }
  const std::optional<float> two = ScalarConstant(g, pow.inputs[1], Shape::kMaxRank);
  if (!two || *two != 2.f) return std::nullopt;
  m.nodes.push_back(pow_id);

  const NodeId var_id = uses.SoleReader(pow.outputs[0]);
  if (!var_id.valid() || !IsMeanOverLastAxis(g.node(var_id), pow.outputs[0])) return std::nullopt;
  m.nodes.push_back(var_id);
  const ValueId var = g.node(var_id).outputs[0];

  const Node* add_eps = Next(g, uses, var, "Add", &id);
  if (add_eps == nullptr) return std::nullopt;
  // eps must keep the variance's shape, so at most rank 1.
  const std::optional<float> eps = ScalarConstant(g, OtherInput(*add_eps, var), 1);
  if (!eps) return std::nullopt;
  m.epsilon = *eps;
  m.nodes.push_back(id);

  const Node* sqrt = Next(g, uses, add_eps->outputs[0], "Sqrt", &id);
  if (sqrt == nullptr || sqrt->inputs.size() != 1) return std::nullopt;
  m.nodes.push_back(id);

  if (div.inputs.size() != 2 || div.inputs[0] != d || div.inputs[1] != sqrt->outputs[0] ||
      div.outputs.empty() || !div.outputs[0].valid() || uses.SoleReader(sqrt->outputs[0]) != div_id) {
    return std::nullopt;
  }
  m.nodes.push_back(div_id);

  const Node* mul = Next(g, uses, div.outputs[0], "Mul", &id);
  if (mul == nullptr) return std::nullopt;
  m.gamma = OtherInput(*mul, div.outputs[0]);
  const Tensor* gamma = Vector1D(g, m.gamma, -1);
  if (gamma == nullptr) return std::nullopt;
  m.nodes.push_back(id);

  const Node* add = Next(g, uses, mul->outputs[0], "Add", &id);
  if (add == nullptr) return std::nullopt;
  m.beta = OtherInput(*add, mul->outputs[0]);
  if (Vector1D(g, m.beta, gamma->shape()[0]) == nullptr) return std::nullopt;
  m.nodes.push_back(id);
  m.end = add->outputs[0];
  return m;
}

}  // namespace

StatusOr<int> CollapseLayerNorm(Graph& g) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  // Rewrites only remove nodes and turn the pattern's first node into the layer norm (keeping its place
  // in node order); the snapshot stays valid because matching never asks who reads x, gamma or beta.
  UseIndex uses(g);
  int collapsed = 0;
  for (NodeId id : order) {
    if (g.node(id).removed) continue;
    std::optional<LayerNormMatch> m = MatchAt(g, uses, id);
    if (!m) continue;
    for (NodeId r : m->nodes) g.RemoveNode(r);
    Node& ln = g.node(id);
    for (ValueId old : ln.outputs) {
      if (old.valid()) g.value(old).producer = NodeId{};
    }
    ln.name += ".layer_norm";
    ln.op_type = "plateau.LayerNorm";
    ln.inputs = {m->x, m->gamma, m->beta};
    ln.outputs = {m->end};
    ln.attrs.clear();
    ln.attrs["axis"] = int64_t{-1};
    ln.attrs["epsilon"] = m->epsilon;
    ln.post_ops.clear();
    ln.removed = false;
    g.value(m->end).producer = id;
    ++collapsed;
  }
  return collapsed;
}

}  // namespace plateau::graph::passes
