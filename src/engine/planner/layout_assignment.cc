#include "engine/planner/layout_assignment.h"

#include <map>
#include <vector>

#include "engine/ops/onednn/kernel.h"

namespace plateau::planner {
namespace {

using graph::Layout;

bool IsSpatial(const graph::Value& v) {
  return !v.constant && v.dtype == DType::kFloat32 && v.shape.rank() == 4;
}

// Returns the value holding `src` in `layout`, creating one plateau.Reorder per (value, layout).
graph::ValueId Reordered(graph::Graph& g, graph::ValueId src, Layout layout,
                         std::map<std::pair<int, int>, graph::ValueId>& cache,
                         std::vector<graph::Node>& pending) {
  auto key = std::make_pair(src.index, static_cast<int>(layout));
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  graph::Value v = g.value(src);
  v.name += std::string(":") + graph::LayoutName(layout);
  v.layout = layout;
  v.producer = graph::NodeId{};
  graph::ValueId out = g.AddValue(std::move(v));
  graph::Node n;
  n.name = g.value(out).name;
  n.op_type = "plateau.Reorder";
  n.inputs = {src};
  n.outputs = {out};
  n.attrs["layout"] = static_cast<int64_t>(layout);
  pending.push_back(std::move(n));
  cache[key] = out;
  return out;
}

bool IsConvolution(const graph::Node& n) { return n.op_type == "Conv" || n.op_type == "ConvTranspose"; }

// Whether convolution `n` can only run in NHWC: some output's channels are not a multiple of `block`.
bool ConvolutionNeedsNhwc(const graph::Graph& g, const graph::Node& n, int block) {
  if (!IsConvolution(n)) return false;
  for (graph::ValueId out : n.outputs) {
    if (out.valid() && IsSpatial(g.value(out)) && g.value(out).shape[1] % block != 0) return true;
  }
  return false;
}

}  // namespace

ops::onednn::TensorDesc DescribeValue(const graph::Graph& g, graph::ValueId id) {
  ops::onednn::TensorDesc d;
  if (!id.valid()) {
    d.present = false;
    return d;
  }
  const graph::Value& v = g.value(id);
  d.dtype = v.dtype;
  d.shape = v.shape;
  d.layout = v.layout;
  d.constant = v.constant.get();
  return d;
}

Status AssignLayouts(graph::Graph& g, bool use_nhwc, Layout blocked) {
  if (!use_nhwc) return Status::Ok();
  PLATEAU_ASSIGN_OR_RETURN(std::vector<graph::NodeId> order, g.TopologicalOrder());
  std::map<std::pair<int, int>, graph::ValueId> cache;
  std::vector<graph::Node> pending;
  std::vector<ops::onednn::TensorDesc> descs;
  std::vector<Shape> out_shapes;
  const std::vector<std::vector<graph::NodeId>> consumers = g.Consumers();
  const int block = graph::ChannelBlock(blocked);
  // A convolution feeding only NHWC-bound convolutions (det's last upsampling deconvolution, whose
  // consumer has one output channel) stays NHWC too: reordering its input is cheaper than its output
  // (which is larger) and needs no second copy of that output in the arena.
  auto feeds_only_nhwc_convolutions = [&](const graph::Node& n) {
    if (n.outputs.empty() || !n.outputs[0].valid()) return false;
    const auto& users = consumers[static_cast<size_t>(n.outputs[0].index)];
    if (users.empty()) return false;
    for (graph::NodeId u : users) {
      if (!ConvolutionNeedsNhwc(g, g.node(u), block)) return false;
    }
    return true;
  };
  for (graph::NodeId id : order) {
    // Nodes are appended while iterating, so re-fetch by id rather than holding a reference.
    descs.clear();
    for (graph::ValueId in : g.node(id).inputs) descs.push_back(DescribeValue(g, in));
    out_shapes.clear();
    for (graph::ValueId out : g.node(id).outputs) {
      if (out.valid()) out_shapes.push_back(g.value(out).shape);
    }
    bool nhwc = ops::onednn::SupportsNhwc(g.node(id), descs);
    if (nhwc) {
      // Only worth it when the node actually produces spatial data.
      bool spatial_out = false;
      for (graph::ValueId out : g.node(id).outputs) {
        if (out.valid() && IsSpatial(g.value(out))) spatial_out = true;
      }
      nhwc = spatial_out;
    }
    Layout want = nhwc ? Layout::kNhwc : Layout::kPlain;
    if (nhwc && blocked != Layout::kPlain &&
        ops::onednn::SupportsBlocked(g.node(id), descs, out_shapes, blocked) &&
        !(IsConvolution(g.node(id)) && feeds_only_nhwc_convolutions(g.node(id)))) {
      want = blocked;
    }
    for (size_t i = 0; i < g.node(id).inputs.size(); ++i) {
      graph::ValueId in = g.node(id).inputs[i];
      if (!in.valid() || !IsSpatial(g.value(in))) continue;
      if (g.value(in).layout == want) continue;
      graph::ValueId r = Reordered(g, in, want, cache, pending);
      graph::Node& node = g.node(id);
      node.inputs[i] = r;
      for (graph::PostOp& p : node.post_ops) {
        if (p.operand == in) p.operand = r;
      }
    }
    for (graph::ValueId out : g.node(id).outputs) {
      if (out.valid() && IsSpatial(g.value(out))) g.value(out).layout = want;
    }
    for (graph::Node& n : pending) g.AddNode(std::move(n));
    pending.clear();
  }
  for (graph::ValueId& out : g.outputs()) {
    if (g.value(out).layout == Layout::kPlain) continue;
    graph::ValueId r = Reordered(g, out, Layout::kPlain, cache, pending);
    for (graph::Node& n : pending) g.AddNode(std::move(n));
    pending.clear();
    out = r;
  }
  return Status::Ok();
}

}  // namespace plateau::planner
