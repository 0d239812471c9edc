#include "engine/graph/passes/passes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/model/onnx_loader.h"
#include "engine/ops/op.h"

namespace plateau::graph::passes {
namespace {

// --- Building graphs by hand ----------------------------------------------------------------------------

std::shared_ptr<const Tensor> FloatTensor(const Shape& shape, const std::vector<float>& values) {
  StatusOr<Tensor> t = Tensor::Zeros(DType::kFloat32, shape);
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(static_cast<size_t>(shape.num_elements()), values.size());
  for (size_t i = 0; i < values.size(); ++i) t->as<float>()[i] = values[i];
  return std::make_shared<const Tensor>(std::move(t).value());
}

std::vector<float> Data(const Tensor& t) {
  const float* p = t.as<float>();
  return std::vector<float>(p, p + t.shape().num_elements());
}

class Builder {
 public:
  explicit Builder(int opset = 11) { g.set_opset(opset); }

  ValueId Input(const std::string& name, const Shape& shape) {
    Value v;
    v.name = name;
    v.shape = shape;
    v.shape_known = true;
    ValueId id = g.AddValue(std::move(v));
    g.inputs().push_back(id);
    return id;
  }
  ValueId Const(const std::string& name, const Shape& shape, const std::vector<float>& values) {
    return g.AddConstant(name, FloatTensor(shape, values));
  }
  ValueId Scalar(float v) { return Const("k" + std::to_string(counter_++), Shape{}, {v}); }
  // Adds a node with one output and returns the output.
  ValueId Op(const std::string& op, std::vector<ValueId> inputs,
             std::map<std::string, AttrValue> attrs = {}) {
    return Ops(op, std::move(inputs), 1, std::move(attrs))[0];
  }
  std::vector<ValueId> Ops(const std::string& op, std::vector<ValueId> inputs, int outputs,
                           std::map<std::string, AttrValue> attrs = {}) {
    Node n;
    n.name = op + "." + std::to_string(counter_++);
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    for (int i = 0; i < outputs; ++i) {
      Value v;
      v.name = n.name + ".out" + std::to_string(i);
      n.outputs.push_back(g.AddValue(std::move(v)));
    }
    last = g.AddNode(std::move(n));
    return g.node(last).outputs;
  }
  void Output(ValueId v) { g.outputs().push_back(v); }

  Graph g;
  NodeId last;

 private:
  int counter_ = 0;
};

int LiveCount(const Graph& g, const std::string& op = "") {
  int n = 0;
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const Node& node = g.node(NodeId{static_cast<int32_t>(i)});
    if (!node.removed && (op.empty() || node.op_type == op)) ++n;
  }
  return n;
}

const Node* OnlyLive(const Graph& g, const std::string& op) {
  const Node* found = nullptr;
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const Node& node = g.node(NodeId{static_cast<int32_t>(i)});
    if (node.removed || node.op_type != op) continue;
    if (found != nullptr) return nullptr;
    found = &node;
  }
  return found;
}

std::map<std::string, AttrValue> ConvAttrs(int64_t group = 1) {
  return {{"kernel_shape", std::vector<int64_t>{1, 1}}, {"group", group}};
}

// --- A tiny evaluator over the registry's reference kernels ---------------------------------------------

bool HaveReference(std::initializer_list<const char*> ops) {
  for (const char* op : ops) {
    const ops::OpDef* def = ops::FindOp(op);
    if (def == nullptr || def->infer == nullptr || def->reference == nullptr) return false;
  }
  return true;
}

// Runs `g` on `inputs` (one per graph input) node by node in topological order: infer sizes each
// output, the reference kernel computes it. Returns the graph outputs. Every input's contents are
// handed to infer, so shape tensors computed at run time (Shape -> Reshape) can be read. When `shaped`
// is given, it receives a copy of `g` in which every value has its concrete shape, as after
// specialisation.
StatusOr<std::vector<std::vector<float>>> Evaluate(const Graph& g,
                                                   const std::vector<std::vector<float>>& inputs,
                                                   Graph* shaped = nullptr) {
  std::vector<std::shared_ptr<const Tensor>> values(g.num_values());
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    values[g.inputs()[i].index] = FloatTensor(g.value(g.inputs()[i]).shape, inputs[i]);
  }
  for (size_t i = 0; i < g.num_values(); ++i) {
    if (g.value(ValueId{static_cast<int32_t>(i)}).constant)
      values[i] = g.value(ValueId{static_cast<int32_t>(i)}).constant;
  }
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  for (NodeId id : order) {
    const Node& n = g.node(id);
    const ops::OpDef* def = ops::FindOp(n.op_type);
    if (def == nullptr) return Status::NotFound("no op " + n.op_type);
    std::vector<ops::ValueInfo> in_info(n.inputs.size());
    std::vector<TensorView> in_views(n.inputs.size());
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!n.inputs[i].valid()) continue;
      const std::shared_ptr<const Tensor>& t = values[n.inputs[i].index];
      if (t == nullptr) return Status::Internal(n.Describe() + " reads a value not computed yet");
      in_info[i].dtype = t->dtype();
      in_info[i].shape = t->shape();
      in_info[i].constant = t;
      in_views[i] = t->view();
    }
    std::vector<ops::ValueInfo> out_info(n.outputs.size());
    PLATEAU_RETURN_IF_ERROR(def->infer(n, in_info, out_info));
    std::vector<std::shared_ptr<Tensor>> outs;
    std::vector<TensorView> out_views;
    for (const ops::ValueInfo& o : out_info) {
      PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(o.dtype, o.shape));
      outs.push_back(std::make_shared<Tensor>(std::move(t)));
      out_views.push_back(outs.back()->view());
    }
    PLATEAU_RETURN_IF_ERROR(def->reference(n, in_views, out_views));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i].valid()) values[n.outputs[i].index] = outs[i];
    }
  }
  if (shaped != nullptr) {
    *shaped = g.Clone();
    for (size_t i = 0; i < g.num_values(); ++i) {
      if (values[i] == nullptr) continue;
      Value& v = shaped->value(ValueId{static_cast<int32_t>(i)});
      v.shape = values[i]->shape();
      v.dtype = values[i]->dtype();
      v.shape_known = true;
    }
  }
  std::vector<std::vector<float>> result;
  for (ValueId out : g.outputs()) {
    if (values[out.index] == nullptr) return Status::Internal("output not computed");
    result.push_back(Data(*values[out.index]));
  }
  return result;
}

std::vector<float> Random(int64_t n, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Evaluates `before` and `after` on the same random inputs and checks every output agrees.
void ExpectSameResults(const Graph& before, const Graph& after, uint32_t seed = 1) {
  std::vector<std::vector<float>> inputs;
  for (size_t i = 0; i < before.inputs().size(); ++i) {
    inputs.push_back(
        Random(before.value(before.inputs()[i]).shape.num_elements(), seed + static_cast<uint32_t>(i)));
  }
  StatusOr<std::vector<std::vector<float>>> a = Evaluate(before, inputs);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  StatusOr<std::vector<std::vector<float>>> b = Evaluate(after, inputs);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(a->size(), b->size());
  for (size_t o = 0; o < a->size(); ++o) {
    ASSERT_EQ((*a)[o].size(), (*b)[o].size());
    float max_diff = 0.f;
    for (size_t i = 0; i < (*a)[o].size(); ++i)
      max_diff = std::max(max_diff, std::fabs((*a)[o][i] - (*b)[o][i]));
    EXPECT_LT(max_diff, 1e-4f) << "output " << o;
  }
}

// --- FoldBatchNormIntoConv ------------------------------------------------------------------------------

TEST(FoldBatchNormIntoConvTest, FoldsScaleAndShiftIntoNewWeights) {
  Builder b;
  ValueId x = b.Input("x", Shape{1, 1, 2, 2});
  ValueId w = b.Const("w", Shape{1, 1, 1, 1}, {2.f});
  ValueId y = b.Op("Conv", {x, w}, ConvAttrs());
  NodeId conv = b.last;
  ValueId bn = b.Op("BatchNormalization",
                    {y, b.Const("s", {1}, {3.f}), b.Const("B", {1}, {0.5f}), b.Const("m", {1}, {1.f}),
                     b.Const("v", {1}, {4.f})},
                    {{"epsilon", 0.f}});
  b.Output(bn);
  const std::shared_ptr<const Tensor> original_w = b.g.value(w).constant;

  StatusOr<int> n = FoldBatchNormIntoConv(b.g);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(LiveCount(b.g), 1);
  const Node& c = b.g.node(conv);
  EXPECT_EQ(c.outputs[0], bn);
  EXPECT_EQ(b.g.value(bn).producer, conv);
  ASSERT_EQ(c.inputs.size(), 3u);
  // scale = 3 / sqrt(4 + 0) = 1.5: weight 2 * 1.5 = 3, bias (0 - mean 1) * 1.5 + 0.5 = -1.
  EXPECT_EQ(Data(*b.g.value(c.inputs[1]).constant), std::vector<float>({3.f}));
  EXPECT_EQ(Data(*b.g.value(c.inputs[2]).constant), std::vector<float>({-1.f}));
  // The shared original weight is untouched.
  EXPECT_EQ(b.g.value(w).constant, original_w);
  EXPECT_EQ(Data(*original_w), std::vector<float>({2.f}));
}

TEST(OptimizeAtLoadTest, ReleasesTheWeightsFoldingReplaced) {
  Builder b;
  ValueId x = b.Input("x", Shape{1, 1, 2, 2});
  ValueId w = b.Const("w", Shape{1, 1, 1, 1}, {2.f});
  ValueId mean = b.Const("m", {1}, {1.f});
  ValueId y = b.Op("Conv", {x, w}, ConvAttrs());
  NodeId conv = b.last;
  b.Output(b.Op("BatchNormalization",
                {y, b.Const("s", {1}, {3.f}), b.Const("B", {1}, {0.5f}), mean, b.Const("v", {1}, {4.f})},
                {{"epsilon", 0.f}}));
  std::weak_ptr<const Tensor> original_w = b.g.value(w).constant;
  std::weak_ptr<const Tensor> original_mean = b.g.value(mean).constant;

  ASSERT_TRUE(OptimizeAtLoad(b.g).ok());
  // The graph no longer holds what no live node reads; the folded weights stay.
  EXPECT_TRUE(original_w.expired());
  EXPECT_TRUE(original_mean.expired());
  const Node& c = b.g.node(conv);
  ASSERT_EQ(c.inputs.size(), 3u);
  ASSERT_NE(b.g.value(c.inputs[1]).constant, nullptr);
  EXPECT_EQ(Data(*b.g.value(c.inputs[1]).constant), std::vector<float>({3.f}));
}

TEST(FoldBatchNormIntoConvTest, ConvTransposeScalesDimOneAndFoldsBiasAdd) {
  // ConvTranspose weight [C_in 2, C_out 2, 1, 1] = [[1, 2], [3, 4]] (row = input channel).
  Builder b;
  ValueId x = b.Input("x", Shape{1, 2, 1, 1});
  ValueId w = b.Const("w", Shape{2, 2, 1, 1}, {1.f, 2.f, 3.f, 4.f});
  ValueId y = b.Op("ConvTranspose", {x, w}, ConvAttrs());
  NodeId conv = b.last;
  ValueId biased = b.Op("Add", {y, b.Const("bias", {1, 2, 1, 1}, {10.f, 20.f})});
  // gamma [1, 2], var [1, 1], eps 0 -> scale [1, 2]; beta 0, mean 0.
  ValueId bn = b.Op("BatchNormalization",
                    {biased, b.Const("s", {2}, {1.f, 2.f}), b.Const("B", {2}, {0.f, 0.f}),
                     b.Const("m", {2}, {0.f, 0.f}), b.Const("v", {2}, {1.f, 1.f})},
                    {{"epsilon", 0.f}});
  b.Output(bn);
  StatusOr<int> n = FoldBatchNormIntoConv(b.g);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(LiveCount(b.g), 1);
  const Node& c = b.g.node(conv);
  EXPECT_EQ(c.outputs[0], bn);
  // Output channel j is column j: [[1, 2*2], [3, 4*2]]; bias [10*1, 20*2].
  EXPECT_EQ(Data(*b.g.value(c.inputs[1]).constant), std::vector<float>({1.f, 4.f, 3.f, 8.f}));
  EXPECT_EQ(Data(*b.g.value(c.inputs[2]).constant), std::vector<float>({10.f, 40.f}));
}

TEST(FoldBatchNormIntoConvTest, GroupedConvTransposeMapsInputChannelsToTheirGroup) {
  // group 2, C_in 2, C_out/group 1: input channel 0 feeds output 0, input channel 1 feeds output 1.
  Builder b;
  ValueId x = b.Input("x", Shape{1, 2, 1, 1});
  ValueId y = b.Op("ConvTranspose", {x, b.Const("w", Shape{2, 1, 1, 1}, {5.f, 7.f})}, ConvAttrs(2));
  NodeId conv = b.last;
  ValueId z = b.Op("Mul", {b.Const("s", {2, 1, 1}, {2.f, 3.f}), y});
  b.Output(z);
  StatusOr<int> n = FoldBatchNormIntoConv(b.g);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(Data(*b.g.value(b.g.node(conv).inputs[1]).constant), std::vector<float>({10.f, 21.f}));
  EXPECT_EQ(Data(*b.g.value(b.g.node(conv).inputs[2]).constant), std::vector<float>({0.f, 0.f}));
}

TEST(FoldBatchNormIntoConvTest, ScalarMulAndAddFoldInChain) {
  // Conv (w 2, bias 1) -> Mul(0.5, .) -> Add(., 3) -> Sub(., 1): w 1, bias 0.5 + 3 - 1 = 2.5.
  Builder b;
  ValueId x = b.Input("x", Shape{1, 1, 2, 2});
  ValueId y = b.Op("Conv", {x, b.Const("w", {1, 1, 1, 1}, {2.f}), b.Const("b", {1}, {1.f})}, ConvAttrs());
  NodeId conv = b.last;
  ValueId m = b.Op("Mul", {b.Const("mw", {1}, {0.5f}), y});
  ValueId a = b.Op("Add", {m, b.Const("ab", {1}, {3.f})});
  ValueId s = b.Op("Sub", {a, b.Scalar(1.f)});
  b.Output(s);
  StatusOr<int> n = FoldBatchNormIntoConv(b.g);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(LiveCount(b.g), 1);
  EXPECT_EQ(Data(*b.g.value(b.g.node(conv).inputs[1]).constant), std::vector<float>({1.f}));
  EXPECT_EQ(Data(*b.g.value(b.g.node(conv).inputs[2]).constant), std::vector<float>({2.5f}));
}

TEST(FoldBatchNormIntoConvTest, LeavesStandaloneAndSharedAndMisalignedAlone) {
  Builder b;
  ValueId x = b.Input("x", Shape{1, 2, 2, 2});
  auto bn_params = [&] {
    return std::vector<ValueId>{b.Const("s", {2}, {1.f, 1.f}), b.Const("B", {2}, {0.f, 0.f}),
                                b.Const("m", {2}, {0.f, 0.f}), b.Const("v", {2}, {1.f, 1.f})};
  };
  // Standalone batch norm on a graph input.
  std::vector<ValueId> in = {x};
  for (ValueId p : bn_params()) in.push_back(p);
  b.Output(b.Op("BatchNormalization", in));
  // Conv output read twice.
  ValueId w = b.Const("w", {2, 2, 1, 1}, {1.f, 0.f, 0.f, 1.f});
  ValueId y = b.Op("Conv", {x, w}, ConvAttrs());
  in = {y};
  for (ValueId p : bn_params()) in.push_back(p);
  b.Output(b.Op("BatchNormalization", in));
  b.Output(b.Op("Relu", {y}));
  // A [C] constant broadcasts over the last axis (W), not over channels.
  ValueId y2 = b.Op("Conv", {x, w}, ConvAttrs());
  b.Output(b.Op("Add", {y2, b.Const("c", {2}, {1.f, 2.f})}));
  // The conv output is itself a graph output.
  ValueId y3 = b.Op("Conv", {x, w}, ConvAttrs());
  b.Output(y3);
  b.Output(b.Op("Mul", {y3, b.Scalar(2.f)}));

  const int before = LiveCount(b.g);
  StatusOr<int> n = FoldBatchNormIntoConv(b.g);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(LiveCount(b.g), before);
}

// --- FuseActivations ------------------------------------------------------------------------------------

struct ConvStart {
  Builder b;
  ValueId x, y;
  NodeId conv;
};

std::unique_ptr<ConvStart> StartWithConv(int opset = 11) {
  auto s = std::make_unique<ConvStart>();
  s->b.g.set_opset(opset);
  s->x = s->b.Input("x", Shape{1, 2, 3, 3});
  s->y = s->b.Op("Conv",
                 {s->x, s->b.Const("w", {2, 2, 1, 1}, {0.5f, -1.f, 1.5f, 0.25f}),
                  s->b.Const("bias", {2}, {0.1f, -0.2f})},
                 ConvAttrs());
  s->conv = s->b.last;
  return s;
}

TEST(FuseActivationsTest, FusesSimpleActivations) {
  struct Case {
    const char* op;
    Eltwise alg;
    float alpha, beta;
  };
  for (const Case& c : {Case{"Relu", Eltwise::kRelu, 0.f, 0.f}, Case{"Sigmoid", Eltwise::kSigmoid, 0.f, 0.f},
                        Case{"HardSigmoid", Eltwise::kHardSigmoid, 0.2f, 0.5f}}) {
    auto s = StartWithConv();
    ValueId out = s->b.Op(c.op, {s->y});
    s->b.Output(out);
    StatusOr<int> n = FuseActivations(s->b.g);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1) << c.op;
    EXPECT_EQ(LiveCount(s->b.g), 1) << c.op;
    const Node& conv = s->b.g.node(s->conv);
    EXPECT_EQ(conv.outputs[0], out);
    ASSERT_EQ(conv.post_ops.size(), 1u) << c.op;
    EXPECT_EQ(conv.post_ops[0].kind, PostOp::Kind::kEltwise);
    EXPECT_EQ(conv.post_ops[0].alg, c.alg) << c.op;
    EXPECT_FLOAT_EQ(conv.post_ops[0].alpha, c.alpha);
    EXPECT_FLOAT_EQ(conv.post_ops[0].beta, c.beta);
  }
}

TEST(FuseActivationsTest, FusesClipFromInputsOrAttributes) {
  auto s11 = StartWithConv(11);
  s11->b.Output(s11->b.Op("Clip", {s11->y, s11->b.Scalar(0.f), s11->b.Scalar(6.f)}));
  ASSERT_EQ(*FuseActivations(s11->b.g), 1);
  const PostOp& p11 = s11->b.g.node(s11->conv).post_ops.at(0);
  EXPECT_EQ(p11.alg, Eltwise::kClip);
  EXPECT_EQ(p11.alpha, 0.f);
  EXPECT_EQ(p11.beta, 6.f);

  auto s9 = StartWithConv(9);
  s9->b.Output(s9->b.Op("Clip", {s9->y}, {{"min", -1.f}, {"max", 2.f}}));
  ASSERT_EQ(*FuseActivations(s9->b.g), 1);
  const PostOp& p9 = s9->b.g.node(s9->conv).post_ops.at(0);
  EXPECT_EQ(p9.alg, Eltwise::kClip);
  EXPECT_EQ(p9.alpha, -1.f);
  EXPECT_EQ(p9.beta, 2.f);

  // A bound computed at run time cannot be fused.
  auto dyn = StartWithConv(11);
  dyn->b.Output(dyn->b.Op("Clip", {dyn->y, dyn->b.Op("Relu", {dyn->x})}));
  EXPECT_EQ(*FuseActivations(dyn->b.g), 0);
}

TEST(FuseActivationsTest, FusesHardSwishPatternAndFollowingAffines) {
  // The det backbone tail: hardswish(y) then Mul(w, .) then Add(., b).
  auto s = StartWithConv();
  Builder& b = s->b;
  ValueId a3 = b.Op("Add", {s->y, b.Scalar(3.f)});
  ValueId clip = b.Op("Clip", {a3, b.Scalar(0.f), b.Scalar(6.f)});
  ValueId mul = b.Op("Mul", {s->y, clip});
  ValueId hs = b.Op("Div", {mul, b.Scalar(6.f)});
  ValueId scaled = b.Op("Mul", {b.Const("lw", {1}, {0.5f}), hs});
  ValueId shifted = b.Op("Add", {scaled, b.Const("lb", {1}, {-0.25f})});
  b.Output(shifted);
  StatusOr<int> n = FuseActivations(b.g);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(LiveCount(b.g), 1);
  const Node& conv = b.g.node(s->conv);
  EXPECT_EQ(conv.outputs[0], shifted);
  ASSERT_EQ(conv.post_ops.size(), 2u);
  EXPECT_EQ(conv.post_ops[0].alg, Eltwise::kHardSwish);
  EXPECT_EQ(conv.post_ops[1].alg, Eltwise::kLinear);
  EXPECT_FLOAT_EQ(conv.post_ops[1].alpha, 0.5f);
  EXPECT_FLOAT_EQ(conv.post_ops[1].beta, -0.25f);
}

TEST(FuseActivationsTest, MergesConsecutiveLinears) {
  // ((y * 2) + 1 - 4) / 2 = y + (-1.5)
  auto s = StartWithConv();
  Builder& b = s->b;
  ValueId v = b.Op("Mul", {s->y, b.Scalar(2.f)});
  v = b.Op("Add", {b.Scalar(1.f), v});
  v = b.Op("Sub", {v, b.Scalar(4.f)});
  v = b.Op("Div", {v, b.Scalar(2.f)});
  b.Output(v);
  ASSERT_EQ(*FuseActivations(b.g), 4);
  const Node& conv = b.g.node(s->conv);
  ASSERT_EQ(conv.post_ops.size(), 1u);
  EXPECT_FLOAT_EQ(conv.post_ops[0].alpha, 1.f);
  EXPECT_FLOAT_EQ(conv.post_ops[0].beta, -1.5f);
}

TEST(FuseActivationsTest, FusesSwishWithAndWithoutBeta) {
  auto s = StartWithConv();
  Builder& b = s->b;
  ValueId sig = b.Op("Sigmoid", {b.Op("Mul", {s->y, b.Scalar(1.5f)})});
  ValueId out = b.Op("Mul", {s->y, sig});
  b.Output(out);
  ASSERT_EQ(*FuseActivations(b.g), 1);
  EXPECT_EQ(LiveCount(b.g), 1);
  const Node& conv = b.g.node(s->conv);
  EXPECT_EQ(conv.outputs[0], out);
  ASSERT_EQ(conv.post_ops.size(), 1u);
  EXPECT_EQ(conv.post_ops[0].alg, Eltwise::kSwish);
  EXPECT_FLOAT_EQ(conv.post_ops[0].alpha, 1.5f);

  auto s2 = StartWithConv();
  ValueId out2 = s2->b.Op("Mul", {s2->b.Op("Sigmoid", {s2->y}), s2->y});
  s2->b.Output(out2);
  ASSERT_EQ(*FuseActivations(s2->b.g), 1);
  ASSERT_EQ(s2->b.g.node(s2->conv).post_ops.size(), 1u);
  EXPECT_EQ(s2->b.g.node(s2->conv).post_ops[0].alg, Eltwise::kSwish);
  EXPECT_FLOAT_EQ(s2->b.g.node(s2->conv).post_ops[0].alpha, 1.f);
}

TEST(FuseActivationsTest, FusesIntoMatMul) {
  Builder b;
  ValueId x = b.Input("x", Shape{2, 3});
  ValueId y = b.Op("MatMul", {x, b.Const("w", {3, 2}, {1, 2, 3, 4, 5, 6})});
  NodeId mm = b.last;
  b.Output(b.Op("Relu", {y}));
  ASSERT_EQ(*FuseActivations(b.g), 1);
  ASSERT_EQ(b.g.node(mm).post_ops.size(), 1u);
  EXPECT_EQ(b.g.node(mm).post_ops[0].alg, Eltwise::kRelu);
}

TEST(FuseActivationsTest, LeavesNonMatchingPatternsAlone) {
  // Conv output read by two activations.
  {
    auto s = StartWithConv();
    s->b.Output(s->b.Op("Relu", {s->y}));
    s->b.Output(s->b.Op("Sigmoid", {s->y}));
    EXPECT_EQ(*FuseActivations(s->b.g), 0);
  }
  // Conv output is a graph output.
  {
    auto s = StartWithConv();
    s->b.Output(s->y);
    s->b.Output(s->b.Op("Relu", {s->y}));
    EXPECT_EQ(*FuseActivations(s->b.g), 0);
  }
  // A hard-swish whose inner Clip result is also a graph output.
  {
    auto s = StartWithConv();
    Builder& b = s->b;
    ValueId clip = b.Op("Clip", {b.Op("Add", {s->y, b.Scalar(3.f)}), b.Scalar(0.f), b.Scalar(6.f)});
    b.Output(b.Op("Div", {b.Op("Mul", {s->y, clip}), b.Scalar(6.f)}));
    b.Output(clip);
    EXPECT_EQ(*FuseActivations(b.g), 0);
  }
  // Not a hard-swish: the divisor is 5.
  {
    auto s = StartWithConv();
    Builder& b = s->b;
    ValueId clip = b.Op("Clip", {b.Op("Add", {s->y, b.Scalar(3.f)}), b.Scalar(0.f), b.Scalar(6.f)});
    b.Output(b.Op("Div", {b.Op("Mul", {s->y, clip}), b.Scalar(5.f)}));
    EXPECT_EQ(*FuseActivations(b.g), 0);
  }
  // Non-scalar constant: a per-channel Mul is not a linear post-op.
  {
    auto s = StartWithConv();
    s->b.Output(s->b.Op("Mul", {s->y, s->b.Const("c", {1, 2, 1, 1}, {1.f, 2.f})}));
    EXPECT_EQ(*FuseActivations(s->b.g), 0);
  }
  // A one-element constant of higher rank than the output would broadcast the output up.
  {
    auto s = StartWithConv();
    s->b.Output(s->b.Op("Mul", {s->y, s->b.Const("c", {1, 1, 1, 1, 1}, {2.f})}));
    EXPECT_EQ(*FuseActivations(s->b.g), 0);
  }
  // c / y is not affine.
  {
    auto s = StartWithConv();
    s->b.Output(s->b.Op("Div", {s->b.Scalar(1.f), s->y}));
    EXPECT_EQ(*FuseActivations(s->b.g), 0);
  }
}

// --- CollapseLayerNorm ----------------------------------------------------------------------------------

struct LayerNormGraph {
  Builder b;
  ValueId x, gamma, beta, out, d;
};

std::unique_ptr<LayerNormGraph> BuildLayerNorm(std::vector<int64_t> axes = {-1}) {
  auto s = std::make_unique<LayerNormGraph>();
  Builder& b = s->b;
  s->x = b.Input("x", Shape{2, 3, 4});
  ValueId mean = b.Op("ReduceMean", {s->x}, {{"axes", axes}});
  s->d = b.Op("Sub", {s->x, mean});
  ValueId var = b.Op("ReduceMean", {b.Op("Pow", {s->d, b.Scalar(2.f)})}, {{"axes", axes}});
  ValueId std_dev = b.Op("Sqrt", {b.Op("Add", {var, b.Scalar(1e-5f)})});
  ValueId norm = b.Op("Div", {s->d, std_dev});
  s->gamma = b.Const("gamma", {4}, {1.f, 2.f, 0.5f, -1.f});
  s->beta = b.Const("beta", {4}, {0.f, 0.1f, -0.2f, 0.3f});
  s->out = b.Op("Add", {b.Op("Mul", {norm, s->gamma}), s->beta});
  b.Output(s->out);
  return s;
}

TEST(CollapseLayerNormTest, CollapsesThePattern) {
  auto s = BuildLayerNorm();
  Graph before = s->b.g.Clone();
  StatusOr<int> n = CollapseLayerNorm(s->b.g);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(LiveCount(s->b.g), 1);
  const Node* ln = OnlyLive(s->b.g, "plateau.LayerNorm");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->inputs, (std::vector<ValueId>{s->x, s->gamma, s->beta}));
  EXPECT_EQ(ln->outputs, std::vector<ValueId>{s->out});
  EXPECT_EQ(ln->GetInt("axis", 0), -1);
  EXPECT_FLOAT_EQ(ln->GetFloat("epsilon", 0.f), 1e-5f);
  ASSERT_TRUE(s->b.g.value(s->out).producer.valid());
  EXPECT_EQ(&s->b.g.node(s->b.g.value(s->out).producer), ln);

  if (!HaveReference({"plateau.LayerNorm", "ReduceMean", "Sub", "Pow", "Add", "Sqrt", "Div", "Mul"})) {
    GTEST_SKIP() << "reference kernels missing; numeric check skipped";
  }
  ExpectSameResults(before, s->b.g);
}

TEST(CollapseLayerNormTest, LeavesOtherAxesAndSharedValuesAlone) {
  auto axis1 = BuildLayerNorm({1});
  EXPECT_EQ(*CollapseLayerNorm(axis1->b.g), 0);

  auto shared = BuildLayerNorm();
  shared->b.Output(shared->b.Op("Relu", {shared->d}));  // d gets a third reader
  EXPECT_EQ(*CollapseLayerNorm(shared->b.g), 0);
}

// --- FuseResidualAdd ------------------------------------------------------------------------------------

// x [1,2,3,3] -> Conv -> a; x -> Relu -> b; Add(a, b). Every value's shape is known, as after
// specialisation.
struct ResidualGraph {
  Builder b;
  ValueId x, a, other, out;
  NodeId conv;
};

std::unique_ptr<ResidualGraph> BuildResidual(bool constant_other = false,
                                             Shape other_shape = Shape{1, 2, 3, 3}) {
  auto s = std::make_unique<ResidualGraph>();
  Builder& b = s->b;
  const Shape shape{1, 2, 3, 3};
  s->x = b.Input("x", shape);
  s->a = b.Op("Conv", {s->x, b.Const("w", {2, 2, 1, 1}, {1.f, -0.5f, 0.25f, 2.f})}, ConvAttrs());
  s->conv = b.last;
  if (constant_other) {
    s->other = b.Const("k", other_shape, std::vector<float>(other_shape.num_elements(), 1.f));
  } else {
    s->other = b.Op("Relu", {s->x});
  }
  s->out = b.Op("Add", {s->a, s->other});
  b.Output(s->out);
  for (size_t i = 0; i < b.g.num_values(); ++i) {
    Value& v = b.g.value(ValueId{static_cast<int32_t>(i)});
    if (v.constant == nullptr) {
      v.shape = v.name == s->b.g.value(s->other).name ? other_shape : shape;
      v.shape_known = true;
    }
  }
  return s;
}

TEST(FuseResidualAddTest, AppendsSumPostOp) {
  auto s = BuildResidual();
  Graph before = s->b.g.Clone();
  StatusOr<int> n = FuseResidualAdd(s->b.g);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(LiveCount(s->b.g, "Add"), 0);
  const Node& conv = s->b.g.node(s->conv);
  EXPECT_EQ(conv.outputs[0], s->out);
  ASSERT_EQ(conv.post_ops.size(), 1u);
  EXPECT_EQ(conv.post_ops[0].kind, PostOp::Kind::kSum);
  EXPECT_EQ(conv.post_ops[0].operand, s->other);
  EXPECT_EQ(conv.inputs.back(), s->other);
  ASSERT_TRUE(s->b.g.TopologicalOrder().ok());

  if (!HaveReference({"Conv", "Relu", "Add"})) GTEST_SKIP() << "reference kernels missing";
  ExpectSameResults(before, s->b.g);
}

TEST(OptimizeForShapesTest, ActivationAfterResidualJoinsThePostOps) {
  auto s = BuildResidual();
  Builder& b = s->b;
  ValueId relu = b.Op("Relu", {s->out});
  b.g.outputs() = {relu};
  b.g.value(relu).shape = b.g.value(s->out).shape;
  b.g.value(relu).shape_known = true;
  Graph before = b.g.Clone();
  ASSERT_TRUE(OptimizeForShapes(b.g).ok());
  const Node& conv = b.g.node(s->conv);
  EXPECT_EQ(conv.outputs[0], relu);
  ASSERT_EQ(conv.post_ops.size(), 2u);
  EXPECT_EQ(conv.post_ops[0].kind, PostOp::Kind::kSum);
  EXPECT_EQ(conv.post_ops[1].kind, PostOp::Kind::kEltwise);
  EXPECT_EQ(conv.post_ops[1].alg, Eltwise::kRelu);
  EXPECT_EQ(LiveCount(b.g), 2);  // the conv and the Relu producing the sum operand

  if (!HaveReference({"Conv", "Relu", "Add"})) GTEST_SKIP() << "reference kernels missing";
  ExpectSameResults(before, b.g);
}

TEST(FuseResidualAddTest, PicksTheLaterProducerWhenBothQualify) {
  Builder b;
  const Shape shape{1, 2, 2, 2};
  ValueId x = b.Input("x", shape);
  ValueId w = b.Const("w", {2, 2, 1, 1}, {1.f, 0.f, 0.f, 1.f});
  ValueId a = b.Op("Conv", {x, w}, ConvAttrs());
  ValueId c = b.Op("Conv", {x, w}, ConvAttrs());
  NodeId second = b.last;
  ValueId out = b.Op("Add", {a, c});
  b.Output(out);
  for (ValueId v : {a, c, out}) {
    b.g.value(v).shape = shape;
    b.g.value(v).shape_known = true;
  }
  ASSERT_EQ(*FuseResidualAdd(b.g), 1);
  EXPECT_EQ(b.g.node(second).outputs[0], out);
  ASSERT_EQ(b.g.node(second).post_ops.size(), 1u);
  EXPECT_EQ(b.g.node(second).post_ops[0].operand, a);
}

TEST(FuseResidualAddTest, LeavesConstantsBroadcastsAndSharedValuesAlone) {
  EXPECT_EQ(*FuseResidualAdd(BuildResidual(/*constant_other=*/true)->b.g), 0);
  // b broadcasts ([1,2,1,1] against [1,2,3,3]).
  EXPECT_EQ(*FuseResidualAdd(BuildResidual(false, Shape{1, 2, 1, 1})->b.g), 0);
  // a has a second reader.
  auto shared = BuildResidual();
  shared->b.Output(shared->b.Op("Sigmoid", {shared->a}));
  EXPECT_EQ(*FuseResidualAdd(shared->b.g), 0);
  // a is a graph output.
  auto exported = BuildResidual();
  exported->b.Output(exported->a);
  EXPECT_EQ(*FuseResidualAdd(exported->b.g), 0);
}

// A node the runtime names (also_sum_host) hosts the sum like a convolution; without the filter it does not.
TEST(FuseResidualAddTest, HostsTheRuntimeNamesTakeTheSumToo) {
  auto build = [] {
    auto s = BuildResidual();
    // The Add now reads Relu(conv) and the other Relu: only a Relu can host.
    Graph& g = s->b.g;
    ValueId relu = s->b.Op("Relu", {s->a});
    g.value(relu).shape = g.value(s->a).shape;
    g.value(relu).shape_known = true;
    Node& add = g.node(g.value(s->out).producer);
    add.inputs[0] = relu;
    return s;
  };
  auto plain = build();
  EXPECT_EQ(*FuseResidualAdd(plain->b.g), 0);
  auto named = build();
  const NodeId host = named->b.last;
  const SumHostFilter relus = [](const Graph& g, NodeId id) { return g.node(id).op_type == "Relu"; };
  ASSERT_EQ(*FuseResidualAdd(named->b.g, relus), 1);
  EXPECT_EQ(named->b.g.node(host).outputs[0], named->out);
  ASSERT_EQ(named->b.g.node(host).post_ops.size(), 1u);
  EXPECT_EQ(named->b.g.node(host).post_ops[0].operand, named->other);
}

// --- FoldGatedResidual ----------------------------------------------------------------------------------

// x [1,2,3,3] -> Conv -> a; s = HardSigmoid-gated Conv(GlobalAveragePool(a)) [1,2,1,1];
// out = Add(a, Mul(a, s)), the residual squeeze-and-excitation of PP-OCRv4's detection neck.
struct GatedGraph {
  Builder b;
  ValueId a, s, m, out;
  NodeId gate_conv, mul;
};

std::unique_ptr<GatedGraph> BuildGated(bool mul_gate_first = false) {
  auto r = std::make_unique<GatedGraph>();
  Builder& b = r->b;
  const Shape shape{1, 2, 3, 3};
  ValueId x = b.Input("x", shape);
  r->a = b.Op("Conv", {x, b.Const("w", {2, 2, 1, 1}, {1.f, -0.5f, 0.25f, 2.f})}, ConvAttrs());
  ValueId pooled = b.Op("GlobalAveragePool", {r->a});
  r->s = b.Op("Conv", {pooled, b.Const("g", {2, 2, 1, 1}, {0.5f, 1.f, -1.f, 0.75f})}, ConvAttrs());
  r->gate_conv = b.last;
  PostOp hs;
  hs.kind = PostOp::Kind::kEltwise;
  hs.alg = Eltwise::kHardSigmoid;
  hs.alpha = 0.2f;
  hs.beta = 0.5f;
  b.g.node(r->gate_conv).post_ops.push_back(hs);
  r->m = mul_gate_first ? b.Op("Mul", {r->s, r->a}) : b.Op("Mul", {r->a, r->s});
  r->mul = b.last;
  r->out = b.Op("Add", {r->m, r->a});
  b.Output(r->out);
  for (size_t i = 0; i < b.g.num_values(); ++i) {
    Value& v = b.g.value(ValueId{static_cast<int32_t>(i)});
    if (v.constant != nullptr) continue;
    const bool per_channel =
        ValueId{static_cast<int32_t>(i)} == pooled || ValueId{static_cast<int32_t>(i)} == r->s;
    v.shape = per_channel ? Shape{1, 2, 1, 1} : shape;
    v.shape_known = true;
  }
  return r;
}

TEST(FoldGatedResidualTest, TurnsTheGatedAddIntoOneMulByTheGatePlusOne) {
  for (bool gate_first : {false, true}) {
    auto r = BuildGated(gate_first);
    Graph before = r->b.g.Clone();
    StatusOr<int> n = FoldGatedResidual(r->b.g);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, 1);
    const Graph& g = r->b.g;
    EXPECT_EQ(LiveCount(g, "Add"), 0);
    const Node& mul = g.node(r->mul);
    EXPECT_EQ(mul.outputs[0], r->out);
    // x first, so that the Mul may overwrite it.
    EXPECT_EQ(mul.inputs, (std::vector<ValueId>{r->a, r->s}));
    const Node& gate = g.node(r->gate_conv);
    ASSERT_EQ(gate.post_ops.size(), 2u);
    EXPECT_EQ(gate.post_ops[1].alg, Eltwise::kLinear);
    EXPECT_EQ(gate.post_ops[1].alpha, 1.f);
    EXPECT_EQ(gate.post_ops[1].beta, 1.f);
    ASSERT_TRUE(g.TopologicalOrder().ok());
    if (!HaveReference({"Conv", "GlobalAveragePool", "Mul", "Add"}))
      GTEST_SKIP() << "reference kernels missing";
    ExpectSameResults(before, r->b.g);
  }
}

TEST(FoldGatedResidualTest, LeavesOtherShapesAndSharedValuesAlone) {
  // The gate is read by another node too: its + 1 would change that reader.
  auto shared_gate = BuildGated();
  shared_gate->b.Output(shared_gate->s);
  EXPECT_EQ(*FoldGatedResidual(shared_gate->b.g), 0);
  // The product is read by another node too.
  auto shared_product = BuildGated();
  shared_product->b.Output(shared_product->b.Op("Relu", {shared_product->m}));
  EXPECT_EQ(*FoldGatedResidual(shared_product->b.g), 0);
  // The "gate" has x's full shape: x + x * s is not a per-channel scale of x.
  auto full = BuildGated();
  full->b.g.value(full->s).shape = Shape{1, 2, 3, 3};
  EXPECT_EQ(*FoldGatedResidual(full->b.g), 0);
  // The gate comes from a node that takes no post-ops.
  auto relu_gate = BuildGated();
  relu_gate->b.g.node(relu_gate->gate_conv).op_type = "Relu";
  EXPECT_EQ(*FoldGatedResidual(relu_gate->b.g), 0);
}

// --- FoldConstantNodes ----------------------------------------------------------------------------------

TEST(FoldConstantNodesTest, EvaluatesConstantChains) {
  if (!HaveReference({"Add", "Mul", "Relu"})) GTEST_SKIP() << "reference kernels missing";
  Builder b;
  ValueId x = b.Input("x", Shape{2});
  ValueId sum = b.Op("Add", {b.Const("a", {2}, {1.f, 2.f}), b.Const("b", {2}, {10.f, 20.f})});
  ValueId prod = b.Op("Mul", {sum, b.Scalar(-1.f)});
  ValueId out = b.Op("Add", {x, prod});
  b.Output(out);
  b.Output(b.Op("Relu", {b.Const("c", {1}, {-3.f})}));  // a graph output stays computed
  StatusOr<int> n = FoldConstantNodes(b.g);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(LiveCount(b.g), 2);
  ASSERT_NE(b.g.value(prod).constant, nullptr);
  EXPECT_FALSE(b.g.value(prod).producer.valid());
  EXPECT_EQ(b.g.value(prod).shape, Shape({2}));
  EXPECT_EQ(Data(*b.g.value(prod).constant), std::vector<float>({-11.f, -22.f}));
  EXPECT_EQ(b.g.value(out).constant, nullptr);
}

TEST(FoldConstantNodesTest, SkipsOutputsOverTheSizeLimit) {
  if (!HaveReference({"Add"})) GTEST_SKIP() << "reference kernels missing";
  Builder b;
  ValueId big = b.Op("Add", {b.Const("a", {64}, std::vector<float>(64, 1.f)), b.Scalar(1.f)});
  b.Output(b.Op("Relu", {big}));
  EXPECT_EQ(*FoldConstantNodes(b.g, /*max_bytes=*/64 * 4 - 1), 0);
  EXPECT_EQ(*FoldConstantNodes(b.g, /*max_bytes=*/64 * 4), 1);
}

// --- Numeric equivalence of whole load-time pipelines ----------------------------------------------------

TEST(OptimizeAtLoadTest, DetBackboneBlockStaysEquivalent) {
  if (!HaveReference({"Conv", "Mul", "Add", "Clip", "Div", "BatchNormalization", "Relu", "HardSigmoid"})) {
    GTEST_SKIP() << "reference kernels missing";
  }
  // Conv -> BN -> Mul(w) -> Add(b) -> hardswish -> Mul(w) -> Add(b) -> depthwise Conv -> Relu ->
  // Conv -> HardSigmoid.
  Builder b;
  ValueId x = b.Input("x", Shape{1, 3, 5, 5});
  std::map<std::string, AttrValue> k3 = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                         {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  ValueId y = b.Op("Conv", {x, b.Const("w0", {4, 3, 3, 3}, Random(108, 11, -0.5f, 0.5f))}, k3);
  y = b.Op("BatchNormalization",
           {y, b.Const("g", {4}, Random(4, 12, 0.5f, 1.5f)), b.Const("bb", {4}, Random(4, 13)),
            b.Const("m", {4}, Random(4, 14)), b.Const("v", {4}, Random(4, 15, 0.1f, 2.f))},
           {{"epsilon", 1e-5f}});
  y = b.Op("Mul", {b.Const("s1", {1}, {0.9f}), y});
  y = b.Op("Add", {y, b.Const("t1", {1}, {0.3f})});
  ValueId clip = b.Op("Clip", {b.Op("Add", {y, b.Scalar(3.f)}), b.Scalar(0.f), b.Scalar(6.f)});
  y = b.Op("Div", {b.Op("Mul", {y, clip}), b.Scalar(6.f)});
  y = b.Op("Mul", {b.Const("s2", {1}, {1.1f}), y});
  y = b.Op("Add", {y, b.Const("t2", {1}, {-0.1f})});
  std::map<std::string, AttrValue> dw = k3;
  dw["group"] = int64_t{4};
  y = b.Op("Conv",
           {y, b.Const("w1", {4, 1, 3, 3}, Random(36, 16, -0.5f, 0.5f)), b.Const("b1", {4}, Random(4, 17))},
           dw);
  y = b.Op("Relu", {y});
  y = b.Op("Conv", {y, b.Const("w2", {2, 4, 1, 1}, Random(8, 18)), b.Const("b2", {2}, Random(2, 19))},
           ConvAttrs());
  y = b.Op("HardSigmoid", {y}, {{"alpha", 0.2f}, {"beta", 0.5f}});
  b.Output(y);

  Graph before = b.g.Clone();
  ASSERT_TRUE(OptimizeAtLoad(b.g).ok());
  EXPECT_EQ(LiveCount(b.g), 3);
  EXPECT_EQ(LiveCount(b.g, "Conv"), 3);
  ExpectSameResults(before, b.g);
}

TEST(OptimizeAtLoadTest, ConvTransposeHeadStaysEquivalent) {
  if (!HaveReference({"ConvTranspose", "Add", "BatchNormalization", "Relu", "Sigmoid"})) {
    GTEST_SKIP() << "reference kernels missing";
  }
  // The det head: ConvTranspose -> Add(bias) -> BN -> Relu -> ConvTranspose(group 2) -> Add(bias) -> Sigmoid.
  Builder b;
  ValueId x = b.Input("x", Shape{1, 4, 3, 3});
  std::map<std::string, AttrValue> up = {{"kernel_shape", std::vector<int64_t>{2, 2}},
                                         {"strides", std::vector<int64_t>{2, 2}}};
  ValueId y = b.Op("ConvTranspose", {x, b.Const("w0", {4, 4, 2, 2}, Random(64, 21, -0.5f, 0.5f))}, up);
  y = b.Op("Add", {y, b.Const("b0", {1, 4, 1, 1}, Random(4, 22))});
  y = b.Op("BatchNormalization",
           {y, b.Const("g", {4}, Random(4, 23, 0.5f, 1.5f)), b.Const("bb", {4}, Random(4, 24)),
            b.Const("m", {4}, Random(4, 25)), b.Const("v", {4}, Random(4, 26, 0.1f, 2.f))});
  y = b.Op("Relu", {y});
  std::map<std::string, AttrValue> up2 = up;
  up2["group"] = int64_t{2};
  y = b.Op("ConvTranspose", {y, b.Const("w1", {4, 1, 2, 2}, Random(16, 27, -0.5f, 0.5f))}, up2);
  y = b.Op("Add", {y, b.Const("b1", {1, 2, 1, 1}, Random(2, 28))});
  y = b.Op("Sigmoid", {y});
  b.Output(y);

  Graph before = b.g.Clone();
  ASSERT_TRUE(OptimizeAtLoad(b.g).ok());
  EXPECT_EQ(LiveCount(b.g), 2);
  EXPECT_EQ(LiveCount(b.g, "BatchNormalization"), 0);
  ExpectSameResults(before, b.g);
}

TEST(OptimizeAtLoadTest, SwishAfterBatchNormStaysEquivalent) {
  if (!HaveReference({"Conv", "BatchNormalization", "Mul", "Sigmoid"}))
    GTEST_SKIP() << "reference kernels missing";
  Builder b(9);
  ValueId x = b.Input("x", Shape{1, 2, 4, 4});
  ValueId y = b.Op("Conv", {x, b.Const("w", {3, 2, 1, 1}, Random(6, 31))}, ConvAttrs());
  y = b.Op("BatchNormalization",
           {y, b.Const("g", {3}, Random(3, 32, 0.5f, 1.5f)), b.Const("bb", {3}, Random(3, 33)),
            b.Const("m", {3}, Random(3, 34)), b.Const("v", {3}, Random(3, 35, 0.1f, 2.f))});
  ValueId sig = b.Op("Sigmoid", {b.Op("Mul", {y, b.Scalar(1.7f)})});
  b.Output(b.Op("Mul", {y, sig}));
  Graph before = b.g.Clone();
  ASSERT_TRUE(OptimizeAtLoad(b.g).ok());
  EXPECT_EQ(LiveCount(b.g), 1);
  ExpectSameResults(before, b.g);
}

// --- The real models ------------------------------------------------------------------------------------

std::string ModelPath(const std::string& file) {
  const char* dir = std::getenv("PLATEAU_MODELS_DIR");
  return (dir != nullptr ? std::string(dir) : std::string(PLATEAU_SOURCE_DIR "/models")) + "/" + file;
}

StatusOr<Graph> LoadOptimized(const std::string& file) {
  const std::string path = ModelPath(file);
  if (!std::filesystem::exists(path)) return Status::NotFound(path + " is missing; run `make models`");
  PLATEAU_ASSIGN_OR_RETURN(Graph g, model::LoadOnnxGraph(path));
  PLATEAU_RETURN_IF_ERROR(OptimizeAtLoad(g));
  return g;
}

int PostOpCount(const Graph& g, const std::string& op, Eltwise alg) {
  int n = 0;
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const Node& node = g.node(NodeId{static_cast<int32_t>(i)});
    if (node.removed || node.op_type != op) continue;
    for (const PostOp& p : node.post_ops) n += p.kind == PostOp::Kind::kEltwise && p.alg == alg;
  }
  return n;
}

// The loaded model and the optimised one (OptimizeAtLoad, then OptimizeForShapes on the graph
// specialised to `input`) agree on a small input.
// `residual_adds` is how many Adds must become sum post-ops.
void ExpectRealModelEquivalent(const std::string& file, const Shape& input, int residual_adds) {
  const std::string path = ModelPath(file);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is missing; run `make models`";
  StatusOr<Graph> loaded = model::LoadOnnxGraph(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  Graph optimized = loaded->Clone();
  ASSERT_TRUE(OptimizeAtLoad(optimized).ok());
  optimized.value(optimized.inputs()[0]).shape = input;
  loaded->value(loaded->inputs()[0]).shape = input;
  const std::vector<std::vector<float>> x = {Random(input.num_elements(), 7, 0.f, 1.f)};
  Graph shaped;
  StatusOr<std::vector<std::vector<float>>> want = Evaluate(*loaded, x);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  StatusOr<std::vector<std::vector<float>>> got = Evaluate(optimized, x, &shaped);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(OptimizeForShapes(shaped).ok());
  int sums = 0;
  for (size_t i = 0; i < shaped.num_nodes(); ++i) {
    const Node& n = shaped.node(NodeId{static_cast<int32_t>(i)});
    if (n.removed) continue;
    for (const PostOp& p : n.post_ops) sums += p.kind == PostOp::Kind::kSum;
  }
  EXPECT_EQ(sums, residual_adds);
  StatusOr<std::vector<std::vector<float>>> fused = Evaluate(shaped, x);
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  for (const auto* result : {&*got, &*fused}) {
    ASSERT_EQ(result->size(), want->size());
    for (size_t o = 0; o < want->size(); ++o) {
      ASSERT_EQ((*result)[o].size(), (*want)[o].size());
      float max_diff = 0.f;
      for (size_t i = 0; i < (*want)[o].size(); ++i) {
        max_diff = std::max(max_diff, std::fabs((*result)[o][i] - (*want)[o][i]));
      }
      EXPECT_LT(max_diff, 1e-4f) << file << " output " << o;
    }
  }
}

// Residual Adds: in det every Add of two computed values reads a conv output that has other readers
// (squeeze-excite) or no conv output at all (FPN); in rec the residual branches end in a MatMul bias
// Add; in cls all 7 Adds of two computed values read a batch-normalised conv output read only there.
TEST(OptimizeRealModelsTest, DetStaysEquivalent) {
  ExpectRealModelEquivalent("ch_PP-OCRv4_det_infer.onnx", Shape{1, 3, 64, 64}, 0);
}
TEST(OptimizeRealModelsTest, RecStaysEquivalent) {
  ExpectRealModelEquivalent("ch_PP-OCRv4_rec_infer.onnx", Shape{1, 3, 48, 64}, 0);
}
TEST(OptimizeRealModelsTest, ClsStaysEquivalent) {
  ExpectRealModelEquivalent("ch_ppocr_mobile_v2.0_cls_infer.onnx", Shape{1, 3, 48, 96}, 7);
}

TEST(OptimizeRealModelsTest, Det) {
  StatusOr<Graph> g = LoadOptimized("ch_PP-OCRv4_det_infer.onnx");
  if (!g.ok() && g.status().code() == StatusCode::kNotFound) GTEST_SKIP() << g.status().message();
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // Every BatchNormalization follows a conv (2 after Conv, 1 after ConvTranspose + bias Add).
  EXPECT_EQ(LiveCount(*g, "BatchNormalization"), 0);
  EXPECT_EQ(LiveCount(*g, "Conv"), 62);
  EXPECT_EQ(LiveCount(*g, "ConvTranspose"), 2);
  // 24 hard-swish patterns, 12 Relu and 10 HardSigmoid all sit right after a conv; the final Sigmoid too.
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kHardSwish), 24);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kHardSigmoid), 10);
  EXPECT_EQ(PostOpCount(*g, "ConvTranspose", Eltwise::kSigmoid), 1);
  EXPECT_EQ(LiveCount(*g, "Clip") + LiveCount(*g, "HardSigmoid") + LiveCount(*g, "Sigmoid"), 0);
  EXPECT_EQ(LiveCount(*g, "Relu"), 0);
  ASSERT_TRUE(g->TopologicalOrder().ok());
}

TEST(OptimizeRealModelsTest, Rec) {
  StatusOr<Graph> g = LoadOptimized("ch_PP-OCRv4_rec_infer.onnx");
  if (!g.ok() && g.status().code() == StatusCode::kNotFound) GTEST_SKIP() << g.status().message();
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(LiveCount(*g, "plateau.LayerNorm"), 5);
  EXPECT_EQ(LiveCount(*g, "ReduceMean") + LiveCount(*g, "Pow") + LiveCount(*g, "Sqrt"), 0);
  EXPECT_EQ(LiveCount(*g, "BatchNormalization"), 0);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kHardSwish), 28);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kSwish), 5);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kHardSigmoid), 2);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kRelu), 2);
  // Two of the 7 swishes follow a MatMul bias Add and stay unfused.
  EXPECT_EQ(LiveCount(*g, "Sigmoid"), 2);
  ASSERT_TRUE(g->TopologicalOrder().ok());
}

TEST(OptimizeRealModelsTest, Cls) {
  StatusOr<Graph> g = LoadOptimized("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  if (!g.ok() && g.status().code() == StatusCode::kNotFound) GTEST_SKIP() << g.status().message();
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(LiveCount(*g, "BatchNormalization"), 0);
  EXPECT_EQ(LiveCount(*g, "Relu"), 0);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kRelu), 15);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kHardSwish), 18);
  EXPECT_EQ(PostOpCount(*g, "Conv", Eltwise::kHardSigmoid), 9);
  ASSERT_TRUE(g->TopologicalOrder().ok());
}

}  // namespace
}  // namespace plateau::graph::passes
