// Conv and ConvTranspose with 2-D spatial dims, groups, dilations and explicit pads.

#include <string>
#include <string_view>
#include <vector>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

struct ConvAttrs {
  int64_t group = 1;
  int64_t kernel[2] = {0, 0};  // 0 when the attribute is absent (taken from the weights)
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t pad_begin[2] = {0, 0};
  int64_t pad_end[2] = {0, 0};
  int64_t output_padding[2] = {0, 0};
};

// Attribute parsing runs inside the kernels too, so it reads attributes without copying them.
Status ReadPair(const Node& node, std::string_view name, int64_t min_value, int64_t (&dst)[2]) {
  if (FindAttr(node, name) == nullptr) return Status::Ok();
  std::span<const int64_t> v = AttrInts(node, name);
  if (v.size() != 2) {
    return Status::Unimplemented(std::string(name) + " has " + std::to_string(v.size()) +
                                 " values; only 2-D convolutions are supported (expected 2)");
  }
  for (int i = 0; i < 2; ++i) {
    if (v[i] < min_value) {
      return Status::InvalidArgument(std::string(name) + " " + DimsToString(v) + " has a value below " +
                                     std::to_string(min_value));
    }
    dst[i] = v[i];
  }
  return Status::Ok();
}

StatusOr<ConvAttrs> ParseConvAttrs(const Node& node, bool transposed) {
  ConvAttrs a;
  const std::string_view auto_pad = AttrString(node, "auto_pad", "NOTSET");
  if (auto_pad != "NOTSET") {
    return Status::Unimplemented("auto_pad '" + std::string(auto_pad) +
                                 "' is not supported (expected NOTSET with explicit pads)");
  }
  a.group = AttrInt(node, "group", 1);
  if (a.group < 1) return Status::InvalidArgument("group " + std::to_string(a.group) + " is below 1");
  PLATEAU_RETURN_IF_ERROR(ReadPair(node, "kernel_shape", 1, a.kernel));
  PLATEAU_RETURN_IF_ERROR(ReadPair(node, "strides", 1, a.stride));
  PLATEAU_RETURN_IF_ERROR(ReadPair(node, "dilations", 1, a.dilation));
  if (FindAttr(node, "pads") != nullptr) {
    std::span<const int64_t> p = AttrInts(node, "pads");
    if (p.size() != 4) {
      return Status::Unimplemented("pads has " + std::to_string(p.size()) +
                                   " values; only 2-D convolutions are supported (expected 4)");
    }
    for (int64_t v : p) {
      if (v < 0) return Status::InvalidArgument("pads " + DimsToString(p) + " has a negative value");
    }
    a.pad_begin[0] = p[0];
    a.pad_begin[1] = p[1];
    a.pad_end[0] = p[2];
    a.pad_end[1] = p[3];
  }
  if (transposed) {
    if (FindAttr(node, "output_shape") != nullptr) {
      return Status::Unimplemented(
          "ConvTranspose attribute output_shape is not supported (expected pads "
          "and output_padding)");
    }
    PLATEAU_RETURN_IF_ERROR(ReadPair(node, "output_padding", 0, a.output_padding));
    for (int i = 0; i < 2; ++i) {
      if (a.output_padding[i] >= a.stride[i] && a.output_padding[i] >= a.dilation[i]) {
        return Status::InvalidArgument("output_padding " + std::to_string(a.output_padding[i]) +
                                       " must be smaller than the stride or the dilation");
      }
    }
  } else if (FindAttr(node, "output_padding") != nullptr || FindAttr(node, "output_shape") != nullptr) {
    return Status::InvalidArgument("Conv does not take output_padding/output_shape");
  }
  return a;
}

Status ValidateConvLike(const Node& node, bool transposed) {
  PLATEAU_RETURN_IF_ERROR(CheckArity(node, 2, 3, 1));
  return ParseConvAttrs(node, transposed).status();
}
Status ValidateConv(const Node& node, int opset) { return ValidateConvLike(node, false); }
Status ValidateConvTranspose(const Node& node, int opset) { return ValidateConvLike(node, true); }

// Checks the shared parts of X, W and B; `out_channels` is M.
Status CheckConvInputs(const Node& node, std::span<const ValueInfo> in, const ConvAttrs& a,
                       int64_t out_channels) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[1].dtype, "weights"));
  if (in[0].shape.rank() != 4) {
    return Status::Unimplemented("input has shape " + in[0].shape.ToString() +
                                 "; only 2-D convolutions on NCHW inputs (rank 4) are supported");
  }
  if (in[1].shape.rank() != 4) {
    return Status::InvalidArgument("weights have shape " + in[1].shape.ToString() + ", expected rank 4");
  }
  for (int i = 0; i < 2; ++i) {
    if (a.kernel[i] != 0 && a.kernel[i] != in[1].shape[2 + i]) {
      return Status::InvalidArgument("kernel_shape [" + std::to_string(a.kernel[0]) + ", " +
                                     std::to_string(a.kernel[1]) + "] does not match weights shape " +
                                     in[1].shape.ToString());
    }
  }
  if (HasInput(node, 2)) {
    PLATEAU_RETURN_IF_ERROR(RequireFloat(in[2].dtype, "bias"));
    if (in[2].shape != Shape{out_channels}) {
      return Status::InvalidArgument("bias has shape " + in[2].shape.ToString() + ", expected " +
                                     std::to_string(out_channels) + " (the output channels)");
    }
  }
  return Status::Ok();
}

Status InferConv(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_ASSIGN_OR_RETURN(ConvAttrs a, ParseConvAttrs(node, false));
  const Shape& x = in[0].shape;
  const Shape& w = in[1].shape;
  PLATEAU_RETURN_IF_ERROR(CheckConvInputs(node, in, a, w.rank() == 4 ? w[0] : 0));
  if (x[1] != w[1] * a.group) {
    return Status::InvalidArgument(
        node.Describe() + ": input has " + std::to_string(x[1]) + " channels but weights expect " +
        std::to_string(w[1] * a.group) + " (weights shape " + w.ToString() +
        (a.group != 1 ? ", group " + std::to_string(a.group) : std::string()) + ")");
  }
  if (w[0] % a.group != 0) {
    return Status::InvalidArgument("weights have " + std::to_string(w[0]) +
                                   " output channels, not divisible by group " + std::to_string(a.group));
  }
  Shape y{x[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t extent = (w[2 + i] - 1) * a.dilation[i] + 1;
    int64_t padded = x[2 + i] + a.pad_begin[i] + a.pad_end[i];
    if (padded < extent) {
      return Status::InvalidArgument("input " + x.ToString() + " with pads is smaller than the kernel " +
                                     w.ToString() + " (dilated extent " + std::to_string(extent) + ")");
    }
    y[2 + i] = (padded - extent) / a.stride[i] + 1;
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(y, "output"));
  out[0].dtype = DType::kFloat32;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceConv(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(ConvAttrs a, ParseConvAttrs(node, false));
  const Shape& xs = in[0].shape;
  const Shape& ws = in[1].shape;
  const Shape& ys = out[0].shape;
  const float* x = in[0].as<const float>();
  const float* w = in[1].as<const float>();
  const float* b = HasInput(node, 2) ? in[2].as<const float>() : nullptr;
  float* y = out[0].as<float>();
  const int64_t n_batch = xs[0], c_in = xs[1], h_in = xs[2], w_in = xs[3];
  const int64_t m_out = ys[1], h_out = ys[2], w_out = ys[3];
  const int64_t kh = ws[2], kw = ws[3];
  const int64_t c_per_group = c_in / a.group, m_per_group = m_out / a.group;
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t m = 0; m < m_out; ++m) {
      const int64_t g = m / m_per_group;
      for (int64_t oh = 0; oh < h_out; ++oh) {
        for (int64_t ow = 0; ow < w_out; ++ow) {
          double acc = b ? b[m] : 0.0;
          for (int64_t c = 0; c < c_per_group; ++c) {
            const int64_t ci = g * c_per_group + c;
            for (int64_t i = 0; i < kh; ++i) {
              const int64_t ih = oh * a.stride[0] - a.pad_begin[0] + i * a.dilation[0];
              if (ih < 0 || ih >= h_in) continue;
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iw = ow * a.stride[1] - a.pad_begin[1] + j * a.dilation[1];
                if (iw < 0 || iw >= w_in) continue;
                acc += static_cast<double>(x[((n * c_in + ci) * h_in + ih) * w_in + iw]) *
                       w[((m * c_per_group + c) * kh + i) * kw + j];
              }
            }
          }
          y[((n * m_out + m) * h_out + oh) * w_out + ow] = static_cast<float>(acc);
        }
      }
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

Status InferConvTranspose(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_ASSIGN_OR_RETURN(ConvAttrs a, ParseConvAttrs(node, true));
  const Shape& x = in[0].shape;
  const Shape& w = in[1].shape;
  PLATEAU_RETURN_IF_ERROR(CheckConvInputs(node, in, a, w.rank() == 4 ? w[1] * a.group : 0));
  if (x[1] != w[0]) {
    return Status::InvalidArgument(node.Describe() + ": input has " + std::to_string(x[1]) +
                                   " channels but weights expect " + std::to_string(w[0]) +
                                   " (weights shape " + w.ToString() + ", layout C x M/group x kH x kW)");
  }
  if (w[0] % a.group != 0) {
    return Status::InvalidArgument("weights have " + std::to_string(w[0]) +
                                   " input channels, not divisible by group " + std::to_string(a.group));
  }
  Shape y{x[0], w[1] * a.group, 0, 0};
  for (int i = 0; i < 2; ++i) {
    y[2 + i] = a.stride[i] * (x[2 + i] - 1) + a.output_padding[i] + (w[2 + i] - 1) * a.dilation[i] + 1 -
               a.pad_begin[i] - a.pad_end[i];
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(y, "output"));
  out[0].dtype = DType::kFloat32;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceConvTranspose(const Node& node, std::span<const TensorView> in,
                              std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(ConvAttrs a, ParseConvAttrs(node, true));
  const Shape& xs = in[0].shape;
  const Shape& ws = in[1].shape;
  const Shape& ys = out[0].shape;
  const float* x = in[0].as<const float>();
  const float* w = in[1].as<const float>();
  const float* b = HasInput(node, 2) ? in[2].as<const float>() : nullptr;
  float* y = out[0].as<float>();
  const int64_t n_batch = xs[0], c_in = xs[1], h_in = xs[2], w_in = xs[3];
  const int64_t m_out = ys[1], h_out = ys[2], w_out = ys[3];
  const int64_t kh = ws[2], kw = ws[3];
  const int64_t c_per_group = c_in / a.group, m_per_group = ws[1];
  // Start from the bias and scatter every input pixel's weighted kernel footprint into the output.
  const int64_t plane = h_out * w_out;
  for (int64_t i = 0; i < ys.num_elements(); ++i) y[i] = b ? b[(i / plane) % m_out] : 0.f;
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t c = 0; c < c_in; ++c) {
      const int64_t g = c / c_per_group;
      for (int64_t ih = 0; ih < h_in; ++ih) {
        for (int64_t iw = 0; iw < w_in; ++iw) {
          const float xv = x[((n * c_in + c) * h_in + ih) * w_in + iw];
          for (int64_t mg = 0; mg < m_per_group; ++mg) {
            const int64_t m = g * m_per_group + mg;
            for (int64_t i = 0; i < kh; ++i) {
              const int64_t oh = ih * a.stride[0] - a.pad_begin[0] + i * a.dilation[0];
              if (oh < 0 || oh >= h_out) continue;
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t ow = iw * a.stride[1] - a.pad_begin[1] + j * a.dilation[1];
                if (ow < 0 || ow >= w_out) continue;
                y[((n * m_out + m) * h_out + oh) * w_out + ow] +=
                    xv * w[((c * m_per_group + mg) * kh + i) * kw + j];
              }
            }
          }
        }
      }
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

constexpr OpDef kConvOps[] = {
    {"Conv", 1, kMaxOpset, &ValidateConv, &InferConv, &ReferenceConv},
    {"ConvTranspose", 1, kMaxOpset, &ValidateConvTranspose, &InferConvTranspose, &ReferenceConvTranspose},
};

}  // namespace

std::span<const OpDef> ConvOps() { return kConvOps; }

}  // namespace plateau::ops::reference
