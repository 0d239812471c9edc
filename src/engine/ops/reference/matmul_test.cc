#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/ops/reference/op_test_util.h"

namespace plateau::ops {
namespace {

using testing::Constant;
using ::testing::ElementsAre;
using testing::Floats;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

TEST(ReferenceMatMulTest, TwoByTwo) {
  auto run = RunOp(MakeNode("MatMul"),
                   {Runtime(Floats({2, 2}, {1, 2, 3, 4})), Constant(Floats({2, 2}, {5, 6, 7, 8}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(19, 22, 43, 50));
}

TEST(ReferenceMatMulTest, BatchedWithBroadcastBatchDims) {
  // A: two 1x2 rows [1 2] and [3 4]; B: [1; 10] shared by both batches.
  auto run = RunOp(MakeNode("MatMul"),
                   {Runtime(Floats({2, 1, 2}, {1, 2, 3, 4})), Constant(Floats({2, 1}, {1, 10}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{2, 1, 1}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(21, 43));
  // A batch 1 against B batch 2: [1 1] times [[1 2;3 4]] and [[5 6;7 8]].
  auto b_batched = RunOp(MakeNode("MatMul"), {Runtime(Floats({1, 1, 2}, {1, 1})),
                                              Runtime(Floats({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}))});
  ASSERT_TRUE(b_batched.ok()) << b_batched.status().ToString();
  EXPECT_EQ(b_batched->infos[0].shape, (Shape{2, 1, 2}));
  EXPECT_THAT(Values<float>(b_batched->outputs[0]), ElementsAre(4, 6, 12, 14));
}

TEST(ReferenceMatMulTest, OneDimensionalOperands) {
  auto vec_mat =
      RunOp(MakeNode("MatMul"), {Runtime(Floats({2}, {1, 2})), Constant(Floats({2, 3}, {1, 2, 3, 4, 5, 6}))});
  ASSERT_TRUE(vec_mat.ok()) << vec_mat.status().ToString();
  EXPECT_EQ(vec_mat->infos[0].shape, (Shape{3}));
  EXPECT_THAT(Values<float>(vec_mat->outputs[0]), ElementsAre(9, 12, 15));
  auto mat_vec = RunOp(MakeNode("MatMul"),
                       {Runtime(Floats({2, 3}, {1, 2, 3, 4, 5, 6})), Constant(Floats({3}, {1, 0, -1}))});
  ASSERT_TRUE(mat_vec.ok());
  EXPECT_EQ(mat_vec->infos[0].shape, (Shape{2}));
  EXPECT_THAT(Values<float>(mat_vec->outputs[0]), ElementsAre(-2, -2));
  auto dot = RunOp(MakeNode("MatMul"), {Runtime(Floats({3}, {1, 2, 3})), Runtime(Floats({3}, {4, 5, 6}))});
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot->infos[0].shape.rank(), 0);
  EXPECT_THAT(Values<float>(dot->outputs[0]), ElementsAre(32));
}

TEST(ReferenceMatMulTest, InferErrors) {
  auto inner = RunOp(MakeNode("MatMul"), {Runtime(Floats({2, 3}, std::vector<float>(6))),
                                          Constant(Floats({2, 2}, {0, 0, 0, 0}))});
  ASSERT_FALSE(inner.ok());
  EXPECT_THAT(inner.status().message(), HasSubstr("disagree on the inner dim (3 vs 2)"));
  auto batch =
      RunOp(MakeNode("MatMul"), {Runtime(Floats({2, 1, 1}, {0, 0})), Runtime(Floats({3, 1, 1}, {0, 0, 0}))});
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.status().message(), HasSubstr("not broadcastable"));
}

TEST(ReferenceMatMulTest, PostOps) {
  graph::Node node = MakeNode("MatMul");
  node.inputs = {graph::ValueId{0}, graph::ValueId{1}, graph::ValueId{2}};
  graph::PostOp sum;
  sum.kind = graph::PostOp::Kind::kSum;
  sum.operand = graph::ValueId{2};
  node.post_ops = {sum};
  auto run = RunOp(node, {Runtime(Floats({1, 2}, {1, 2})), Constant(Floats({2, 2}, {1, 0, 0, -1})),
                          Runtime(Floats({1, 2}, {10, 10}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(11, 8));
}

TEST(ReferenceGemmTest, TransposeAlphaBetaAndRowBias) {
  // A^T = [1 3; 2 4], B = I: 2 * A^T + 0.5 * [2 4] per row.
  auto run = RunOp(MakeNode("Gemm", {{"transA", int64_t{1}}, {"alpha", 2.f}, {"beta", 0.5f}}),
                   {Runtime(Floats({2, 2}, {1, 2, 3, 4})), Constant(Floats({2, 2}, {1, 0, 0, 1})),
                    Constant(Floats({2}, {2, 4}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(3, 8, 5, 10));
  // A [1x3] times B^T where B is [2x3]: rows of B are the output columns.
  auto trans_b = RunOp(MakeNode("Gemm", {{"transB", int64_t{1}}}),
                       {Runtime(Floats({1, 3}, {1, 2, 3})), Constant(Floats({2, 3}, {1, 1, 1, 0, 0, 1}))});
  ASSERT_TRUE(trans_b.ok()) << trans_b.status().ToString();
  EXPECT_EQ(trans_b->infos[0].shape, (Shape{1, 2}));
  EXPECT_THAT(Values<float>(trans_b->outputs[0]), ElementsAre(6, 3));
}

TEST(ReferenceGemmTest, InferErrors) {
  auto bad_c =
      RunOp(MakeNode("Gemm"), {Runtime(Floats({2, 2}, {0, 0, 0, 0})), Constant(Floats({2, 2}, {0, 0, 0, 0})),
                               Constant(Floats({3}, {0, 0, 0}))});
  ASSERT_FALSE(bad_c.ok());
  EXPECT_THAT(bad_c.status().message(), HasSubstr("does not broadcast to 2x2"));
  auto rank = RunOp(MakeNode("Gemm"), {Runtime(Floats({2}, {0, 0})), Constant(Floats({2, 2}, {0, 0, 0, 0}))});
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("rank 2"));
}

}  // namespace
}  // namespace plateau::ops
