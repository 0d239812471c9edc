// Concat: oneDNN concat for float (any mix of plain and nhwc inputs, e.g. NHWC along channels), and a
// memcpy loop for other types in plain layout.

#include <cstring>
#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

class PlainConcatKernel : public Kernel {
 public:
  // chunk_bytes[i]: bytes input i contributes to each of the `outer` rows.
  PlainConcatKernel(int64_t outer, std::vector<size_t> chunk_bytes)
      : outer_(outer), chunk_bytes_(std::move(chunk_bytes)), inputs_(chunk_bytes_.size()) {
    for (size_t c : chunk_bytes_) row_bytes_ += c;
  }
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    for (size_t i = 0; i < inputs_.size(); ++i) inputs_[i] = static_cast<const char*>(inputs[i]);
    out_ = static_cast<char*>(outputs[0]);
  }
  Status Execute(dnnl::stream&) override {
    for (int64_t r = 0; r < outer_; ++r) {
      char* dst = out_ + r * row_bytes_;
      for (size_t i = 0; i < inputs_.size(); ++i) {
        std::memcpy(dst, inputs_[i] + r * chunk_bytes_[i], chunk_bytes_[i]);
        dst += chunk_bytes_[i];
      }
    }
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:concat"; }

 private:
  int64_t outer_;
  std::vector<size_t> chunk_bytes_;
  std::vector<const char*> inputs_;
  size_t row_bytes_ = 0;
  char* out_ = nullptr;
};

}  // namespace

KernelOr CreateConcatKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                            std::span<const TensorDesc> outputs, KernelContext& ctx) {
  // Fused sum operands (appended by the fusion pass) are not concatenated.
  const std::span<const TensorDesc> all_inputs = inputs;
  inputs = inputs.first(std::min(OwnInputCount(node), inputs.size()));
  if (inputs.empty()) return Status::InvalidArgument(node.Describe() + ": Concat needs at least one input");
  const TensorDesc& out = outputs[0];
  const int rank = out.shape.rank();
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, node.GetInt("axis", 0), rank));
  int64_t total = 0;
  for (const TensorDesc& in : inputs) {
    if (!in.present || in.dtype != out.dtype || in.shape.rank() != rank) {
      return Status::InvalidArgument(node.Describe() +
                                     ": every input must be present with the output's type and rank");
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && in.shape[d] != out.shape[d]) {
        return Status::InvalidArgument(node.Describe() + ": input " + in.shape.ToString() +
                                       " does not match the output " + out.shape.ToString() +
                                       " off the axis");
      }
    }
    total += in.shape[axis];
  }
  if (total != out.shape[axis]) {
    return Status::InvalidArgument(node.Describe() + ": inputs add up to " + std::to_string(total) +
                                   " along the axis, output has " + std::to_string(out.shape[axis]));
  }
  bool plain = out.layout == graph::Layout::kPlain;
  for (const TensorDesc& in : inputs) plain = plain && in.layout == graph::Layout::kPlain;
  // Channel blocks of whole blocks are laid out like plain channels: per image, each input is one
  // contiguous chunk. oneDNN's concat copies such data a block (8 or 16 floats) at a time, several times
  // slower (docs/ENGINE.md, "What makes it fast").
  bool whole_blocks = axis == 1 && graph::ChannelBlock(out.layout) > 0;
  for (const TensorDesc& in : inputs) {
    whole_blocks =
        whole_blocks && in.layout == out.layout && in.shape[1] % graph::ChannelBlock(out.layout) == 0;
  }
  if (whole_blocks) plain = true;
  if (out.dtype != DType::kFloat32 || plain) {
    if (!plain) return Status::Unimplemented(node.Describe() + ": non-float concat needs plain layouts");
    // Plain layout: each input is `outer` rows of contiguous chunks; memcpy beats a primitive here.
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= out.shape[d];
    std::vector<size_t> chunks;
    for (const TensorDesc& in : inputs) {
      chunks.push_back(static_cast<size_t>(in.shape.num_elements() / std::max<int64_t>(outer, 1)) *
                       DTypeSize(in.dtype));
    }
    if (!node.post_ops.empty()) return Status::Unimplemented(node.Describe() + ": post-ops on Concat");
    return std::unique_ptr<Kernel>(std::make_unique<PlainConcatKernel>(outer, std::move(chunks)));
  }
  std::vector<memory::desc> mds;
  for (const TensorDesc& in : inputs) mds.push_back(MdOf(in));
  const memory::desc dst_md = MdOf(out);
  dnnl::concat::primitive_desc pd(dst_md, axis, mds, *ctx.engine, MakeAttr());
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  std::vector<memory> srcs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    srcs.push_back(k->AddMemory(mds[i], BufferRole::kInput, static_cast<int>(i), 0,
                                inputs[i].constant ? inputs[i].constant->data() : nullptr));
  }
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  k->AddStep(pd, dnnl::concat(pd), {{DNNL_ARG_DST, dst}});
  for (size_t i = 0; i < srcs.size(); ++i)
    k->AddStepArg(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]);
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, all_inputs, out, k.get()));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
