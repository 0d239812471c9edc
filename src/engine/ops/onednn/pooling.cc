// MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on oneDNN pooling, in nchw or nhwc.

#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

KernelOr CreatePoolingKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                             std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 1));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (outputs.size() > 1) {
    return Status::Unimplemented(node.Describe() + ": the Indices output of MaxPool is not supported");
  }
  const int rank = x.shape.rank();
  if (rank < 3 || rank > 5 || out.shape.rank() != rank) {
    return Status::Unimplemented(node.Describe() + ": expected input and output of equal rank 3..5, got " +
                                 x.shape.ToString() + " -> " + out.shape.ToString());
  }
  const std::string& op = node.op_type;
  const bool global = op == "GlobalAveragePool" || op == "GlobalMaxPool";
  const bool is_max = op == "MaxPool" || op == "GlobalMaxPool";
  memory::dims kernel;
  if (global) {
    kernel.assign(x.shape.dims().begin() + 2, x.shape.dims().end());
  } else {
    kernel = node.GetInts("kernel_shape");
    if (kernel.size() != static_cast<size_t>(rank - 2)) {
      return Status::InvalidArgument(node.Describe() + ": kernel_shape must have " +
                                     std::to_string(rank - 2) + " values");
    }
    if (node.GetInt("storage_order", 0) != 0) {
      return Status::Unimplemented(node.Describe() + ": storage_order=1 is not supported");
    }
  }
  Window win;
  if (global) {
    const size_t n = kernel.size();
    win.kernel = kernel;
    win.strides.assign(n, 1);
    win.dilations.assign(n, 0);
    win.pad_l.assign(n, 0);
    win.pad_r.assign(n, 0);
  } else {
    PLATEAU_ASSIGN_OR_RETURN(win, ReadWindow(node, x.shape, out.shape, kernel));
  }
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  if (!is_max) {
    alg = node.GetInt("count_include_pad", 0) != 0 ? dnnl::algorithm::pooling_avg_include_padding
                                                   : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  const memory::desc src_md = MdOf(x);
  const memory::desc dst_md = MdOf(out);
  dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md, win.strides,
                                      win.kernel, win.dilations, win.pad_l, win.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(desc, MakeAttr(), *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  k->AddStep(pd, dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
