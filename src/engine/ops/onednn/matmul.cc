// MatMul and Gemm on oneDNN matmul. A constant right operand is packed once as weights (format `any`).

#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::memory;

namespace {

Status ExpectPlain(const graph::Node& node, std::span<const TensorDesc> descs) {
  for (const TensorDesc& d : descs) {
    if (d.present && d.layout != graph::Layout::kPlain) {
      return Status::Unimplemented(node.Describe() + ": needs plain layouts");
    }
  }
  return Status::Ok();
}

}  // namespace

KernelOr CreateMatMulKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                            std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 2, 2));
  PLATEAU_RETURN_IF_ERROR(ExpectPlain(node, inputs));
  PLATEAU_RETURN_IF_ERROR(ExpectPlain(node, outputs));
  const TensorDesc& a = inputs[0];
  const TensorDesc& b = inputs[1];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, a, "input A"));
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, b, "input B"));
  if (a.shape.rank() < 1 || b.shape.rank() < 1) {
    return Status::InvalidArgument(node.Describe() + ": MatMul inputs must have rank >= 1");
  }
  // 1-D operands become a row (A) or a column (B); the output bytes are the same either way.
  memory::dims ad = DimsOf(a.shape), bd = DimsOf(b.shape);
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const size_t rank = std::max(ad.size(), bd.size());
  ad.insert(ad.begin(), rank - ad.size(), 1);
  bd.insert(bd.begin(), rank - bd.size(), 1);
  const int64_t m = ad[rank - 2], kdim = ad[rank - 1], n = bd[rank - 1];
  if (bd[rank - 2] != kdim) {
    return Status::InvalidArgument(node.Describe() + ": inner dims differ: " + a.shape.ToString() + " x " +
                                   b.shape.ToString());
  }
  memory::dims dd(rank);
  bool b_batch_one = true;
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (ad[i] != bd[i] && ad[i] != 1 && bd[i] != 1) {
      return Status::InvalidArgument(node.Describe() + ": batch dims do not broadcast: " +
                                     a.shape.ToString() + " x " + b.shape.ToString());
    }
    dd[i] = std::max(ad[i], bd[i]);
    b_batch_one = b_batch_one && bd[i] == 1;
    batch *= dd[i];
  }
  dd[rank - 2] = m;
  dd[rank - 1] = n;
  if (batch * m * n != out.shape.num_elements()) {
    return Status::InvalidArgument(node.Describe() + ": output " + out.shape.ToString() + " does not hold " +
                                   std::to_string(batch * m * n) + " elements");
  }
  if (b_batch_one && rank > 2) {
    // A shared right operand: one (batch*M) x K by K x N product instead of a batched one, when A's
    // batch dims are not broadcast.
    bool a_full = true;
    for (size_t i = 0; i + 2 < rank; ++i) a_full = a_full && ad[i] == dd[i];
    if (a_full) {
      ad = {batch * m, kdim};
      bd = {kdim, n};
      dd = {batch * m, n};
    }
  }
  PLATEAU_ASSIGN_OR_RETURN(FusedPostOps fused, FusePostOps(node));
  const memory::desc a_md(ad, memory::data_type::f32, PlainStrides(ad));
  const memory::desc b_plain(bd, memory::data_type::f32, PlainStrides(bd));
  const memory::desc d_md(dd, memory::data_type::f32, PlainStrides(dd));
  const bool packed_b = b.constant != nullptr;
  const memory::desc b_md =
      packed_b ? memory::desc(bd, memory::data_type::f32, memory::format_tag::any) : b_plain;
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, d_md), MakeAttr(&fused.ops), *ctx.engine);

  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(a_md, BufferRole::kInput, 0);
  memory wts;
  if (packed_b) {
    PLATEAU_ASSIGN_OR_RETURN(const void* packed,
                             PackWeights(ctx, node, b.constant->data(), b_plain, b.constant->data(),
                                         pd.weights_desc(), nullptr, 0));
    wts = k->AddMemory(pd.weights_desc(), BufferRole::kFixed, -1, 0, packed);
  } else {
    wts = k->AddMemory(b_plain, BufferRole::kInput, 1);
  }
  memory dst = k->AddMemory(d_md, BufferRole::kOutput, 0);
  PLATEAU_RETURN_IF_ERROR(PrepareSumOperand(node, fused.sum_input, inputs, out, k.get()));
  k->AddStep(pd, dnnl::matmul(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}});
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get(), fused.first_unfused));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelOr CreateGemmKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                          std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 2, 3));
  PLATEAU_RETURN_IF_ERROR(ExpectPlain(node, inputs));
  PLATEAU_RETURN_IF_ERROR(ExpectPlain(node, outputs));
  const TensorDesc& a = inputs[0];
  const TensorDesc& b = inputs[1];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, a, "input A"));
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, b, "input B"));
  if (a.shape.rank() != 2 || b.shape.rank() != 2) {
    return Status::InvalidArgument(node.Describe() + ": Gemm inputs must be 2-D");
  }
  const bool ta = node.GetInt("transA", 0) != 0;
  const bool tb = node.GetInt("transB", 0) != 0;
  const float alpha = node.GetFloat("alpha", 1.f);
  const float beta = node.GetFloat("beta", 1.f);
  const int64_t m = ta ? a.shape[1] : a.shape[0];
  const int64_t kdim = ta ? a.shape[0] : a.shape[1];
  const int64_t n = tb ? b.shape[0] : b.shape[1];
  if ((tb ? b.shape[1] : b.shape[0]) != kdim || out.shape != Shape{m, n}) {
    return Status::InvalidArgument(node.Describe() + ": shapes " + a.shape.ToString() + ", " +
                                   b.shape.ToString() + " and output " + out.shape.ToString() +
                                   " do not agree");
  }
  if (alpha != 1.f && b.constant == nullptr) {
    return Status::Unimplemented(node.Describe() + ": alpha != 1 needs a constant B");
  }
  const bool has_c = OwnInputCount(node) > 2 && inputs[2].present && beta != 0.f;
  memory::dims cd;
  if (has_c) {
    const TensorDesc& c = inputs[2];
    PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, c, "input C"));
    if (c.shape.rank() > 2) return Status::InvalidArgument(node.Describe() + ": C must have rank <= 2");
    cd = {c.shape.rank() == 2 ? c.shape[0] : 1, c.shape.rank() >= 1 ? c.shape[c.shape.rank() - 1] : 1};
    if ((cd[0] != 1 && cd[0] != m) || (cd[1] != 1 && cd[1] != n)) {
      return Status::InvalidArgument(node.Describe() + ": C " + c.shape.ToString() +
                                     " does not broadcast to " + out.shape.ToString());
    }
    if (beta != 1.f && c.constant == nullptr) {
      return Status::Unimplemented(node.Describe() + ": beta != 1 needs a constant C");
    }
  }
  PLATEAU_ASSIGN_OR_RETURN(FusedPostOps fused, FusePostOps(node));
  const memory::desc a_md({m, kdim}, memory::data_type::f32, ta ? memory::dims{1, m} : memory::dims{kdim, 1});
  const memory::desc b_plain({kdim, n}, memory::data_type::f32,
                             tb ? memory::dims{1, kdim} : memory::dims{n, 1});
  const memory::desc d_md({m, n}, memory::data_type::f32, memory::dims{n, 1});
  const memory::desc c_md =
      has_c ? memory::desc(cd, memory::data_type::f32, PlainStrides(cd)) : memory::desc();
  const bool packed_b = b.constant != nullptr;
  const memory::desc b_md =
      packed_b ? memory::desc({kdim, n}, memory::data_type::f32, memory::format_tag::any) : b_plain;
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md, d_md), MakeAttr(&fused.ops),
                                  *ctx.engine);

  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(a_md, BufferRole::kInput, 0);
  memory wts, bias;
  const bool scaled_c = has_c && beta != 1.f;
  if (packed_b) {
    // alpha and beta are folded into the packed copies: dst = A (alpha B) + (beta C).
    std::vector<float> scaled(b.constant->as<float>(), b.constant->as<float>() + b.shape.num_elements());
    for (float& v : scaled) v *= alpha;
    std::vector<float> c_scaled;
    if (scaled_c) {
      c_scaled.assign(inputs[2].constant->as<float>(),
                      inputs[2].constant->as<float>() + inputs[2].shape.num_elements());
      for (float& v : c_scaled) v *= beta;
    }
    PLATEAU_ASSIGN_OR_RETURN(
        const void* packed,
        PackWeights(ctx, node, b.constant->data(), b_plain, scaled.data(), pd.weights_desc(),
                    scaled_c ? c_scaled.data() : nullptr, c_scaled.size() * sizeof(float)));
    wts = k->AddMemory(pd.weights_desc(), BufferRole::kFixed, -1, 0, packed);
    if (scaled_c) {
      bias = k->AddMemory(c_md, BufferRole::kFixed, -1, 0,
                          static_cast<const char*>(packed) + PackedBiasOffset(pd.weights_desc()));
    }
  } else {
    wts = k->AddMemory(b_plain, BufferRole::kInput, 1);
  }
  if (scaled_c && !packed_b) {
    return Status::Unimplemented(node.Describe() + ": beta != 1 needs constant B and C");
  }
  if (has_c && !scaled_c) {
    bias = k->AddMemory(c_md, BufferRole::kInput, 2, 0,
                        inputs[2].constant ? inputs[2].constant->data() : nullptr);
  }
  memory dst = k->AddMemory(d_md, BufferRole::kOutput, 0);
  PLATEAU_RETURN_IF_ERROR(PrepareSumOperand(node, fused.sum_input, inputs, out, k.get()));
  if (has_c) {
    k->AddStep(pd, dnnl::matmul(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  } else {
    k->AddStep(pd, dnnl::matmul(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}});
  }
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get(), fused.first_unfused));
  k->set_impl_name(pd.impl_info_str());
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
