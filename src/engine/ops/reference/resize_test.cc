#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/ops/reference/op_test_util.h"

namespace plateau::ops {
namespace {

using testing::Constant;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using testing::Floats;
using ::testing::HasSubstr;
using testing::Input;
using testing::Int64s;
using testing::MakeNode;
using testing::Omitted;
using ::testing::Pointwise;
using testing::RunOp;
using testing::Runtime;
using testing::Values;

using Attrs = std::map<std::string, graph::AttrValue>;

Input EmptyRoi() { return Constant(Floats({0}, {})); }
Input Scales(std::vector<float> s) { return Constant(Floats({static_cast<int64_t>(s.size())}, s)); }
Input Image2x2() { return Runtime(Floats({1, 1, 2, 2}, {1, 2, 3, 4})); }

TEST(ReferenceResizeTest, NearestAsymmetricFloorAsInTheDetectionModel) {
  auto run = RunOp(MakeNode("Resize", {{"mode", std::string("nearest")},
                                       {"coordinate_transformation_mode", std::string("asymmetric")},
                                       {"nearest_mode", std::string("floor")}}),
                   {Image2x2(), EmptyRoi(), Scales({1, 1, 2, 2})});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 4, 4}));
  EXPECT_THAT(Values<float>(run->outputs[0]),
              ElementsAreArray({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(ReferenceResizeTest, BilinearHalfPixel) {
  // Source coordinates (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to 0, 0.25, 0.75, 1.
  auto run = RunOp(MakeNode("Resize", {{"mode", std::string("linear")}}),
                   {Image2x2(), EmptyRoi(), Scales({1, 1, 2, 2})});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]),
              Pointwise(FloatNear(1e-6), std::vector<float>{1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                                                            2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4}));
}

TEST(ReferenceResizeTest, BilinearAlignCornersFromSizes) {
  // To 3x3: source coordinates x * (2 - 1) / (3 - 1) = 0, 0.5, 1.
  auto run = RunOp(MakeNode("Resize", {{"mode", std::string("linear")},
                                       {"coordinate_transformation_mode", std::string("align_corners")}}),
                   {Image2x2(), EmptyRoi(), Omitted(), Constant(Int64s({4}, {1, 1, 3, 3}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->infos[0].shape, (Shape{1, 1, 3, 3}));
  EXPECT_THAT(Values<float>(run->outputs[0]),
              Pointwise(FloatNear(1e-6), std::vector<float>{1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4}));
}

TEST(ReferenceResizeTest, EmptyScalesWithSizes) {
  auto run = RunOp(MakeNode("Resize", {{"mode", std::string("nearest")},
                                       {"coordinate_transformation_mode", std::string("asymmetric")}}),
                   {Image2x2(), EmptyRoi(), Constant(Floats({0}, {})), Constant(Int64s({4}, {1, 1, 2, 4}))});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  // Width: x / 2 = 0, 0.5, 1, 1.5 -> round_prefer_floor 0, 0, 1, 1.
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(1, 1, 2, 2, 3, 3, 4, 4));
}

std::vector<float> DownsampleRow(const std::string& nearest_mode) {
  // 4 -> 2 with half_pixel: source 2x + 0.5 = 0.5 and 2.5, exactly between two pixels.
  auto run = RunOp(MakeNode("Resize", {{"nearest_mode", nearest_mode}}),
                   {Runtime(Floats({1, 1, 1, 4}, {10, 20, 30, 40})), EmptyRoi(), Scales({1, 1, 1, 0.5f})});
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  return run.ok() ? Values<float>(run->outputs[0]) : std::vector<float>{};
}

TEST(ReferenceResizeTest, NearestModesBreakTiesAsNamed) {
  EXPECT_THAT(DownsampleRow("round_prefer_floor"), ElementsAre(10, 30));
  EXPECT_THAT(DownsampleRow("round_prefer_ceil"), ElementsAre(20, 40));
  EXPECT_THAT(DownsampleRow("floor"), ElementsAre(10, 30));
  EXPECT_THAT(DownsampleRow("ceil"), ElementsAre(20, 40));
}

TEST(ReferenceResizeTest, RoundPreferCeilClampsAtTheEdge) {
  // asymmetric x / 2 = 0, 0.5, 1, 1.5 -> 0, 1, 1, 2 (clamped to 1).
  auto run = RunOp(MakeNode("Resize", {{"coordinate_transformation_mode", std::string("asymmetric")},
                                       {"nearest_mode", std::string("round_prefer_ceil")}}),
                   {Runtime(Floats({1, 1, 1, 2}, {1, 2})), EmptyRoi(), Scales({1, 1, 1, 2})});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]), ElementsAre(1, 2, 2, 2));
}

TEST(ReferenceResizeTest, PytorchHalfPixelMapsASingleOutputToZero) {
  const Input row = Runtime(Floats({1, 1, 1, 4}, {10, 20, 30, 40}));
  auto pytorch =
      RunOp(MakeNode("Resize", {{"mode", std::string("linear")},
                                {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}}),
            {row, EmptyRoi(), Omitted(), Constant(Int64s({4}, {1, 1, 1, 1}))});
  ASSERT_TRUE(pytorch.ok()) << pytorch.status().ToString();
  EXPECT_THAT(Values<float>(pytorch->outputs[0]), ElementsAre(10));
  // half_pixel: (0 + 0.5) / 0.25 - 0.5 = 1.5, halfway between 20 and 30.
  auto half = RunOp(MakeNode("Resize", {{"mode", std::string("linear")}}),
                    {row, EmptyRoi(), Omitted(), Constant(Int64s({4}, {1, 1, 1, 1}))});
  ASSERT_TRUE(half.ok());
  EXPECT_THAT(Values<float>(half->outputs[0]), ElementsAre(25));
}

TEST(ReferenceResizeTest, Opset10TakesXAndScales) {
  auto run = RunOp(MakeNode("Resize", {{"mode", std::string("nearest")}}), {Image2x2(), Scales({1, 1, 2, 2})},
                   /*opset=*/10);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_THAT(Values<float>(run->outputs[0]),
              ElementsAreArray({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // Linear at opset 10 is asymmetric: x / 2 = 0, 0.5, 1, 1.5 (clamped to 1).
  auto linear = RunOp(MakeNode("Resize", {{"mode", std::string("linear")}}),
                      {Runtime(Floats({1, 1, 1, 2}, {1, 3})), Scales({1, 1, 1, 2})}, /*opset=*/10);
  ASSERT_TRUE(linear.ok()) << linear.status().ToString();
  EXPECT_THAT(Values<float>(linear->outputs[0]), ElementsAre(1, 2, 3, 3));
  auto wrong_form = RunOp(MakeNode("Resize"), {Image2x2(), Scales({1, 1, 2, 2})}, /*opset=*/11);
  ASSERT_FALSE(wrong_form.ok());
}

TEST(ReferenceResizeTest, RefusesUnsupportedModes) {
  auto cubic = RunOp(MakeNode("Resize", {{"mode", std::string("cubic")}}),
                     {Image2x2(), EmptyRoi(), Scales({1, 1, 2, 2})});
  ASSERT_FALSE(cubic.ok());
  EXPECT_EQ(cubic.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(cubic.status().message(), HasSubstr("'cubic'"));
  auto crop =
      RunOp(MakeNode("Resize", {{"coordinate_transformation_mode", std::string("tf_crop_and_resize")}}),
            {Image2x2(), EmptyRoi(), Scales({1, 1, 2, 2})});
  ASSERT_FALSE(crop.ok());
  EXPECT_EQ(crop.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(crop.status().message(), HasSubstr("tf_crop_and_resize"));
  auto channels = RunOp(MakeNode("Resize", {{"mode", std::string("linear")}}),
                        {Image2x2(), EmptyRoi(), Scales({1, 2, 1, 1})});
  ASSERT_FALSE(channels.ok());
  EXPECT_THAT(channels.status().message(), HasSubstr("only bilinear"));
}

TEST(ReferenceResizeTest, InferErrors) {
  auto runtime_scales =
      RunOp(MakeNode("Resize"), {Image2x2(), EmptyRoi(), Runtime(Floats({4}, {1, 1, 2, 2}))});
  ASSERT_FALSE(runtime_scales.ok());
  EXPECT_THAT(runtime_scales.status().message(), HasSubstr("scales must be a constant"));
  auto rank = RunOp(MakeNode("Resize"), {Image2x2(), EmptyRoi(), Scales({2, 2})});
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("expected 4 (the input rank)"));
  auto vanishing = RunOp(MakeNode("Resize"), {Image2x2(), EmptyRoi(), Scales({1, 1, 0.25f, 1})});
  ASSERT_FALSE(vanishing.ok());
  EXPECT_THAT(vanishing.status().message(), HasSubstr("<= 0"));
}

}  // namespace
}  // namespace plateau::ops
