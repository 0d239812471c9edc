#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "engine/ops/reference/op_test_util.h"

namespace plateau::ops {
namespace {

using testing::Constant;
using ::testing::ElementsAre;
using testing::Floats;
using ::testing::HasSubstr;
using testing::Int32s;
using testing::Int64s;
using testing::MakeNode;
using testing::Omitted;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

using Ints = std::vector<int64_t>;

std::vector<float> Iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

TEST(ReferenceConcatTest, MiddleAxis) {
  auto run = RunOp(
      MakeNode("Concat", {{"axis", int64_t{1}}}),
      {Runtime(Floats({2, 1, 2}, {0, 1, 10, 11})), Runtime(Floats({2, 2, 2}, {2, 3, 4, 5, 12, 13, 14, 15}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{2, 3, 2}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15));
}

TEST(ReferenceConcatTest, NegativeAxisOnInt64ShapeVectors) {
  auto run = RunOp(MakeNode("Concat", {{"axis", int64_t{-1}}}),
                   {Runtime(Int64s({2}, {1, 40})), Constant(Int64s({1}, {-1})), Runtime(Int64s({1}, {7}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].dtype, DType::kInt64);
  EXPECT_THAT(Values<int64_t>(run->outputs[0]), ElementsAre(1, 40, -1, 7));
}

TEST(ReferenceConcatTest, RejectsMismatchedDims) {
  auto run = RunOp(MakeNode("Concat", {{"axis", int64_t{1}}}),
                   {Runtime(Floats({1, 1, 2}, {0, 0})), Runtime(Floats({1, 1, 3}, {0, 0, 0}))});
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("input 1 has shape 1x1x3, which does not match input 0"));
  auto no_axis = RunOp(MakeNode("Concat"), {Runtime(Floats({1}, {0}))});
  ASSERT_FALSE(no_axis.ok());
}

TEST(ReferenceReshapeTest, ZeroCopiesAndMinusOneInfers) {
  auto run =
      RunOp(MakeNode("Reshape"), {Runtime(Floats({2, 3, 4}, Iota(24))), Constant(Int64s({2}, {0, -1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{2, 12}));
  EXPECT_EQ(Values<float>(run->outputs[0]), Iota(24));
  auto run2 =
      RunOp(MakeNode("Reshape"), {Runtime(Floats({2, 3, 4}, Iota(24))), Constant(Int64s({3}, {-1, 0, 2}))});
  ASSERT_TRUE(run2.ok()) << run2.status().ToString();
  EXPECT_EQ(run2->infos[0].shape, (Shape{4, 3, 2}));
  EXPECT_TRUE(FindOp("Reshape")->is_view);
}

TEST(ReferenceReshapeTest, InferErrors) {
  auto runtime_shape = RunOp(MakeNode("Reshape"), {Runtime(Floats({4}, Iota(4))), Runtime(Int64s({1}, {4}))});
  ASSERT_FALSE(runtime_shape.ok());
  EXPECT_THAT(runtime_shape.status().message(), HasSubstr("must be a constant"));
  auto count = RunOp(MakeNode("Reshape"), {Runtime(Floats({4}, Iota(4))), Constant(Int64s({2}, {3, -1}))});
  ASSERT_FALSE(count.ok());
  EXPECT_THAT(count.status().message(), HasSubstr("cannot reshape 4"));
  auto two_inferred =
      RunOp(MakeNode("Reshape"), {Runtime(Floats({4}, Iota(4))), Constant(Int64s({2}, {-1, -1}))});
  ASSERT_FALSE(two_inferred.ok());
  EXPECT_THAT(two_inferred.status().message(), HasSubstr("more than one -1"));
}

TEST(ReferenceFlattenTest, Axes) {
  auto mid = RunOp(MakeNode("Flatten", {{"axis", int64_t{2}}}), {Runtime(Floats({2, 3, 4}, Iota(24)))});
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->infos[0].shape, (Shape{6, 4}));
  auto zero = RunOp(MakeNode("Flatten", {{"axis", int64_t{0}}}), {Runtime(Floats({2, 3, 4}, Iota(24)))});
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->infos[0].shape, (Shape{1, 24}));
  auto end = RunOp(MakeNode("Flatten", {{"axis", int64_t{3}}}), {Runtime(Floats({2, 3, 4}, Iota(24)))});
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->infos[0].shape, (Shape{24, 1}));
  auto negative = RunOp(MakeNode("Flatten", {{"axis", int64_t{-1}}}), {Runtime(Floats({2, 3, 4}, Iota(24)))});
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->infos[0].shape, (Shape{6, 4}));
  EXPECT_EQ(Values<float>(negative->outputs[0]), Iota(24));
}

TEST(ReferenceSqueezeTest, AttributeInputAndAllOnes) {
  auto attr = RunOp(MakeNode("Squeeze", {{"axes", Ints{0}}}), {Runtime(Floats({1, 3, 1}, {1, 2, 3}))}, 9);
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->infos[0].shape, (Shape{3, 1}));
  EXPECT_THAT(Values<float>(attr->outputs[0]), ElementsAre(1, 2, 3));
  auto all = RunOp(MakeNode("Squeeze"), {Runtime(Floats({1, 3, 1}, {1, 2, 3}))}, 9);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->infos[0].shape, (Shape{3}));
  auto input =
      RunOp(MakeNode("Squeeze"), {Runtime(Floats({1, 3, 1}, {1, 2, 3})), Constant(Int64s({1}, {-1}))}, 13);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->infos[0].shape, (Shape{1, 3}));
  auto not_one = RunOp(MakeNode("Squeeze", {{"axes", Ints{1}}}), {Runtime(Floats({1, 3, 1}, {1, 2, 3}))}, 9);
  ASSERT_FALSE(not_one.ok());
  EXPECT_THAT(not_one.status().message(), HasSubstr("its size is not 1"));
  auto attr_at_13 =
      RunOp(MakeNode("Squeeze", {{"axes", Ints{0}}}), {Runtime(Floats({1, 3, 1}, {1, 2, 3}))}, 13);
  ASSERT_FALSE(attr_at_13.ok());
}

TEST(ReferenceUnsqueezeTest, AxesRefertoTheOutputRank) {
  auto run = RunOp(MakeNode("Unsqueeze", {{"axes", Ints{0, -1}}}), {Runtime(Floats({3}, {1, 2, 3}))}, 11);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 3, 1}));
  auto input =
      RunOp(MakeNode("Unsqueeze"), {Runtime(Floats({3}, {1, 2, 3})), Constant(Int64s({1}, {1}))}, 13);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->infos[0].shape, (Shape{3, 1}));
  auto repeated = RunOp(MakeNode("Unsqueeze", {{"axes", Ints{0, 0}}}), {Runtime(Floats({3}, {1, 2, 3}))}, 11);
  ASSERT_FALSE(repeated.ok());
  auto missing = RunOp(MakeNode("Unsqueeze"), {Runtime(Floats({3}, {1, 2, 3}))}, 11);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("axes is required"));
}

TEST(ReferenceTransposeTest, PermAndDefaultReverse) {
  // [[0 1 2] [3 4 5]] transposed.
  auto perm = RunOp(MakeNode("Transpose", {{"perm", Ints{0, 2, 1}}}), {Runtime(Floats({1, 2, 3}, Iota(6)))});
  ASSERT_TRUE(perm.ok());
  EXPECT_EQ(perm->infos[0].shape, (Shape{1, 3, 2}));
  EXPECT_THAT(Values<float>(perm->outputs[0]), ElementsAre(0, 3, 1, 4, 2, 5));
  auto reverse = RunOp(MakeNode("Transpose"), {Runtime(Floats({2, 3}, Iota(6)))});
  ASSERT_TRUE(reverse.ok());
  EXPECT_EQ(reverse->infos[0].shape, (Shape{3, 2}));
  EXPECT_THAT(Values<float>(reverse->outputs[0]), ElementsAre(0, 3, 1, 4, 2, 5));
  // perm [2, 0, 1] on 2x1x2 [a b; c d] -> shape 2x2x1, y[k][i][j] = x[i][j][k].
  auto rotate =
      RunOp(MakeNode("Transpose", {{"perm", Ints{2, 0, 1}}}), {Runtime(Floats({2, 1, 2}, {1, 2, 3, 4}))});
  ASSERT_TRUE(rotate.ok());
  EXPECT_EQ(rotate->infos[0].shape, (Shape{2, 2, 1}));
  EXPECT_THAT(Values<float>(rotate->outputs[0]), ElementsAre(1, 3, 2, 4));
  auto bad = RunOp(MakeNode("Transpose", {{"perm", Ints{0, 0}}}), {Runtime(Floats({2, 3}, Iota(6)))});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("not a permutation"));
}

TEST(ReferenceSliceTest, AttributeFormOnAnInt32ShapeVector) {
  // As in the recognition model: Shape -> Cast(int32) -> Slice(starts=3, ends=4, axes=0).
  auto run = RunOp(MakeNode("Slice", {{"starts", Ints{3}}, {"ends", Ints{4}}, {"axes", Ints{0}}}),
                   {Runtime(Int32s({4}, {1, 3, 48, 320}))}, 9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].dtype, DType::kInt32);
  EXPECT_EQ(run->infos[0].shape, (Shape{1}));
  EXPECT_THAT(Values<int32_t>(run->outputs[0]), ElementsAre(320));
}

TEST(ReferenceSliceTest, NegativeAndClampedBounds) {
  auto neg = RunOp(MakeNode("Slice"), {Runtime(Floats({10}, Iota(10))), Constant(Int64s({1}, {-3})),
                                       Constant(Int64s({1}, {-1}))});
  ASSERT_TRUE(neg.ok()) << neg.status().ToString();
  EXPECT_THAT(Values<float>(neg->outputs[0]), ElementsAre(7, 8));
  auto reversed = RunOp(MakeNode("Slice"), {Runtime(Floats({5}, Iota(5))), Constant(Int64s({1}, {-1})),
                                            Constant(Int64s({1}, {-100})), Constant(Int64s({1}, {0})),
                                            Constant(Int64s({1}, {-1}))});
  ASSERT_TRUE(reversed.ok()) << reversed.status().ToString();
  EXPECT_THAT(Values<float>(reversed->outputs[0]), ElementsAre(4, 3, 2, 1, 0));
  auto stepped = RunOp(MakeNode("Slice"), {Runtime(Floats({10}, Iota(10))), Constant(Int64s({1}, {1})),
                                           Constant(Int64s({1}, {std::numeric_limits<int64_t>::max()})),
                                           Omitted(), Constant(Int64s({1}, {3}))});
  ASSERT_TRUE(stepped.ok()) << stepped.status().ToString();
  EXPECT_THAT(Values<float>(stepped->outputs[0]), ElementsAre(1, 4, 7));
}

TEST(ReferenceSliceTest, SecondAxisOfAMatrix) {
  // Columns 1..2 of [[0 1 2] [3 4 5]].
  auto run = RunOp(MakeNode("Slice"), {Runtime(Floats({2, 3}, Iota(6))), Constant(Int64s({1}, {1})),
                                       Constant(Int64s({1}, {3})), Constant(Int64s({1}, {-1}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{2, 2}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(1, 2, 4, 5));
}

TEST(ReferenceSliceTest, InferErrors) {
  auto empty = RunOp(MakeNode("Slice"),
                     {Runtime(Floats({4}, Iota(4))), Constant(Int64s({1}, {3})), Constant(Int64s({1}, {1}))});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("empty"));
  auto runtime = RunOp(MakeNode("Slice"), {Runtime(Floats({4}, Iota(4))), Runtime(Int64s({1}, {0})),
                                           Constant(Int64s({1}, {1}))});
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(), HasSubstr("starts must be a constant"));
  auto attrs_at_11 =
      RunOp(MakeNode("Slice", {{"starts", Ints{0}}, {"ends", Ints{1}}}), {Runtime(Floats({4}, Iota(4)))}, 11);
  ASSERT_FALSE(attrs_at_11.ok());
  auto zero_step =
      RunOp(MakeNode("Slice"), {Runtime(Floats({4}, Iota(4))), Constant(Int64s({1}, {0})),
                                Constant(Int64s({1}, {2})), Omitted(), Constant(Int64s({1}, {0}))});
  ASSERT_FALSE(zero_step.ok());
  EXPECT_THAT(zero_step.status().message(), HasSubstr("contains 0"));
}

TEST(ReferenceShapeTest, InferSetsTheConstant) {
  auto run = RunOp(MakeNode("Shape"), {Runtime(Floats({1, 3, 2, 1}, Iota(6)))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].dtype, DType::kInt64);
  EXPECT_EQ(run->infos[0].shape, (Shape{4}));
  ASSERT_NE(run->infos[0].constant, nullptr);
  EXPECT_THAT(Values<int64_t>(*run->infos[0].constant), ElementsAre(1, 3, 2, 1));
  EXPECT_THAT(Values<int64_t>(run->outputs[0]), ElementsAre(1, 3, 2, 1));
}

TEST(ReferenceCastTest, BetweenFloatAndIntegers) {
  auto to_int32 = RunOp(MakeNode("Cast", {{"to", int64_t{6}}}), {Runtime(Floats({3}, {1.7f, -1.7f, 3}))});
  ASSERT_TRUE(to_int32.ok());
  EXPECT_EQ(to_int32->infos[0].dtype, DType::kInt32);
  EXPECT_THAT(Values<int32_t>(to_int32->outputs[0]), ElementsAre(1, -1, 3));
  auto to_int64 = RunOp(MakeNode("Cast", {{"to", int64_t{7}}}), {Runtime(Int32s({2}, {-5, 320}))});
  ASSERT_TRUE(to_int64.ok());
  EXPECT_THAT(Values<int64_t>(to_int64->outputs[0]), ElementsAre(-5, 320));
  auto to_float = RunOp(MakeNode("Cast", {{"to", int64_t{1}}}), {Runtime(Int64s({2}, {-5, 320}))});
  ASSERT_TRUE(to_float.ok());
  EXPECT_THAT(Values<float>(to_float->outputs[0]), ElementsAre(-5, 320));
  auto bad = RunOp(MakeNode("Cast", {{"to", int64_t{10}}}), {Runtime(Floats({1}, {1}))});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(bad.status().message(), HasSubstr("Cast to type 10"));
}

TEST(ReferenceGatherTest, AxesAndIndexShapes) {
  auto scalar =
      RunOp(MakeNode("Gather"), {Runtime(Int64s({5}, {10, 11, 12, 13, 14})), Constant(Int64s({}, {2}))});
  ASSERT_TRUE(scalar.ok()) << scalar.status().ToString();
  EXPECT_EQ(scalar->infos[0].shape.rank(), 0);
  EXPECT_THAT(Values<int64_t>(scalar->outputs[0]), ElementsAre(12));
  auto negative =
      RunOp(MakeNode("Gather"), {Runtime(Int64s({5}, {10, 11, 12, 13, 14})), Constant(Int64s({2}, {-1, 0}))});
  ASSERT_TRUE(negative.ok());
  EXPECT_THAT(Values<int64_t>(negative->outputs[0]), ElementsAre(14, 10));
  // axis 1 of [[0 1 2] [3 4 5]] with indices [[2] [0]]: y[i][j][0] = x[i][idx[j]].
  auto matrix = RunOp(MakeNode("Gather", {{"axis", int64_t{1}}}),
                      {Runtime(Floats({2, 3}, Iota(6))), Runtime(Int64s({2, 1}, {2, 0}))});
  ASSERT_TRUE(matrix.ok()) << matrix.status().ToString();
  EXPECT_EQ(matrix->infos[0].shape, (Shape{2, 2, 1}));
  EXPECT_THAT(Values<float>(matrix->outputs[0]), ElementsAre(2, 0, 5, 3));
  auto out_of_range = RunOp(MakeNode("Gather"), {Runtime(Floats({3}, Iota(3))), Constant(Int64s({1}, {3}))});
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.status().code(), StatusCode::kOutOfRange);
}

TEST(ReferenceReorderTest, PlainCopyAndLayoutCheck) {
  auto run =
      RunOp(MakeNode("plateau.Reorder", {{"layout", int64_t{1}}}), {Runtime(Floats({1, 2, 1, 2}, Iota(4)))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 2, 1, 2}));
  EXPECT_EQ(Values<float>(run->outputs[0]), Iota(4));
  auto rank2 =
      RunOp(MakeNode("plateau.Reorder", {{"layout", int64_t{1}}}), {Runtime(Floats({2, 2}, Iota(4)))});
  ASSERT_FALSE(rank2.ok());
  auto unknown =
      RunOp(MakeNode("plateau.Reorder", {{"layout", int64_t{5}}}), {Runtime(Floats({2, 2}, Iota(4)))});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("layout 5"));
}

}  // namespace
}  // namespace plateau::ops
