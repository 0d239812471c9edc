#include "engine/graph/passes/pattern.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace plateau::graph::passes {

UseIndex::UseIndex(const Graph& g) : g_(g), readers_(g.Consumers()), is_output_(g.num_values(), false) {
  for (std::vector<NodeId>& r : readers_) r.erase(std::unique(r.begin(), r.end()), r.end());
  for (ValueId out : g.outputs()) is_output_[out.index] = true;
}

std::vector<NodeId> UseIndex::Readers(ValueId v) const {
  std::vector<NodeId> live;
  if (!v.valid() || static_cast<size_t>(v.index) >= readers_.size()) return live;
  for (NodeId n : readers_[v.index]) {
    if (!g_.node(n).removed) live.push_back(n);
  }
  return live;
}

NodeId UseIndex::SoleReader(ValueId v) const {
  if (!v.valid() || IsGraphOutput(v)) return NodeId{};
  std::vector<NodeId> r = Readers(v);
  return r.size() == 1 ? r[0] : NodeId{};
}

const Tensor* ConstantOf(const Graph& g, ValueId v) {
  if (!v.valid()) return nullptr;
  return g.value(v).constant.get();
}

std::optional<float> ScalarConstant(const Graph& g, ValueId v, int max_rank) {
  const Tensor* t = ConstantOf(g, v);
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->shape().num_elements() != 1 ||
      t->shape().rank() > max_rank) {
    return std::nullopt;
  }
  return t->as<float>()[0];
}

ValueId OtherInput(const Node& n, ValueId v) {
  if (n.inputs.size() != 2) return ValueId{};
  if (n.inputs[0] == v && n.inputs[1] != v) return n.inputs[1];
  if (n.inputs[1] == v && n.inputs[0] != v) return n.inputs[0];
  return ValueId{};
}

int InputIndex(const Node& n, ValueId v) {
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (n.inputs[i] == v) return static_cast<int>(i);
  }
  return -1;
}

std::shared_ptr<const Tensor> MakeFloatTensor(const Shape& shape, const std::vector<float>& values) {
  TensorView view{DType::kFloat32, shape, const_cast<float*>(values.data())};
  StatusOr<Tensor> t = Tensor::CopyOf(view);
  if (!t.ok()) return nullptr;
  return std::make_shared<const Tensor>(std::move(t).value());
}

bool IsConvLike(const Node& n) { return n.op_type == "Conv" || n.op_type == "ConvTranspose"; }

bool HostsPostOps(const Node& n) { return IsConvLike(n) || n.op_type == "MatMul"; }

PostOp MakeEltwise(Eltwise alg, float alpha, float beta) {
  PostOp p;
  p.kind = PostOp::Kind::kEltwise;
  p.alg = alg;
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

std::optional<ClipBounds> ClipBoundsOf(const Graph& g, const Node& clip) {
  ClipBounds b{std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max()};
  if (clip.inputs.size() > 1) {
    for (size_t i = 1; i < clip.inputs.size() && i < 3; ++i) {
      if (!clip.inputs[i].valid()) continue;
      std::optional<float> c = ScalarConstant(g, clip.inputs[i], Shape::kMaxRank);
      if (!c) return std::nullopt;
      (i == 1 ? b.min : b.max) = *c;
    }
    return b;
  }
  b.min = clip.GetFloat("min", b.min);
  b.max = clip.GetFloat("max", b.max);
  return b;
}

void TakeOverOutput(Graph& g, NodeId n, ValueId end) {
  ValueId old = g.node(n).outputs[0];
  if (old.valid() && old != end) g.value(old).producer = NodeId{};
  g.node(n).outputs[0] = end;
  g.value(end).producer = n;
}

}  // namespace plateau::graph::passes
