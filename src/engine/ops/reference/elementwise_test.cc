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
using testing::Int64s;
using testing::MakeNode;
using testing::Omitted;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

TEST(ReferenceBinaryTest, MulBroadcastsPerChannelScale) {
  auto run = RunOp(MakeNode("Mul"), {Runtime(Floats({1, 3, 1, 1}, {1, 2, 3})),
                                     Runtime(Floats({1, 3, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 3, 2, 2}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 1, 2, 3, 8, 10, 12, 14, 24, 27, 30, 33));
}

TEST(ReferenceBinaryTest, AddBroadcastsBothSides) {
  auto run = RunOp(MakeNode("Add"), {Runtime(Floats({2, 1}, {10, 20})), Runtime(Floats({3}, {1, 2, 3}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{2, 3}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(11, 12, 13, 21, 22, 23));
}

TEST(ReferenceBinaryTest, SubAndDivOnFloats) {
  auto sub = RunOp(MakeNode("Sub"), {Runtime(Floats({2}, {5, 1})), Runtime(Floats({}, {2}))});
  ASSERT_TRUE(sub.ok());
  EXPECT_THAT(Values<float>(sub->outputs[0]), ElementsAre(3, -1));
  auto div = RunOp(MakeNode("Div"), {Runtime(Floats({2}, {6, 1})), Runtime(Floats({2}, {3, 4}))});
  ASSERT_TRUE(div.ok());
  EXPECT_THAT(Values<float>(div->outputs[0]), ElementsAre(2, 0.25f));
}

TEST(ReferenceBinaryTest, IntegerArithmeticForShapeMath) {
  auto run = RunOp(MakeNode("Div"), {Runtime(Int64s({2}, {7, -7})), Runtime(Int64s({1}, {2}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].dtype, DType::kInt64);
  EXPECT_THAT(Values<int64_t>(run->outputs[0]), ElementsAre(3, -3));
  auto mul = RunOp(MakeNode("Mul"), {Runtime(Int64s({2}, {3, 4})), Runtime(Int64s({2}, {5, 6}))});
  ASSERT_TRUE(mul.ok());
  EXPECT_THAT(Values<int64_t>(mul->outputs[0]), ElementsAre(15, 24));
}

TEST(ReferenceBinaryTest, PowTakesFloatExponentWithBroadcast) {
  auto run = RunOp(MakeNode("Pow"), {Runtime(Floats({3}, {2, 3, 4})), Runtime(Floats({1}, {2}))});
  ASSERT_TRUE(run.ok());
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(4, 9, 16));
  auto root = RunOp(MakeNode("Pow"), {Runtime(Floats({2}, {4, 9})), Runtime(Floats({}, {0.5f}))});
  ASSERT_TRUE(root.ok());
  EXPECT_THAT(Values<float>(root->outputs[0]), ElementsAre(FloatNear(2, 1e-6), FloatNear(3, 1e-6)));
}

TEST(ReferenceBinaryTest, RejectsShapesThatDoNotBroadcast) {
  auto run = RunOp(MakeNode("Add"),
                   {Runtime(Floats({2, 3}, {0, 0, 0, 0, 0, 0})), Runtime(Floats({4}, {0, 0, 0, 0}))});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(run.status().message(), HasSubstr("2x3 and 4 are not broadcastable"));
}

TEST(ReferenceBinaryTest, RejectsMixedDtypes) {
  auto run = RunOp(MakeNode("Add"), {Runtime(Floats({1}, {1})), Runtime(Int64s({1}, {1}))});
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("different dtypes"));
}

TEST(ReferenceUnaryTest, Activations) {
  auto relu = RunOp(MakeNode("Relu"), {Runtime(Floats({3}, {-1, 0, 2}))});
  ASSERT_TRUE(relu.ok());
  EXPECT_THAT(Values<float>(relu->outputs[0]), ElementsAre(0, 0, 2));

  auto sigmoid = RunOp(MakeNode("Sigmoid"), {Runtime(Floats({2}, {0, std::log(3.f)}))});
  ASSERT_TRUE(sigmoid.ok());
  // 1 / (1 + e^-ln3) = 1 / (1 + 1/3) = 0.75.
  EXPECT_THAT(Values<float>(sigmoid->outputs[0]), ElementsAre(0.5f, FloatNear(0.75f, 1e-6)));

  auto sqrt = RunOp(MakeNode("Sqrt"), {Runtime(Floats({2}, {4, 0.25f}))});
  ASSERT_TRUE(sqrt.ok());
  EXPECT_THAT(Values<float>(sqrt->outputs[0]), ElementsAre(2, 0.5f));

  auto exp = RunOp(MakeNode("Exp"), {Runtime(Floats({2}, {0, 1}))});
  ASSERT_TRUE(exp.ok());
  EXPECT_THAT(Values<float>(exp->outputs[0]), ElementsAre(1, FloatNear(2.7182818f, 1e-6)));

  auto tanh = RunOp(MakeNode("Tanh"), {Runtime(Floats({2}, {0, std::log(2.f)}))});
  ASSERT_TRUE(tanh.ok());
  // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6.
  EXPECT_THAT(Values<float>(tanh->outputs[0]), ElementsAre(0, FloatNear(0.6f, 1e-6)));
}

TEST(ReferenceUnaryTest, HardSigmoidDefaultsAndAttributes) {
  auto dflt = RunOp(MakeNode("HardSigmoid"), {Runtime(Floats({3}, {1, -3, 3}))});
  ASSERT_TRUE(dflt.ok());
  // 0.2 * 1 + 0.5 = 0.7; -0.1 clamps to 0; 1.1 clamps to 1.
  EXPECT_THAT(Values<float>(dflt->outputs[0]), ElementsAre(FloatNear(0.7f, 1e-6), 0, 1));
  auto custom =
      RunOp(MakeNode("HardSigmoid", {{"alpha", 1.f / 6}, {"beta", 0.5f}}), {Runtime(Floats({2}, {0, 1.5f}))});
  ASSERT_TRUE(custom.ok());
  EXPECT_THAT(Values<float>(custom->outputs[0]), ElementsAre(0.5f, FloatNear(0.75f, 1e-6)));
}

TEST(ReferenceClipTest, AttributesBeforeOpset11) {
  auto run = RunOp(MakeNode("Clip", {{"min", 0.f}, {"max", 6.f}}), {Runtime(Floats({3}, {-1, 3, 7}))},
                   /*opset=*/9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 3, 6));
}

TEST(ReferenceClipTest, InputsFromOpset11) {
  auto run = RunOp(MakeNode("Clip"),
                   {Runtime(Floats({3}, {-1, 3, 7})), Constant(Floats({}, {0})), Constant(Floats({}, {6}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 3, 6));
  auto max_only =
      RunOp(MakeNode("Clip"), {Runtime(Floats({3}, {-100, 3, 7})), Omitted(), Constant(Floats({1}, {5}))});
  ASSERT_TRUE(max_only.ok()) << max_only.status().ToString();
  EXPECT_THAT(Values<float>(max_only->outputs[0]), ElementsAre(-100, 3, 5));
}

TEST(ReferenceClipTest, RejectsFormOfTheWrongOpset) {
  auto attrs_at_11 =
      RunOp(MakeNode("Clip", {{"min", 0.f}, {"max", 6.f}}), {Runtime(Floats({1}, {1}))}, /*opset=*/11);
  ASSERT_FALSE(attrs_at_11.ok());
  EXPECT_THAT(attrs_at_11.status().message(), HasSubstr("not attributes"));
  auto inputs_at_9 = RunOp(MakeNode("Clip"), {Runtime(Floats({1}, {1})), Constant(Floats({}, {0}))},
                           /*opset=*/9);
  ASSERT_FALSE(inputs_at_9.ok());
  auto non_scalar =
      RunOp(MakeNode("Clip"), {Runtime(Floats({1}, {1})), Constant(Floats({2}, {0, 1}))}, /*opset=*/11);
  ASSERT_FALSE(non_scalar.ok());
  EXPECT_THAT(non_scalar.status().message(), HasSubstr("expected a scalar"));
}

TEST(ReferenceIdentityTest, CopiesAnyDtypeAndIsAView) {
  auto run = RunOp(MakeNode("Identity"), {Runtime(Int64s({2}, {4, 5}))});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->infos[0].dtype, DType::kInt64);
  EXPECT_THAT(Values<int64_t>(run->outputs[0]), ElementsAre(4, 5));
  EXPECT_TRUE(FindOp("Identity")->is_view);
  EXPECT_FALSE(FindOp("Relu")->is_view);
}

}  // namespace
}  // namespace plateau::ops
