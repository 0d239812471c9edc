#include "engine/planner/specialize.h"

#include <string>
#include <vector>

#include "engine/ops/op.h"

namespace plateau::planner {
namespace {

std::string DescribeInputs(const graph::Graph& g, const graph::Node& n) {
  std::string out;
  for (graph::ValueId in : n.inputs) {
    if (!out.empty()) out += ", ";
    if (!in.valid()) {
      out += "(none)";
      continue;
    }
    const graph::Value& v = g.value(in);
    out += v.shape.ToString();
  }
  return "[" + out + "]";
}

Status CheckInputShapes(graph::Graph& g, std::span<const Shape> shapes) {
  if (shapes.size() != g.inputs().size()) {
    return Status::InvalidArgument("model has " + std::to_string(g.inputs().size()) + " inputs but " +
                                   std::to_string(shapes.size()) + " shapes were given");
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    graph::Value& v = g.value(g.inputs()[i]);
    const Shape& s = shapes[i];
    if (s.rank() != v.shape.rank()) {
      return Status::InvalidArgument("input '" + v.name + "' must have rank " +
                                     std::to_string(v.shape.rank()) + " (declared " + v.shape.ToString() +
                                     ", -1 = any) but got shape " + s.ToString());
    }
    for (int d = 0; d < s.rank(); ++d) {
      if (s[d] <= 0) {
        return Status::InvalidArgument("input '" + v.name + "' dim " + std::to_string(d) +
                                       " must be positive, got shape " + s.ToString());
      }
      if (v.shape[d] >= 0 && v.shape[d] != s[d]) {
        return Status::InvalidArgument("input '" + v.name + "' dim " + std::to_string(d) + " must be " +
                                       std::to_string(v.shape[d]) + " (declared shape " + v.shape.ToString() +
                                       ") but got shape " + s.ToString());
      }
    }
    v.shape = s;
    v.shape_known = true;
  }
  return Status::Ok();
}

}  // namespace

Status SpecializeShapes(graph::Graph& g, std::span<const Shape> input_shapes,
                        const SpecializeOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckInputShapes(g, input_shapes));
  PLATEAU_ASSIGN_OR_RETURN(std::vector<graph::NodeId> order, g.TopologicalOrder());

  std::vector<ops::ValueInfo> in_infos;
  std::vector<ops::ValueInfo> out_infos;
  std::vector<TensorView> in_views;
  std::vector<TensorView> out_views;
  for (graph::NodeId id : order) {
    graph::Node& node = g.node(id);
    const ops::OpDef* def = ops::FindOp(node.op_type);
    if (def == nullptr || def->infer == nullptr) {
      return Status::Unimplemented("node '" + node.name + "' (op " + node.op_type +
                                   "): no shape inference for this op");
    }
    in_infos.assign(node.inputs.size(), ops::ValueInfo{});
    bool all_constant = true;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      graph::ValueId in = node.inputs[i];
      if (!in.valid()) continue;
      const graph::Value& v = g.value(in);
      if (!v.shape_known) {
        return Status::Internal("node '" + node.name + "': input '" + v.name + "' has no shape");
      }
      in_infos[i].dtype = v.dtype;
      in_infos[i].shape = v.shape;
      in_infos[i].constant = v.constant;
      if (!v.constant) all_constant = false;
    }
    out_infos.assign(node.outputs.size(), ops::ValueInfo{});
    Status st = def->infer(node, in_infos, out_infos);
    if (!st.ok()) {
      return Status(st.code(), "node '" + node.name + "' (op " + node.op_type + ") with input shapes " +
                                   DescribeInputs(g, node) + ": " + st.message());
    }
    bool outputs_constant = true;
    size_t out_bytes = 0;
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].valid()) continue;
      graph::Value& v = g.value(node.outputs[i]);
      v.dtype = out_infos[i].dtype;
      v.shape = out_infos[i].shape;
      v.shape_known = true;
      if (out_infos[i].constant) {
        v.constant = out_infos[i].constant;
      } else {
        outputs_constant = false;
        out_bytes += static_cast<size_t>(v.shape.num_elements()) * DTypeSize(v.dtype);
      }
    }
    if (outputs_constant) {
      node.removed = true;
      continue;
    }
    if (!all_constant || node.inputs.empty() || def->reference == nullptr ||
        out_bytes > options.max_folded_bytes) {
      continue;
    }
    // Every input is known: compute the outputs now, once, instead of at every run.
    std::vector<std::shared_ptr<Tensor>> results;
    in_views.clear();
    for (graph::ValueId in : node.inputs) {
      in_views.push_back(in.valid() ? g.value(in).constant->view() : TensorView{});
    }
    out_views.clear();
    for (graph::ValueId out : node.outputs) {
      if (!out.valid()) {
        out_views.push_back(TensorView{});
        results.push_back(nullptr);
        continue;
      }
      const graph::Value& v = g.value(out);
      PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(v.dtype, v.shape));
      results.push_back(std::make_shared<Tensor>(std::move(t)));
      out_views.push_back(results.back()->view());
    }
    st = def->reference(node, in_views, out_views);
    if (!st.ok()) return st.WithContext("folding node '" + node.name + "' (op " + node.op_type + ")");
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].valid()) g.value(node.outputs[i]).constant = std::move(results[i]);
    }
    node.removed = true;
  }
  for (graph::ValueId out : g.outputs()) {
    if (!g.value(out).shape_known) {
      return Status::Internal("output '" + g.value(out).name + "' has no shape after specialisation");
    }
  }
  return Status::Ok();
}

}  // namespace plateau::planner
