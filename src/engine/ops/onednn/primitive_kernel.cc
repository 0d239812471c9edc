#include "engine/ops/onednn/primitive_kernel.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "oneapi/dnnl/dnnl_debug.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

size_t AlignUp(size_t bytes) { return (bytes + 63) / 64 * 64; }

}  // namespace

memory::data_type ToDnnl(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return memory::data_type::f32;
    case DType::kInt32:
      return memory::data_type::s32;
    case DType::kUInt8:
      return memory::data_type::u8;
    case DType::kInt64:
      return memory::data_type::undef;
  }
  return memory::data_type::undef;
}

memory::dims PlainStrides(const memory::dims& dims) {
  memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(dims[i], 1);
  return strides;
}

memory::dims DimsOf(const Shape& shape) {
  memory::dims dims(shape.dims().begin(), shape.dims().end());
  if (dims.empty()) dims.push_back(1);
  return dims;
}

memory::desc MdOf(const memory::dims& dims, memory::data_type type, graph::Layout layout) {
  if (layout == graph::Layout::kNhwc && dims.size() == 4)
    return memory::desc(dims, type, memory::format_tag::nhwc);
  if (layout == graph::Layout::kBlocked8 && dims.size() == 4)
    return memory::desc(dims, type, memory::format_tag::nChw8c);
  if (layout == graph::Layout::kBlocked16 && dims.size() == 4)
    return memory::desc(dims, type, memory::format_tag::nChw16c);
  return memory::desc(dims, type, PlainStrides(dims));
}

memory::desc MdOf(const TensorDesc& desc) {
  return MdOf(DimsOf(desc.shape), ToDnnl(desc.dtype), desc.layout);
}

memory::desc FlatMd(int64_t elements, memory::data_type type) {
  return memory::desc({std::max<int64_t>(elements, 1)}, type, memory::format_tag::a);
}

std::string DescribeMd(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::ostringstream out;
  out << "dt" << static_cast<int>(d.data_type) << ":dims";
  for (int i = 0; i < d.ndims; ++i) out << (i ? "x" : "") << d.dims[i];
  out << ":pad";
  for (int i = 0; i < d.ndims; ++i) out << (i ? "x" : "") << d.padded_dims[i];
  out << ":fk" << static_cast<int>(d.format_kind);
  if (d.format_kind == dnnl_blocked) {
    const dnnl_blocking_desc_t& b = d.format_desc.blocking;
    out << ":str";
    for (int i = 0; i < d.ndims; ++i) out << (i ? "," : "") << b.strides[i];
    out << ":blk";
    for (int i = 0; i < b.inner_nblks; ++i) out << b.inner_blks[i] << "@" << b.inner_idxs[i] << ";";
  }
  out << ":x" << d.extra.flags;
  return out.str();
}

PrimitiveKernel::PrimitiveKernel(const graph::Node& node, const dnnl::engine& engine)
    : engine_(engine), node_description_(node.Describe()) {}

size_t PrimitiveKernel::scratch_bytes() const { return staging_bytes_ + scratchpad_bytes_; }

memory PrimitiveKernel::AddMemory(const memory::desc& md, BufferRole role, int index, size_t offset,
                                  const void* initial) {
  memory mem(md, engine_, DNNL_MEMORY_NONE);
  if (initial != nullptr) mem.set_data_handle(const_cast<void*>(initial));
  bindings_.push_back(Binding{mem, role, index, offset});
  return mem;
}

size_t PrimitiveKernel::ReserveStaging(size_t bytes) {
  size_t offset = staging_bytes_;
  staging_bytes_ += AlignUp(bytes);
  return offset;
}

void PrimitiveKernel::AddStep(const dnnl::primitive_desc_base& pd, const dnnl::primitive& prim,
                              std::initializer_list<std::pair<int, memory>> args) {
  Step step;
  step.primitive = prim;
  for (const auto& [arg, mem] : args) step.args.push_back(dnnl_exec_arg_t{arg, mem.get()});
  size_t pad_bytes = pd.scratchpad_desc().get_size();
  if (pad_bytes > 0) {
    // Steps run one after another, so they share one scratchpad placed after the staging area; its
    // offset is fixed in Bind once every step is known.
    memory pad = AddMemory(pd.scratchpad_desc(), BufferRole::kScratch, -1, 0);
    step.args.push_back(dnnl_exec_arg_t{DNNL_ARG_SCRATCHPAD, pad.get()});
    scratchpad_bytes_ = std::max(scratchpad_bytes_, AlignUp(pad_bytes));
  }
  steps_.push_back(std::move(step));
}

void PrimitiveKernel::AddStepArg(int arg, const memory& mem) {
  steps_.back().args.push_back(dnnl_exec_arg_t{arg, mem.get()});
}

void PrimitiveKernel::SetSumOperandCopy(int input_index, size_t bytes) {
  sum_input_ = input_index;
  sum_bytes_ = bytes;
}

void PrimitiveKernel::Bind(std::span<void* const> inputs, std::span<void* const> outputs, void* scratch) {
  auto* scratch_bytes = static_cast<char*>(scratch);
  for (Binding& b : bindings_) {
    char* base = nullptr;
    switch (b.role) {
      case BufferRole::kInput:
        base = b.index < static_cast<int>(inputs.size()) ? static_cast<char*>(inputs[b.index]) : nullptr;
        break;
      case BufferRole::kOutput:
        base = static_cast<char*>(outputs[b.index]);
        break;
      case BufferRole::kScratch:
        // index -1 marks the shared scratchpad, which follows the staging area.
        base = scratch_bytes == nullptr ? nullptr : scratch_bytes + (b.index < 0 ? staging_bytes_ : 0);
        break;
      case BufferRole::kFixed:
        continue;
    }
    if (base == nullptr) continue;
    b.memory.set_data_handle(base + b.offset);
  }
  if (sum_input_ >= 0) {
    sum_src_ = inputs[sum_input_];
    sum_dst_ = outputs[0];
  }
}

Status PrimitiveKernel::Execute(dnnl::stream& stream) {
  if (sum_input_ >= 0 && sum_src_ != sum_dst_) std::memcpy(sum_dst_, sum_src_, sum_bytes_);
  for (const Step& step : steps_) {
    dnnl_status_t st = dnnl_primitive_execute(step.primitive.get(), stream.get(),
                                              static_cast<int>(step.args.size()), step.args.data());
    if (st != dnnl_success) {
      return Status::Internal(node_description_ + ": oneDNN execution failed (" + dnnl_status2str(st) +
                              ") in " + impl_name_);
    }
  }
  return Status::Ok();
}

dnnl::primitive_attr MakeAttr(const dnnl::post_ops* ops) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (ops != nullptr) attr.set_post_ops(*ops);
  return attr;
}

namespace {

int InputIndexOf(const graph::Node& node, graph::ValueId id) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i] == id) return static_cast<int>(i);
  }
  return -1;
}

// The oneDNN form of one eltwise function (one or two entries).
std::vector<EltwiseEntry> EntriesOf(const graph::PostOp& p) {
  using dnnl::algorithm;
  switch (p.alg) {
    case graph::Eltwise::kRelu:
      return {{algorithm::eltwise_relu}};
    case graph::Eltwise::kClip:
      return {{algorithm::eltwise_clip, p.alpha, p.beta}};
    case graph::Eltwise::kLinear:
      return {{algorithm::eltwise_linear, p.alpha, p.beta}};
    case graph::Eltwise::kHardSigmoid:
      return {{algorithm::eltwise_linear, p.alpha, p.beta}, {algorithm::eltwise_clip, 0.f, 1.f}};
    case graph::Eltwise::kHardSwish:
      return {{algorithm::eltwise_hardswish}};
    case graph::Eltwise::kSigmoid:
      return {{algorithm::eltwise_logistic}};
    case graph::Eltwise::kSwish:
      return {{algorithm::eltwise_swish, p.alpha, 0.f}};
  }
  return {};
}

bool Parametrised(dnnl::algorithm alg) {
  return alg != dnnl::algorithm::eltwise_relu && alg != dnnl::algorithm::eltwise_hardswish &&
         alg != dnnl::algorithm::eltwise_logistic;
}

}  // namespace

StatusOr<FusedPostOps> FusePostOps(const graph::Node& node, std::span<const EltwiseEntry> prefix) {
  // An entry of the chain being built: an eltwise, or the sum (alg unused).
  struct Entry {
    bool sum;
    EltwiseEntry e;
  };
  std::vector<Entry> chain;
  for (const EltwiseEntry& e : prefix) chain.push_back({false, e});
  // Appends `e`, merging it into a directly preceding linear; false if it would repeat a parametrised
  // algorithm with other parameters.
  auto try_add = [](std::vector<Entry>& c, const EltwiseEntry& e) {
    if (e.alg == dnnl::algorithm::eltwise_linear && !c.empty() && !c.back().sum &&
        c.back().e.alg == dnnl::algorithm::eltwise_linear) {
      // a2 (a1 x + b1) + b2
      EltwiseEntry& prev = c.back().e;
      prev = {prev.alg, e.alpha * prev.alpha, e.alpha * prev.beta + e.beta};
      return true;
    }
    if (Parametrised(e.alg)) {
      for (const Entry& x : c) {
        if (!x.sum && x.e.alg == e.alg && (x.e.alpha != e.alpha || x.e.beta != e.beta)) return false;
      }
    }
    c.push_back({false, e});
    return true;
  };
  FusedPostOps fused;
  size_t i = 0;
  for (; i < node.post_ops.size(); ++i) {
    const graph::PostOp& p = node.post_ops[i];
    if (p.kind == graph::PostOp::Kind::kSum) {
      if (fused.sum_input >= 0)
        return Status::Unimplemented(node.Describe() + ": more than one fused sum post-op");
      int index = InputIndexOf(node, p.operand);
      if (index < 0) {
        return Status::InvalidArgument(node.Describe() +
                                       ": the operand of a sum post-op is not among the inputs");
      }
      fused.sum_input = index;
      chain.push_back({true, {}});
      continue;
    }
    std::vector<Entry> trial = chain;
    bool ok = true;
    for (const EltwiseEntry& e : EntriesOf(p)) ok = ok && try_add(trial, e);
    if (!ok) break;
    chain = std::move(trial);
  }
  fused.first_unfused = i;
  for (size_t j = i; j < node.post_ops.size(); ++j) {
    if (node.post_ops[j].kind == graph::PostOp::Kind::kSum) {
      return Status::Unimplemented(node.Describe() + ": this post-op chain cannot be fused before its sum");
    }
  }
  for (const Entry& x : chain) {
    if (x.sum)
      fused.ops.append_sum(1.f);
    else
      fused.ops.append_eltwise(1.f, x.e.alg, x.e.alpha, x.e.beta);
  }
  return fused;
}

Status PrepareSumOperand(const graph::Node& node, int sum_input, std::span<const TensorDesc> inputs,
                         const TensorDesc& out, PrimitiveKernel* kernel) {
  if (sum_input < 0) return Status::Ok();
  const TensorDesc& operand = inputs[sum_input];
  if (operand.shape != out.shape || operand.dtype != out.dtype) {
    return Status::InvalidArgument(node.Describe() + ": sum operand has shape " + operand.shape.ToString() +
                                   ", expected the output shape " + out.shape.ToString());
  }
  if (operand.layout != out.layout) {
    return Status::Unimplemented(node.Describe() + ": sum operand layout differs from the output layout");
  }
  if (operand.constant != nullptr) {
    return Status::Unimplemented(node.Describe() + ": sum operand is a constant");
  }
  kernel->SetSumOperandCopy(sum_input, static_cast<size_t>(out.shape.num_elements()) * DTypeSize(out.dtype));
  return Status::Ok();
}

Status AppendPostOpSteps(const graph::Node& node, std::span<const TensorDesc> inputs, const TensorDesc& out,
                         PrimitiveKernel* kernel, size_t first) {
  if (first >= node.post_ops.size()) return Status::Ok();
  if (out.dtype != DType::kFloat32) {
    return Status::Unimplemented(node.Describe() + ": post-ops on a non-float output");
  }
  const memory::desc dst_md = MdOf(out);
  memory dst;
  for (size_t i = first; i < node.post_ops.size(); ++i) {
    const graph::PostOp& p = node.post_ops[i];
    if (p.kind == graph::PostOp::Kind::kEltwise) {
      // Element-wise on the flat buffer: layout does not matter.
      memory::desc flat = FlatMd(out.shape.num_elements(), memory::data_type::f32);
      memory flat_dst = kernel->AddMemory(flat, BufferRole::kOutput, 0);
      for (const EltwiseEntry& e : EntriesOf(p)) {
        dnnl::eltwise_forward::primitive_desc pd(
            dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, e.alg, flat, e.alpha, e.beta),
            MakeAttr(), kernel->engine());
        kernel->AddStep(pd, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, flat_dst}, {DNNL_ARG_DST, flat_dst}});
      }
      continue;
    }
    int index = InputIndexOf(node, p.operand);
    if (index < 0) {
      return Status::InvalidArgument(node.Describe() +
                                     ": the operand of a sum post-op is not among the inputs");
    }
    const TensorDesc& operand = inputs[index];
    if (operand.shape != out.shape || operand.dtype != out.dtype) {
      return Status::InvalidArgument(node.Describe() + ": sum operand has shape " + operand.shape.ToString() +
                                     ", expected the output shape " + out.shape.ToString());
    }
    if (!dst) dst = kernel->AddMemory(dst_md, BufferRole::kOutput, 0);
    memory src1 = kernel->AddMemory(MdOf(operand), BufferRole::kInput, index, 0,
                                    operand.constant ? operand.constant->data() : nullptr);
    dnnl::binary::primitive_desc pd(
        dnnl::binary::desc(dnnl::algorithm::binary_add, dst_md, src1.get_desc(), dst_md), MakeAttr(),
        kernel->engine());
    kernel->AddStep(pd, dnnl::binary(pd),
                    {{DNNL_ARG_SRC_0, dst}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}});
  }
  return Status::Ok();
}

size_t OwnInputCount(const graph::Node& node) {
  std::vector<graph::ValueId> operands;
  for (const graph::PostOp& p : node.post_ops) {
    if (p.kind == graph::PostOp::Kind::kSum) operands.push_back(p.operand);
  }
  size_t n = node.inputs.size();
  while (n > 0 && !operands.empty()) {
    auto it = std::find(operands.begin(), operands.end(), node.inputs[n - 1]);
    if (it == operands.end()) break;
    operands.erase(it);
    --n;
  }
  return n;
}

Status ExpectInputs(const graph::Node& node, std::span<const TensorDesc> inputs, size_t min, size_t max) {
  const size_t own = std::min(OwnInputCount(node), inputs.size());
  if (own < min || own > max) {
    return Status::InvalidArgument(node.Describe() + ": has " + std::to_string(own) + " inputs, expected " +
                                   std::to_string(min) + ".." + std::to_string(max));
  }
  for (size_t i = 0; i < min; ++i) {
    if (!inputs[i].present) {
      return Status::InvalidArgument(node.Describe() + ": required input " + std::to_string(i) +
                                     " is missing");
    }
  }
  return Status::Ok();
}

Status ExpectFloat(const graph::Node& node, const TensorDesc& desc, const char* what) {
  if (desc.dtype != DType::kFloat32) {
    return Status::Unimplemented(node.Describe() + ": " + what + " is " + DTypeName(desc.dtype) +
                                 ", expected float32");
  }
  return Status::Ok();
}

StatusOr<int> NormalizeAxis(const graph::Node& node, int64_t axis, int rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max(rank, 1)) {
    return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis) +
                                   " is out of range for rank " + std::to_string(rank));
  }
  return static_cast<int>(a);
}

StatusOr<std::vector<int64_t>> ConstantInts(const graph::Node& node, const TensorDesc& desc,
                                            const char* what) {
  if (desc.constant == nullptr) {
    return Status::Unimplemented(node.Describe() + ": " + what + " must be a constant");
  }
  const Tensor& t = *desc.constant;
  int64_t n = t.shape().num_elements();
  std::vector<int64_t> values(static_cast<size_t>(n));
  if (t.dtype() == DType::kInt64) {
    for (int64_t i = 0; i < n; ++i) values[i] = t.as<int64_t>()[i];
  } else if (t.dtype() == DType::kInt32) {
    for (int64_t i = 0; i < n; ++i) values[i] = t.as<int32_t>()[i];
  } else {
    return Status::InvalidArgument(node.Describe() + ": " + what + " is " + DTypeName(t.dtype()) +
                                   ", expected int32 or int64");
  }
  return values;
}

StatusOr<std::vector<float>> ConstantFloats(const graph::Node& node, const TensorDesc& desc,
                                            const char* what) {
  if (desc.constant == nullptr) {
    return Status::Unimplemented(node.Describe() + ": " + what + " must be a constant");
  }
  const Tensor& t = *desc.constant;
  if (t.dtype() != DType::kFloat32) {
    return Status::InvalidArgument(node.Describe() + ": " + what + " is " + DTypeName(t.dtype()) +
                                   ", expected float32");
  }
  int64_t n = t.shape().num_elements();
  return std::vector<float>(t.as<float>(), t.as<float>() + n);
}

}  // namespace plateau::ops::onednn

namespace plateau::ops::onednn {

size_t PackedBiasOffset(const memory::desc& dst_md) { return AlignUp(dst_md.get_size()); }

StatusOr<const void*> PackWeights(KernelContext& ctx, const graph::Node& node, const void* identity,
                                  const memory::desc& src_md, const void* src, const memory::desc& dst_md,
                                  const void* bias, size_t bias_bytes) {
  // The constant's address is part of the key so that two nodes sharing a name (or none) never collide;
  // it is stable because constants are shared by every clone of the Model's graph.
  std::ostringstream key;
  key << node.name << "@" << identity << "|" << DescribeMd(dst_md) << "|bias" << bias_bytes;
  size_t weight_bytes = PackedBiasOffset(dst_md);
  dnnl::engine& engine = *ctx.engine;
  return ctx.weights->GetOrCreate(key.str(), weight_bytes + bias_bytes, [&](void* buffer) -> Status {
    try {
      memory from(src_md, engine, const_cast<void*>(src));
      memory to(dst_md, engine, buffer);
      dnnl::stream stream(engine);
      dnnl::reorder(from, to).execute(stream, from, to);
      stream.wait();
    } catch (const dnnl::error& e) {
      return Status::Internal(node.Describe() + ": packing weights failed: " + e.what());
    }
    if (bias_bytes > 0) std::memcpy(static_cast<char*>(buffer) + weight_bytes, bias, bias_bytes);
    return Status::Ok();
  });
}

}  // namespace plateau::ops::onednn
