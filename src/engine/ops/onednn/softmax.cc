// Softmax over the last dim. Before opset 13 ONNX flattens to 2-D at `axis`, from 13 on it normalises
// along `axis` alone; the two agree only when axis is the last dim, which is all these models use.

#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

KernelOr CreateSoftmaxKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                             std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 1));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (x.layout != graph::Layout::kPlain || out.layout != graph::Layout::kPlain || x.shape != out.shape) {
    return Status::Unimplemented(node.Describe() + ": needs plain input and output of the same shape");
  }
  const int rank = std::max(x.shape.rank(), 1);
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, node.GetInt("axis", -1), rank));
  if (axis != rank - 1) {
    return Status::Unimplemented(node.Describe() + ": softmax along axis " + std::to_string(axis) +
                                 " of a rank-" + std::to_string(rank) +
                                 " tensor; only the last dim is supported");
  }
  // Rows of the last dim: the same bytes as the tensor, and the layout oneDNN handles best.
  const int64_t cols = rank == x.shape.rank() ? x.shape[rank - 1] : 1;
  const int64_t rows = x.shape.num_elements() / std::max<int64_t>(cols, 1);
  const memory::desc md({rows, cols}, memory::data_type::f32, memory::format_tag::ab);
  dnnl::softmax_forward::primitive_desc pd(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, md, 1), MakeAttr(), *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(md, BufferRole::kInput, 0);
  memory dst = k->AddMemory(md, BufferRole::kOutput, 0);
  k->AddStep(pd, dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
