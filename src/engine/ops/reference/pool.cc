// Pooling and reductions: GlobalAveragePool, AveragePool, MaxPool (2-D windows) and ReduceMean.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

// ---------------------------------------------------------------------------------------------------
// GlobalAveragePool

Status ValidateGlobalPool(const Node& node, int opset) { return CheckArity(node, 1, 1, 1); }

Status InferGlobalPool(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  const Shape& x = in[0].shape;
  if (x.rank() < 3) {
    return Status::InvalidArgument("input has shape " + x.ToString() +
                                   ", expected rank >= 3 (N, C, spatial)");
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(x, "input"));
  Shape y = x;
  for (int i = 2; i < y.rank(); ++i) y[i] = 1;
  out[0].dtype = DType::kFloat32;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceGlobalPool(const Node& node, std::span<const TensorView> in,
                           std::span<const TensorView> out) {
  const Shape& xs = in[0].shape;
  const int64_t planes = xs[0] * xs[1];
  const int64_t inner = xs.num_elements() / planes;
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0.0;
    for (int64_t i = 0; i < inner; ++i) sum += x[p * inner + i];
    y[p] = static_cast<float>(sum / static_cast<double>(inner));
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// AveragePool / MaxPool over the two spatial dims of NCHW.

struct PoolAttrs {
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t pad_begin[2] = {0, 0};
  int64_t pad_end[2] = {0, 0};
  bool ceil_mode = false;
  bool count_include_pad = false;
};

// Copies the attribute `name` into dst[0..count) when present; runs inside kernels, so no heap.
Status ReadPoolInts(const Node& node, std::string_view name, size_t count, int64_t min_value, int64_t* dst) {
  if (!HasAttribute(node, name)) return Status::Ok();
  std::span<const int64_t> v = AttrInts(node, name);
  if (v.size() != count) {
    return Status::Unimplemented(std::string(name) + " has " + std::to_string(v.size()) +
                                 " values; only 2-D pooling is supported (expected " + std::to_string(count) +
                                 ")");
  }
  for (size_t i = 0; i < count; ++i) {
    if (v[i] < min_value) {
      return Status::InvalidArgument(std::string(name) + " " + DimsToString(v) + " has a value below " +
                                     std::to_string(min_value));
    }
    dst[i] = v[i];
  }
  return Status::Ok();
}

StatusOr<PoolAttrs> ParsePoolAttrs(const Node& node, bool is_max) {
  PoolAttrs a;
  const std::string_view auto_pad = AttrString(node, "auto_pad", "NOTSET");
  if (auto_pad != "NOTSET") {
    return Status::Unimplemented("auto_pad '" + std::string(auto_pad) +
                                 "' is not supported (expected NOTSET with explicit pads)");
  }
  if (!HasAttribute(node, "kernel_shape"))
    return Status::InvalidArgument("attribute kernel_shape is required");
  int64_t pads[4] = {0, 0, 0, 0};
  PLATEAU_RETURN_IF_ERROR(ReadPoolInts(node, "kernel_shape", 2, 1, a.kernel));
  PLATEAU_RETURN_IF_ERROR(ReadPoolInts(node, "strides", 2, 1, a.stride));
  PLATEAU_RETURN_IF_ERROR(ReadPoolInts(node, "dilations", 2, 1, a.dilation));
  PLATEAU_RETURN_IF_ERROR(ReadPoolInts(node, "pads", 4, 0, pads));
  if (!is_max && (a.dilation[0] != 1 || a.dilation[1] != 1)) {
    return Status::Unimplemented("AveragePool dilations other than 1 are not supported");
  }
  if (is_max && AttrInt(node, "storage_order", 0) != 0) {
    return Status::Unimplemented("MaxPool storage_order=1 is not supported (expected 0, row major)");
  }
  for (int i = 0; i < 2; ++i) {
    a.pad_begin[i] = pads[i];
    a.pad_end[i] = pads[i + 2];
    const int64_t extent = (a.kernel[i] - 1) * a.dilation[i] + 1;
    if (a.pad_begin[i] >= extent || a.pad_end[i] >= extent) {
      return Status::InvalidArgument("pads " + DimsToString(pads) + " must be smaller than the kernel " +
                                     DimsToString(a.kernel));
    }
  }
  a.ceil_mode = AttrInt(node, "ceil_mode", 0) != 0;
  a.count_include_pad = AttrInt(node, "count_include_pad", 0) != 0;
  return a;
}

Status ValidateAveragePool(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
  return ParsePoolAttrs(node, false).status();
}

Status ValidateMaxPool(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckInputs(node, 1, 1));
  if (node.outputs.size() > 1) {
    return Status::Unimplemented("MaxPool with an Indices output is not supported; expected 1 output");
  }
  PLATEAU_RETURN_IF_ERROR(CheckOutputs(node, 1));
  return ParsePoolAttrs(node, true).status();
}

template <bool kIsMax>
Status InferPool(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_ASSIGN_OR_RETURN(PoolAttrs a, ParsePoolAttrs(node, kIsMax));
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  const Shape& x = in[0].shape;
  if (x.rank() != 4) {
    return Status::Unimplemented("input has shape " + x.ToString() +
                                 "; only 2-D pooling on NCHW inputs (rank 4) is supported");
  }
  Shape y = x;
  for (int i = 0; i < 2; ++i) {
    const int64_t extent = (a.kernel[i] - 1) * a.dilation[i] + 1;
    const int64_t span = x[2 + i] + a.pad_begin[i] + a.pad_end[i] - extent;
    if (span < 0) {
      return Status::InvalidArgument("input " + x.ToString() + " with pads is smaller than the kernel " +
                                     std::to_string(a.kernel[0]) + "x" + std::to_string(a.kernel[1]));
    }
    int64_t n = (a.ceil_mode ? (span + a.stride[i] - 1) / a.stride[i] : span / a.stride[i]) + 1;
    // With ceil_mode, a last window that would start in the end padding is dropped.
    if (a.ceil_mode && (n - 1) * a.stride[i] >= x[2 + i] + a.pad_begin[i]) --n;
    y[2 + i] = n;
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(y, "output"));
  out[0].dtype = DType::kFloat32;
  out[0].shape = y;
  return Status::Ok();
}

template <bool kIsMax>
Status ReferencePool(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(PoolAttrs a, ParsePoolAttrs(node, kIsMax));
  const Shape& xs = in[0].shape;
  const Shape& ys = out[0].shape;
  const int64_t h_in = xs[2], w_in = xs[3], h_out = ys[2], w_out = ys[3];
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  for (int64_t p = 0; p < xs[0] * xs[1]; ++p) {
    const float* plane = x + p * h_in * w_in;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      for (int64_t ow = 0; ow < w_out; ++ow) {
        const int64_t h0 = oh * a.stride[0] - a.pad_begin[0];
        const int64_t w0 = ow * a.stride[1] - a.pad_begin[1];
        float max_value = std::numeric_limits<float>::lowest();
        double sum = 0.0;
        int64_t count = 0;
        for (int64_t i = 0; i < a.kernel[0]; ++i) {
          const int64_t ih = h0 + i * a.dilation[0];
          if (ih < 0 || ih >= h_in) continue;
          for (int64_t j = 0; j < a.kernel[1]; ++j) {
            const int64_t iw = w0 + j * a.dilation[1];
            if (iw < 0 || iw >= w_in) continue;
            max_value = std::max(max_value, plane[ih * w_in + iw]);
            sum += plane[ih * w_in + iw];
            ++count;
          }
        }
        float result;
        if constexpr (kIsMax) {
          result = max_value;
        } else {
          if (a.count_include_pad) {
            // The divisor counts padding but not the part of a ceil_mode window beyond the end padding.
            const int64_t h1 = std::min(h0 + a.kernel[0], h_in + a.pad_end[0]);
            const int64_t w1 = std::min(w0 + a.kernel[1], w_in + a.pad_end[1]);
            count = (h1 - h0) * (w1 - w0);
          }
          result = count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.f;
        }
        y[(p * h_out + oh) * w_out + ow] = result;
      }
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// ReduceMean with the axes attribute (opsets < 18).

Status ValidateReduceMean(const Node& node, int opset) { return CheckArity(node, 1, 1, 1); }

// Bit d set when dim d of `x` is reduced (all dims when axes is absent).
StatusOr<uint32_t> ReducedDims(const Node& node, const Shape& x) {
  if (!HasAttribute(node, "axes")) return (uint32_t{1} << x.rank()) - 1;
  uint32_t reduced = 0;
  for (int64_t axis : AttrInts(node, "axes")) {
    PLATEAU_ASSIGN_OR_RETURN(int a, NormalizeAxis(axis, x.rank(), "axes entry"));
    if ((reduced >> a) & 1) {
      return Status::InvalidArgument("axes " + DimsToString(AttrInts(node, "axes")) + " repeats an axis");
    }
    reduced |= uint32_t{1} << a;
  }
  return reduced;
}

Status InferReduceMean(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  const Shape& x = in[0].shape;
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(x, "input"));
  PLATEAU_ASSIGN_OR_RETURN(uint32_t reduced, ReducedDims(node, x));
  const bool keepdims = AttrInt(node, "keepdims", 1) != 0;
  Shape y;
  for (int i = 0; i < x.rank(); ++i) {
    if (!((reduced >> i) & 1)) {
      y.push_back(x[i]);
    } else if (keepdims) {
      y.push_back(1);
    }
  }
  out[0].dtype = DType::kFloat32;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceReduceMean(const Node& node, std::span<const TensorView> in,
                           std::span<const TensorView> out) {
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(uint32_t reduced, ReducedDims(node, xs));
  // Accumulate into the keepdims-shaped result, which has out's element order either way.
  Shape kept = xs;
  for (int i = 0; i < xs.rank(); ++i) {
    if ((reduced >> i) & 1) kept[i] = 1;
  }
  const auto strides = BroadcastStrides(kept, xs);
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  const int64_t n_out = kept.num_elements();
  for (int64_t i = 0; i < n_out; ++i) y[i] = 0.f;
  IndexCounter it(xs);
  for (int64_t i = 0; i < xs.num_elements(); ++i, it.Next()) y[it.Offset(strides)] += x[i];
  // Each output sums the same number of inputs: the product of the reduced dims, an exact quotient.
  const int64_t summed = xs.num_elements() / n_out;
  const float count = static_cast<float>(summed);
  for (int64_t i = 0; i < n_out; ++i) y[i] /= count;
  return ApplyPostOpsReference(node, in, out[0]);
}

constexpr OpDef kPoolOps[] = {
    {"GlobalAveragePool", 1, kMaxOpset, &ValidateGlobalPool, &InferGlobalPool, &ReferenceGlobalPool},
    {"AveragePool", 7, kMaxOpset, &ValidateAveragePool, &InferPool<false>, &ReferencePool<false>},
    {"MaxPool", 1, kMaxOpset, &ValidateMaxPool, &InferPool<true>, &ReferencePool<true>},
    {"ReduceMean", 1, kMaxOpset, &ValidateReduceMean, &InferReduceMean, &ReferenceReduceMean},
};

}  // namespace

std::span<const OpDef> PoolOps() { return kPoolOps; }

}  // namespace plateau::ops::reference
