// Unary element-wise ops on oneDNN eltwise, over the flat buffer: any layout works as long as input and
// output share it, and output 0 may be input 0's buffer (in place).

#include <cfloat>
#include <string>

#include "engine/ops/onednn/primitive_kernel.h"

namespace plateau::ops::onednn {

using dnnl::algorithm;
using dnnl::memory;

namespace {

struct EltwiseStep {
  algorithm alg;
  float alpha = 0.f;
  float beta = 0.f;
};

// One scalar from an optional constant input (Clip's min/max, Pow's exponent).
StatusOr<float> ScalarInput(const graph::Node& node, std::span<const TensorDesc> inputs, size_t index,
                            float dflt, const char* what) {
  if (index >= OwnInputCount(node) || !inputs[index].present) return dflt;
  PLATEAU_ASSIGN_OR_RETURN(std::vector<float> v, ConstantFloats(node, inputs[index], what));
  if (v.size() != 1) {
    return Status::Unimplemented(node.Describe() + ": " + what + " must be a scalar, got shape " +
                                 inputs[index].shape.ToString());
  }
  return v[0];
}

StatusOr<std::vector<EltwiseStep>> StepsFor(const graph::Node& node, std::span<const TensorDesc> inputs) {
  const std::string& op = node.op_type;
  if (op == "Relu") return std::vector<EltwiseStep>{{algorithm::eltwise_relu}};
  if (op == "LeakyRelu")
    return std::vector<EltwiseStep>{{algorithm::eltwise_relu, node.GetFloat("alpha", 0.01f)}};
  if (op == "Sigmoid") return std::vector<EltwiseStep>{{algorithm::eltwise_logistic}};
  if (op == "Tanh") return std::vector<EltwiseStep>{{algorithm::eltwise_tanh}};
  if (op == "Exp") return std::vector<EltwiseStep>{{algorithm::eltwise_exp}};
  if (op == "Log") return std::vector<EltwiseStep>{{algorithm::eltwise_log}};
  if (op == "Sqrt") return std::vector<EltwiseStep>{{algorithm::eltwise_sqrt}};
  if (op == "Abs") return std::vector<EltwiseStep>{{algorithm::eltwise_abs}};
  if (op == "Neg") return std::vector<EltwiseStep>{{algorithm::eltwise_linear, -1.f, 0.f}};
  if (op == "Elu") return std::vector<EltwiseStep>{{algorithm::eltwise_elu, node.GetFloat("alpha", 1.f)}};
  if (op == "HardSwish") return std::vector<EltwiseStep>{{algorithm::eltwise_hardswish}};
  if (op == "HardSigmoid") {
    return std::vector<EltwiseStep>{
        {algorithm::eltwise_linear, node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)},
        {algorithm::eltwise_clip, 0.f, 1.f}};
  }
  if (op == "Clip") {
    // Before opset 11 the bounds are attributes; from 11 on they are optional inputs.
    float lo = node.GetFloat("min", -FLT_MAX);
    float hi = node.GetFloat("max", FLT_MAX);
    PLATEAU_ASSIGN_OR_RETURN(lo, ScalarInput(node, inputs, 1, lo, "min"));
    PLATEAU_ASSIGN_OR_RETURN(hi, ScalarInput(node, inputs, 2, hi, "max"));
    return std::vector<EltwiseStep>{{algorithm::eltwise_clip, lo, hi}};
  }
  if (op == "Pow") {
    if (OwnInputCount(node) != 2 || !inputs[1].present) {
      return Status::InvalidArgument(node.Describe() + ": Pow needs an exponent input");
    }
    PLATEAU_ASSIGN_OR_RETURN(float e, ScalarInput(node, inputs, 1, 1.f, "exponent"));
    if (e == 2.f) return std::vector<EltwiseStep>{{algorithm::eltwise_square}};
    if (e == 0.5f) return std::vector<EltwiseStep>{{algorithm::eltwise_sqrt}};
    return std::vector<EltwiseStep>{{algorithm::eltwise_pow, 1.f, e}};
  }
  return Status::Unimplemented(node.Describe() + ": not an element-wise op");
}

}  // namespace

KernelOr CreateEltwiseKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                             std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 3));
  const TensorDesc& x = inputs[0];
  const TensorDesc& out = outputs[0];
  PLATEAU_RETURN_IF_ERROR(ExpectFloat(node, x, "input"));
  if (x.shape != out.shape || x.layout != out.layout) {
    return Status::InvalidArgument(node.Describe() + ": output " + out.shape.ToString() +
                                   " must have the input's shape " + x.shape.ToString() + " and layout");
  }
  PLATEAU_ASSIGN_OR_RETURN(std::vector<EltwiseStep> steps, StepsFor(node, inputs));
  const memory::desc flat = FlatMd(x.shape.num_elements(), memory::data_type::f32);
  auto k = std::make_unique<PrimitiveKernel>(node, *ctx.engine);
  memory src = k->AddMemory(flat, BufferRole::kInput, 0);
  memory dst = k->AddMemory(flat, BufferRole::kOutput, 0);
  for (size_t i = 0; i < steps.size(); ++i) {
    dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, steps[i].alg, flat, steps[i].alpha,
                                     steps[i].beta);
    dnnl::eltwise_forward::primitive_desc pd(desc, MakeAttr(), *ctx.engine);
    // Later steps work on the output in place.
    k->AddStep(pd, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, i == 0 ? src : dst}, {DNNL_ARG_DST, dst}});
    if (i == 0) k->set_impl_name(pd.impl_info_str());
  }
  PLATEAU_RETURN_IF_ERROR(AppendPostOpSteps(node, inputs, out, k.get()));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace plateau::ops::onednn
