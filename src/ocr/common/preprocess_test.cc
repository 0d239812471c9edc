#include "ocr/common/preprocess.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

namespace plateau::ocr {
namespace {

SizeHw Target(int h, int w, int limit, LimitType type, int max_side = 4000) {
  auto size = DetTargetSize(h, w, DetResizeOptions{limit, type, max_side});
  EXPECT_TRUE(size.ok()) << size.status().ToString();
  return size.ok() ? *size : SizeHw{};
}

// Expected sizes below are worked out by hand from the PaddleX rules: scale, truncate, clamp to
// max_side_limit, round each side to a multiple of 32 (halves to even), at least 32.
TEST(DetTargetSizeTest, MaxLimitShrinksTheLongerSide) {
  // ratio 960/1000 = 0.96 -> 960 x 768, both already multiples of 32.
  EXPECT_EQ(Target(1000, 800, 960, LimitType::kMax), (SizeHw{960, 768}));
  EXPECT_EQ(Target(800, 1000, 960, LimitType::kMax), (SizeHw{768, 960}));
}

TEST(DetTargetSizeTest, MaxLimitNeverEnlarges) {
  // 100 / 32 = 3.125 -> 96; 50 / 32 = 1.5625 -> 64.
  EXPECT_EQ(Target(100, 50, 960, LimitType::kMax), (SizeHw{96, 64}));
}

TEST(DetTargetSizeTest, RoundsHalvesToEven) {
  // 48 / 32 = 1.5 -> 2 -> 64; 80 / 32 = 2.5 -> 2 -> 64 (not 96).
  EXPECT_EQ(Target(48, 80, 960, LimitType::kMax), (SizeHw{64, 64}));
  // 112 / 32 = 3.5 -> 4 -> 128.
  EXPECT_EQ(Target(112, 144, 960, LimitType::kMax), (SizeHw{128, 128}));
}

TEST(DetTargetSizeTest, AtLeast32) {
  // 16 / 32 = 0.5 -> 0 -> clamped to 32.
  EXPECT_EQ(Target(16, 600, 960, LimitType::kMax), (SizeHw{32, 608}));
}

TEST(DetTargetSizeTest, MinLimitEnlargesTheShorterSide) {
  // ratio 736/100: 736 x 1472.
  EXPECT_EQ(Target(100, 200, 736, LimitType::kMin), (SizeHw{736, 1472}));
  // Shorter side already above the limit: unchanged before rounding; 900 / 32 = 28.125 -> 896.
  EXPECT_EQ(Target(800, 900, 736, LimitType::kMin), (SizeHw{800, 896}));
}

TEST(DetTargetSizeTest, ResizeLongScalesBothWays) {
  EXPECT_EQ(Target(500, 250, 960, LimitType::kResizeLong), (SizeHw{960, 480}));
  EXPECT_EQ(Target(2000, 1000, 960, LimitType::kResizeLong), (SizeHw{960, 480}));
}

TEST(DetTargetSizeTest, MaxSideLimitClampsBeforeRounding) {
  // min 128 on 64x8192: ratio 2 -> 128 x 16384; clamp 4000/16384 = 0.244140625 (exact in binary)
  // -> int(31.25) = 31 and 4000; 31 rounds to 32.
  EXPECT_EQ(Target(64, 8192, 128, LimitType::kMin), (SizeHw{32, 4000}));
}

TEST(DetTargetSizeTest, RejectsNonPositive) {
  EXPECT_FALSE(DetTargetSize(0, 10, DetResizeOptions{}).ok());
  EXPECT_FALSE(DetTargetSize(10, 10, DetResizeOptions{0, LimitType::kMax, 4000}).ok());
}

// (v/255 - mean) / std for the BGR channel order PaddleOCR uses, computed by hand.
constexpr float kB255 = (1.0f - 0.485f) / 0.229f;             // 2.2489083
constexpr float kG0 = (0.0f - 0.456f) / 0.224f;               // -2.0357143
constexpr float kR128 = (128.0f / 255.0f - 0.406f) / 0.225f;  // 0.4264924
constexpr float kB0 = (0.0f - 0.485f) / 0.229f;               // -2.1179039

float At(const Tensor& t, int64_t n, int64_t c, int64_t y, int64_t x) {
  const Shape& s = t.shape();
  return t.as<float>()[((n * s[1] + c) * s[2] + y) * s[3] + x];
}

TEST(PrepareDetInputTest, NormalisesBgrChannelsWithImageNetStatistics) {
  cv::Mat img(64, 96, CV_8UC3, cv::Scalar(255, 0, 128));  // B=255, G=0, R=128
  auto det = PrepareDetInput(img, DetResizeOptions{});
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  EXPECT_EQ(det->tensor.shape(), Shape({1, 3, 64, 96}));
  EXPECT_EQ(det->source_height, 64);
  EXPECT_EQ(det->source_width, 96);
  EXPECT_FLOAT_EQ(det->ratio_h, 1.0f);
  EXPECT_NEAR(At(det->tensor, 0, 0, 10, 20), kB255, 1e-5);
  EXPECT_NEAR(At(det->tensor, 0, 1, 63, 95), kG0, 1e-5);
  EXPECT_NEAR(At(det->tensor, 0, 2, 0, 0), kR128, 1e-5);
}

TEST(PrepareDetInputTest, LaysOutPlanesChannelFirst) {
  // 32x64 is kept as is (both multiples of 32), so pixels map one to one.
  cv::Mat kept(32, 64, CV_8UC3, cv::Scalar(0, 0, 0));
  kept.at<cv::Vec3b>(5, 7) = cv::Vec3b(255, 0, 128);
  auto det = PrepareDetInput(kept, DetResizeOptions{});
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  ASSERT_EQ(det->tensor.shape(), Shape({1, 3, 32, 64}));
  const float* p = det->tensor.as<float>();
  const int plane = 32 * 64;
  EXPECT_NEAR(p[0 * plane + 5 * 64 + 7], kB255, 1e-5);
  EXPECT_NEAR(p[1 * plane + 5 * 64 + 7], kG0, 1e-5);
  EXPECT_NEAR(p[2 * plane + 5 * 64 + 7], kR128, 1e-5);
  EXPECT_NEAR(p[0 * plane + 5 * 64 + 8], kB0, 1e-5);
}

TEST(PrepareDetInputTest, ResizesLargeImagesAndReportsRatios) {
  cv::Mat img(1000, 500, CV_8UC3, cv::Scalar(255, 0, 128));
  auto det = PrepareDetInput(img, DetResizeOptions{960, LimitType::kMax, 4000});
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  // 0.96 * 500 = 480.
  EXPECT_EQ(det->tensor.shape(), Shape({1, 3, 960, 480}));
  EXPECT_FLOAT_EQ(det->ratio_h, 0.96f);
  EXPECT_FLOAT_EQ(det->ratio_w, 0.96f);
  // A uniform image stays uniform under bilinear resizing.
  EXPECT_NEAR(At(det->tensor, 0, 0, 959, 479), kB255, 1e-5);
  EXPECT_NEAR(At(det->tensor, 0, 2, 480, 240), kR128, 1e-5);
}

TEST(PrepareDetInputTest, PadsTinyImagesWithBlack) {
  cv::Mat img(10, 20, CV_8UC3, cv::Scalar(255, 0, 128));
  auto det = PrepareDetInput(img, DetResizeOptions{});
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  EXPECT_EQ(det->tensor.shape(), Shape({1, 3, 32, 32}));
  EXPECT_EQ(det->source_height, 10);
  EXPECT_EQ(det->source_width, 20);
  EXPECT_NEAR(At(det->tensor, 0, 0, 0, 0), kB255, 1e-5);
  EXPECT_NEAR(At(det->tensor, 0, 0, 31, 31), kB0, 1e-5);
  EXPECT_NEAR(At(det->tensor, 0, 0, 9, 19), kB255, 1e-5);
  EXPECT_NEAR(At(det->tensor, 0, 0, 10, 19), kB0, 1e-5);
}

TEST(PrepareDetInputTest, ExactSizeIgnoresAspectRatio) {
  cv::Mat img(40, 50, CV_8UC3, cv::Scalar(255, 0, 128));
  auto det = PrepareDetInputExact(img, 32, 96);
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  EXPECT_EQ(det->tensor.shape(), Shape({1, 3, 32, 96}));
  EXPECT_FLOAT_EQ(det->ratio_h, 0.8f);
  EXPECT_FLOAT_EQ(det->ratio_w, 96.0f / 50.0f);
  EXPECT_NEAR(At(det->tensor, 0, 1, 31, 95), kG0, 1e-5);
  EXPECT_FALSE(PrepareDetInputExact(img, 0, 96).ok());
}

TEST(PrepareDetInputTest, RejectsWrongImageTypes) {
  EXPECT_FALSE(PrepareDetInput(cv::Mat(), DetResizeOptions{}).ok());
  auto gray = PrepareDetInput(cv::Mat(64, 64, CV_8UC1, cv::Scalar(0)), DetResizeOptions{});
  ASSERT_FALSE(gray.ok());
  EXPECT_NE(gray.status().message().find("CV_8UC3"), std::string::npos);
  EXPECT_FALSE(PrepareDetInput(cv::Mat(64, 64, CV_32FC3, cv::Scalar(0)), DetResizeOptions{}).ok());
}

TEST(LineResizeTest, KeepsAspectRatioAtHeight48) {
  EXPECT_EQ(LineResizedWidth(32, 100, 320), 150);  // 48 * 100 / 32 = 150
  EXPECT_EQ(LineResizedWidth(30, 31, 320), 50);    // 49.6 rounds up
  EXPECT_EQ(LineResizedWidth(32, 100, 80), 80);    // capped
  EXPECT_EQ(LineResizedWidth(480, 1, 320), 1);     // 0.1 rounds up to 1
}

// (v/255 - 0.5) / 0.5 by hand: 255 -> 1, 0 -> -1, 51 -> -0.6.
TEST(PrepareFixedWidthLineBatchTest, NormalisesAndPadsOnTheRight) {
  std::vector<cv::Mat> crops;
  crops.emplace_back(24, 50, CV_8UC3, cv::Scalar(255, 0, 51));  // resized to 48 x 100
  crops.emplace_back(48, 48, CV_8UC3, cv::Scalar(0, 255, 0));   // 48 x 48
  auto batch = PrepareFixedWidthLineBatch(crops, 320);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->shape(), Shape({2, 3, 48, 320}));
  EXPECT_NEAR(At(*batch, 0, 0, 0, 0), 1.0f, 1e-6);
  EXPECT_NEAR(At(*batch, 0, 1, 47, 99), -1.0f, 1e-6);
  EXPECT_NEAR(At(*batch, 0, 2, 20, 50), -0.6f, 1e-6);
  EXPECT_EQ(At(*batch, 0, 0, 0, 100), 0.0f);
  EXPECT_EQ(At(*batch, 0, 2, 47, 319), 0.0f);
  EXPECT_NEAR(At(*batch, 1, 0, 0, 47), -1.0f, 1e-6);
  EXPECT_NEAR(At(*batch, 1, 1, 0, 47), 1.0f, 1e-6);
  EXPECT_EQ(At(*batch, 1, 1, 0, 48), 0.0f);
}

TEST(PrepareFixedWidthLineBatchTest, SqueezesLinesWiderThanTheTarget) {
  std::vector<cv::Mat> crops;
  crops.emplace_back(10, 200, CV_8UC3, cv::Scalar(255, 255, 255));  // wants 960, gets 80
  auto batch = PrepareFixedWidthLineBatch(crops, 80);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->shape(), Shape({1, 3, 48, 80}));
  EXPECT_NEAR(At(*batch, 0, 2, 47, 79), 1.0f, 1e-6);
}

TEST(PrepareFixedWidthLineBatchTest, AcceptsCropsThatAreViewsIntoAnImage) {
  cv::Mat page(100, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  page(cv::Rect(50, 20, 96, 48)).setTo(cv::Scalar(255, 255, 255));
  std::vector<cv::Mat> crops{page(cv::Rect(50, 20, 96, 48))};  // not continuous in memory
  auto batch = PrepareFixedWidthLineBatch(crops, 320);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_NEAR(At(*batch, 0, 0, 47, 95), 1.0f, 1e-6);
  EXPECT_EQ(At(*batch, 0, 0, 47, 96), 0.0f);
}

TEST(PrepareFixedWidthLineBatchTest, RejectsBadInput) {
  EXPECT_FALSE(PrepareFixedWidthLineBatch({}, 320).ok());
  std::vector<cv::Mat> crops{cv::Mat(48, 48, CV_8UC3), cv::Mat()};
  auto batch = PrepareFixedWidthLineBatch(crops, 320);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("text line 1"), std::string::npos);
  EXPECT_FALSE(PrepareFixedWidthLineBatch({cv::Mat(48, 48, CV_8UC3)}, 0).ok());
}

TEST(PrepareClsBatchTest, Is48By192) {
  std::vector<cv::Mat> crops(3, cv::Mat(24, 48, CV_8UC3, cv::Scalar(0, 0, 255)));  // resized to 48 x 96
  auto batch = PrepareClsBatch(crops);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->shape(), Shape({3, 3, 48, 192}));
  EXPECT_NEAR(At(*batch, 2, 2, 0, 95), 1.0f, 1e-6);
  EXPECT_NEAR(At(*batch, 2, 0, 0, 95), -1.0f, 1e-6);
  EXPECT_EQ(At(*batch, 2, 2, 0, 96), 0.0f);
}

}  // namespace
}  // namespace plateau::ocr
