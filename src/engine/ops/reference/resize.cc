// Resize (opsets 10..13) in nearest and linear modes.
//
// The form is told apart by the input count, because the kernels are not given the opset:
//   2 inputs (opset 10): X, scales. Coordinates are asymmetric; nearest rounds down when upsampling and
//                        up when downsampling, as ONNX Runtime does for this opset.
//   3-4 inputs (11+):    X, roi, scales, sizes. Exactly one of scales/sizes is non-empty.

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

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

StatusOr<ResizeAttrs> ParseResizeAttrs(const Node& node) {
  ResizeAttrs a;
  const std::string mode = node.GetString("mode", "nearest");
  if (mode == "linear") {
    a.linear = true;
  } else if (mode != "nearest") {
    return Status::Unimplemented("Resize mode '" + mode + "' is not supported (expected nearest or linear)");
  }
  if (IsOpset10Form(node)) {
    a.coord = Coord::kAsymmetric;
    a.nearest = Nearest::kOpset10;
    return a;
  }
  const std::string coord = node.GetString("coordinate_transformation_mode", "half_pixel");
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
    return Status::Unimplemented("Resize coordinate_transformation_mode '" + coord +
                                 "' is not supported (expected half_pixel, asymmetric, align_corners, "
                                 "pytorch_half_pixel or tf_half_pixel_for_nn)");
  }
  const std::string nearest = node.GetString("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    a.nearest = Nearest::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    a.nearest = Nearest::kRoundPreferCeil;
  } else if (nearest == "floor") {
    a.nearest = Nearest::kFloor;
  } else if (nearest == "ceil") {
    a.nearest = Nearest::kCeil;
  } else {
    return Status::InvalidArgument("Resize nearest_mode '" + nearest +
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
  std::vector<double> scale;
  Shape out;
};

StatusOr<ResizeGeometry> MakeGeometry(const Shape& x, const std::vector<float>* scales,
                                      const std::vector<int64_t>* sizes) {
  ResizeGeometry g;
  g.out = x;
  const size_t rank = static_cast<size_t>(x.rank());
  if (sizes != nullptr) {
    if (sizes->size() != rank) {
      return Status::InvalidArgument("sizes " + DimsToString(*sizes) + " has " +
                                     std::to_string(sizes->size()) + " entries, expected " +
                                     std::to_string(rank) + " (the input rank)");
    }
    for (size_t i = 0; i < rank; ++i) {
      g.out[static_cast<int>(i)] = (*sizes)[i];
      g.scale.push_back(static_cast<double>((*sizes)[i]) / static_cast<double>(x[static_cast<int>(i)]));
    }
  } else {
    if (scales->size() != rank) {
      return Status::InvalidArgument("scales has " + std::to_string(scales->size()) + " entries, expected " +
                                     std::to_string(rank) + " (the input rank)");
    }
    for (size_t i = 0; i < rank; ++i) {
      const double s = (*scales)[i];
      if (!(s > 0)) return Status::InvalidArgument("scales entry " + std::to_string(i) + " is not positive");
      g.scale.push_back(s);
      g.out[static_cast<int>(i)] =
          static_cast<int64_t>(std::floor(static_cast<double>(x[static_cast<int>(i)]) * s));
    }
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(g.out, "output"));
  return g;
}

// Input index (node i) of the tensor that gives the output size, and whether it holds sizes.
StatusOr<std::pair<size_t, bool>> SizeSource(const Node& node, std::span<const Shape> shapes) {
  if (IsOpset10Form(node)) return std::make_pair(size_t{1}, false);
  if (HasInput(node, 3) && shapes[3].num_elements() > 0) {
    if (HasInput(node, 2) && shapes[2].num_elements() > 0) {
      return Status::InvalidArgument("Resize has both scales and sizes; expected only one");
    }
    return std::make_pair(size_t{3}, true);
  }
  if (HasInput(node, 2) && shapes[2].num_elements() > 0) return std::make_pair(size_t{2}, false);
  return Status::InvalidArgument("Resize has neither scales nor sizes");
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
  std::vector<Shape> shapes;
  for (const ValueInfo& info : in) shapes.push_back(info.shape);
  PLATEAU_ASSIGN_OR_RETURN(auto source, SizeSource(node, shapes));
  ResizeGeometry g;
  if (source.second) {
    PLATEAU_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ConstantInts(in[source.first], "sizes"));
    PLATEAU_ASSIGN_OR_RETURN(g, MakeGeometry(in[0].shape, nullptr, &sizes));
  } else {
    PLATEAU_ASSIGN_OR_RETURN(std::vector<float> scales, ConstantFloats(in[source.first], "scales"));
    PLATEAU_ASSIGN_OR_RETURN(g, MakeGeometry(in[0].shape, &scales, nullptr));
  }
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

Status ReferenceResize(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(ResizeAttrs a, ParseResizeAttrs(node));
  std::vector<Shape> shapes;
  for (const TensorView& v : in) shapes.push_back(v.shape);
  PLATEAU_ASSIGN_OR_RETURN(auto source, SizeSource(node, shapes));
  const Shape& xs = in[0].shape;
  ResizeGeometry g;
  if (source.second) {
    PLATEAU_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ReadInts(in[source.first], "sizes"));
    PLATEAU_ASSIGN_OR_RETURN(g, MakeGeometry(xs, nullptr, &sizes));
  } else {
    PLATEAU_ASSIGN_OR_RETURN(std::vector<float> scales, ReadFloats(in[source.first], "scales"));
    PLATEAU_ASSIGN_OR_RETURN(g, MakeGeometry(xs, &scales, nullptr));
  }
  if (g.out != out[0].shape) {
    return Status::Internal("Resize output buffer is " + out[0].shape.ToString() + ", expected " +
                            g.out.ToString());
  }
  const Shape& ys = out[0].shape;
  const float* x = in[0].as<const float>();
  float* y = out[0].as<float>();
  const int rank = xs.rank();

  if (!a.linear) {
    std::vector<std::vector<int64_t>> source_index(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
      for (int64_t o = 0; o < ys[d]; ++o) {
        const double c = SourceCoordinate(a.coord, o, g.scale[d], xs[d], ys[d]);
        source_index[d].push_back(NearestIndex(a.nearest, c, g.scale[d], xs[d]));
      }
    }
    const auto strides = Strides(xs);
    IndexCounter it(ys);
    for (int64_t i = 0; i < ys.num_elements(); ++i, it.Next()) {
      int64_t off = 0;
      for (int d = 0; d < rank; ++d) off += source_index[d][it.index()[d]] * strides[d];
      y[i] = x[off];
    }
    return ApplyPostOpsReference(node, in, out[0]);
  }

  PLATEAU_RETURN_IF_ERROR(CheckLinearDims(a, xs, ys));
  // Per output coordinate of each of the last two dims: the two neighbours and the weight of the upper.
  struct Tap {
    int64_t lo, hi;
    double w;
  };
  std::vector<Tap> taps[2];
  for (int k = 0; k < 2; ++k) {
    const int d = rank - 2 + k;
    for (int64_t o = 0; o < ys[d]; ++o) {
      double c = SourceCoordinate(a.coord, o, g.scale[d], xs[d], ys[d]);
      c = std::clamp(c, 0.0, static_cast<double>(xs[d] - 1));
      const int64_t lo = static_cast<int64_t>(std::floor(c));
      taps[k].push_back({lo, std::min(lo + 1, xs[d] - 1), c - static_cast<double>(lo)});
    }
  }
  const int64_t h_in = xs[rank - 2], w_in = xs[rank - 1], h_out = ys[rank - 2], w_out = ys[rank - 1];
  const int64_t planes = xs.num_elements() / (h_in * w_in);
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x + p * h_in * w_in;
    float* dst = y + p * h_out * w_out;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      const Tap& th = taps[0][oh];
      for (int64_t ow = 0; ow < w_out; ++ow) {
        const Tap& tw = taps[1][ow];
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
