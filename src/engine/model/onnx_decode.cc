#include "engine/model/onnx_decode.h"

#include <bit>
#include <cstring>
#include <vector>

namespace plateau::model {
namespace {

// TensorProto.raw_data is little-endian by definition; copying it byte for byte is only right on a
// little-endian host, which is every platform the engine targets.
static_assert(std::endian::native == std::endian::little, "raw_data decoding assumes a little-endian host");

// Tensors larger than this are refused before allocating: corrupt dims must not make the loader try to
// allocate terabytes.
constexpr int64_t kMaxTensorBytes = int64_t{4} << 30;

std::shared_ptr<const Tensor> Share(Tensor t) { return std::make_shared<const Tensor>(std::move(t)); }

// Old exporters leave AttributeProto.type unset; the populated field then tells the kind.
onnx::AttributeProto::AttributeType AttributeKind(const onnx::AttributeProto& a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.floats_size() > 0) return onnx::AttributeProto::FLOATS;
  if (a.ints_size() > 0) return onnx::AttributeProto::INTS;
  if (a.has_g()) return onnx::AttributeProto::GRAPH;
  return onnx::AttributeProto::UNDEFINED;
}

}  // namespace

StatusOr<std::shared_ptr<const Tensor>> DecodeTensor(const onnx::TensorProto& proto,
                                                     const std::string& what) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    return Status::Unimplemented(what +
                                 ": tensor data stored in an external file is not supported (expected "
                                 "the data inside the .onnx file)");
  }
  DType dtype;
  switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT:
      dtype = DType::kFloat32;
      break;
    case onnx::TensorProto::INT32:
      dtype = DType::kInt32;
      break;
    case onnx::TensorProto::INT64:
      dtype = DType::kInt64;
      break;
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      dtype = DType::kUInt8;
      break;
    default:
      return Status::Unimplemented(what + ": element type " + TensorDataTypeName(proto.data_type()) +
                                   " is not supported (expected FLOAT, INT32, INT64, UINT8 or BOOL)");
  }
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  for (int64_t d : dims) {
    if (d < 0) return Status::InvalidArgument(what + ": negative dim " + std::to_string(d));
  }
  StatusOr<Shape> shape_or = Shape::FromSpan(dims);
  if (!shape_or.ok()) return shape_or.status().WithContext(what);
  const Shape& shape = *shape_or;
  const int64_t count = shape.num_elements();
  const int64_t elem_size = static_cast<int64_t>(DTypeSize(dtype));
  if (count > kMaxTensorBytes / elem_size) {
    return Status::InvalidArgument(what + ": dims " + shape.ToString() + " describe more than " +
                                   std::to_string(kMaxTensorBytes) + " bytes");
  }
  const int64_t bytes = count * elem_size;
  const std::string layout = "dims " + shape.ToString() + " of " + DTypeName(dtype);

  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (static_cast<int64_t>(raw.size()) != bytes) {
      return Status::DataLoss(what + ": raw_data holds " + std::to_string(raw.size()) + " bytes but " +
                              layout + " need " + std::to_string(bytes) + " (truncated or corrupt tensor)");
    }
    PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, shape));
    if (bytes > 0) std::memcpy(t.data(), raw.data(), static_cast<size_t>(bytes));
    return Share(std::move(t));
  }

  // Typed repeated fields: float_data for FLOAT, int64_data for INT64, int32_data for INT32, UINT8, BOOL.
  int64_t have = 0;
  switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT:
      have = proto.float_data_size();
      break;
    case onnx::TensorProto::INT64:
      have = proto.int64_data_size();
      break;
    default:
      have = proto.int32_data_size();
      break;
  }
  if (have != count) {
    return Status::DataLoss(what + ": holds " + std::to_string(have) + " values but " + layout + " need " +
                            std::to_string(count) + " (truncated or corrupt tensor)");
  }
  PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, shape));
  for (int64_t i = 0; i < count; ++i) {
    switch (proto.data_type()) {
      case onnx::TensorProto::FLOAT:
        t.as<float>()[i] = proto.float_data(static_cast<int>(i));
        break;
      case onnx::TensorProto::INT64:
        t.as<int64_t>()[i] = proto.int64_data(static_cast<int>(i));
        break;
      case onnx::TensorProto::INT32:
        t.as<int32_t>()[i] = proto.int32_data(static_cast<int>(i));
        break;
      default:
        t.as<uint8_t>()[i] = static_cast<uint8_t>(proto.int32_data(static_cast<int>(i)));
        break;
    }
  }
  return Share(std::move(t));
}

StatusOr<graph::AttrValue> DecodeAttribute(const onnx::AttributeProto& a) {
  const std::string what = "attribute '" + a.name() + "'";
  switch (AttributeKind(a)) {
    case onnx::AttributeProto::INT:
      return graph::AttrValue(static_cast<int64_t>(a.i()));
    case onnx::AttributeProto::FLOAT:
      return graph::AttrValue(a.f());
    case onnx::AttributeProto::STRING:
      return graph::AttrValue(a.s());
    case onnx::AttributeProto::INTS:
      return graph::AttrValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case onnx::AttributeProto::FLOATS:
      return graph::AttrValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case onnx::AttributeProto::TENSOR: {
      PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Tensor> t, DecodeTensor(a.t(), what));
      return graph::AttrValue(std::move(t));
    }
    case onnx::AttributeProto::UNDEFINED:
      return Status::InvalidArgument(what + " has no type and no value");
    default:
      return Status::Unimplemented(
          what + " has kind " + onnx::AttributeProto_AttributeType_Name(AttributeKind(a)) +
          ", which is not supported (expected INT, FLOAT, STRING, INTS, FLOATS or TENSOR)");
  }
}

StatusOr<std::shared_ptr<const Tensor>> DecodeConstantNode(const onnx::NodeProto& n) {
  if (n.attribute_size() != 1) {
    return Status::InvalidArgument("expected exactly one value attribute, found " +
                                   std::to_string(n.attribute_size()));
  }
  const onnx::AttributeProto& a = n.attribute(0);
  if (a.name() == "value") return DecodeTensor(a.t(), "attribute 'value'");
  if (a.name() == "value_float" || a.name() == "value_int") {
    const bool is_float = a.name() == "value_float";
    PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(is_float ? DType::kFloat32 : DType::kInt64, Shape{}));
    if (is_float) {
      t.as<float>()[0] = a.f();
    } else {
      t.as<int64_t>()[0] = a.i();
    }
    return Share(std::move(t));
  }
  if (a.name() == "value_floats") {
    PLATEAU_ASSIGN_OR_RETURN(Tensor t,
                             Tensor::Zeros(DType::kFloat32, Shape{static_cast<int64_t>(a.floats_size())}));
    for (int i = 0; i < a.floats_size(); ++i) t.as<float>()[i] = a.floats(i);
    return Share(std::move(t));
  }
  if (a.name() == "value_ints") {
    PLATEAU_ASSIGN_OR_RETURN(Tensor t,
                             Tensor::Zeros(DType::kInt64, Shape{static_cast<int64_t>(a.ints_size())}));
    for (int i = 0; i < a.ints_size(); ++i) t.as<int64_t>()[i] = a.ints(i);
    return Share(std::move(t));
  }
  return Status::Unimplemented("attribute '" + a.name() +
                               "' is not supported (expected value, value_float, value_floats, value_int or "
                               "value_ints)");
}

std::string TensorDataTypeName(int32_t data_type) {
  if (onnx::TensorProto_DataType_IsValid(data_type)) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type));
  }
  return "unknown(" + std::to_string(data_type) + ")";
}

}  // namespace plateau::model
