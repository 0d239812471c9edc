#include <gtest/gtest.h>

#include "engine/ops/onednn/kernel_test_util.h"

namespace plateau::ops::onednn::testing {
namespace {

struct ConvCase {
  Shape x;  // N, C, H, W
  int64_t out_ch;
  Ints kernel;
  Ints strides{1, 1};
  Ints pads{0, 0, 0, 0};
  Ints dilations{1, 1};
  int64_t group = 1;
  bool bias = true;
};

graph::Node ConvNode(const ConvCase& c) {
  return MakeNode("Conv", {{"kernel_shape", c.kernel},
                           {"strides", c.strides},
                           {"pads", c.pads},
                           {"dilations", c.dilations},
                           {"group", c.group}});
}

std::vector<Input> ConvInputs(const ConvCase& c, std::mt19937& rng) {
  std::vector<Input> in;
  in.push_back(Runtime(RandomFloats(c.x, rng)));
  in.push_back(Constant(RandomFloats({c.out_ch, c.x[1] / c.group, c.kernel[0], c.kernel[1]}, rng)));
  if (c.bias) in.push_back(Constant(RandomFloats({c.out_ch}, rng)));
  return in;
}

std::string Describe(const ConvCase& c) {
  return "x=" + c.x.ToString() + " oc=" + std::to_string(c.out_ch) + " k=" + std::to_string(c.kernel[0]) +
         "x" + std::to_string(c.kernel[1]) + " s=" + std::to_string(c.strides[0]) +
         " g=" + std::to_string(c.group);
}

const std::vector<ConvCase>& Cases() {
  static const std::vector<ConvCase> cases = {
      {{1, 3, 17, 13}, 8, {3, 3}, {2, 2}, {1, 1, 1, 1}},                   // det stem, odd sizes
      {{2, 5, 9, 11}, 7, {1, 1}},                                          // 1x1, batch 2
      {{1, 24, 15, 15}, 24, {3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 24},     // depthwise
      {{2, 20, 8, 10}, 30, {3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 2},       // grouped
      {{1, 4, 12, 12}, 6, {3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}},           // dilation 2
      {{1, 3, 10, 9}, 5, {3, 3}, {2, 2}, {0, 1, 2, 1}, {1, 1}, 1, false},  // asymmetric pads, no bias
      {{1, 16, 32, 20}, 32, {3, 3}, {1, 1}, {1, 1, 1, 1}},                 // typical det 3x3
      {{1, 40, 9, 33}, 40, {5, 5}, {2, 1}, {2, 2, 2, 2}, {1, 1}, 40},  // rec-like 5x5 depthwise, stride (2,1)
      {{3, 17, 6, 7}, 9, {2, 3}, {1, 2}, {0, 1, 1, 0}},                // non-square kernel, batch 3
  };
  return cases;
}

TEST(OnednnConvTest, HandComputedValidConvWithBias) {
  // y[i][j] = 1*x[i][j] + 2*x[i][j+1] + 3*x[i+1][j] + 4*x[i+1][j+1] + 1 over x = 1..9 (3x3).
  graph::Node node = WithIds(MakeNode("Conv", {{"kernel_shape", Ints{2, 2}}}), std::vector<Input>(3), 1);
  std::vector<Input> in = {Runtime(Floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})),
                           Constant(Floats({1, 1, 2, 2}, {1, 2, 3, 4})), Constant(Floats({1}, {1}))};
  for (bool nhwc : {false, true}) {
    WeightStore store;
    RunOptions o;
    o.nhwc = nhwc;
    auto b = Prepare(node, in, {ValueInfo{DType::kFloat32, Shape{1, 1, 2, 2}, nullptr}}, o, store);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    dnnl::stream stream(TestEngine());
    ASSERT_TRUE(b->kernel->Execute(stream).ok());
    stream.wait();
    EXPECT_EQ(Values<float>(PlainOutput(*b, 0)), (std::vector<float>{38, 48, 68, 78})) << "nhwc=" << nhwc;
  }
}

TEST(OnednnConvTest, MatchesReferenceOnRandomShapesPlainAndNhwc) {
  std::mt19937 rng(1);
  for (const ConvCase& c : Cases()) {
    std::vector<Input> in = ConvInputs(c, rng);
    for (bool nhwc : {false, true}) {
      RunOptions o;
      o.nhwc = nhwc;
      EXPECT_MATCHES_REFERENCE(CompareWithReference(ConvNode(c), in, o),
                               Describe(c) + (nhwc ? " nhwc" : " nchw"));
    }
  }
}

TEST(OnednnConvTest, EltwisePostOpsMatchReference) {
  std::mt19937 rng(2);
  struct Act {
    graph::Eltwise alg;
    float alpha, beta;
  };
  const Act acts[] = {{graph::Eltwise::kRelu, 0, 0},         {graph::Eltwise::kClip, -0.5f, 0.7f},
                      {graph::Eltwise::kLinear, 0.5f, 0.1f}, {graph::Eltwise::kHardSigmoid, 0.2f, 0.5f},
                      {graph::Eltwise::kHardSwish, 0, 0},    {graph::Eltwise::kSigmoid, 0, 0},
                      {graph::Eltwise::kSwish, 1.5f, 0}};
  const ConvCase c{{1, 6, 9, 7}, 10, {3, 3}, {1, 1}, {1, 1, 1, 1}};
  for (const Act& a : acts) {
    graph::Node node = ConvNode(c);
    graph::PostOp p;
    p.alg = a.alg;
    p.alpha = a.alpha;
    p.beta = a.beta;
    node.post_ops.push_back(p);
    // Two post-ops in a row must compose in order.
    node.post_ops.push_back(
        graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kLinear, 2.f, -0.25f, {}});
    std::vector<Input> in = ConvInputs(c, rng);
    for (bool nhwc : {false, true}) {
      RunOptions o;
      o.nhwc = nhwc;
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o),
                               std::string(graph::EltwiseName(a.alg)) + (nhwc ? " nhwc" : " nchw"));
    }
  }
}

TEST(OnednnConvTest, SumPostOpWithAndWithoutSharedBuffer) {
  std::mt19937 rng(3);
  for (bool bias : {true, false}) {
    ConvCase c{{2, 8, 11, 9}, 12, {3, 3}, {1, 1}, {1, 1, 1, 1}};
    c.bias = bias;
    std::vector<Input> in = ConvInputs(c, rng);
    const int operand = static_cast<int>(in.size());
    in.push_back(Runtime(RandomFloats({2, 12, 11, 9}, rng)));
    graph::Node node = ConvNode(c);
    node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {operand}});
    node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kRelu, 0, 0, {}});
    for (bool nhwc : {false, true}) {
      for (bool alias : {false, true}) {
        RunOptions o;
        o.nhwc = nhwc;
        o.alias_output_to_input = alias ? operand : -1;
        EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o),
                                 std::string("bias=") + (bias ? "1" : "0") + (nhwc ? " nhwc" : " nchw") +
                                     (alias ? " aliased" : " copied"));
      }
    }
  }
}

TEST(OnednnConvTest, RepeatedParametrisedActivationsAfterSum) {
  // Two clips with different bounds in one chain: the second runs as its own step (see FusePostOps).
  std::mt19937 rng(8);
  const ConvCase c{{1, 8, 10, 9}, 16, {3, 3}, {1, 1}, {1, 1, 1, 1}};
  std::vector<Input> in = ConvInputs(c, rng);
  const int operand = static_cast<int>(in.size());
  in.push_back(Runtime(RandomFloats({1, 16, 10, 9}, rng)));
  graph::Node node = ConvNode(c);
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {operand}});
  node.post_ops.push_back(
      graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kClip, -0.5f, 0.7f, {}});
  node.post_ops.push_back(
      graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kHardSigmoid, 0.2f, 0.5f, {}});
  node.post_ops.push_back(
      graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kLinear, 2.f, -0.25f, {}});
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kClip, 0.f, 0.3f, {}});
  for (bool nhwc : {false, true}) {
    for (bool alias : {false, true}) {
      RunOptions o;
      o.nhwc = nhwc;
      o.alias_output_to_input = alias ? operand : -1;
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o),
                               std::string(nhwc ? "nhwc" : "nchw") + (alias ? " aliased" : ""));
    }
  }
}

TEST(OnednnConvTest, PackedWeightsAreSharedAcrossKernels) {
  std::mt19937 rng(4);
  const ConvCase c{{1, 16, 20, 20}, 16, {3, 3}, {1, 1}, {1, 1, 1, 1}};
  std::vector<Input> in = ConvInputs(c, rng);
  graph::Node node = WithIds(ConvNode(c), in, 1);
  WeightStore store;
  std::vector<ValueInfo> out = {ValueInfo{DType::kFloat32, Shape{1, 16, 20, 20}, nullptr}};
  auto a = Prepare(node, in, out, RunOptions{}, store);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  size_t bytes = store.bytes();
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_GE(bytes, 16u * 16 * 9 * sizeof(float) + 16 * sizeof(float));
  // The same node at another spatial size usually picks the same weights format: no new copy.
  auto b = Prepare(node, in, out, RunOptions{}, store);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.bytes(), bytes);
}

TEST(OnednnConvTest, ConvTransposeMatchesReference) {
  std::mt19937 rng(5);
  struct Case {
    Shape x;
    int64_t out_per_group;
    Ints kernel, strides, pads, output_padding;
    int64_t group;
    bool bias;
  };
  const Case cases[] = {
      {{1, 8, 5, 7}, 4, {2, 2}, {2, 2}, {0, 0, 0, 0}, {0, 0}, 1, false},  // det's upsampling deconv
      {{2, 6, 4, 5}, 3, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, true},   // pads and output_padding
      {{1, 6, 5, 4}, 2, {3, 2}, {1, 2}, {1, 0, 1, 0}, {0, 1}, 3, true},   // grouped, non-square
      {{1, 17, 3, 3}, 5, {4, 4}, {2, 2}, {1, 1, 1, 1}, {0, 0}, 1, true},
  };
  for (const Case& c : cases) {
    graph::Node node = MakeNode("ConvTranspose", {{"kernel_shape", c.kernel},
                                                  {"strides", c.strides},
                                                  {"pads", c.pads},
                                                  {"output_padding", c.output_padding},
                                                  {"group", c.group}});
    std::vector<Input> in = {
        Runtime(RandomFloats(c.x, rng)),
        Constant(RandomFloats({c.x[1], c.out_per_group, c.kernel[0], c.kernel[1]}, rng))};
    if (c.bias) in.push_back(Constant(RandomFloats({c.out_per_group * c.group}, rng)));
    for (bool nhwc : {false, true}) {
      RunOptions o;
      o.nhwc = nhwc;
      EXPECT_MATCHES_REFERENCE(
          CompareWithReference(node, in, o),
          "deconv x=" + c.x.ToString() + " g=" + std::to_string(c.group) + (nhwc ? " nhwc" : ""));
    }
  }
}

TEST(OnednnConvTest, ConvTransposePostOpsAndSumMatchReference) {
  std::mt19937 rng(9);
  for (bool bias : {false, true}) {
    graph::Node node = MakeNode("ConvTranspose", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
    std::vector<Input> in = {Runtime(RandomFloats({2, 12, 5, 6}, rng)),
                             Constant(RandomFloats({12, 7, 2, 2}, rng))};
    if (bias) in.push_back(Constant(RandomFloats({7}, rng)));
    const int operand = static_cast<int>(in.size());
    in.push_back(Runtime(RandomFloats({2, 7, 10, 12}, rng)));
    node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kRelu, 0, 0, {}});
    node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {operand}});
    node.post_ops.push_back(
        graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kHardSwish, 0, 0, {}});
    for (bool nhwc : {false, true}) {
      for (bool alias : {false, true}) {
        RunOptions o;
        o.nhwc = nhwc;
        o.alias_output_to_input = alias ? operand : -1;
        EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o),
                                 std::string("deconv bias=") + (bias ? "1" : "0") +
                                     (nhwc ? " nhwc" : " nchw") + (alias ? " aliased" : ""));
      }
    }
  }
}

TEST(OnednnConvTest, Upsampling2x2DeconvolutionMatchesReference) {
  // The 2x2 stride-2 deconvolutions of det's head run as two matrix products writing the output rows in
  // place when in NHWC: with a bias, fused activations, a batch, one or many output channels, and the
  // one-channel output in either layout.
  std::mt19937 rng(11);
  struct Case {
    Shape x;
    int64_t oc;
    graph::Eltwise act;
  };
  const Case cases[] = {
      {{1, 24, 6, 5}, 24, graph::Eltwise::kRelu},     // det's 24 -> 24 (BN and ReLU folded in)
      {{2, 24, 3, 7}, 1, graph::Eltwise::kSigmoid},   // det's 24 -> 1 with the sigmoid
      {{1, 5, 4, 4}, 3, graph::Eltwise::kHardSwish},  // channels that are no multiple of a block
  };
  for (const Case& c : cases) {
    graph::Node node = MakeNode("ConvTranspose", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
    node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, c.act, 0, 0, {}});
    std::vector<Input> in = {Runtime(RandomFloats(c.x, rng)),
                             Constant(RandomFloats({c.x[1], c.oc, 2, 2}, rng)),
                             Constant(RandomFloats({c.oc}, rng))};
    for (bool nhwc : {false, true}) {
      RunOptions o;
      o.nhwc = nhwc;
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o), "upsampling deconv x=" + c.x.ToString() +
                                                                      " oc=" + std::to_string(c.oc) +
                                                                      (nhwc ? " nhwc" : " nchw"));
    }
    // In NHWC it takes the matrix-product path.
    RunOptions o;
    o.nhwc = true;
    WeightStore store;
    ValueInfo out;
    out.shape = Shape{c.x[0], c.oc, 2 * c.x[2], 2 * c.x[3]};
    auto bound = Prepare(WithIds(node, in, 1), in, {out}, o, store);
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    EXPECT_EQ(bound->kernel->impl_name().rfind("2x", 0), 0u) << bound->kernel->impl_name();
  }
}

TEST(OnednnConvTest, MismatchedChannelsIsAnErrorNamingTheNode) {
  std::mt19937 rng(6);
  graph::Node node = MakeNode("Conv", {{"kernel_shape", Ints{3, 3}}});
  node.name = "bad_conv";
  std::vector<Input> in = {Runtime(RandomFloats({1, 4, 8, 8}, rng)),
                           Constant(RandomFloats({8, 3, 3, 3}, rng))};
  node = WithIds(node, in, 1);
  WeightStore store;
  auto b = Prepare(node, in, {ValueInfo{DType::kFloat32, Shape{1, 8, 6, 6}, nullptr}}, RunOptions{}, store);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("bad_conv"), std::string::npos) << b.status().ToString();
}

TEST(OnednnConvTest, RuntimeWeightsAreUnimplemented) {
  std::mt19937 rng(7);
  std::vector<Input> in = {Runtime(RandomFloats({1, 4, 8, 8}, rng)),
                           Runtime(RandomFloats({8, 4, 3, 3}, rng))};
  graph::Node node = WithIds(MakeNode("Conv", {{"kernel_shape", Ints{3, 3}}}), in, 1);
  WeightStore store;
  auto b = Prepare(node, in, {ValueInfo{DType::kFloat32, Shape{1, 8, 6, 6}, nullptr}}, RunOptions{}, store);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace plateau::ops::onednn::testing
