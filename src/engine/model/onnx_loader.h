// Reads an ONNX model (ModelProto) into the engine's Graph IR.
//
//   PLATEAU_ASSIGN_OR_RETURN(graph::Graph g, model::LoadOnnxGraph("models/det.onnx"));
//   PLATEAU_RETURN_IF_ERROR(graph::passes::OptimizeAtLoad(g));
//
// What the loader produces:
// - Every `Constant` node and every initializer becomes a constant Value (Value::constant set, no producer)
//   named after the ONNX value. Supported tensor element types: float, int32, int64, uint8, bool (as
//   uint8). `Constant` also accepts value_float / value_floats / value_int / value_ints.
// - Graph inputs are the graph.input() entries that are not initializers, in order. Their element type
//   must be float; their shape comes from the declared type, with -1 for a dim_param or missing dim value.
//   shape_known is true only when every dim is concrete.
// - Every other node becomes a graph::Node with its ONNX name (or "#<index>" when unnamed), op type and
//   attributes (INT -> int64_t, FLOAT -> float, STRING -> std::string, INTS, FLOATS, TENSOR ->
//   shared_ptr<const Tensor>). An empty input name is an omitted optional input (invalid ValueId); an
//   empty output name is an unused optional output (invalid ValueId). Node outputs start with dtype
//   float32 and shape_known == false: shapes are inferred later for a concrete input shape.
// - Graph outputs in the order the model lists them. Graph::opset() is the default-domain opset.
//
// Every node must use the default ONNX domain, be known to ops::FindOp within the OpDef's opset range
// and pass the OpDef's validate(). Errors name the model (path or label) and, for node problems, the
// node name, op type and opset.
//
// Error codes: NotFound (no such file), DataLoss (unreadable or truncated bytes or tensors),
// InvalidArgument (structurally wrong model: no graph, dangling value references, duplicate value
// names, a node rejected by validate()), Unimplemented (well-formed but unsupported: op, opset, domain,
// element type, attribute kind).
//
// Thread safety: the functions are pure; call them from any thread.
#pragma once

#include <string>

#include "engine/graph/graph.h"
#include "plateau/status.h"

namespace plateau::model {

// Reads and converts the model at `path`.
StatusOr<graph::Graph> LoadOnnxGraph(const std::string& path);

// Converts serialized ModelProto bytes. `label` names the model in error messages (usually its path).
StatusOr<graph::Graph> LoadOnnxGraphFromBytes(const std::string& bytes, const std::string& label);

}  // namespace plateau::model
