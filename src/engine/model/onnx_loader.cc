#include "engine/model/onnx_loader.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "engine/model/onnx_decode.h"
#include "engine/ops/op.h"

namespace plateau::model {
namespace {

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

class GraphBuilder {
 public:
  GraphBuilder(const std::string& label, int opset) : label_(label), opset_(opset) { g_.set_opset(opset); }

  Status Build(const onnx::GraphProto& gp) {
    PLATEAU_RETURN_IF_ERROR(AddInitializers(gp));
    PLATEAU_RETURN_IF_ERROR(AddInputs(gp));
    PLATEAU_RETURN_IF_ERROR(DefineNodeOutputs(gp));
    for (int i = 0; i < gp.node_size(); ++i) {
      if (gp.node(i).op_type() == "Constant") continue;
      PLATEAU_RETURN_IF_ERROR(AddNode(gp.node(i), i));
    }
    return AddOutputs(gp);
  }

  graph::Graph Take() { return std::move(g_); }

 private:
  Status Define(const std::string& name, graph::ValueId id, const std::string& by) {
    if (!by_name_.emplace(name, id).second) {
      return Status::InvalidArgument(label_ + ": value '" + name + "' is defined twice (again by " + by +
                                     "); expected every value name to be unique");
    }
    return Status::Ok();
  }

  std::string NodeName(const onnx::NodeProto& n, int index) const {
    return n.name().empty() ? "#" + std::to_string(index) : n.name();
  }

  // "model.onnx: node 'p2o.Conv.0' (op Conv, opset 11)"
  std::string NodeContext(const onnx::NodeProto& n, int index) const {
    return label_ + ": node '" + NodeName(n, index) + "' (op " + n.op_type() + ", opset " +
           std::to_string(opset_) + ")";
  }

  Status AddInitializers(const onnx::GraphProto& gp) {
    for (const onnx::TensorProto& init : gp.initializer()) {
      const std::string what = label_ + ": initializer '" + init.name() + "'";
      if (init.name().empty()) return Status::InvalidArgument(label_ + ": an initializer has no name");
      PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Tensor> t, DecodeTensor(init, what));
      PLATEAU_RETURN_IF_ERROR(
          Define(init.name(), g_.AddConstant(init.name(), std::move(t)), "an initializer"));
    }
    return Status::Ok();
  }

  Status AddInputs(const onnx::GraphProto& gp) {
    for (const onnx::ValueInfoProto& in : gp.input()) {
      // Older exporters list initializers among the inputs too; those are weights, not inputs.
      if (by_name_.count(in.name())) continue;
      const std::string what = label_ + ": graph input '" + in.name() + "'";
      if (!in.type().has_tensor_type()) {
        return Status::Unimplemented(what + " is not a tensor (expected a float tensor)");
      }
      const onnx::TypeProto::Tensor& tt = in.type().tensor_type();
      if (tt.elem_type() != onnx::TensorProto::FLOAT) {
        return Status::Unimplemented(what + " has element type " + TensorDataTypeName(tt.elem_type()) +
                                     " (expected FLOAT)");
      }
      if (!tt.has_shape()) {
        return Status::Unimplemented(what + " declares no shape (expected a ranked tensor)");
      }
      std::vector<int64_t> dims;
      bool all_known = true;
      for (const onnx::TensorShapeProto::Dimension& d : tt.shape().dim()) {
        if (d.has_dim_value()) {
          if (d.dim_value() < 0) {
            return Status::InvalidArgument(what + " has negative dim " + std::to_string(d.dim_value()));
          }
          dims.push_back(d.dim_value());
        } else {
          dims.push_back(-1);
          all_known = false;
        }
      }
      StatusOr<Shape> shape = Shape::FromSpan(dims);
      if (!shape.ok()) return shape.status().WithContext(what);
      graph::Value v;
      v.name = in.name();
      v.dtype = DType::kFloat32;
      v.shape = *shape;
      v.shape_known = all_known;
      graph::ValueId id = g_.AddValue(std::move(v));
      PLATEAU_RETURN_IF_ERROR(Define(in.name(), id, "a graph input"));
      g_.inputs().push_back(id);
    }
    return Status::Ok();
  }

  // Creates every node output (and every Constant) before any node input is resolved, so a model whose
  // nodes are not listed in topological order still loads; TopologicalOrder() sorts them later.
  Status DefineNodeOutputs(const onnx::GraphProto& gp) {
    for (int i = 0; i < gp.node_size(); ++i) {
      const onnx::NodeProto& n = gp.node(i);
      if (!IsDefaultDomain(n.domain())) {
        return Status::Unimplemented(NodeContext(n, i) + ": domain '" + n.domain() +
                                     "' is not supported (expected the default ONNX domain)");
      }
      if (n.op_type() == "Constant") {
        if (n.input_size() != 0 || n.output_size() != 1 || n.output(0).empty()) {
          return Status::InvalidArgument(NodeContext(n, i) + ": expected no inputs and one named output");
        }
        StatusOr<std::shared_ptr<const Tensor>> t = DecodeConstantNode(n);
        if (!t.ok()) return Status(t.status().code(), NodeContext(n, i) + ": " + t.status().message());
        PLATEAU_RETURN_IF_ERROR(
            Define(n.output(0), g_.AddConstant(n.output(0), std::move(t).value()), "node " + NodeName(n, i)));
        continue;
      }
      for (const std::string& out : n.output()) {
        if (out.empty()) continue;
        graph::Value v;
        v.name = out;
        PLATEAU_RETURN_IF_ERROR(Define(out, g_.AddValue(std::move(v)), "node '" + NodeName(n, i) + "'"));
      }
    }
    return Status::Ok();
  }

  Status AddNode(const onnx::NodeProto& n, int index) {
    const std::string ctx = NodeContext(n, index);
    graph::Node node;
    node.name = NodeName(n, index);
    node.op_type = n.op_type();
    for (const std::string& in : n.input()) {
      if (in.empty()) {
        node.inputs.push_back(graph::ValueId{});
        continue;
      }
      auto it = by_name_.find(in);
      if (it == by_name_.end()) {
        return Status::InvalidArgument(ctx + ": input '" + in +
                                       "' is never produced (expected a graph input, an initializer, a "
                                       "Constant or another node's output)");
      }
      node.inputs.push_back(it->second);
    }
    for (const std::string& out : n.output()) {
      node.outputs.push_back(out.empty() ? graph::ValueId{} : by_name_.at(out));
    }
    for (const onnx::AttributeProto& a : n.attribute()) {
      StatusOr<graph::AttrValue> v = DecodeAttribute(a);
      if (!v.ok()) return Status(v.status().code(), ctx + ": " + v.status().message());
      node.attrs[a.name()] = std::move(v).value();
    }

    const ops::OpDef* def = ops::FindOp(n.op_type());
    if (def == nullptr) {
      return Status::Unimplemented(ctx + ": op not supported (supported: " + JoinNames(ops::SupportedOps()) +
                                   ")");
    }
    if (opset_ < def->min_opset || opset_ > def->max_opset) {
      return Status::Unimplemented(ctx + ": opset not supported for this op (supported: opsets " +
                                   std::to_string(def->min_opset) + " to " + std::to_string(def->max_opset) +
                                   ")");
    }
    if (def->validate != nullptr) {
      Status s = def->validate(node, opset_);
      if (!s.ok()) return Status(s.code(), ctx + ": " + s.message());
    }
    g_.AddNode(std::move(node));
    return Status::Ok();
  }

  Status AddOutputs(const onnx::GraphProto& gp) {
    if (gp.output_size() == 0) {
      return Status::InvalidArgument(label_ + ": the graph declares no outputs (expected at least one)");
    }
    for (const onnx::ValueInfoProto& out : gp.output()) {
      auto it = by_name_.find(out.name());
      if (it == by_name_.end()) {
        return Status::InvalidArgument(
            label_ + ": graph output '" + out.name() +
            "' is never produced (expected a node output, a constant or an input)");
      }
      g_.outputs().push_back(it->second);
    }
    return Status::Ok();
  }

  const std::string& label_;
  const int opset_;
  graph::Graph g_;
  std::unordered_map<std::string, graph::ValueId> by_name_;
};

}  // namespace

StatusOr<graph::Graph> LoadOnnxGraph(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) return Status::NotFound("ONNX model '" + path + "' does not exist");
  if (std::filesystem::is_directory(st)) {
    return Status::InvalidArgument("ONNX model '" + path + "' is a directory (expected a .onnx file)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::DataLoss("ONNX model '" + path + "' could not be opened for reading");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Status::DataLoss("ONNX model '" + path + "' could not be read completely");
  return LoadOnnxGraphFromBytes(bytes.str(), path);
}

StatusOr<graph::Graph> LoadOnnxGraphFromBytes(const std::string& bytes, const std::string& label) {
  const std::string invalid = "'" + label + "' is not a valid ONNX model: ";
  if (bytes.empty()) return Status::DataLoss(invalid + "it is empty");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    return Status::DataLoss(invalid + "protobuf parse failed (the bytes are truncated or not an ONNX file)");
  }
  if (!model.has_graph()) return Status::InvalidArgument(invalid + "it has no graph");
  if (model.graph().node_size() == 0) return Status::InvalidArgument(invalid + "its graph has no nodes");

  int opset = -1;
  for (const onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (IsDefaultDomain(o.domain())) opset = static_cast<int>(o.version());
  }
  if (opset < 0) {
    return Status::InvalidArgument(
        invalid +
        "it declares no opset for the default ONNX domain (expected an opset_import "
        "entry with domain '' or 'ai.onnx')");
  }

  GraphBuilder builder(label, opset);
  PLATEAU_RETURN_IF_ERROR(builder.Build(model.graph()));
  return builder.Take();
}

}  // namespace plateau::model
