// Add, Sub, Mul, Div, Max, Min with numpy broadcasting.
//
// oneDNN's binary primitive needs src0 to have the output's dims and broadcasts only src1. When only
// input 1 has the output's dims the inputs are swapped; for Sub and Div a fused eltwise puts the result
// right again (-(b - a), (b / a)^-1). Non-float types and two-sided broadcasts use a plain loop.

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::algorithm;
using dnnl::memory;

namespace {

enum class BinOp : uint8_t { kAdd, kSub, kMul, kDiv, kMax, kMin };

BinOp BinOpOf(const std::string& op) {
  if (op == "Add") return BinOp::kAdd;
  if (op == "Sub") return BinOp::kSub;
  if (op == "Mul") return BinOp::kMul;
  if (op == "Div") return BinOp::kDiv;
  if (op == "Max") return BinOp::kMax;
  return BinOp::kMin;
}

algorithm AlgOf(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return algorithm::binary_add;
    case BinOp::kSub:
      return algorithm::binary_sub;
    case BinOp::kMul:
      return algorithm::binary_mul;
    case BinOp::kDiv:
      return algorithm::binary_div;
    case BinOp::kMax:
      return algorithm::binary_max;
    case BinOp::kMin:
      return algorithm::binary_min;
  }
  return algorithm::binary_add;
}

// `dims` with leading 1s up to `rank`.
memory::dims PadDims(const Shape& shape, int rank) {
  memory::dims dims(static_cast<size_t>(rank - shape.rank()), 1);
  dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
  return dims;
}

// The descriptor of one operand as a tensor of the output's rank. A plain [n, c, 1, 1] operand next to
// an nhwc output is described as nhwc, and next to a blocked output as blocked when c is a multiple of
// the block: the bytes are the same and oneDNN then sees matching formats.
memory::desc OperandMd(const TensorDesc& in, const TensorDesc& out) {
  memory::dims dims = PadDims(in.shape, out.shape.rank());
  graph::Layout layout = in.layout;
  const int block = graph::ChannelBlock(out.layout);
  if (layout == graph::Layout::kPlain && out.layout != graph::Layout::kPlain && dims.size() == 4 &&
      dims[2] == 1 && dims[3] == 1 && (block == 0 || dims[1] % block == 0)) {
    layout = out.layout;
  }
  return MdOf(dims, ToDnnl(in.dtype), layout);
}

template <typename T>
T Apply(BinOp op, T a, T b) {
  switch (op) {
    case BinOp::kAdd:
      return a + b;
    case BinOp::kSub:
      return a - b;
    case BinOp::kMul:
      return a * b;
    case BinOp::kDiv:
      return b == T(0) && !std::is_floating_point_v<T> ? T(0) : a / b;
    case BinOp::kMax:
      return std::max(a, b);
    case BinOp::kMin:
      return std::min(a, b);
  }
  return a;
}

// Plain-layout broadcasting loop for what oneDNN cannot do here.
class PlainBinaryKernel : public Kernel {
 public:
  PlainBinaryKernel(BinOp op, DType dtype, const Shape& a, const Shape& b, const Shape& out)
      : op_(op), dtype_(dtype), out_(out) {
    const int r = out.rank();
    auto strides = [r](const Shape& s, std::array<int64_t, Shape::kMaxRank>& st) {
      int64_t stride = 1;
      for (int i = r - 1; i >= 0; --i) {
        int j = i - (r - s.rank());
        int64_t d = j >= 0 ? s[j] : 1;
        st[i] = d == 1 ? 0 : stride;
        stride *= d;
      }
    };
    strides(a, sa_);
    strides(b, sb_);
  }
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    a_ = inputs[0];
    b_ = inputs[1];
    out_ptr_ = outputs[0];
  }
  Status Execute(dnnl::stream&) override {
    switch (dtype_) {
      case DType::kFloat32:
        Run<float>();
        break;
      case DType::kInt32:
        Run<int32_t>();
        break;
      case DType::kInt64:
        Run<int64_t>();
        break;
      case DType::kUInt8:
        Run<uint8_t>();
        break;
    }
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:binary"; }

 private:
  template <typename T>
  void Run() {
    const T* a = static_cast<const T*>(a_);
    const T* b = static_cast<const T*>(b_);
    T* o = static_cast<T*>(out_ptr_);
    const int r = out_.rank();
    if (r == 0) {
      o[0] = Apply(op_, a[0], b[0]);
      return;
    }
    const int64_t inner = out_[r - 1];
    const int64_t outer = out_.num_elements() / std::max<int64_t>(inner, 1);
    std::array<int64_t, Shape::kMaxRank> idx{};
    for (int64_t row = 0; row < outer; ++row) {
      int64_t ia = 0, ib = 0;
      for (int d = 0; d < r - 1; ++d) {
        ia += idx[d] * sa_[d];
        ib += idx[d] * sb_[d];
      }
      T* orow = o + row * inner;
      for (int64_t i = 0; i < inner; ++i)
        orow[i] = Apply(op_, a[ia + i * sa_[r - 1]], b[ib + i * sb_[r - 1]]);
      for (int d = r - 2; d >= 0; --d) {
        if (++idx[d] < out_[d]) break;
        idx[d] = 0;
      }
    }
  }

  BinOp op_;
  DType dtype_;
  Shape out_;
  std::array<int64_t, Shape::kMaxRank> sa_{}, sb_{};
  const void* a_ = nullptr;
  const void* b_ = nullptr;
  void* out_ptr_ = nullptr;
};

}  // namespace

KernelOr CreateBinaryKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                            std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 2, 2));
  const TensorDesc& out = outputs[0];
  const BinOp op = BinOpOf(node.op_type);
  for (const TensorDesc& in : inputs) {
    if (in.dtype != out.dtype) {
      return Status::InvalidArgument(node.Describe() + ": input type " + DTypeName(in.dtype) +
                                     " differs from the output type " + DTypeName(out.dtype));
    }
    if (in.shape.rank() > out.shape.rank()) {
      return Status::InvalidArgument(node.Describe() + ": input " + in.shape.ToString() +
                                     " has a higher rank than the output " + out.shape.ToString());
    }
  }
  const int rank = out.shape.rank();
  const memory::dims out_dims = DimsOf(out.shape);
  const bool full0 = rank > 0 && PadDims(inputs[0].shape, rank) == out_dims;
  const bool full1 = rank > 0 && PadDims(inputs[1].shape, rank) == out_dims;
  const bool any_nhwc = out.layout != graph::Layout::kPlain || inputs[0].layout != graph::Layout::kPlain ||
                        inputs[1].layout != graph::Layout::kPlain;
  if (out.dtype != DType::kFloat32 || (!full0 && !full1)) {
    if (any_nhwc) {
      return Status::Unimplemented(node.Describe() + ": broadcasting " + inputs[0].shape.ToString() +
                                   " with " + inputs[1].shape.ToString() + " needs plain layouts");
    }
    if (!node.post_ops.empty()) {
      return Status::Unimplemented(node.Describe() +
                                   ": post-ops need a float output with a full-shape input");
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<PlainBinaryKernel>(op, out.dtype, inputs[0].shape, inputs[1].shape, out.shape));
  }
  const int first = full0 ? 0 : 1;
  const int second = 1 - first;
  std::vector<EltwiseEntry> fixup;
  if (first == 1 && op == BinOp::kSub) fixup.push_back({algorithm::eltwise_linear, -1.f, 0.f});
  if (first == 1 && op == BinOp::kDiv) fixup.push_back({algorithm::eltwise_pow, 1.f, -1.f});
  PLATEAU_ASSIGN_OR_RETURN(FusedPostOps fused, FusePostOps(node, fixup));

  const memory::desc src0_md = OperandMd(inputs[first], out);
  const memory::desc src1_md = OperandMd(inputs[second], out);
  const memory::desc dst_md = MdOf(out);
  dnnl::binary::desc desc(AlgOf(op), src0_md, src1_md, dst_md);
  dnnl::binary::primitive_desc pd(desc, MakeAttr(&fused.ops), *ctx.engine);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  auto initial = [](const TensorDesc& d) -> const void* { return d.constant ? d.constant->data() : nullptr; };
  memory src0 = k->AddMemory(src0_md, BufferRole::kInput, first, 0, initial(inputs[first]));
  memory src1 = k->AddMemory(src1_md, BufferRole::kInput, second, 0, initial(inputs[second]));
  memory dst = k->AddMemory(dst_md, BufferRole::kOutput, 0);
  PLATEAU_RETURN_IF_ERROR(PrepareSumOperand(node, fused.sum_input, inputs, out, k.get()));
  k->AddStep(pd, dnnl::binary(pd), {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get(), fused.first_unfused));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
