// Conv and ConvTranspose on oneDNN (de)convolution primitives.
//
// Source and destination keep the layout the planner chose (nchw or nhwc); the weights use the format
// oneDNN prefers for that pair (format `any`), packed once into the Model's WeightStore, so no weight
// reorder ever happens per call.

#include <algorithm>
#include <sstream>
#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

std::vector<int64_t> IntsOr(const graph::Node& node, const char* name, size_t n, int64_t dflt) {
  std::vector<int64_t> v = node.GetInts(name);
  if (v.empty()) v.assign(n, dflt);
  return v;
}

// A 2x2 deconvolution with stride 2 and no padding, dilation or groups (det's upsampling head) writes
// each input pixel's IC channels, times a [IC, 4 * OC] matrix, to a 2x2 block of output pixels that no
// other input pixel touches. oneDNN 2.6's deconvolution runs such a layer at a small fraction of the
// speed its arithmetic allows (docs/ENGINE.md, "Upsampling without a deconvolution", has the figures for
// det's 24 -> 1 channel head), so on NHWC it runs as two matrix products, one per output row of the block:
// input row h ([W, IC]) times the weights of kernel row ky ([IC, 2 * OC], columns (kx, oc)) is exactly output
// row 2h + ky ([2W, OC] = [W, 2 * OC]), so each product writes its rows of the output in place (batched over
// the input rows, with the output's row stride) with the bias and the fused post-ops applied.
// Returns null when the node is not such a deconvolution (the general path handles it).
StatusOr<std::unique_ptr<Kernel>> CreateUpsample2x2Kernel(const graph::Node& node,
                                                          std::span<const TensorDesc> inputs,
                                                          const TensorDesc& out, KernelContext& ctx,
                                                          const FusedPostOps& fused) {
  const TensorDesc& x = inputs[0];
  const TensorDesc& w = inputs[1];
  if (x.shape.rank() != 4 || w.shape.rank() != 4 || w.shape[2] != 2 || w.shape[3] != 2)
    return std::unique_ptr<Kernel>();
  if (node.GetInt("group", 1) != 1 || node.GetInts("strides") != std::vector<int64_t>{2, 2})
    return std::unique_ptr<Kernel>();
  const std::vector<int64_t> dilations = node.GetInts("dilations");
  if (!dilations.empty() && dilations != std::vector<int64_t>{1, 1}) return std::unique_ptr<Kernel>();
  for (int64_t p : node.GetInts("pads")) {
    if (p != 0) return std::unique_ptr<Kernel>();
  }
  const int64_t n = x.shape[0], ic = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t oc = w.shape[1];
  if (out.shape[0] != n || out.shape[1] != oc || out.shape[2] != 2 * h || out.shape[3] != 2 * wd)
    return std::unique_ptr<Kernel>();
  // NHWC in and out (one output channel: NCHW and NHWC are the same bytes).
  if (x.layout != graph::Layout::kNhwc || (out.layout != graph::Layout::kNhwc && oc != 1))
    return std::unique_ptr<Kernel>();
  const bool has_bias = OwnInputCount(node) > 2 && inputs[2].present;
  if (has_bias && inputs[2].constant == nullptr) return std::unique_ptr<Kernel>();
  if (fused.sum_input >= 0 || fused.first_unfused != node.post_ops.size()) return std::unique_ptr<Kernel>();

  // Packed: for ky = 0, 1 the [IC, 2 * OC] matrix B_ky[ic][kx * OC + o] = W[ic][o][ky][kx]; then the bias
  // for the 2 * OC columns (bias[o] twice).
  const int64_t cols = 2 * oc;
  const size_t matrix = static_cast<size_t>(ic * cols);
  const size_t bytes = (2 * matrix + static_cast<size_t>(cols)) * sizeof(float);
  const float* wsrc = w.constant->as<float>();
  const float* bsrc = has_bias ? inputs[2].constant->as<float>() : nullptr;
  std::ostringstream key;
  key << node.name << "@" << static_cast<const void*>(wsrc) << "|upsample2x2";
  PLATEAU_ASSIGN_OR_RETURN(const void* packed, ctx.weights->GetOrCreate(key.str(), bytes, [&](void* buffer) {
    float* dst = static_cast<float*>(buffer);
    for (int64_t ky = 0; ky < 2; ++ky) {
      for (int64_t c = 0; c < ic; ++c) {
        for (int64_t kx = 0; kx < 2; ++kx) {
          for (int64_t o = 0; o < oc; ++o) {
            dst[ky * ic * cols + c * cols + kx * oc + o] = wsrc[((c * oc + o) * 2 + ky) * 2 + kx];
          }
        }
      }
    }
    for (int64_t kx = 0; kx < 2; ++kx) {
      for (int64_t o = 0; o < oc; ++o) dst[2 * matrix + kx * oc + o] = bsrc != nullptr ? bsrc[o] : 0.f;
    }
    return Status::Ok();
  }));

  const memory::desc src_md({n * h, wd, ic}, memory::data_type::f32, memory::dims{wd * ic, ic, 1});
  const memory::desc w_md({1, ic, cols}, memory::data_type::f32, memory::dims{ic * cols, cols, 1});
  const memory::desc b_md({1, 1, cols}, memory::data_type::f32, memory::dims{cols, cols, 1});
  // Output row 2h + ky of image n starts (n * 2H + 2h + ky) * 2W * OC floats in: the batch index n * H + h
  // steps by two output rows.
  const memory::desc dst_md({n * h, wd, cols}, memory::data_type::f32, memory::dims{2 * wd * cols, cols, 1});
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, w_md, b_md, dst_md), MakeAttr(&fused.ops),
                                  *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
  memory bias = k->AddMemory(b_md, BufferRole::kFixed, -1, 0, static_cast<const float*>(packed) + 2 * matrix);
  for (int64_t ky = 0; ky < 2; ++ky) {
    memory wts =
        k->AddMemory(w_md, BufferRole::kFixed, -1, 0, static_cast<const float*>(packed) + ky * matrix);
    memory dst =
        k->AddMemory(dst_md, BufferRole::kOutput, 0, static_cast<size_t>(ky * wd * cols) * sizeof(float));
    k->AddStep(pd, dnnl::matmul(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  }
  k->set_impl_name(std::string("2x") + pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

StatusOr<Window> ReadWindow(const graph::Node& node, const Shape& in, const Shape& out,
                            const memory::dims& kernel) {
  const size_t n = kernel.size();
  if (in.rank() != static_cast<int>(n) + 2 || out.rank() != static_cast<int>(n) + 2) {
    return Status::InvalidArgument(node.Describe() + ": a window of " + std::to_string(n) +
                                   " spatial dims needs rank-" + std::to_string(n + 2) + " input and output");
  }
  Window w;
  w.kernel = kernel;
  w.strides = IntsOr(node, "strides", n, 1);
  std::vector<int64_t> dil = IntsOr(node, "dilations", n, 1);
  std::vector<int64_t> pads = IntsOr(node, "pads", 2 * n, 0);
  if (w.strides.size() != n || dil.size() != n || pads.size() != 2 * n) {
    return Status::InvalidArgument(node.Describe() + ": strides/dilations/pads do not match " +
                                   std::to_string(n) + " spatial dims");
  }
  std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  w.dilations.resize(n);
  w.pad_l.resize(n);
  w.pad_r.resize(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = in[static_cast<int>(i) + 2];
    int64_t y = out[static_cast<int>(i) + 2];
    int64_t s = w.strides[i];
    if (s < 1 || dil[i] < 1 || kernel[i] < 1) {
      return Status::InvalidArgument(node.Describe() + ": strides, dilations and kernel must be positive");
    }
    w.dilations[i] = dil[i] - 1;
    int64_t eff = (kernel[i] - 1) * dil[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      int64_t total = std::max<int64_t>(0, (y - 1) * s + eff - x);
      int64_t small = total / 2;
      w.pad_l[i] = auto_pad == "SAME_UPPER" ? small : total - small;
      w.pad_r[i] = total - w.pad_l[i];
    } else if (auto_pad == "VALID") {
      w.pad_l[i] = 0;
      w.pad_r[i] = 0;
    } else {
      w.pad_l[i] = pads[i];
      w.pad_r[i] = pads[i + n];
    }
    // Raise pad_r when the output is longer than the pads give (ceil_mode, SAME rounding).
    int64_t need = (y - 1) * s + eff - x - w.pad_l[i];
    if (need > w.pad_r[i]) w.pad_r[i] = need;
    int64_t got = (x + w.pad_l[i] + w.pad_r[i] - eff) / s + 1;
    if (got != y) {
      return Status::InvalidArgument(node.Describe() + ": output spatial dim " + std::to_string(i) + " is " +
                                     std::to_string(y) + ", expected " + std::to_string(got) +
                                     " from the input, kernel, strides and pads");
    }
  }
  return w;
}

KernelOr CreateConvKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                          std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 2, 3));
  const TensorDesc& x = inputs[0];
  const TensorDesc& w = inputs[1];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, w, "weights"));
  const int rank = x.shape.rank();
  if (rank < 3 || rank > 5 || w.shape.rank() != rank) {
    return Status::Unimplemented(node.Describe() + ": input rank " + std::to_string(rank) +
                                 ", weights rank " + std::to_string(w.shape.rank()) +
                                 "; expected equal ranks 3..5");
  }
  if (w.constant == nullptr) return Status::Unimplemented(node.Describe() + ": weights must be a constant");
  const int64_t group = node.GetInt("group", 1);
  const int64_t oc = w.shape[0];
  const int64_t ic_per_group = w.shape[1];
  if (group < 1 || x.shape[1] != ic_per_group * group || oc % group != 0 || out.shape[1] != oc) {
    return Status::InvalidArgument(node.Describe() + ": input channels " + std::to_string(x.shape[1]) +
                                   ", weights " + w.shape.ToString() + ", group " + std::to_string(group) +
                                   " and output " + out.shape.ToString() + " do not agree");
  }
  memory::dims kernel(w.shape.dims().begin() + 2, w.shape.dims().end());
  PLATEAU_ASSIGN_OR_RETURN(Window win, ReadWindow(node, x.shape, out.shape, kernel));

  const bool has_bias = OwnInputCount(node) > 2 && inputs[2].present;
  if (has_bias && (inputs[2].shape.num_elements() != oc || inputs[2].dtype != DType::kFloat32)) {
    return Status::InvalidArgument(node.Describe() + ": bias " + inputs[2].shape.ToString() +
                                   " does not match " + std::to_string(oc) + " output channels");
  }
  PLATEAU_ASSIGN_OR_RETURN(FusedPostOps fused, FusePostOps(node));

  memory::dims wdims;
  if (group > 1)
    wdims = {group, oc / group, ic_per_group};
  else
    wdims = {oc, ic_per_group};
  wdims.insert(wdims.end(), kernel.begin(), kernel.end());
  const memory::desc src_md = MdOf(x);
  const memory::desc dst_md = MdOf(out);
  const memory::desc any_w(wdims, memory::data_type::f32, memory::format_tag::any);
  const memory::desc bias_md =
      has_bias ? memory::desc({oc}, memory::data_type::f32, memory::format_tag::a) : memory::desc();
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, src_md, any_w, bias_md, dst_md,
                                       win.strides, win.dilations, win.pad_l, win.pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, MakeAttr(&fused.ops), *ctx.engine);

  // ONNX weights [O, I/g, k...] are [g, O/g, I/g, k...] row-major.
  const memory::desc onnx_w(wdims, memory::data_type::f32, PlainStrides(wdims));
  const bool const_bias = has_bias && inputs[2].constant != nullptr;
  const size_t bias_bytes = const_bias ? static_cast<size_t>(oc) * sizeof(float) : 0;
  PLATEAU_ASSIGN_OR_RETURN(
      const void* packed,
      PackWeights(ctx, node, w.constant->data(), onnx_w, w.constant->data(), pd.weights_desc(),
                  const_bias ? inputs[2].constant->data() : nullptr, bias_bytes));

  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
  memory wts = k->AddMemory(pd.weights_desc(), BufferRole::kFixed, -1, 0, packed);
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  PLATEAU_RETURN_IF_ERROR(PrepareSumOperand(node, fused.sum_input, inputs, out, k.get()));
  if (has_bias) {
    memory bias = const_bias
                      ? k->AddMemory(bias_md, BufferRole::kFixed, -1, 0,
                                     static_cast<const char*>(packed) + PackedBiasOffset(pd.weights_desc()))
                      : k->AddMemory(bias_md, BufferRole::kInput, 2);
    k->AddStep(pd, dnnl::convolution_forward(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  } else {
    k->AddStep(pd, dnnl::convolution_forward(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}});
  }
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get(), fused.first_unfused));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelOr CreateConvTransposeKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                                   std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 2, 3));
  const TensorDesc& x = inputs[0];
  const TensorDesc& w = inputs[1];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, w, "weights"));
  const int rank = x.shape.rank();
  if (rank < 3 || rank > 5 || w.shape.rank() != rank || out.shape.rank() != rank) {
    return Status::Unimplemented(node.Describe() + ": expected input, weights and output of equal rank 3..5");
  }
  if (w.constant == nullptr) return Status::Unimplemented(node.Describe() + ": weights must be a constant");
  if (node.GetString("auto_pad", "NOTSET") != "NOTSET") {
    return Status::Unimplemented(node.Describe() + ": auto_pad is not supported, expected explicit pads");
  }
  const int64_t group = node.GetInt("group", 1);
  const int64_t ic = x.shape[1];
  const int64_t oc_per_group = w.shape[1];
  const int64_t oc = oc_per_group * group;
  if (group < 1 || w.shape[0] != ic || ic % group != 0 || out.shape[1] != oc) {
    return Status::InvalidArgument(node.Describe() + ": input channels " + std::to_string(ic) + ", weights " +
                                   w.shape.ToString() + ", group " + std::to_string(group) + " and output " +
                                   out.shape.ToString() + " do not agree");
  }
  const size_t n = static_cast<size_t>(rank - 2);
  memory::dims kernel(w.shape.dims().begin() + 2, w.shape.dims().end());
  std::vector<int64_t> strides = IntsOr(node, "strides", n, 1);
  std::vector<int64_t> dil = IntsOr(node, "dilations", n, 1);
  std::vector<int64_t> pads = IntsOr(node, "pads", 2 * n, 0);
  if (strides.size() != n || dil.size() != n || pads.size() != 2 * n) {
    return Status::InvalidArgument(node.Describe() +
                                   ": strides/dilations/pads do not match the spatial rank");
  }
  memory::dims dilations(n), pad_l(n), pad_r(n);
  for (size_t i = 0; i < n; ++i) {
    dilations[i] = dil[i] - 1;
    pad_l[i] = pads[i];
    // output_padding (and output_shape) only lengthen the end: whatever the output shape needs beyond
    // the begin pad is taken off the end.
    pad_r[i] = (x.shape[static_cast<int>(i) + 2] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - pad_l[i] -
               out.shape[static_cast<int>(i) + 2];
  }
  const bool has_bias = OwnInputCount(node) > 2 && inputs[2].present;
  if (has_bias && (inputs[2].shape.num_elements() != oc || inputs[2].dtype != DType::kFloat32)) {
    return Status::InvalidArgument(node.Describe() + ": bias " + inputs[2].shape.ToString() +
                                   " does not match " + std::to_string(oc) + " output channels");
  }
  PLATEAU_ASSIGN_OR_RETURN(FusedPostOps fused, FusePostOps(node));
  {
    PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> upsample,
                             CreateUpsample2x2Kernel(node, inputs, out, ctx, fused));
    if (upsample != nullptr) return upsample;
  }

  // oneDNN dims are {[g,] O/g, I/g, k...}; ONNX stores [I, O/g, k...] = [g, I/g, O/g, k...] row-major,
  // i.e. the same numbers with the O/g and I/g strides swapped.
  int64_t ksize = 1;
  for (int64_t kd : kernel) ksize *= kd;
  const int64_t ic_per_group = ic / group;
  memory::dims wdims, wstrides;
  if (group > 1) {
    wdims = {group, oc_per_group, ic_per_group};
    wstrides = {ic_per_group * oc_per_group * ksize, ksize, oc_per_group * ksize};
  } else {
    wdims = {oc, ic};
    wstrides = {ksize, oc * ksize};
  }
  memory::dims kstrides = PlainStrides(kernel);
  wdims.insert(wdims.end(), kernel.begin(), kernel.end());
  wstrides.insert(wstrides.end(), kstrides.begin(), kstrides.end());

  const memory::desc src_md = MdOf(x);
  const memory::desc dst_md = MdOf(out);
  const memory::desc any_w(wdims, memory::data_type::f32, memory::format_tag::any);
  // oneDNN 2.6 applies a deconvolution's bias and post-ops in an extra pass that costs many times the
  // deconvolution itself (docs/BENCHMARKS.md, "Engine: figures behind kernel choices"). So the
  // deconvolution runs bare into a staging buffer and one binary primitive adds the bias with the
  // post-ops fused, writing the output.
  const bool epilogue = has_bias || !node.post_ops.empty();
  dnnl::deconvolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::deconvolution_direct, src_md, any_w, dst_md,
                                         strides, dilations, pad_l, pad_r);
  dnnl::deconvolution_forward::primitive_desc pd(desc, MakeAttr(), *ctx.engine);

  const memory::desc onnx_w(wdims, memory::data_type::f32, wstrides);
  const bool const_bias = !has_bias || inputs[2].constant != nullptr;
  std::vector<float> bias_values(epilogue && const_bias ? static_cast<size_t>(oc) : 0, 0.f);
  if (has_bias && const_bias) {
    std::copy_n(inputs[2].constant->as<float>(), oc, bias_values.begin());
  }
  PLATEAU_ASSIGN_OR_RETURN(
      const void* packed,
      PackWeights(ctx, node, w.constant->data(), onnx_w, w.constant->data(), pd.weights_desc(),
                  bias_values.data(), bias_values.size() * sizeof(float)));

  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
  memory wts = k->AddMemory(pd.weights_desc(), BufferRole::kFixed, -1, 0, packed);
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  if (!epilogue) {
    k->AddStep(pd, dnnl::deconvolution_forward(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}});
    k->set_impl_name(pd.impl_info_str());
    return std::unique_ptr<Kernel>(std::move(k));
  }
  memory staged = k->AddMemory(dst_md, BufferRole::kScratch, 0, k->ReserveStaging(dst_md.get_size()));
  k->AddStep(pd, dnnl::deconvolution_forward(pd),
             {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, staged}});
  memory::dims bias_dims(static_cast<size_t>(rank), 1);
  bias_dims[1] = oc;
  // [1, oc, 1, 1] has the same bytes in nchw and nhwc.
  const memory::desc bias_md = MdOf(bias_dims, memory::data_type::f32, out.layout);
  memory bias = const_bias
                    ? k->AddMemory(bias_md, BufferRole::kFixed, -1, 0,
                                   static_cast<const char*>(packed) + PackedBiasOffset(pd.weights_desc()))
                    : k->AddMemory(bias_md, BufferRole::kInput, 2);
  dnnl::binary::primitive_desc add_pd(
      dnnl::binary::desc(dnnl::algorithm::binary_add, dst_md, bias_md, dst_md), MakeAttr(&fused.ops),
      *ctx.engine);
  PLATEAU_RETURN_IF_ERROR(PrepareSumOperand(node, fused.sum_input, inputs, out, k.get()));
  k->AddStep(add_pd, dnnl::binary(add_pd),
             {{DNNL_ARG_SRC_0, staged}, {DNNL_ARG_SRC_1, bias}, {DNNL_ARG_DST, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get(), fused.first_unfused));
  k->set_impl_name(std::string(pd.impl_info_str()) + "+binary:" + add_pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
