#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/ops/reference/op_test_util.h"
#include "plateau/engine.h"

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

// Found by fuzz/onnx_fuzzer.cc: a scale of about 1e24 made an output dim beyond int64, converted from
// double (undefined behaviour) before any check. The fuzzer's model is kept too (243 bytes): a Resize
// with such a scale, then GlobalAveragePool and Flatten; loading and planning it must fail cleanly.
TEST(ReferenceResizeTest, AScaleBeyondInt64IsRefused) {
  auto huge = RunOp(MakeNode("Resize"), {Image2x2(), EmptyRoi(), Scales({1, 1, 1e24f, 1})});
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(huge.status().message(), HasSubstr("too large to represent"));
  auto infinite = RunOp(MakeNode("Resize"), {Image2x2(), EmptyRoi(), Scales({1, 1, 1, INFINITY})});
  ASSERT_FALSE(infinite.ok());
  EXPECT_THAT(infinite.status().message(), HasSubstr("too large to represent"));

  const std::string model(
      "\x08\x08\x3a\xe8\x01\x0a\x39\x0a\x01\x78\x0a\x03\x72\x6f\x69\x0a\x06\x73\x63\x61\x6c\x65\x73\x12"
      "\x01\x75\x1a\x08\x52\x65\x73\x69\x7a\x65\x5f\x75\x22\x06\x52\x65\x73\x69\x7a\x65\x2a\x12\x0a\x04"
      "\x6d\x6f\x64\x65\x22\x07\x6e\x65\x61\x72\x65\x73\x74\xa0\x01\x03\x0a\x30\x0a\x01\x75\x12\x02\x67"
      "\x70\x1a\x14\x47\x6c\x6f\x62\x61\x6c\x41\x00\x00\x00\x00\x00\x00\x00\x00\x6f\x6c\x5f\x67\x70\x22"
      "\x11\x47\x6c\x6f\x62\x61\x6c\x41\x76\x65\x72\x61\x67\x65\x50\x6f\x6f\x6c\x0a\x28\x0a\x02\x67\x70"
      "\x12\x01\x79\x1a\x09\x46\x6c\x61\x74\x74\x65\x6e\x5f\x79\x22\x07\x46\x6c\x61\x74\x74\x65\x6e\x2a"
      "\x0b\x0a\x04\x61\x78\x69\x73\x18\x01\xa0\x01\x02\x2a\x0b\x08\x00\x10\x01\x42\x03\x72\x6f\x69\x4a"
      "\x00\x2a\x1e\x08\x04\x10\x01\x42\x06\x73\x63\x61\x6c\x65\x73\x4a\x10\x00\x00\x80\x01\x6d\x6f\x6d"
      "\x65\x6e\x74\x75\x40\x00\x00\x00\x40\x5a\x1d\x0a\x01\x78\x12\x18\x0a\x16\x08\x01\x12\x12\x0a\x02"
      "\x08\x01\x0a\x02\x08\x42\x0a\x03\x12\x01\x6e\x0a\x03\x12\x01\x6e\x62\x03\x0a\x01\x79\x42\x04\x0a"
      "\x00\x10\x0b",
      243);
  auto loaded = Model::LoadFromBytes(model, "fuzz-resize.onnx");
  if (loaded.ok()) {
    auto session = Session::Create(*loaded, {.threads = 1, .reference_kernels = true});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    Shape shape = (*loaded)->input_shape(0);
    for (int d = 0; d < shape.rank(); ++d) {
      if (shape[d] < 0) shape[d] = d == 0 ? 1 : 32;
    }
    EXPECT_FALSE((*session)->Plan({shape}).ok());
  }
}

}  // namespace
}  // namespace plateau::ops
