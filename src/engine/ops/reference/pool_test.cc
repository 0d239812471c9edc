#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/ops/reference/op_test_util.h"

namespace plateau::ops {
namespace {

using ::testing::ElementsAre;
using testing::Floats;
using ::testing::HasSubstr;
using testing::MakeNode;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

using Ints = std::vector<int64_t>;

std::vector<float> Iota(int n, float first = 0.f) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = first + static_cast<float>(i);
  return v;
}

TEST(ReferenceGlobalAveragePoolTest, AveragesEachPlane) {
  auto run = RunOp(MakeNode("GlobalAveragePool"), {Runtime(Floats({1, 2, 2, 2}, Iota(8, 1)))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 2, 1, 1}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(2.5f, 6.5f));
}

TEST(ReferenceMaxPoolTest, Kernel2Stride2) {
  auto run = RunOp(MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}),
                   {Runtime(Floats({1, 1, 4, 4}, Iota(16)))}, /*opset=*/9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 2, 2}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(5, 7, 13, 15));
}

TEST(ReferenceMaxPoolTest, CeilModeKeepsThePartialWindow) {
  auto floor_mode = RunOp(MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}),
                          {Runtime(Floats({1, 1, 3, 3}, Iota(9, 1)))});
  ASSERT_TRUE(floor_mode.ok());
  EXPECT_THAT(Values<float>(floor_mode->outputs[0]), ElementsAre(5));
  auto ceil_mode = RunOp(
      MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}),
      {Runtime(Floats({1, 1, 3, 3}, Iota(9, 1)))});
  ASSERT_TRUE(ceil_mode.ok());
  EXPECT_EQ(ceil_mode->infos[0].shape, (Shape{1, 1, 2, 2}));
  EXPECT_THAT(Values<float>(ceil_mode->outputs[0]), ElementsAre(5, 6, 8, 9));
}

TEST(ReferenceMaxPoolTest, RefusesIndicesAndColumnMajorStorage) {
  auto indices = RunOp(MakeNode("MaxPool", {{"kernel_shape", Ints{1, 1}}}),
                       {Runtime(Floats({1, 1, 1, 1}, {1}))}, 11, /*num_outputs=*/2);
  ASSERT_FALSE(indices.ok());
  EXPECT_THAT(indices.status().message(), HasSubstr("Indices"));
  auto storage = RunOp(MakeNode("MaxPool", {{"kernel_shape", Ints{1, 1}}, {"storage_order", int64_t{1}}}),
                       {Runtime(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_FALSE(storage.ok());
  EXPECT_THAT(storage.status().message(), HasSubstr("storage_order"));
}

TEST(ReferenceAveragePoolTest, PaddingExcludedOrIncludedInTheCount) {
  // 2x2 input [1 2; 3 4], kernel 2, stride 1, pads 1 -> 3x3 windows.
  const std::map<std::string, graph::AttrValue> attrs = {{"kernel_shape", Ints{2, 2}},
                                                         {"pads", Ints{1, 1, 1, 1}}};
  auto exclude = RunOp(MakeNode("AveragePool", attrs), {Runtime(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))});
  ASSERT_TRUE(exclude.ok()) << exclude.status().ToString();
  EXPECT_EQ(exclude->infos[0].shape, (Shape{1, 1, 3, 3}));
  EXPECT_THAT(Values<float>(exclude->outputs[0]), ElementsAre(1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4));
  auto include_attrs = attrs;
  include_attrs["count_include_pad"] = int64_t{1};
  auto include = RunOp(MakeNode("AveragePool", include_attrs), {Runtime(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))});
  ASSERT_TRUE(include.ok());
  EXPECT_THAT(Values<float>(include->outputs[0]),
              ElementsAre(0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1));
}

TEST(ReferenceAveragePoolTest, RecognitionModelWindow3x2) {
  // kernel 3x2, stride 3x2 on a 3x4 plane of 0..11: means of {0,1,4,5,8,9} and {2,3,6,7,10,11}.
  auto run = RunOp(MakeNode("AveragePool", {{"kernel_shape", Ints{3, 2}},
                                            {"strides", Ints{3, 2}},
                                            {"pads", Ints{0, 0, 0, 0}},
                                            {"count_include_pad", int64_t{0}}}),
                   {Runtime(Floats({1, 1, 3, 4}, Iota(12)))}, /*opset=*/9);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 1, 2}));
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(4.5f, 6.5f));
}

TEST(ReferenceAveragePoolTest, CeilModeWithCountIncludePadClipsToTheInput) {
  auto run = RunOp(MakeNode("AveragePool", {{"kernel_shape", Ints{2, 2}},
                                            {"strides", Ints{2, 2}},
                                            {"ceil_mode", int64_t{1}},
                                            {"count_include_pad", int64_t{1}}}),
                   {Runtime(Floats({1, 1, 3, 3}, Iota(9, 1)))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(3, 4.5f, 7.5f, 9));
}

TEST(ReferencePoolTest, InferErrors) {
  auto no_kernel = RunOp(MakeNode("MaxPool"), {Runtime(Floats({1, 1, 1, 1}, {1}))});
  ASSERT_FALSE(no_kernel.ok());
  EXPECT_THAT(no_kernel.status().message(), HasSubstr("kernel_shape is required"));
  auto rank3 =
      RunOp(MakeNode("AveragePool", {{"kernel_shape", Ints{1, 1}}}), {Runtime(Floats({1, 1, 2}, {1, 2}))});
  ASSERT_FALSE(rank3.ok());
  EXPECT_THAT(rank3.status().message(), HasSubstr("rank 4"));
  auto too_big =
      RunOp(MakeNode("MaxPool", {{"kernel_shape", Ints{3, 3}}}), {Runtime(Floats({1, 1, 2, 2}, Iota(4)))});
  ASSERT_FALSE(too_big.ok());
  EXPECT_THAT(too_big.status().message(), HasSubstr("smaller than the kernel"));
}

TEST(ReferenceReduceMeanTest, AxesAndKeepdims) {
  const Shape shape{2, 3};
  auto last = RunOp(MakeNode("ReduceMean", {{"axes", Ints{-1}}}), {Runtime(Floats(shape, Iota(6, 1)))});
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->infos[0].shape, (Shape{2, 1}));
  EXPECT_THAT(Values<float>(last->outputs[0]), ElementsAre(2, 5));
  auto first = RunOp(MakeNode("ReduceMean", {{"axes", Ints{0}}, {"keepdims", int64_t{0}}}),
                     {Runtime(Floats(shape, Iota(6, 1)))});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->infos[0].shape, (Shape{3}));
  EXPECT_THAT(Values<float>(first->outputs[0]), ElementsAre(2.5f, 3.5f, 4.5f));
  auto all = RunOp(MakeNode("ReduceMean"), {Runtime(Floats(shape, Iota(6, 1)))});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->infos[0].shape, (Shape{1, 1}));
  EXPECT_THAT(Values<float>(all->outputs[0]), ElementsAre(3.5f));
  auto bad = RunOp(MakeNode("ReduceMean", {{"axes", Ints{2}}}), {Runtime(Floats(shape, Iota(6, 1)))});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("out of range"));
}

}  // namespace
}  // namespace plateau::ops
