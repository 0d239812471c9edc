#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/ops/reference/op_test_util.h"

namespace plateau::ops {
namespace {

using testing::Constant;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::Floats;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

using Ints = std::vector<int64_t>;

TEST(ReferenceConvTest, ValidConv2x2WithBias) {
  // y[i][j] = 1*x[i][j] + 2*x[i][j+1] + 3*x[i+1][j] + 4*x[i+1][j+1] + 1.
  auto run = RunOp(MakeNode("Conv", {{"kernel_shape", Ints{2, 2}}}),
                   {Runtime(Floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})),
                    Constant(Floats({1, 1, 2, 2}, {1, 2, 3, 4})), Constant(Floats({1}, {1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 2, 2}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(38, 48, 68, 78));
}

TEST(ReferenceConvTest, PaddingCountsOnlyRealPixels) {
  // All-ones 3x3 kernel over all-ones input with pad 1: each output counts the in-image neighbours.
  auto run = RunOp(MakeNode("Conv", {{"pads", Ints{1, 1, 1, 1}}}),
                   {Runtime(Floats({1, 1, 3, 3}, std::vector<float>(9, 1.f))),
                    Constant(Floats({1, 1, 3, 3}, std::vector<float>(9, 1.f)))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 3, 3}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(4, 6, 4, 6, 9, 6, 4, 6, 4));
}

TEST(ReferenceConvTest, StrideAndAsymmetricPads) {
  // 4x4 input 0..15, 1x1 kernel of weight 1, stride 2, pads (top 0, left 0, bottom 1, right 1):
  // output (4 + 1 - 1) / 2 + 1 = 3 per side, sampling rows/cols 0, 2, 4 (4 is padding -> 0).
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i);
  auto run = RunOp(MakeNode("Conv", {{"strides", Ints{2, 2}}, {"pads", Ints{0, 0, 1, 1}}}),
                   {Runtime(Floats({1, 1, 4, 4}, x)), Constant(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 3, 3}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 2, 0, 8, 10, 0, 0, 0, 0));
}

TEST(ReferenceConvTest, Dilation) {
  // A 2x2 kernel with dilation 2 touches the four corners of the 3x3 input: 1 + 3 + 7 + 9.
  auto run = RunOp(MakeNode("Conv", {{"dilations", Ints{2, 2}}}),
                   {Runtime(Floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})),
                    Constant(Floats({1, 1, 2, 2}, {1, 1, 1, 1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(20));
}

TEST(ReferenceConvTest, DepthwiseGroups) {
  // group 2, two 1x1 filters: channel 0 scaled by 1, channel 1 by 3.
  auto run = RunOp(MakeNode("Conv", {{"group", int64_t{2}}}),
                   {Runtime(Floats({1, 2, 1, 2}, {1, 1, 2, 2})), Constant(Floats({2, 1, 1, 1}, {1, 3})),
                    Constant(Floats({2}, {0, 0.5f}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(1, 1, 6.5f, 6.5f));
}

TEST(ReferenceConvTest, GroupedConvWithTwoChannelsPerGroup) {
  // 4 input channels, group 2, 2 output channels; each filter sums its group's two channels.
  auto run = RunOp(MakeNode("Conv", {{"group", int64_t{2}}}), {Runtime(Floats({1, 4, 1, 1}, {1, 2, 3, 4})),
                                                               Constant(Floats({2, 2, 1, 1}, {1, 1, 1, 1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(3, 7));
}

TEST(ReferenceConvTest, ChannelMismatchNamesBothSides) {
  auto run = RunOp(MakeNode("Conv"), {Runtime(Floats({1, 4, 3, 3}, std::vector<float>(36, 0.f))),
                                      Constant(Floats({16, 3, 3, 3}, std::vector<float>(432, 0.f)))});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(run.status().message(),
              HasSubstr("Conv 'n': input has 4 channels but weights expect 3 (weights shape 16x3x3x3)"));
}

TEST(ReferenceConvTest, InferErrors) {
  auto rank3 =
      RunOp(MakeNode("Conv"), {Runtime(Floats({1, 1, 3}, {0, 0, 0})), Constant(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_FALSE(rank3.ok());
  EXPECT_THAT(rank3.status().message(), HasSubstr("rank 4"));
  auto too_small = RunOp(MakeNode("Conv"), {Runtime(Floats({1, 1, 2, 2}, {0, 0, 0, 0})),
                                            Constant(Floats({1, 1, 3, 3}, std::vector<float>(9, 0.f)))});
  ASSERT_FALSE(too_small.ok());
  EXPECT_THAT(too_small.status().message(), HasSubstr("smaller than the kernel"));
  auto bad_bias =
      RunOp(MakeNode("Conv"), {Runtime(Floats({1, 1, 1, 1}, {0})), Constant(Floats({2, 1, 1, 1}, {1, 1})),
                               Constant(Floats({3}, {0, 0, 0}))});
  ASSERT_FALSE(bad_bias.ok());
  EXPECT_THAT(bad_bias.status().message(), HasSubstr("bias has shape 3"));
  auto kernel_mismatch =
      RunOp(MakeNode("Conv", {{"kernel_shape", Ints{3, 3}}}),
            {Runtime(Floats({1, 1, 2, 2}, {0, 0, 0, 0})), Constant(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_FALSE(kernel_mismatch.ok());
  EXPECT_THAT(kernel_mismatch.status().message(), HasSubstr("kernel_shape"));
}

TEST(ReferenceConvTest, RefusesAutoPadOtherThanNotset) {
  auto run = RunOp(MakeNode("Conv", {{"auto_pad", std::string("SAME_UPPER")}}),
                   {Runtime(Floats({1, 1, 1, 1}, {0})), Constant(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(run.status().message(), HasSubstr("auto_pad 'SAME_UPPER'"));
}

TEST(ReferenceConvTransposeTest, Stride2Kernel2TilesTheKernel) {
  // Each input pixel v writes v * kernel into its own 2x2 output block.
  auto run =
      RunOp(MakeNode("ConvTranspose", {{"strides", Ints{2, 2}}, {"kernel_shape", Ints{2, 2}}}),
            {Runtime(Floats({1, 1, 2, 2}, {1, 2, 3, 4})), Constant(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 4, 4}));
  EXPECT_THAT(Values<float>(run->outputs[0]),
              ElementsAreArray({1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16}));
}

TEST(ReferenceConvTransposeTest, OverlapPadsAndOutputPadding) {
  // kernel 3, stride 2, pads 1, output_padding 1: out = 2 * (2 - 1) + 1 + 3 - 2 = 4 per side. With all
  // ones, output row r receives c(r) contributions with c = (1, 2, 1, 1); y[r][c] = c(r) * c(c).
  auto run =
      RunOp(MakeNode("ConvTranspose",
                     {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}}),
            {Runtime(Floats({1, 1, 2, 2}, {1, 1, 1, 1})),
             Constant(Floats({1, 1, 3, 3}, std::vector<float>(9, 1.f)))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 4, 4}));
  EXPECT_THAT(Values<float>(run->outputs[0]),
              ElementsAreArray({1, 2, 1, 1, 2, 4, 2, 2, 1, 2, 1, 1, 1, 2, 1, 1}));
}

TEST(ReferenceConvTransposeTest, ChannelsGroupsAndBias) {
  // 2 input channels -> 3 output channels, 1x1 kernel: y[m] = sum_c x[c] * w[c][m] + b[m].
  auto run = RunOp(MakeNode("ConvTranspose"), {Runtime(Floats({1, 2, 1, 1}, {1, 10})),
                                               Constant(Floats({2, 3, 1, 1}, {1, 2, 3, 4, 5, 6})),
                                               Constant(Floats({3}, {0.5f, 0.5f, 0.5f}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 3, 1, 1}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(41.5f, 52.5f, 63.5f));
  // group 2: weights [C=2, M/group=1]; channel c feeds only output c.
  auto grouped = RunOp(MakeNode("ConvTranspose", {{"group", int64_t{2}}}),
                       {Runtime(Floats({1, 2, 1, 1}, {1, 10})), Constant(Floats({2, 1, 1, 1}, {2, 3}))});
  ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
  EXPECT_THAT(Values<float>(grouped->outputs[0]), ElementsAre(2, 30));
}

TEST(ReferenceConvTransposeTest, RefusesOutputShapeAndChecksChannels) {
  auto with_shape = RunOp(MakeNode("ConvTranspose", {{"output_shape", Ints{4, 4}}}),
                          {Runtime(Floats({1, 1, 1, 1}, {0})), Constant(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_FALSE(with_shape.ok());
  EXPECT_EQ(with_shape.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(with_shape.status().message(), HasSubstr("output_shape"));
  auto mismatch = RunOp(MakeNode("ConvTranspose"),
                        {Runtime(Floats({1, 2, 1, 1}, {0, 0})), Constant(Floats({3, 1, 1, 1}, {1, 1, 1}))});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("input has 2 channels but weights expect 3"));
}

TEST(ReferencePostOpsTest, ConvAppliesSumThenEltwiseInOrder) {
  graph::Node node = MakeNode("Conv");
  // The sum operand is appended after the op's own inputs (no bias here), as fusion does.
  node.inputs = {graph::ValueId{0}, graph::ValueId{1}, graph::ValueId{2}};
  graph::PostOp sum;
  sum.kind = graph::PostOp::Kind::kSum;
  sum.operand = graph::ValueId{2};
  graph::PostOp relu;
  relu.kind = graph::PostOp::Kind::kEltwise;
  relu.alg = graph::Eltwise::kRelu;
  node.post_ops = {sum, relu};
  auto run = RunOp(node, {Runtime(Floats({1, 1, 2, 2}, {1, -2, 3, -4})), Constant(Floats({1, 1, 1, 1}, {-1})),
                          Runtime(Floats({1, 1, 2, 2}, {0.5f, 0.5f, 0.5f, 0.5f}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  // conv: -1, 2, -3, 4; + 0.5: -0.5, 2.5, -2.5, 4.5; relu.
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 2.5f, 0, 4.5f));
}

TEST(ReferencePostOpsTest, EltwiseChainWithBiasPresent) {
  graph::Node node = MakeNode("Conv");
  graph::PostOp clip;
  clip.alg = graph::Eltwise::kClip;
  clip.alpha = 0.f;
  clip.beta = 6.f;
  graph::PostOp linear;
  linear.alg = graph::Eltwise::kLinear;
  linear.alpha = 2.f;
  linear.beta = 1.f;
  node.post_ops = {clip, linear};
  auto run = RunOp(node, {Runtime(Floats({1, 1, 1, 3}, {-5, 3, 10})), Constant(Floats({1, 1, 1, 1}, {1})),
                          Constant(Floats({1}, {1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  // conv+bias: -4, 4, 11; clip: 0, 4, 6; 2x+1: 1, 9, 13.
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(1, 9, 13));
}

TEST(ReferencePostOpsTest, SumOperandAfterBiasIsNotTakenForAnInput) {
  graph::Node node = MakeNode("Conv");
  graph::PostOp sum;
  sum.kind = graph::PostOp::Kind::kSum;
  sum.operand = graph::ValueId{3};
  node.post_ops = {sum};
  node.inputs = {graph::ValueId{0}, graph::ValueId{1}, graph::ValueId{2}, graph::ValueId{3}};
  auto run = RunOp(node, {Runtime(Floats({1, 1, 1, 2}, {1, 2})), Constant(Floats({1, 1, 1, 1}, {3})),
                          Constant(Floats({1}, {1})), Runtime(Floats({1, 1, 1, 2}, {100, 200}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  // 3x + 1 + operand.
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(104, 207));
}

TEST(ReferencePostOpsTest, MissingSumOperandIsAnError) {
  graph::Node node = MakeNode("Conv");
  node.name = "c1";
  node.inputs = {graph::ValueId{0}, graph::ValueId{1}};
  graph::PostOp sum;
  sum.kind = graph::PostOp::Kind::kSum;
  sum.operand = graph::ValueId{7};
  node.post_ops = {sum};
  Tensor x = Floats({1, 1, 1, 1}, {1});
  Tensor w = Floats({1, 1, 1, 1}, {1});
  Tensor y = Floats({1, 1, 1, 1}, {0});
  std::vector<TensorView> in = {x.view(), w.view()};
  Status st = ApplyPostOpsReference(node, in, y.view());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_THAT(st.message(), HasSubstr("Conv 'c1'"));
}

}  // namespace
}  // namespace plateau::ops
