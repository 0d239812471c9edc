// Resize (opsets 10..13) in nearest and linear modes.
//
// The form is told apart by the input count, because the kernels are not given the opset:
//   2 inputs (opset 10): X, scales. Coordinates are asymmetric; nearest rounds down when upsampling and
//                        up when downsampling, as ONNX Runtime does for this opset.
//   3-4 inputs (11+):    X, roi, scales, sizes. Exactly one of scales/sizes is non-empty.

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

enum class Coord { kHalfPixel, kAsymmetric, kAlignCorners, kPytorchHalfPixel, kTfHalfPixelForNn };
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kOpset10 };

struct ResizeAttrs {
  bool linear = false;
  Coord coord = Coord::kHalfPixel;
  Nearest nearest = Nearest::kRoundPreferFloor;
};

bool IsOpset10Form(const Node& node) { return OwnInputCount(node) == 2; }

// Runs inside the kernel too, so attribute strings are compared in place, never copied.
StatusOr<ResizeAttrs> ParseResizeAttrs(const Node& node) {
  ResizeAttrs a;
  const std::string_view mode = AttrString(node, "mode", "nearest");
  if (mode == "linear") {
    a.linear = true;
  } else if (mode != "nearest") {
    return Status::Unimplemented("Resize mode '" + std::string(mode) +
                                 "' is not supported (expected nearest or linear)");
  }
  if (IsOpset10Form(node)) {
    a.coord = Coord::kAsymmetric;
    a.nearest = Nearest::kOpset10;
    return a;
  }
  const std::string_view coord = AttrString(node, "coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel") {
    a.coord = Coord::kHalfPixel;
  } else if (coord == "asymmetric") {
    a.coord = Coord::kAsymmetric;
  } else if (coord == "align_corners") {
    a.coord = Coord::kAlignCorners;
  } else if (coord == "pytorch_half_pixel") {
    a.coord = Coord::kPytorchHalfPixel;
  } else if (coord == "tf_half_pixel_for_nn") {
    a.coord = Coord::kTfHalfPixelForNn;
  } else {
    return Status::Unimplemented("Resize coordinate_transformation_mode '" + std::string(coord) +
                                 "' is not supported (expected half_pixel, asymmetric, align_corners, "
                                 "pytorch_half_pixel or tf_half_pixel_for_nn)");
  }
  const std::string_view nearest = AttrString(node, "nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    a.nearest = Nearest::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    a.nearest = Nearest::kRoundPreferCeil;
  } else if (nearest == "floor") {
    a.nearest = Nearest::kFloor;
  } else if (nearest == "ceil") {
    a.nearest = Nearest::kCeil;
  } else {
    return Status::InvalidArgument("Resize nearest_mode '" + std::string(nearest) +
                                   "' is unknown (expected round_prefer_floor, round_prefer_ceil, floor or "
                                   "ceil)");
  }
  return a;
}

Status ValidateResize(const Node& node, int opset) {
  if (opset < 11) {
    PLATEAU_RETURN_IF_ERROR(CheckArity(node, 2, 2, 1));
  } else {
    PLATEAU_RETURN_IF_ERROR(CheckArity(node, 1, 4, 1));
    if (OwnInputCount(node) < 3) {
      return Status::InvalidArgument("Resize from opset 11 takes inputs X, roi, scales[, sizes]; got " +
                                     std::to_string(OwnInputCount(node)) + " inputs");
    }
  }
  return ParseResizeAttrs(node).status();
}

// Per-dim scale and output size, from whichever of scales/sizes the node uses.
struct ResizeGeometry {
  std::array<double, Shape::kMaxRank> scale{};
  Shape out;
};

// `source` holds sizes (int64) when `is_sizes`, else scales (float32).
StatusOr<ResizeGeometry> MakeGeometry(const Shape& x, const TensorView& source, bool is_sizes) {
  ResizeGeometry g;
  g.out = x;
  const int64_t count = source.shape.num_elements();
  if (is_sizes) PLATEAU_RETURN_IF_ERROR(RequireInts(source, "sizes"));
  if (!is_sizes) PLATEAU_RETURN_IF_ERROR(RequireFloat(source.dtype, "scales"));
  if (count != x.rank()) {
    return Status::InvalidArgument(std::string(is_sizes ? "sizes" : "scales") + " has " +
                                   std::to_string(count) + " entries, expected " + std::to_string(x.rank()) +
                                   " (the input rank)");
  }
  for (int i = 0; i < x.rank(); ++i) {
    if (is_sizes) {
      g.out[i] = IntAt(source, i);
      g.scale[i] = static_cast<double>(g.out[i]) / static_cast<double>(x[i]);
    } else {
      const double s = FloatAt(source, i);
      if (!(s > 0)) return Status::InvalidArgument("scales entry " + std::to_string(i) + " is not positive");
      g.scale[i] = s;
      // The product comes from the model's data: one beyond int64 (an infinite or huge scale) cannot
      // be converted, and would be refused by CheckPositiveDims anyway.
      const double out = std::floor(static_cast<double>(x[i]) * s);
      if (!(out < 9.0e18)) {
        return Status::InvalidArgument("scales entry " + std::to_string(i) + " (" + std::to_string(s) +
                                       ") makes output dim " + std::to_string(i) + " of " +
                                       std::to_string(x[i]) + " too large to represent");
      }
      g.out[i] = static_cast<int64_t>(out);
    }
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(g.out, "output"));
  return g;
}

// Which input gives the output size (1 or 2: scales, 3: sizes). `count2`/`count3` are the element
// counts of inputs 2 and 3, 0 when omitted; an empty tensor also counts as omitted.
StatusOr<size_t> SizeSource(const Node& node, int64_t count2, int64_t count3) {
  if (IsOpset10Form(node)) return size_t{1};
  if (count3 > 0) {
    if (count2 > 0) return Status::InvalidArgument("Resize has both scales and sizes; expected only one");
    return size_t{3};
  }
  if (count2 > 0) return size_t{2};
  return Status::InvalidArgument("Resize has neither scales nor sizes");
}

template <typename T>
int64_t InputCount(const Node& node, std::span<const T> in, size_t i) {
  return HasInput(node, i) ? in[i].shape.num_elements() : 0;
}

Status CheckLinearDims(const ResizeAttrs& a, const Shape& x, const Shape& y) {
  if (!a.linear) return Status::Ok();
  if (x.rank() < 2) return Status::Unimplemented("linear Resize needs rank >= 2, got " + x.ToString());
  for (int i = 0; i < x.rank() - 2; ++i) {
    if (x[i] != y[i]) {
      return Status::Unimplemented("linear Resize of " + x.ToString() + " to " + y.ToString() +
                                   " changes a dim other than the last two; only bilinear resizing is "
                                   "supported");
    }
  }
  return Status::Ok();
}

Status InferResize(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_ASSIGN_OR_RETURN(ResizeAttrs a, ParseResizeAttrs(node));
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "input"));
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(in[0].shape, "input"));
  PLATEAU_ASSIGN_OR_RETURN(size_t source, SizeSource(node, InputCount(node, in, 2), InputCount(node, in, 3)));
  const char* what = source == 3 ? "sizes" : "scales";
  if (in[source].constant == nullptr) {
    return Status::Unimplemented(std::string(what) +
                                 " must be a constant known at plan time, but it is computed at run time");
  }
  PLATEAU_ASSIGN_OR_RETURN(ResizeGeometry g,
                           MakeGeometry(in[0].shape, in[source].constant->view(), source == 3));
  PLATEAU_RETURN_IF_ERROR(CheckLinearDims(a, in[0].shape, g.out));
  out[0].dtype = DType::kFloat32;
  out[0].shape = g.out;
  return Status::Ok();
}

double SourceCoordinate(Coord coord, int64_t x, double scale, int64_t len_in, int64_t len_out) {
  const double xr = static_cast<double>(x);
  switch (coord) {
    case Coord::kHalfPixel:
      return (xr + 0.5) / scale - 0.5;
    case Coord::kAsymmetric:
      return xr / scale;
    case Coord::kPytorchHalfPixel:
      return len_out > 1 ? (xr + 0.5) / scale - 0.5 : 0.0;
    case Coord::kAlignCorners:
      return len_out == 1 ? 0.0 : xr * static_cast<double>(len_in - 1) / static_cast<double>(len_out - 1);
    case Coord::kTfHalfPixelForNn:
      return (xr + 0.5) / scale;
  }
  return xr;
}

int64_t NearestIndex(Nearest mode, double x, double scale, int64_t len_in) {
  const double lower = std::floor(x);
  const bool is_half = x - lower == 0.5;
  double r = lower;
  switch (mode) {
    case Nearest::kRoundPreferFloor:
      r = is_half ? lower : std::round(x);
      break;
    case Nearest::kRoundPreferCeil:
      r = is_half ? lower + 1 : std::round(x);
      break;
    case Nearest::kFloor:
      r = lower;
      break;
    case Nearest::kCeil:
      r = std::ceil(x);
      break;
    case Nearest::kOpset10:
      r = scale < 1.0 ? std::ceil(x) : lower;
      break;
  }
  return std::clamp(static_cast<int64_t>(r), int64_t{0}, len_in - 1);
}

// The two neighbours of a linear sample along one dim and the weight of the upper one.
struct LinearTap {
  int64_t lo, hi;
  double w;
};

LinearTap MakeTap(Coord coord, int64_t o, double scale, int64_t len_in, int64_t len_out) {
  const double c =
      std::clamp(SourceCoordinate(coord, o, scale, len_in, len_out), 0.0, static_cast<double>(len_in - 1));
  const int64_t lo = static_cast<int64_t>(std::floor(c));
  return {lo, std::min(lo + 1, len_in - 1), c - static_cast<double>(lo)};
}

// Source coordinates are recomputed per element rather than tabulated, so the kernel needs no heap.
Status ReferenceResize(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(ResizeAttrs a, ParseResizeAttrs(node));
  PLATEAU_ASSIGN_OR_RETURN(size_t source, SizeSource(node, InputCount(node, in, 2), InputCount(node, in, 3)));
  const Shape& xs = in[0].shape;
  PLATEAU_ASSIGN_OR_RETURN(ResizeGeometry g, MakeGeometry(xs, in[source], source == 3));
  if (g.out != out[0].shape) {
    return Status::Internal("Resize output buffer is " + out[0].shape.ToString() + ", expected " +
                            g.out.ToString());
  }
  const Shape& ys = out[0].shape;
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  const int rank = xs.rank();

  if (!a.linear) {
    const auto strides = Strides(xs);
    IndexCounter it(ys);
    for (int64_t i = 0; i < ys.num_elements(); ++i, it.Next()) {
      int64_t off = 0;
      for (int d = 0; d < rank; ++d) {
        const double c = SourceCoordinate(a.coord, it.index()[d], g.scale[d], xs[d], ys[d]);
        off += NearestIndex(a.nearest, c, g.scale[d], xs[d]) * strides[d];
      }
      y[i] = x[off];
    }
    return ApplyPostOpsReference(node, in, out[0]);
  }

  PLATEAU_RETURN_IF_ERROR(CheckLinearDims(a, xs, ys));
  const int dh = rank - 2, dw = rank - 1;
  const int64_t h_in = xs[dh], w_in = xs[dw], h_out = ys[dh], w_out = ys[dw];
  const int64_t planes = xs.num_elements() / (h_in * w_in);
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x + p * h_in * w_in;
    float* dst = y + p * h_out * w_out;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      const LinearTap th = MakeTap(a.coord, oh, g.scale[dh], h_in, h_out);
      for (int64_t ow = 0; ow < w_out; ++ow) {
        const LinearTap tw = MakeTap(a.coord, ow, g.scale[dw], w_in, w_out);
        const double top = src[th.lo * w_in + tw.lo] * (1 - tw.w) + src[th.lo * w_in + tw.hi] * tw.w;
        const double bottom = src[th.hi * w_in + tw.lo] * (1 - tw.w) + src[th.hi * w_in + tw.hi] * tw.w;
        dst[oh * w_out + ow] = static_cast<float>(top * (1 - th.w) + bottom * th.w);
      }
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

constexpr OpDef kResizeOps[] = {
    {"Resize", 10, kMaxOpset, &ValidateResize, &InferResize, &ReferenceResize},
};

}  // namespace

std::span<const OpDef> ResizeOps() { return kResizeOps; }

}  // namespace plateau::ops::reference
