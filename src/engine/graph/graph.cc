#include "engine/graph/graph.h"

#include <algorithm>
#include <cmath>
#include <queue>

namespace plateau::graph {

const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kPlain:
      return "plain";
    case Layout::kNhwc:
      return "nhwc";
    case Layout::kBlocked8:
      return "nChw8c";
    case Layout::kBlocked16:
      return "nChw16c";
  }
  return "?";
}

float ApplyEltwise(Eltwise alg, float alpha, float beta, float x) {
  switch (alg) {
    case Eltwise::kRelu:
      return x > 0.f ? x : 0.f;
    case Eltwise::kClip:
      return std::min(std::max(x, alpha), beta);
    case Eltwise::kLinear:
      return alpha * x + beta;
    case Eltwise::kHardSigmoid:
      return std::max(0.f, std::min(1.f, alpha * x + beta));
    case Eltwise::kHardSwish:
      return x * std::max(0.f, std::min(6.f, x + 3.f)) / 6.f;
    case Eltwise::kSigmoid:
      return 1.f / (1.f + std::exp(-x));
    case Eltwise::kSwish:
      return x / (1.f + std::exp(-alpha * x));
  }
  return x;
}

const char* EltwiseName(Eltwise alg) {
  switch (alg) {
    case Eltwise::kRelu:
      return "relu";
    case Eltwise::kClip:
      return "clip";
    case Eltwise::kLinear:
      return "linear";
    case Eltwise::kHardSigmoid:
      return "hardsigmoid";
    case Eltwise::kHardSwish:
      return "hardswish";
    case Eltwise::kSigmoid:
      return "sigmoid";
    case Eltwise::kSwish:
      return "swish";
  }
  return "unknown";
}

int64_t Node::GetInt(const std::string& name, int64_t dflt) const {
  auto it = attrs.find(name);
  if (it == attrs.end()) return dflt;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  return dflt;
}

float Node::GetFloat(const std::string& name, float dflt) const {
  auto it = attrs.find(name);
  if (it == attrs.end()) return dflt;
  if (auto* v = std::get_if<float>(&it->second)) return *v;
  return dflt;
}

std::string Node::GetString(const std::string& name, const std::string& dflt) const {
  auto it = attrs.find(name);
  if (it == attrs.end()) return dflt;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return dflt;
}

std::vector<int64_t> Node::GetInts(const std::string& name, const std::vector<int64_t>& dflt) const {
  auto it = attrs.find(name);
  if (it == attrs.end()) return dflt;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return dflt;
}

std::vector<float> Node::GetFloats(const std::string& name, const std::vector<float>& dflt) const {
  auto it = attrs.find(name);
  if (it == attrs.end()) return dflt;
  if (auto* v = std::get_if<std::vector<float>>(&it->second)) return *v;
  return dflt;
}

std::string Node::Describe() const { return op_type + " '" + name + "'"; }

ValueId Graph::AddValue(Value v) {
  values_.push_back(std::move(v));
  return ValueId{static_cast<int32_t>(values_.size() - 1)};
}

NodeId Graph::AddNode(Node n) {
  NodeId id{static_cast<int32_t>(nodes_.size())};
  for (ValueId out : n.outputs) {
    if (out.valid()) values_[out.index].producer = id;
  }
  nodes_.push_back(std::move(n));
  return id;
}

ValueId Graph::AddConstant(std::string name, std::shared_ptr<const Tensor> t) {
  Value v;
  v.name = std::move(name);
  v.dtype = t->dtype();
  v.shape = t->shape();
  v.shape_known = true;
  v.constant = std::move(t);
  return AddValue(std::move(v));
}

StatusOr<std::vector<NodeId>> Graph::TopologicalOrder() const {
  // Kahn's algorithm with a min-heap on node index so ties keep insertion order.
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<NodeId>> consumers = Consumers();
  size_t live = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].removed) continue;
    ++live;
    for (ValueId in : nodes_[i].inputs) {
      if (!in.valid()) continue;
      NodeId p = values_[in.index].producer;
      if (p.valid() && !nodes_[p.index].removed) ++pending[i];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i].removed && pending[i] == 0) ready.push(static_cast<int>(i));
  }
  std::vector<NodeId> order;
  order.reserve(live);
  while (!ready.empty()) {
    int n = ready.top();
    ready.pop();
    order.push_back(NodeId{n});
    for (ValueId out : nodes_[n].outputs) {
      if (!out.valid()) continue;
      for (NodeId c : consumers[out.index]) {
        // A node reading the same value twice was counted twice above.
        if (--pending[c.index] == 0) ready.push(c.index);
      }
    }
  }
  if (order.size() != live) {
    return Status::InvalidArgument("graph has a cycle: " + std::to_string(live - order.size()) +
                                   " nodes could not be ordered");
  }
  return order;
}

std::vector<std::vector<NodeId>> Graph::Consumers() const {
  std::vector<std::vector<NodeId>> consumers(values_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].removed) continue;
    for (ValueId in : nodes_[i].inputs) {
      if (in.valid()) consumers[in.index].push_back(NodeId{static_cast<int32_t>(i)});
    }
  }
  return consumers;
}

void Graph::ReplaceAllUses(ValueId from, ValueId to) {
  for (Node& n : nodes_) {
    if (n.removed) continue;
    for (ValueId& in : n.inputs) {
      if (in == from) in = to;
    }
    for (PostOp& p : n.post_ops) {
      if (p.operand == from) p.operand = to;
    }
  }
  for (ValueId& out : outputs_) {
    if (out == from) out = to;
  }
}

void Graph::RemoveDeadNodes() {
  std::vector<bool> needed(values_.size(), false);
  for (ValueId out : outputs_) needed[out.index] = true;
  // Walk nodes backwards repeatedly until nothing changes; graphs are small enough for this.
  bool changed = true;
  std::vector<bool> keep(nodes_.size(), false);
  while (changed) {
    changed = false;
    for (size_t i = nodes_.size(); i-- > 0;) {
      const Node& n = nodes_[i];
      if (n.removed || keep[i]) continue;
      bool any = std::any_of(n.outputs.begin(), n.outputs.end(),
                             [&](ValueId v) { return v.valid() && needed[v.index]; });
      if (!any) continue;
      keep[i] = true;
      changed = true;
      for (ValueId in : n.inputs) {
        if (in.valid()) needed[in.index] = true;
      }
    }
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (keep[i]) continue;
    nodes_[i].removed = true;
    // A removed node is never read again: its tensor attributes (an ONNX Constant's value) go with it.
    for (auto& [name, attr] : nodes_[i].attrs) {
      if (std::holds_alternative<std::shared_ptr<const Tensor>>(attr)) attr = std::shared_ptr<const Tensor>();
    }
  }
  // Constants no live node reads any more (weights a pass replaced with folded ones) would otherwise stay
  // resident beside their replacements for the model's lifetime.
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!needed[i]) values_[i].constant.reset();
  }
}

ValueId Graph::FindValue(const std::string& name) const {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].name == name) return ValueId{static_cast<int32_t>(i)};
  }
  return ValueId{};
}

}  // namespace plateau::graph
