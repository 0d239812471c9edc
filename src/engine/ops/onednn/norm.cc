// plateau.LayerNorm, BatchNormalization (inference, global statistics) and the Reduce* ops.

#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

const void* ConstData(const TensorDesc& d) { return d.constant ? d.constant->data() : nullptr; }

}  // namespace

KernelOr CreateLayerNormKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                               std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 3));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (x.layout != graph::Layout::kPlain || out.layout != graph::Layout::kPlain || x.shape != out.shape ||
      x.shape.rank() < 1) {
    return Status::Unimplemented(node.Describe() + ": needs plain input and output of one shape, rank >= 1");
  }
  const int rank = x.shape.rank();
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, node.GetInt("axis", -1), rank));
  if (axis != rank - 1) {
    return Status::Unimplemented(node.Describe() + ": normalisation over axis " + std::to_string(axis) +
                                 "; only the last dim is supported");
  }
  const int64_t c = x.shape[rank - 1];
  const size_t own = OwnInputCount(node);
  const bool has_scale = own > 1 && inputs[1].present;
  const bool has_shift = own > 2 && inputs[2].present;
  for (int i = 1; i <= 2; ++i) {
    if (static_cast<int>(own) > i && inputs[i].present &&
        (inputs[i].shape.num_elements() != c || inputs[i].dtype != DType::kFloat32)) {
      return Status::InvalidArgument(node.Describe() + ": scale/shift " + inputs[i].shape.ToString() +
                                     " must hold " + std::to_string(c) + " floats");
    }
  }
  // Rows of the last dim as a 2-D tensor: same bytes, any rank.
  const memory::desc md({x.shape.num_elements() / std::max<int64_t>(c, 1), c}, memory::data_type::f32,
                        memory::format_tag::ab);
  auto flags = dnnl::normalization_flags::none;
  if (has_scale) flags |= dnnl::normalization_flags::use_scale;
  if (has_shift) flags |= dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, md,
                                               node.GetFloat("epsilon", 1e-5f), flags);
  dnnl::layer_normalization_forward::primitive_desc pd(desc, MakeAttr(), *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  const memory::desc vec({c}, memory::data_type::f32, memory::format_tag::a);
  memory src = k->AddMemory(md, BufferRole::kInput, 0);
  memory dst = k->AddMemory(md, BufferRole::kOutput, 0);
  memory scale = has_scale ? k->AddMemory(vec, BufferRole::kInput, 1, 0, ConstData(inputs[1])) : memory();
  memory shift = has_shift ? k->AddMemory(vec, BufferRole::kInput, 2, 0, ConstData(inputs[2])) : memory();
  if (has_scale && has_shift) {
    k->AddStep(pd, dnnl::layer_normalization_forward(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, shift}});
  } else if (has_scale) {
    k->AddStep(pd, dnnl::layer_normalization_forward(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCALE, scale}});
  } else if (has_shift) {
    k->AddStep(pd, dnnl::layer_normalization_forward(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SHIFT, shift}});
  } else {
    k->AddStep(pd, dnnl::layer_normalization_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  }
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelOr CreateBatchNormKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                               std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 5, 5));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (outputs.size() > 1) {
    return Status::Unimplemented(node.Describe() +
                                 ": training-mode outputs (running mean/var) are not supported");
  }
  if (x.shape != out.shape || x.shape.rank() < 2 || x.shape.rank() > 5) {
    return Status::InvalidArgument(node.Describe() + ": expected input and output of one shape, rank 2..5");
  }
  const int64_t c = x.shape[1];
  for (int i = 1; i < 5; ++i) {
    if (inputs[i].shape.num_elements() != c || inputs[i].dtype != DType::kFloat32) {
      return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(i) + " " +
                                     inputs[i].shape.ToString() + " must hold " + std::to_string(c) +
                                     " floats");
    }
  }
  const memory::desc src_md = MdOf(x);
  const memory::desc dst_md = MdOf(out);
  auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
               dnnl::normalization_flags::use_shift;
  // oneDNN takes one descriptor for src and dst; an in/out layout change is not a batch norm.
  if (x.layout != out.layout) {
    return Status::Unimplemented(node.Describe() + ": input and output layouts differ");
  }
  dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, src_md,
                                               node.GetFloat("epsilon", 1e-5f), flags);
  dnnl::batch_normalization_forward::primitive_desc pd(desc, MakeAttr(), *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  const memory::desc vec({c}, memory::data_type::f32, memory::format_tag::a);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  memory scale = k->AddMemory(vec, BufferRole::kInput, 1, 0, ConstData(inputs[1]));
  memory shift = k->AddMemory(vec, BufferRole::kInput, 2, 0, ConstData(inputs[2]));
  memory mean = k->AddMemory(vec, BufferRole::kInput, 3, 0, ConstData(inputs[3]));
  memory var = k->AddMemory(vec, BufferRole::kInput, 4, 0, ConstData(inputs[4]));
  k->AddStep(pd, dnnl::batch_normalization_forward(pd),
             {{DNNL_ARG_SRC, src},
              {DNNL_ARG_DST, dst},
              {DNNL_ARG_SCALE, scale},
              {DNNL_ARG_SHIFT, shift},
              {DNNL_ARG_MEAN, mean},
              {DNNL_ARG_VARIANCE, var}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelOr CreateReduceKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                            std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 1));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  const int rank = x.shape.rank();
  const bool keepdims = node.GetInt("keepdims", 1) != 0;
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  std::vector<int64_t> axes = node.GetInts("axes");
  if (axes.empty()) reduced.assign(static_cast<size_t>(rank), true);
  for (int64_t a : axes) {
    PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, a, rank));
    reduced[static_cast<size_t>(axis)] = true;
  }
  memory::dims src_dims = DimsOf(x.shape);
  memory::dims dst_dims = src_dims;
  for (int i = 0; i < rank; ++i) {
    if (reduced[static_cast<size_t>(i)]) dst_dims[static_cast<size_t>(i)] = 1;
  }
  int64_t dst_elems = 1;
  for (int64_t d : dst_dims) dst_elems *= d;
  if (dst_elems != out.shape.num_elements()) {
    return Status::InvalidArgument(node.Describe() + ": output " + out.shape.ToString() +
                                   " does not match reducing " + x.shape.ToString());
  }
  // With keepdims=0 the output has fewer dims but the same bytes as the keepdims=1 form; only that form
  // can be nhwc.
  if (out.layout == graph::Layout::kNhwc && !keepdims) {
    return Status::Unimplemented(node.Describe() + ": nhwc output needs keepdims=1");
  }
  const std::string& op = node.op_type;
  dnnl::algorithm alg = dnnl::algorithm::reduction_mean;
  if (op == "ReduceSum") alg = dnnl::algorithm::reduction_sum;
  if (op == "ReduceMax") alg = dnnl::algorithm::reduction_max;
  if (op == "ReduceMin") alg = dnnl::algorithm::reduction_min;
  const memory::desc src_md = MdOf(x);
  const memory::desc dst_md = MdOf(dst_dims, memory::data_type::f32, out.layout);
  dnnl::reduction::primitive_desc pd(dnnl::reduction::desc(alg, src_md, dst_md, 0.f, 0.f), MakeAttr(),
                                     *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0);
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  k->AddStep(pd, dnnl::reduction(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
