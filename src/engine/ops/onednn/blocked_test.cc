// The ops that take oneDNN's blocked layouts (nChw8c, nChw16c) against their reference kernels, and the
// rules deciding which ops take them.

#include <gtest/gtest.h>

#include "engine/ops/onednn/kernel_test_util.h"

namespace plateau::ops::onednn::testing {
namespace {

constexpr graph::Layout kBlockedLayouts[] = {graph::Layout::kBlocked8, graph::Layout::kBlocked16};

RunOptions Blocked(graph::Layout layout) {
  RunOptions o;
  o.nhwc = true;  // values whose channels are not a multiple of the block stay NHWC
  o.blocked = layout;
  return o;
}

std::string Name(graph::Layout layout) { return std::string(" ") + graph::LayoutName(layout); }

TEST(OnednnBlockedTest, ConvolutionsMatchReference) {
  std::mt19937 rng(31);
  struct Case {
    Shape x;
    int64_t oc;
    Ints kernel, strides, pads;
    int64_t group;
  };
  const Case cases[] = {
      {{1, 16, 12, 10}, 32, {3, 3}, {1, 1}, {1, 1, 1, 1}, 1},  // det's 3x3
      {{2, 32, 9, 7}, 16, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1},    // pointwise, batch 2
      {{1, 48, 11, 9}, 48, {3, 3}, {2, 2}, {1, 1, 1, 1}, 48},  // depthwise, stride 2
      {{1, 32, 1, 1}, 16, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1},    // squeeze-excitation
  };
  for (const Case& c : cases) {
    graph::Node node = MakeNode(
        "Conv", {{"kernel_shape", c.kernel}, {"strides", c.strides}, {"pads", c.pads}, {"group", c.group}});
    node.post_ops.push_back(
        graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kHardSwish, 0, 0, {}});
    std::vector<Input> in = {Runtime(RandomFloats(c.x, rng)),
                             Constant(RandomFloats({c.oc, c.x[1] / c.group, c.kernel[0], c.kernel[1]}, rng)),
                             Constant(RandomFloats({c.oc}, rng))};
    for (graph::Layout layout : kBlockedLayouts) {
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, Blocked(layout)),
                               "conv " + c.x.ToString() + " g=" + std::to_string(c.group) + Name(layout));
    }
  }
  // A residual sum fused into a blocked convolution, with the output in the operand's buffer or not.
  graph::Node node = MakeNode("Conv", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}});
  std::vector<Input> in = {Runtime(RandomFloats({1, 16, 7, 9}, rng)),
                           Constant(RandomFloats({16, 16, 3, 3}, rng)), Constant(RandomFloats({16}, rng)),
                           Runtime(RandomFloats({1, 16, 7, 9}, rng))};
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {3}});
  for (graph::Layout layout : kBlockedLayouts) {
    for (bool alias : {false, true}) {
      RunOptions o = Blocked(layout);
      o.alias_output_to_input = alias ? 3 : -1;
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o),
                               std::string("conv+sum") + (alias ? " aliased" : "") + Name(layout));
    }
  }
  // det's 2x2/2 upsampling deconvolution with bias and ReLU.
  graph::Node deconv = MakeNode("ConvTranspose", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  deconv.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kRelu, 0, 0, {}});
  std::vector<Input> din = {Runtime(RandomFloats({1, 16, 5, 7}, rng)),
                            Constant(RandomFloats({16, 16, 2, 2}, rng)), Constant(RandomFloats({16}, rng))};
  for (graph::Layout layout : kBlockedLayouts) {
    EXPECT_MATCHES_REFERENCE(CompareWithReference(deconv, din, Blocked(layout)), "deconv" + Name(layout));
  }
}

TEST(OnednnBlockedTest, FollowerOpsMatchReference) {
  std::mt19937 rng(32);
  const Shape x{2, 16, 6, 5};
  for (graph::Layout layout : kBlockedLayouts) {
    const RunOptions o = Blocked(layout);
    std::vector<Input> one = {Runtime(RandomFloats(x, rng))};
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("GlobalAveragePool"), one, o),
                             "GAP" + Name(layout));
    EXPECT_MATCHES_REFERENCE(
        CompareWithReference(MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}),
                             one, o),
        "MaxPool" + Name(layout));
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("HardSigmoid"), one, o),
                             "HardSigmoid" + Name(layout));
    // Full-shape, per-channel (runtime and constant) and scalar operands.
    for (const Shape& b : {x, Shape{2, 16, 1, 1}, Shape{1, 16, 1, 1}}) {
      std::vector<Input> two = {Runtime(RandomFloats(x, rng)), Runtime(RandomFloats(b, rng))};
      EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Mul"), two, o),
                               "Mul by " + b.ToString() + Name(layout));
    }
    std::vector<Input> cst = {Runtime(RandomFloats(x, rng)), Constant(RandomFloats({1, 16, 1, 1}, rng))};
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Add"), cst, o), "Add constant" + Name(layout));
    std::vector<Input> scalar = {Runtime(RandomFloats(x, rng)), Constant(Floats({}, {0.5f}))};
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Sub"), scalar, o), "Sub scalar" + Name(layout));
    std::vector<Input> resize = {Runtime(RandomFloats(x, rng)), Constant(Floats({0}, {})),
                                 Constant(Floats({4}, {1, 1, 2, 2}))};
    EXPECT_MATCHES_REFERENCE(
        CompareWithReference(
            MakeNode("Resize", {{"mode", std::string("nearest")},
                                {"coordinate_transformation_mode", std::string("asymmetric")},
                                {"nearest_mode", std::string("floor")}}),
            resize, o),
        "Resize" + Name(layout));
    std::vector<Input> cat = {Runtime(RandomFloats({2, 16, 4, 3}, rng)),
                              Runtime(RandomFloats({2, 32, 4, 3}, rng))};
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Concat", {{"axis", int64_t{1}}}), cat, o),
                             "Concat" + Name(layout));
  }
}

TEST(OnednnBlockedTest, ReorderToBlockedAndBack) {
  std::mt19937 rng(33);
  const Shape s{2, 16, 3, 5};
  Tensor x = RandomFloats(s, rng);
  for (graph::Layout layout : kBlockedLayouts) {
    const int block = graph::ChannelBlock(layout);
    std::vector<float> want(static_cast<size_t>(s.num_elements()));
    NchwToBlocked(x.as<float>(), want.data(), s, block);
    graph::Node node = WithIds(MakeNode("plateau.Reorder", {{"layout", static_cast<int64_t>(layout)}}),
                               std::vector<Input>(1), 1);
    WeightStore store;
    KernelContext ctx{&TestEngine(), &store};
    TensorDesc plain{DType::kFloat32, s, graph::Layout::kPlain, nullptr, true};
    TensorDesc blocked{DType::kFloat32, s, layout, nullptr, true};
    auto to = CreateKernel(node, std::span<const TensorDesc>(&plain, 1),
                           std::span<const TensorDesc>(&blocked, 1), ctx);
    ASSERT_TRUE(to.ok()) << to.status().ToString();
    std::vector<float> got(want.size(), -1.f), back(want.size(), -1.f);
    void* ip = x.data();
    void* op = got.data();
    (*to)->Bind(std::span<void* const>(&ip, 1), std::span<void* const>(&op, 1), nullptr);
    dnnl::stream stream(TestEngine());
    ASSERT_TRUE((*to)->Execute(stream).ok());
    stream.wait();
    EXPECT_EQ(got, want) << graph::LayoutName(layout);
    auto from = CreateKernel(node, std::span<const TensorDesc>(&blocked, 1),
                             std::span<const TensorDesc>(&plain, 1), ctx);
    ASSERT_TRUE(from.ok()) << from.status().ToString();
    void* bp = got.data();
    void* pp = back.data();
    (*from)->Bind(std::span<void* const>(&bp, 1), std::span<void* const>(&pp, 1), nullptr);
    ASSERT_TRUE((*from)->Execute(stream).ok());
    stream.wait();
    EXPECT_EQ(0, std::memcmp(back.data(), x.data(), x.byte_size())) << graph::LayoutName(layout);
  }
  // Channels that are not a multiple of the block are refused, naming the layout.
  graph::Node node = WithIds(MakeNode("plateau.Reorder", {{"layout", int64_t{2}}}), std::vector<Input>(1), 1);
  WeightStore store;
  KernelContext ctx{&TestEngine(), &store};
  TensorDesc plain{DType::kFloat32, Shape{1, 12, 2, 2}, graph::Layout::kPlain, nullptr, true};
  TensorDesc blocked{DType::kFloat32, Shape{1, 12, 2, 2}, graph::Layout::kBlocked8, nullptr, true};
  auto bad = CreateKernel(node, std::span<const TensorDesc>(&plain, 1),
                          std::span<const TensorDesc>(&blocked, 1), ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nChw8c"), std::string::npos) << bad.status().message();
}

TEST(OnednnBlockedTest, ConvsTakeBlockedWhenChannelsDivideOthersFollowBulkInputs) {
  const auto b8 = graph::Layout::kBlocked8;
  TensorDesc plain16{DType::kFloat32, Shape{1, 16, 4, 4}, graph::Layout::kPlain, nullptr, true};
  TensorDesc nhwc16{DType::kFloat32, Shape{1, 16, 4, 4}, graph::Layout::kNhwc, nullptr, true};
  TensorDesc blk16{DType::kFloat32, Shape{1, 16, 4, 4}, b8, nullptr, true};
  TensorDesc plain12{DType::kFloat32, Shape{1, 12, 4, 4}, graph::Layout::kPlain, nullptr, true};
  TensorDesc blk_scale{DType::kFloat32, Shape{1, 16, 1, 1}, b8, nullptr, true};
  const Shape out16{1, 16, 4, 4}, out12{1, 12, 4, 4};
  auto one = [](const TensorDesc& d) { return std::span<const TensorDesc>(&d, 1); };
  auto shape = [](const Shape& s) { return std::span<const Shape>(&s, 1); };
  EXPECT_TRUE(SupportsBlocked(MakeNode("Conv"), one(plain16), shape(out16), b8));
  EXPECT_FALSE(SupportsBlocked(MakeNode("Conv"), one(plain12), shape(out16), b8));  // input channels
  EXPECT_FALSE(SupportsBlocked(MakeNode("Conv"), one(plain16), shape(out12), b8));  // output channels
  EXPECT_FALSE(SupportsBlocked(MakeNode("Conv"), one(plain16), shape(out16), graph::Layout::kNhwc));
  EXPECT_TRUE(SupportsBlocked(MakeNode("Relu"), one(blk16), shape(out16), b8));
  EXPECT_FALSE(SupportsBlocked(MakeNode("Relu"), one(nhwc16), shape(out16), b8));
  EXPECT_FALSE(SupportsBlocked(MakeNode("Softmax"), one(blk16), shape(out16), b8));
  // A blocked per-channel scale does not pull a full-size NHWC tensor into the blocked layout.
  const TensorDesc se[] = {nhwc16, blk_scale};
  EXPECT_FALSE(SupportsBlocked(MakeNode("Mul"), se, shape(out16), b8));
  const TensorDesc se_blocked[] = {blk16, blk_scale};
  EXPECT_TRUE(SupportsBlocked(MakeNode("Mul"), se_blocked, shape(out16), b8));
  // Broadcasting along H or W has no blocked kernel.
  TensorDesc row{DType::kFloat32, Shape{1, 16, 1, 4}, graph::Layout::kPlain, nullptr, true};
  const TensorDesc rows[] = {blk16, row};
  EXPECT_FALSE(SupportsBlocked(MakeNode("Mul"), rows, shape(out16), b8));
}

}  // namespace
}  // namespace plateau::ops::onednn::testing
