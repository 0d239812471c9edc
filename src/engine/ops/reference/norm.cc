// Normalisations: BatchNormalization (inference form), Softmax and the engine's fused plateau.LayerNorm.

#include <cmath>
#include <vector>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

// ---------------------------------------------------------------------------------------------------
// BatchNormalization

Status ValidateBatchNorm(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckInputs(node, 5, 5));
  if (node.outputs.size() != 1) {
    return Status::Unimplemented("BatchNormalization with " + std::to_string(node.outputs.size()) +
                                 " outputs (training mode) is not supported; expected 1 output");
  }
  if (AttrInt(node, "spatial", 1) != 1) {
    return Status::Unimplemented("BatchNormalization spatial=0 is not supported");
  }
  if (AttrInt(node, "training_mode", 0) != 0) {
    return Status::Unimplemented("BatchNormalization training_mode=1 is not supported");
  }
  return CheckOutputs(node, 1);
}

Status InferBatchNorm(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  const Shape& x = in[0].shape;
  if (x.rank() < 2) {
    return Status::InvalidArgument("input has shape " + x.ToString() + ", expected rank >= 2 (N, C, ...)");
  }
  static constexpr const char* kNames[] = {"", "scale", "B", "mean", "var"};
  for (int i = 1; i < 5; ++i) {
    PLATEAU_RETURN_IF_ERROR(RequireFloat(in[i].dtype, kNames[i]));
    if (in[i].shape != Shape{x[1]}) {
      return Status::InvalidArgument(std::string(kNames[i]) + " has shape " + in[i].shape.ToString() +
                                     ", expected " + std::to_string(x[1]) + " (the input's channels)");
    }
  }
  out[0].dtype = DType::kFloat32;
  out[0].shape = x;
  return Status::Ok();
}

Status ReferenceBatchNorm(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const float eps = AttrFloat(node, "epsilon", 1e-5f);
  const Shape& xs = in[0].shape;
  const int64_t channels = xs[1];
  const int64_t inner = xs.num_elements() / (xs[0] * channels);
  const float* x = in[0].as<const float>();
  const float* scale = in[1].as<const float>();
  const float* bias = in[2].as<const float>();
  const float* mean = in[3].as<const float>();
  const float* var = in[4].as<const float>();
  float* y = out[0].as<float>();
  for (int64_t n = 0; n < xs[0]; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
      const int64_t base = (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        y[base + i] = static_cast<float>((x[base + i] - mean[c]) * inv_std * scale[c] + bias[c]);
      }
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Softmax, opsets 1..12: the input is viewed as 2-D [prod(dims before axis), prod(dims from axis)] and
// each row is normalised. Opset 13 normalises along the single axis instead (with default -1); the
// registry does not accept opset 13 for Softmax because infer/reference are not told the opset.

Status ValidateSoftmax(const Node& node, int opset) {
  if (opset >= 13) {
    return Status::Unimplemented("Softmax of opset " + std::to_string(opset) +
                                 " (per-axis semantics) is not supported; expected opset <= 12");
  }
  return CheckArity(node, 1, 1, 1);
}

Status InferSoftmax(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  const int rank = in[0].shape.rank();
  PLATEAU_RETURN_IF_ERROR(NormalizeAxis(AttrInt(node, "axis", 1), rank == 0 ? 1 : rank, "axis").status());
  out[0].dtype = DType::kFloat32;
  out[0].shape = in[0].shape;
  return Status::Ok();
}

Status ReferenceSoftmax(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(int axis,
                           NormalizeAxis(AttrInt(node, "axis", 1), xs.rank() == 0 ? 1 : xs.rank(), "axis"));
  const int64_t total = xs.num_elements();
  int64_t row = 1;
  for (int i = axis; i < xs.rank(); ++i) row *= xs[i];
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  for (int64_t base = 0; base < total; base += row) {
    float max_value = x[base];
    for (int64_t i = 1; i < row; ++i) max_value = std::max(max_value, x[base + i]);
    double sum = 0.0;
    for (int64_t i = 0; i < row; ++i) sum += std::exp(static_cast<double>(x[base + i]) - max_value);
    for (int64_t i = 0; i < row; ++i) {
      y[base + i] = static_cast<float>(std::exp(static_cast<double>(x[base + i]) - max_value) / sum);
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// plateau.LayerNorm: normalises over the dims from `axis` to the end with the population variance.

Status ValidateLayerNorm(const Node& node, int opset) { return CheckArity(node, 2, 3, 1); }

Status InferLayerNorm(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  const Shape& x = in[0].shape;
  if (x.rank() == 0) return Status::InvalidArgument("input is a scalar, expected rank >= 1");
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(AttrInt(node, "axis", -1), x.rank(), "axis"));
  PLATEAU_ASSIGN_OR_RETURN(int64_t norm_size, CheckedProduct(x, axis, x.rank()));
  for (size_t i = 1; i < 3; ++i) {
    if (!HasInput(node, i)) continue;
    const char* what = i == 1 ? "scale" : "bias";
    PLATEAU_RETURN_IF_ERROR(RequireFloat(in[i].dtype, what));
    if (in[i].shape.num_elements() != norm_size) {
      return Status::InvalidArgument(std::string(what) + " has shape " + in[i].shape.ToString() + " (" +
                                     std::to_string(in[i].shape.num_elements()) + " elements), expected " +
                                     std::to_string(norm_size) + " elements (input dims from axis " +
                                     std::to_string(axis) + " of " + x.ToString() + ")");
    }
  }
  out[0].dtype = DType::kFloat32;
  out[0].shape = x;
  return Status::Ok();
}

Status ReferenceLayerNorm(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(AttrInt(node, "axis", -1), xs.rank(), "axis"));
  const float eps = AttrFloat(node, "epsilon", 1e-5f);
  int64_t row = 1;
  for (int i = axis; i < xs.rank(); ++i) row *= xs[i];
  const float* x = in[0].as<const float>();
  const float* scale = in[1].as<const float>();
  const float* bias = HasInput(node, 2) ? in[2].as<const float>() : nullptr;
  float* y = out[0].as<float>();
  for (int64_t base = 0; base < xs.num_elements(); base += row) {
    double mean = 0.0;
    for (int64_t i = 0; i < row; ++i) mean += x[base + i];
    mean /= static_cast<double>(row);
    double var = 0.0;
    for (int64_t i = 0; i < row; ++i) var += (x[base + i] - mean) * (x[base + i] - mean);
    var /= static_cast<double>(row);
    const double inv_std = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < row; ++i) {
      y[base + i] = static_cast<float>((x[base + i] - mean) * inv_std * scale[i] + (bias ? bias[i] : 0.f));
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

constexpr OpDef kNormOps[] = {
    {"BatchNormalization", 7, kMaxOpset, &ValidateBatchNorm, &InferBatchNorm, &ReferenceBatchNorm},
    {"Softmax", 1, 12, &ValidateSoftmax, &InferSoftmax, &ReferenceSoftmax},
    {"plateau.LayerNorm", kInternalMinOpset, kInternalMaxOpset, &ValidateLayerNorm, &InferLayerNorm,
     &ReferenceLayerNorm},
};

}  // namespace

std::span<const OpDef> NormOps() { return kNormOps; }

}  // namespace plateau::ops::reference
