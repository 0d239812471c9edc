// Decoding of ONNX protobuf pieces (tensors, attributes) into engine types. Used by the ONNX loader;
// internal to src/engine/model (and its tests).
#pragma once

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

#include "engine/graph/graph.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::model {

// Decodes a TensorProto held in the model (raw_data, little-endian, or the typed repeated field).
// Element types: FLOAT -> kFloat32, INT32 -> kInt32, INT64 -> kInt64, UINT8 and BOOL -> kUInt8; others
// are Unimplemented. A byte or value count that does not match the dims is DataLoss; negative dims are
// InvalidArgument; external data is Unimplemented. `what` names the tensor in error messages
// ("initializer 'w'").
StatusOr<std::shared_ptr<const Tensor>> DecodeTensor(const onnx::TensorProto& proto, const std::string& what);

// Decodes one attribute: INT -> int64_t, FLOAT -> float, STRING -> std::string, INTS ->
// std::vector<int64_t>, FLOATS -> std::vector<float>, TENSOR -> shared_ptr<const Tensor>. The kind is
// taken from the type field, or from the populated field when the type is unset (older exporters).
// Other kinds (graphs, sparse tensors, string lists) are Unimplemented. Errors name the attribute.
StatusOr<graph::AttrValue> DecodeAttribute(const onnx::AttributeProto& attr);

// The tensor a `Constant` node produces, from its single value attribute: value (TENSOR), value_float /
// value_int (rank 0), value_floats / value_ints (rank 1, int64). value_string(s) and sparse_value are
// Unimplemented.
StatusOr<std::shared_ptr<const Tensor>> DecodeConstantNode(const onnx::NodeProto& node);

// "FLOAT", "INT64", ... or "unknown(42)".
std::string TensorDataTypeName(int32_t data_type);

}  // namespace plateau::model
