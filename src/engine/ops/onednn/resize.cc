// Resize over H and W of a rank-4 tensor (plain or nhwc).
//
// oneDNN's resampling places samples at half-pixel centres with the factor out/in. That equals ONNX
// nearest/asymmetric/floor for integer up-scales (the sample point (i + 0.5) / f - 0.5 always rounds to
// floor(i / f)) and ONNX linear/half_pixel whenever out == in * scale exactly. Everything else uses
// index/weight tables computed at creation and a plain loop.

#include <cmath>
#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

struct Axis {
  int64_t in = 0, out = 0;
  float scale = 1.f;
};

// For each output index: two source indices and the weight of the second (0 for nearest).
struct AxisTable {
  std::vector<int64_t> i0, i1;
  std::vector<float> w1;
};

StatusOr<AxisTable> BuildTable(const graph::Node& node, const Axis& a, bool linear) {
  const std::string ctm = node.GetString("coordinate_transformation_mode", "half_pixel");
  const std::string nearest = node.GetString("nearest_mode", "round_prefer_floor");
  AxisTable t;
  for (int64_t x = 0; x < a.out; ++x) {
    double xo;
    if (ctm == "half_pixel") {
      xo = (x + 0.5) / a.scale - 0.5;
    } else if (ctm == "pytorch_half_pixel") {
      xo = a.out > 1 ? (x + 0.5) / a.scale - 0.5 : 0.0;
    } else if (ctm == "align_corners") {
      xo = a.out == 1 ? 0.0 : static_cast<double>(x) * (a.in - 1) / (a.out - 1);
    } else if (ctm == "asymmetric") {
      xo = x / static_cast<double>(a.scale);
    } else if (ctm == "tf_half_pixel_for_nn") {
      xo = (x + 0.5) / a.scale;
    } else {
      return Status::Unimplemented(node.Describe() + ": coordinate_transformation_mode '" + ctm +
                                   "' is not supported");
    }
    if (!linear) {
      double r;
      if (nearest == "round_prefer_floor")
        r = std::ceil(xo - 0.5);
      else if (nearest == "round_prefer_ceil")
        r = std::floor(xo + 0.5);
      else if (nearest == "floor")
        r = std::floor(xo);
      else if (nearest == "ceil")
        r = std::ceil(xo);
      else
        return Status::Unimplemented(node.Describe() + ": nearest_mode '" + nearest + "' is not supported");
      int64_t i = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(r), 0), a.in - 1);
      t.i0.push_back(i);
      t.i1.push_back(i);
      t.w1.push_back(0.f);
      continue;
    }
    xo = std::min(std::max(xo, 0.0), static_cast<double>(a.in - 1));
    int64_t i0 = static_cast<int64_t>(xo);
    int64_t i1 = std::min(i0 + 1, a.in - 1);
    t.i0.push_back(i0);
    t.i1.push_back(i1);
    t.w1.push_back(static_cast<float>(xo - i0));
  }
  return t;
}

class PlainResizeKernel : public Kernel {
 public:
  PlainResizeKernel(const Shape& in, const Shape& out, bool nhwc, AxisTable h, AxisTable w)
      : n_(in[0]),
        c_(in[1]),
        ih_(in[2]),
        iw_(in[3]),
        oh_(out[2]),
        ow_(out[3]),
        nhwc_(nhwc),
        h_(std::move(h)),
        w_(std::move(w)) {}
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    src_ = static_cast<const float*>(inputs[0]);
    dst_ = static_cast<float*>(outputs[0]);
  }
  Status Execute(dnnl::stream&) override {
    if (nhwc_)
      RunNhwc();
    else
      RunNchw();
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:resize"; }

 private:
  void RunNchw() {
    const int64_t planes = n_ * c_;
#pragma omp parallel for
    for (int64_t p = 0; p < planes; ++p) {
      const float* s = src_ + p * ih_ * iw_;
      float* d = dst_ + p * oh_ * ow_;
      for (int64_t y = 0; y < oh_; ++y) {
        const float* r0 = s + h_.i0[y] * iw_;
        const float* r1 = s + h_.i1[y] * iw_;
        const float wy = h_.w1[y];
        for (int64_t x = 0; x < ow_; ++x) {
          const float wx = w_.w1[x];
          float top = r0[w_.i0[x]] + wx * (r0[w_.i1[x]] - r0[w_.i0[x]]);
          float bot = r1[w_.i0[x]] + wx * (r1[w_.i1[x]] - r1[w_.i0[x]]);
          d[y * ow_ + x] = top + wy * (bot - top);
        }
      }
    }
  }
  void RunNhwc() {
    const int64_t rows = n_ * oh_;
#pragma omp parallel for
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / oh_, y = r % oh_;
      const float* r0 = src_ + (n * ih_ + h_.i0[y]) * iw_ * c_;
      const float* r1 = src_ + (n * ih_ + h_.i1[y]) * iw_ * c_;
      const float wy = h_.w1[y];
      float* d = dst_ + r * ow_ * c_;
      for (int64_t x = 0; x < ow_; ++x) {
        const float* a0 = r0 + w_.i0[x] * c_;
        const float* a1 = r0 + w_.i1[x] * c_;
        const float* b0 = r1 + w_.i0[x] * c_;
        const float* b1 = r1 + w_.i1[x] * c_;
        const float wx = w_.w1[x];
        for (int64_t ch = 0; ch < c_; ++ch) {
          float top = a0[ch] + wx * (a1[ch] - a0[ch]);
          float bot = b0[ch] + wx * (b1[ch] - b0[ch]);
          d[x * c_ + ch] = top + wy * (bot - top);
        }
      }
    }
  }

  int64_t n_, c_, ih_, iw_, oh_, ow_;
  bool nhwc_;
  AxisTable h_, w_;
  const float* src_ = nullptr;
  float* dst_ = nullptr;
};

struct ResizeChoice {
  Axis ah, aw;
  bool linear = false;
  bool use_onednn = false;
};

// Reads the resize's axes and decides between oneDNN's resampling and the plain kernel.
StatusOr<ResizeChoice> ChooseResize(const graph::Node& node, std::span<const TensorDesc> inputs,
                                    const Shape& out_shape) {
  const TensorDesc& x = inputs[0];
  const std::string mode = node.GetString("mode", "nearest");
  if (mode != "nearest" && mode != "linear") {
    return Status::Unimplemented(node.Describe() + ": mode '" + mode + "' is not supported");
  }
  // Opset 10: (X, scales); opset 11: (X, roi, scales, sizes).
  const size_t own = OwnInputCount(node);
  const size_t scales_index = own == 2 ? 1 : 2;
  std::vector<float> scales;
  if (scales_index < own && inputs[scales_index].present && inputs[scales_index].shape.num_elements() > 0) {
    PLATEAU_ASSIGN_OR_RETURN(scales, ConstantFloats(node, inputs[scales_index], "scales"));
    if (scales.size() != 4) {
      return Status::InvalidArgument(node.Describe() + ": scales must have 4 values");
    }
  }
  Axis ah{x.shape[2], out_shape[2], static_cast<float>(out_shape[2]) / static_cast<float>(x.shape[2])};
  Axis aw{x.shape[3], out_shape[3], static_cast<float>(out_shape[3]) / static_cast<float>(x.shape[3])};
  if (!scales.empty()) {
    ah.scale = scales[2];
    aw.scale = scales[3];
  }
  const bool linear = mode == "linear";
  const std::string ctm = node.GetString("coordinate_transformation_mode", "half_pixel");
  auto exact = [](const Axis& a) {
    return static_cast<double>(a.in) * a.scale == static_cast<double>(a.out);
  };
  auto integer_up = [&](const Axis& a) { return exact(a) && a.out % a.in == 0; };
  bool use_onednn = false;
  if (!linear) {
    use_onednn = ctm == "asymmetric" && node.GetString("nearest_mode", "round_prefer_floor") == "floor" &&
                 integer_up(ah) && integer_up(aw);
  } else {
    use_onednn = (ctm == "half_pixel" || (ctm == "pytorch_half_pixel" && ah.out > 1 && aw.out > 1)) &&
                 exact(ah) && exact(aw);
  }
  return ResizeChoice{ah, aw, linear, use_onednn};
}

}  // namespace

bool ResizeRunsOnOneDnn(const graph::Node& node, std::span<const TensorDesc> inputs, const Shape& out_shape) {
  if (inputs.empty() || !inputs[0].present || inputs[0].shape.rank() != 4 || out_shape.rank() != 4) {
    return false;
  }
  auto choice = ChooseResize(node, inputs, out_shape);
  return choice.ok() && choice->use_onednn;
}

KernelOr CreateResizeKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                            std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 4));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (x.shape.rank() != 4 || out.shape.rank() != 4 || x.layout != out.layout) {
    return Status::Unimplemented(node.Describe() + ": needs rank-4 input and output of one layout");
  }
  if (x.shape[0] != out.shape[0] || x.shape[1] != out.shape[1]) {
    return Status::Unimplemented(node.Describe() + ": resizing N or C is not supported");
  }
  PLATEAU_ASSIGN_OR_RETURN(ResizeChoice choice, ChooseResize(node, inputs, out.shape));
  const Axis& ah = choice.ah;
  const Axis& aw = choice.aw;
  const bool linear = choice.linear;
  if (choice.use_onednn) {
    const memory::desc src_md = MdOf(x);
    const memory::desc dst_md = MdOf(out);
    dnnl::resampling_forward::desc desc(
        dnnl::prop_kind::forward_inference,
        linear ? dnnl::algorithm::resampling_linear : dnnl::algorithm::resampling_nearest, src_md, dst_md);
    // A fused residual sum (FuseResidualAdd: the top-down Add of a feature pyramid) is added as each
    // sample is written, so the planner can let the output take the operand's buffer.
    PLATEAU_ASSIGN_OR_RETURN(FusedPostOps fused, FusePostOps(node));
    dnnl::resampling_forward::primitive_desc pd(desc, MakeAttr(&fused.ops), *ctx.engine);
    auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
    memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
    memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
    PLATEAU_RETURN_IF_ERROR(PrepareSumOperand(node, fused.sum_input, inputs, out, k.get()));
    k->AddStep(pd, dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get(), fused.first_unfused));
    k->set_impl_name(pd.impl_info_str());
    return std::unique_ptr<Kernel>(std::move(k));
  }
  if (!node.post_ops.empty()) return Status::Unimplemented(node.Describe() + ": post-ops on a plain Resize");
  if (graph::ChannelBlock(x.layout) > 0) {
    return Status::Unimplemented(node.Describe() + ": this resize needs plain or nhwc layouts");
  }
  PLATEAU_ASSIGN_OR_RETURN(AxisTable th, BuildTable(node, ah, linear));
  PLATEAU_ASSIGN_OR_RETURN(AxisTable tw, BuildTable(node, aw, linear));
  return std::unique_ptr<Kernel>(std::make_unique<PlainResizeKernel>(
      x.shape, out.shape, x.layout == graph::Layout::kNhwc, std::move(th), std::move(tw)));
}

}  // namespace plateau::ops::onednn
