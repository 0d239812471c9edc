// Element-wise ops: numpy-broadcasting binary arithmetic and unary activations.

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

enum class Binary { kAdd, kSub, kMul, kDiv, kPow };

// ---------------------------------------------------------------------------------------------------
// Binary

Status ValidateBinary(const Node& node, int opset) {
  if (HasAttribute(node, "broadcast") || HasAttribute(node, "axis")) {
    return Status::Unimplemented("legacy 'broadcast'/'axis' attributes (opset < 7) are not supported");
  }
  return CheckArity(node, 2, 2, 1);
}

template <Binary kOp>
Status InferBinary(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  if (in[0].dtype != in[1].dtype) {
    return Status::InvalidArgument(std::string("inputs have different dtypes: ") + DTypeName(in[0].dtype) +
                                   " and " + DTypeName(in[1].dtype));
  }
  if (kOp == Binary::kPow) {
    PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "base"));
  } else if (in[0].dtype == DType::kUInt8) {
    return Status::Unimplemented("uint8 arithmetic is not supported (expected float32, int32 or int64)");
  }
  PLATEAU_ASSIGN_OR_RETURN(out[0].shape, BroadcastShapes(in[0].shape, in[1].shape));
  out[0].dtype = in[0].dtype;
  return Status::Ok();
}

template <Binary kOp, typename T>
T ApplyBinary(T a, T b) {
  if constexpr (kOp == Binary::kAdd) return a + b;
  if constexpr (kOp == Binary::kSub) return a - b;
  if constexpr (kOp == Binary::kMul) return a * b;
  if constexpr (kOp == Binary::kDiv) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return 0;  // integer division by zero is undefined in C++; ONNX leaves it unspecified
    }
    return a / b;
  }
  if constexpr (kOp == Binary::kPow) return static_cast<T>(std::pow(a, b));
}

template <Binary kOp, typename T>
void RunBinary(const TensorView& a, const TensorView& b, const TensorView& y) {
  auto sa = BroadcastStrides(a.shape, y.shape);
  auto sb = BroadcastStrides(b.shape, y.shape);
  const T* pa = a.as<const T>();
  const T* pb = b.as<const T>();
  T* py = y.as<T>();
  const int64_t n = y.shape.num_elements();
  if (a.shape == y.shape && b.shape == y.shape) {
    for (int64_t i = 0; i < n; ++i) py[i] = ApplyBinary<kOp, T>(pa[i], pb[i]);
    return;
  }
  IndexCounter it(y.shape);
  for (int64_t i = 0; i < n; ++i, it.Next()) {
    py[i] = ApplyBinary<kOp, T>(pa[it.Offset(sa)], pb[it.Offset(sb)]);
  }
}

template <Binary kOp>
Status ReferenceBinary(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  switch (out[0].dtype) {
    case DType::kFloat32:
      RunBinary<kOp, float>(in[0], in[1], out[0]);
      break;
    // For Pow both integer cases compile to nothing: InferBinary refuses an integer base before any run.
    // NOLINTNEXTLINE(bugprone-branch-clone)
    case DType::kInt32:
      if constexpr (kOp != Binary::kPow) RunBinary<kOp, int32_t>(in[0], in[1], out[0]);
      break;
    case DType::kInt64:
      if constexpr (kOp != Binary::kPow) RunBinary<kOp, int64_t>(in[0], in[1], out[0]);
      break;
    case DType::kUInt8:
      return Status::Unimplemented("uint8 arithmetic is not supported");
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Unary

enum class Unary { kSqrt, kRelu, kSigmoid, kHardSigmoid, kExp, kTanh };

Status ValidateUnary(const Node& node, int opset) { return CheckArity(node, 1, 1, 1); }

Status InferUnary(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  out[0].dtype = in[0].dtype;
  out[0].shape = in[0].shape;
  return Status::Ok();
}

template <Unary kOp>
Status ReferenceUnary(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  const int64_t n = out[0].shape.num_elements();
  const float alpha = AttrFloat(node, "alpha", 0.2f);
  const float beta = AttrFloat(node, "beta", 0.5f);
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i];
    if constexpr (kOp == Unary::kSqrt) v = std::sqrt(v);
    if constexpr (kOp == Unary::kRelu) v = graph::ApplyEltwise(graph::Eltwise::kRelu, 0.f, 0.f, v);
    if constexpr (kOp == Unary::kSigmoid) v = graph::ApplyEltwise(graph::Eltwise::kSigmoid, 0.f, 0.f, v);
    if constexpr (kOp == Unary::kHardSigmoid) {
      v = graph::ApplyEltwise(graph::Eltwise::kHardSigmoid, alpha, beta, v);
    }
    if constexpr (kOp == Unary::kExp) v = std::exp(v);
    if constexpr (kOp == Unary::kTanh) v = std::tanh(v);
    y[i] = v;
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// Clip: bounds are attributes min/max before opset 11 and optional scalar inputs from opset 11 on.
Status ValidateClip(const Node& node, int opset) {
  if (opset < 11) {
    if (OwnInputCount(node) != 1) {
      return Status::InvalidArgument("Clip before opset 11 takes one input (min/max are attributes), got " +
                                     std::to_string(OwnInputCount(node)));
    }
  } else if (HasAttribute(node, "min") || HasAttribute(node, "max")) {
    return Status::InvalidArgument("Clip from opset 11 takes min/max as inputs, not attributes");
  }
  return CheckArity(node, 1, 3, 1);
}

Status InferClip(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  for (size_t i = 1; i < 3; ++i) {
    if (!HasInput(node, i)) continue;
    const char* what = i == 1 ? "min" : "max";
    PLATEAU_RETURN_IF_ERROR(RequireFloat(in[i].dtype, what));
    if (in[i].shape.num_elements() != 1) {
      return Status::InvalidArgument(std::string(what) + " has shape " + in[i].shape.ToString() +
                                     ", expected a scalar");
    }
  }
  out[0].dtype = in[0].dtype;
  out[0].shape = in[0].shape;
  return Status::Ok();
}

Status ReferenceClip(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  float lo = AttrFloat(node, "min", std::numeric_limits<float>::lowest());
  float hi = AttrFloat(node, "max", std::numeric_limits<float>::max());
  if (HasInput(node, 1)) lo = in[1].as<const float>()[0];
  if (HasInput(node, 2)) hi = in[2].as<const float>()[0];
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  const int64_t n = out[0].shape.num_elements();
  for (int64_t i = 0; i < n; ++i) y[i] = graph::ApplyEltwise(graph::Eltwise::kClip, lo, hi, x[i]);
  return ApplyPostOpsReference(node, in, out[0]);
}

// Identity is a view of its input; the kernel only runs when no alias was made (e.g. constant folding).
Status InferIdentity(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  out[0].dtype = in[0].dtype;
  out[0].shape = in[0].shape;
  return Status::Ok();
}

Status ReferenceIdentity(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  if (out[0].data != in[0].data) std::memmove(out[0].data, in[0].data, in[0].byte_size());
  return Status::Ok();
}

constexpr OpDef kElementwiseOps[] = {
    {"Add", 7, kMaxOpset, &ValidateBinary, &InferBinary<Binary::kAdd>, &ReferenceBinary<Binary::kAdd>},
    {"Sub", 7, kMaxOpset, &ValidateBinary, &InferBinary<Binary::kSub>, &ReferenceBinary<Binary::kSub>},
    {"Mul", 7, kMaxOpset, &ValidateBinary, &InferBinary<Binary::kMul>, &ReferenceBinary<Binary::kMul>},
    {"Div", 7, kMaxOpset, &ValidateBinary, &InferBinary<Binary::kDiv>, &ReferenceBinary<Binary::kDiv>},
    {"Pow", 7, kMaxOpset, &ValidateBinary, &InferBinary<Binary::kPow>, &ReferenceBinary<Binary::kPow>},
    {"Sqrt", 6, kMaxOpset, &ValidateUnary, &InferUnary, &ReferenceUnary<Unary::kSqrt>},
    {"Relu", 6, kMaxOpset, &ValidateUnary, &InferUnary, &ReferenceUnary<Unary::kRelu>},
    {"Sigmoid", 6, kMaxOpset, &ValidateUnary, &InferUnary, &ReferenceUnary<Unary::kSigmoid>},
    {"HardSigmoid", 6, kMaxOpset, &ValidateUnary, &InferUnary, &ReferenceUnary<Unary::kHardSigmoid>},
    {"Exp", 6, kMaxOpset, &ValidateUnary, &InferUnary, &ReferenceUnary<Unary::kExp>},
    {"Tanh", 6, kMaxOpset, &ValidateUnary, &InferUnary, &ReferenceUnary<Unary::kTanh>},
    {"Clip", 6, kMaxOpset, &ValidateClip, &InferClip, &ReferenceClip},
    {"Identity", 1, kMaxOpset, &ValidateUnary, &InferIdentity, &ReferenceIdentity, /*is_view=*/true},
};

}  // namespace

std::span<const OpDef> ElementwiseOps() { return kElementwiseOps; }

}  // namespace plateau::ops::reference
