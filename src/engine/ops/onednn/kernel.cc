#include "engine/ops/onednn/kernel.h"

#include <new>
#include <string_view>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

size_t WeightStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t WeightStore::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packed_.size();
}

namespace {

// A node whose outputs hold no elements has nothing to compute.
class EmptyKernel : public Kernel {
 public:
  void Bind(std::span<void* const>, std::span<void* const>, void*) override {}
  Status Execute(dnnl::stream&) override { return Status::Ok(); }
  std::string impl_name() const override { return "empty"; }
};

bool IsUnaryEltwise(std::string_view op) {
  return op == "Relu" || op == "LeakyRelu" || op == "Sigmoid" || op == "HardSigmoid" || op == "HardSwish" ||
         op == "Clip" || op == "Sqrt" || op == "Exp" || op == "Log" || op == "Tanh" || op == "Abs" ||
         op == "Neg" || op == "Pow" || op == "Elu";
}

bool IsBinary(std::string_view op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Max" || op == "Min";
}

bool IsReduce(std::string_view op) {
  return op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin";
}

bool IsPlain(std::string_view op) {
  return op == "Slice" || op == "Cast" || op == "Gather" || op == "Shape" || op == "Constant" ||
         op == "Identity" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten";
}

KernelOr Dispatch(const graph::Node& node, std::span<const TensorDesc> inputs,
                  std::span<const TensorDesc> outputs, KernelContext& ctx) {
  std::string_view op = node.op_type;
  if (op == "Conv") return CreateConvKernel(node, inputs, outputs, ctx);
  if (op == "ConvTranspose") return CreateConvTransposeKernel(node, inputs, outputs, ctx);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    return CreatePoolingKernel(node, inputs, outputs, ctx);
  }
  if (IsUnaryEltwise(op)) return CreateEltwiseKernel(node, inputs, outputs, ctx);
  if (IsBinary(op)) return CreateBinaryKernel(node, inputs, outputs, ctx);
  if (op == "MatMul") return CreateMatMulKernel(node, inputs, outputs, ctx);
  if (op == "Gemm") return CreateGemmKernel(node, inputs, outputs, ctx);
  if (op == "Softmax") return CreateSoftmaxKernel(node, inputs, outputs, ctx);
  if (op == "Resize") return CreateResizeKernel(node, inputs, outputs, ctx);
  if (op == "Concat") return CreateConcatKernel(node, inputs, outputs, ctx);
  if (op == "Transpose") return CreateTransposeKernel(node, inputs, outputs, ctx);
  if (op == "plateau.Reorder") return CreateReorderKernel(node, inputs, outputs, ctx);
  if (op == "plateau.LayerNorm") return CreateLayerNormKernel(node, inputs, outputs, ctx);
  if (op == "BatchNormalization") return CreateBatchNormKernel(node, inputs, outputs, ctx);
  if (IsReduce(op)) return CreateReduceKernel(node, inputs, outputs, ctx);
  if (IsPlain(op)) return CreatePlainKernel(node, inputs, outputs, ctx);
  return Status::Unimplemented(node.Describe() + ": no oneDNN kernel for op type " + node.op_type);
}

}  // namespace

StatusOr<std::unique_ptr<Kernel>> CreateKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                                               std::span<const TensorDesc> outputs, KernelContext& ctx) {
  if (ctx.engine == nullptr || ctx.weights == nullptr) {
    return Status::FailedPrecondition(node.Describe() + ": kernel context has no engine or weight store");
  }
  if (outputs.empty()) return Status::InvalidArgument(node.Describe() + ": has no outputs");
  if (node.inputs.size() != inputs.size() || node.outputs.size() != outputs.size()) {
    return Status::InvalidArgument(node.Describe() + ": " + std::to_string(inputs.size()) + " input and " +
                                   std::to_string(outputs.size()) + " output descriptors for a node with " +
                                   std::to_string(node.inputs.size()) + " inputs and " +
                                   std::to_string(node.outputs.size()) + " outputs");
  }
  bool empty = true;
  for (const TensorDesc& out : outputs) empty = empty && out.shape.num_elements() == 0;
  if (empty) return std::unique_ptr<Kernel>(std::make_unique<EmptyKernel>());
  try {
    return Dispatch(node, inputs, outputs, ctx);
  } catch (const dnnl::error& e) {
    std::string what = node.Describe() + ": oneDNN: " + e.what();
    if (e.status == dnnl_unimplemented) return Status::Unimplemented(what);
    return Status::Internal(what);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(node.Describe() + ": out of memory while creating the kernel");
  }
}

bool FusesResidualSum(const graph::Node& node, std::span<const TensorDesc> inputs, const Shape& out_shape) {
  return node.op_type == "Resize" && ResizeRunsOnOneDnn(node, inputs, out_shape);
}

bool CanRunInPlace(const graph::Node& node) {
  std::string_view op = node.op_type;
  // A fused sum copies its operand into the output before the op runs, which would overwrite input 0.
  for (const graph::PostOp& p : node.post_ops) {
    if (p.kind == graph::PostOp::Kind::kSum) return false;
  }
  // Element-wise ops read each element before writing the same position. Pow and Clip read constant
  // extra inputs only. Binary ops are in place only when input 0 has the output's shape, which the
  // planner checks by size.
  return IsUnaryEltwise(op) || IsBinary(op) || op == "BatchNormalization";
}

bool SupportsNhwc(const graph::Node& node, std::span<const TensorDesc> inputs) {
  std::string_view op = node.op_type;
  if (inputs.empty() || !inputs[0].present) return false;
  const TensorDesc& x = inputs[0];
  const bool float4 = x.dtype == DType::kFloat32 && x.shape.rank() == 4;
  // Convolutions are where NHWC pays (oneDNN's direct jit kernels instead of gemm over nchw), so they
  // always take it.
  if (op == "Conv" || op == "ConvTranspose") return float4;
  // The rest works in either layout and follows its producers: NHWC only when an input already is,
  // so that e.g. rank-4 attention tensors in the recogniser are not reordered back and forth.
  bool any_nhwc = false;
  for (const TensorDesc& in : inputs)
    any_nhwc = any_nhwc || (in.present && in.layout != graph::Layout::kPlain);
  if (!any_nhwc) return false;
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool" ||
      op == "BatchNormalization" || op == "Resize" || IsUnaryEltwise(op)) {
    return float4;
  }
  if (IsBinary(op)) {
    // The output is rank 4 when some input is; lower-rank inputs broadcast against it.
    for (const TensorDesc& in : inputs) {
      if (!in.present || in.dtype != DType::kFloat32 || in.shape.rank() > 4) return false;
    }
    return true;
  }
  if (op == "Concat") {
    for (const TensorDesc& in : inputs) {
      if (in.dtype != DType::kFloat32 || in.shape.rank() != 4) return false;
    }
    return true;
  }
  return false;
}

bool SupportsBlocked(const graph::Node& node, std::span<const TensorDesc> inputs,
                     std::span<const Shape> output_shapes, graph::Layout layout) {
  const int block = graph::ChannelBlock(layout);
  if (block == 0 || inputs.empty() || !inputs[0].present) return false;
  std::string_view op = node.op_type;
  const TensorDesc& x = inputs[0];
  if (x.dtype != DType::kFloat32 || x.shape.rank() != 4) return false;
  auto divisible = [block](const Shape& s) { return s.rank() == 4 && s[1] % block == 0; };
  for (const Shape& s : output_shapes) {
    if (!divisible(s)) return false;
  }
  // Run-time rank-4 inputs travel in the chosen layout; constants keep their bytes. Whether the op
  // follows a blocked producer is decided by its bulk inputs only: a per-channel [n, c, 1, 1] operand (a
  // squeeze-excitation scale) being blocked is no reason to reorder a full-size tensor.
  bool any_blocked = false;
  for (const TensorDesc& in : inputs) {
    if (!in.present || in.constant != nullptr) continue;
    if (in.shape.rank() == 4 && in.dtype == DType::kFloat32 && !divisible(in.shape)) return false;
    const bool per_channel = in.shape.rank() == 4 && in.shape[2] * in.shape[3] == 1 &&
                             !output_shapes.empty() && output_shapes[0][2] * output_shapes[0][3] > 1;
    any_blocked = any_blocked || (in.layout == layout && !per_channel);
  }
  // oneDNN's direct convolutions are written for blocked data (the nhwc ones came later and split work
  // less evenly), so convolutions always take it.
  if (op == "Conv" || op == "ConvTranspose") return true;
  if (!any_blocked) return false;
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool" ||
      IsUnaryEltwise(op)) {
    return true;
  }
  if (op == "Resize") return !output_shapes.empty() && ResizeRunsOnOneDnn(node, inputs, output_shapes[0]);
  if (op == "Concat") {
    for (const TensorDesc& in : inputs) {
      if (!in.present || in.dtype != DType::kFloat32 || in.shape.rank() != 4 || in.constant) return false;
    }
    return true;
  }
  if (IsBinary(op)) {
    // Full-shape operands, per-channel [n, c, 1, 1] ones and scalars broadcast on blocked data.
    if (output_shapes.empty()) return false;
    const Shape& out = output_shapes[0];
    for (const TensorDesc& in : inputs) {
      if (!in.present || in.dtype != DType::kFloat32 || in.shape.rank() > 4) return false;
      if (in.shape == out || in.shape.num_elements() == 1) continue;
      const bool per_channel = in.shape.rank() == 4 && in.shape[1] == out[1] && in.shape[2] == 1 &&
                               in.shape[3] == 1 && (in.shape[0] == out[0] || in.shape[0] == 1);
      if (!per_channel) return false;
    }
    return true;
  }
  return false;
}

graph::Layout PreferredBlockedLayout() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  switch (isa) {
    case dnnl::cpu_isa::avx512_core:
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
    case dnnl::cpu_isa::avx512_mic:
    case dnnl::cpu_isa::avx512_mic_4ops:
      return graph::Layout::kBlocked16;
    case dnnl::cpu_isa::avx:
    case dnnl::cpu_isa::avx2:
    case dnnl::cpu_isa::avx2_vnni:
      return graph::Layout::kBlocked8;
    default:
      return graph::Layout::kPlain;
  }
}

}  // namespace plateau::ops::onednn
