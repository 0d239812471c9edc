#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/ops/reference/op_test_util.h"

namespace plateau::ops {
namespace {

using testing::Constant;
using ::testing::ElementsAre;
using ::testing::FloatNear;
using testing::Floats;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

TEST(ReferenceBatchNormTest, NormalisesPerChannel) {
  // epsilon 0: channel 0 (x - 1) / 2 * 1 + 0; channel 1 (x - 3) / 0.5 * 2 + 1.
  auto run =
      RunOp(MakeNode("BatchNormalization", {{"epsilon", 0.f}}),
            {Runtime(Floats({1, 2, 1, 2}, {1, 2, 3, 4})), Constant(Floats({2}, {1, 2})),
             Constant(Floats({2}, {0, 1})), Constant(Floats({2}, {1, 3})), Constant(Floats({2}, {4, 0.25f}))},
            /*opset=*/9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 0.5f, 1, 5));
}

TEST(ReferenceBatchNormTest, RejectsParameterOfWrongSizeAndTrainingOutputs) {
  auto bad =
      RunOp(MakeNode("BatchNormalization"),
            {Runtime(Floats({1, 2, 1, 1}, {1, 2})), Constant(Floats({3}, {1, 1, 1})),
             Constant(Floats({2}, {0, 0})), Constant(Floats({2}, {0, 0})), Constant(Floats({2}, {1, 1}))});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("scale has shape 3, expected 2"));
  auto training = RunOp(MakeNode("BatchNormalization"),
                        {Runtime(Floats({1, 1, 1, 1}, {1})), Constant(Floats({1}, {1})),
                         Constant(Floats({1}, {0})), Constant(Floats({1}, {0})), Constant(Floats({1}, {1}))},
                        /*opset=*/9, /*num_outputs=*/3);
  ASSERT_FALSE(training.ok());
  EXPECT_EQ(training.status().code(), StatusCode::kUnimplemented);
}

TEST(ReferenceSoftmaxTest, OneRow) {
  // e^1, e^2, e^3 over their sum 30.19287.
  auto run = RunOp(MakeNode("Softmax"), {Runtime(Floats({1, 3}, {1, 2, 3}))}, /*opset=*/9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(
      Values<float>(run->outputs[0]),
      ElementsAre(FloatNear(0.0900306f, 1e-6), FloatNear(0.2447285f, 1e-6), FloatNear(0.6652409f, 1e-6)));
}

TEST(ReferenceSoftmaxTest, LastAxisOfRank4AsInTheRecognitionModel) {
  auto run = RunOp(MakeNode("Softmax", {{"axis", int64_t{3}}}),
                   {Runtime(Floats({1, 1, 2, 2}, {0, 0, 0, std::log(3.f)}))}, /*opset=*/9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]),
              ElementsAre(0.5f, 0.5f, FloatNear(0.25f, 1e-6), FloatNear(0.75f, 1e-6)));
}

TEST(ReferenceSoftmaxTest, BeforeOpset13TheInputIsCoercedTo2D) {
  // axis 0 on 2x2 normalises all four values together: e^ln(k) = k, so k / 10.
  auto run = RunOp(MakeNode("Softmax", {{"axis", int64_t{0}}}),
                   {Runtime(Floats({2, 2}, {0, std::log(2.f), std::log(3.f), std::log(4.f)}))}, /*opset=*/11);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(FloatNear(0.1f, 1e-6), FloatNear(0.2f, 1e-6),
                                                          FloatNear(0.3f, 1e-6), FloatNear(0.4f, 1e-6)));
}

TEST(ReferenceSoftmaxTest, RefusesOpset13AndBadAxis) {
  auto v13 = RunOp(MakeNode("Softmax"), {Runtime(Floats({1, 3}, {1, 2, 3}))}, /*opset=*/13);
  ASSERT_FALSE(v13.ok());
  EXPECT_EQ(v13.status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(FindOp("Softmax")->max_opset, 12);
  auto axis = RunOp(MakeNode("Softmax", {{"axis", int64_t{2}}}), {Runtime(Floats({1, 3}, {1, 2, 3}))}, 9);
  ASSERT_FALSE(axis.ok());
  EXPECT_THAT(axis.status().message(), HasSubstr("axis 2 is out of range for rank 2"));
}

TEST(ReferenceLayerNormTest, LastAxisWithScaleAndBias) {
  // Rows [1, 3] and [0, 4] both normalise to [-1, 1]; then * [2, 1] + [0, 0.5].
  auto run = RunOp(MakeNode("plateau.LayerNorm", {{"axis", int64_t{-1}}, {"epsilon", 0.f}}),
                   {Runtime(Floats({2, 2}, {1, 3, 0, 4})), Constant(Floats({2}, {2, 1})),
                    Constant(Floats({2}, {0, 0.5f}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(-2, 1.5f, -2, 1.5f));
}

TEST(ReferenceLayerNormTest, AxisSpanningTwoDimsUsesPopulationVariance) {
  // 1, 2, 3, 4: mean 2.5, variance 1.25, std 1.1180340.
  auto run = RunOp(MakeNode("plateau.LayerNorm", {{"axis", int64_t{1}}, {"epsilon", 0.f}}),
                   {Runtime(Floats({1, 2, 2}, {1, 2, 3, 4})), Constant(Floats({2, 2}, {1, 1, 1, 1})),
                    Constant(Floats({2, 2}, {0, 0, 0, 0}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]),
              ElementsAre(FloatNear(-1.3416408f, 1e-5), FloatNear(-0.4472136f, 1e-5),
                          FloatNear(0.4472136f, 1e-5), FloatNear(1.3416408f, 1e-5)));
}

TEST(ReferenceLayerNormTest, RejectsScaleOfWrongSize) {
  auto run =
      RunOp(MakeNode("plateau.LayerNorm"), {Runtime(Floats({2, 2}, {1, 3, 0, 4})),
                                            Constant(Floats({3}, {1, 1, 1})), Constant(Floats({2}, {0, 0}))});
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("scale has shape 3"));
}

}  // namespace
}  // namespace plateau::ops
