// Transpose and plateau.Reorder, both as oneDNN reorders: a transpose reads the input through permuted
// strides; a layout change goes between the nchw and nhwc descriptors.

#include <numeric>
#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

KernelOr MakeReorder(const graph::Node& node, const memory::desc& src_md, const memory::desc& dst_md,
                     std::span<const TensorDesc> inputs, const TensorDesc& out, KernelContext& ctx) {
  dnnl::reorder::primitive_desc pd(*ctx.engine, src_md, *ctx.engine, dst_md, MakeAttr());
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(src_md, BufferRole::kInput, 0, 0,
                            inputs[0].constant ? inputs[0].constant->data() : nullptr);
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  k->AddStep(pd, dnnl::reorder(pd), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

KernelOr CreateTransposeKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                               std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 1));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  if (x.layout != graph::Layout::kPlain || out.layout != graph::Layout::kPlain || x.dtype != out.dtype) {
    return Status::Unimplemented(node.Describe() + ": needs plain input and output of one type");
  }
  const int rank = x.shape.rank();
  std::vector<int64_t> perm = node.GetInts("perm");
  if (perm.empty()) {
    perm.resize(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) perm[static_cast<size_t>(i)] = rank - 1 - i;
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  if (static_cast<int>(perm.size()) != rank) {
    return Status::InvalidArgument(node.Describe() + ": perm has " + std::to_string(perm.size()) +
                                   " entries for rank " + std::to_string(rank));
  }
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) {
      return Status::InvalidArgument(node.Describe() + ": perm is not a permutation of 0.." +
                                     std::to_string(rank - 1));
    }
    seen[static_cast<size_t>(p)] = true;
  }
  memory::dims in_dims = DimsOf(x.shape);
  memory::dims in_strides = PlainStrides(in_dims);
  memory::dims dims, strides;
  for (int i = 0; i < rank; ++i) {
    dims.push_back(in_dims[static_cast<size_t>(perm[static_cast<size_t>(i)])]);
    strides.push_back(in_strides[static_cast<size_t>(perm[static_cast<size_t>(i)])]);
    if (dims.back() != out.shape[i]) {
      return Status::InvalidArgument(node.Describe() + ": output " + out.shape.ToString() +
                                     " is not the permuted input " + x.shape.ToString());
    }
  }
  if (rank == 0) {
    dims = {1};
    strides = {1};
  }
  memory::data_type type = ToDnnl(x.dtype);
  if (x.dtype == DType::kInt64) {
    // oneDNN has no 64-bit integers: move each element as two int32 halves.
    for (int64_t& s : strides) s *= 2;
    dims.push_back(2);
    strides.push_back(1);
    type = memory::data_type::s32;
  }
  const memory::desc src_md(dims, type, strides);
  const memory::desc dst_md(dims, type, PlainStrides(dims));
  return MakeReorder(node, src_md, dst_md, inputs, out, ctx);
}

KernelOr CreateReorderKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                             std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 1));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (x.shape != out.shape || out.dtype != x.dtype) {
    return Status::InvalidArgument(node.Describe() + ": a reorder keeps shape and type, got " +
                                   x.shape.ToString() + " -> " + out.shape.ToString());
  }
  if ((x.layout != graph::Layout::kPlain || out.layout != graph::Layout::kPlain) && x.shape.rank() != 4) {
    return Status::InvalidArgument(node.Describe() + ": nhwc and blocked layouts need rank 4, got " +
                                   x.shape.ToString());
  }
  for (const TensorDesc* d : {&x, &out}) {
    const int block = graph::ChannelBlock(d->layout);
    if (block > 0 && d->shape[1] % block != 0) {
      return Status::InvalidArgument(node.Describe() + ": " + graph::LayoutName(d->layout) + " needs " +
                                     std::to_string(block) + "-multiple channels, got " + x.shape.ToString());
    }
  }
  return MakeReorder(node, MdOf(x), MdOf(out), inputs, out, ctx);
}

}  // namespace plateau::ops::onednn
