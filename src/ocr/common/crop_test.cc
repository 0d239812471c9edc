#include "ocr/common/crop.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace plateau::ocr {
namespace {

// Every pixel distinct enough that a shifted or mirrored crop cannot match by accident.
cv::Mat PatternImage(int rows, int cols) {
  cv::Mat image(rows, cols, CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 7 + y * 3), static_cast<uint8_t>(y * 11),
                                            static_cast<uint8_t>((x * y) % 251));
    }
  }
  return image;
}

Quad Rect(float x0, float y0, float x1, float y1) { return Quad{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}; }

TEST(CropTest, SizeIsTheLongerEdgesTruncated) {
  // Edges 0-1 and 2-3 are 50 long (3-4-5 triangles scaled by 10), 0-3 and 1-2 are 10.
  EXPECT_EQ(QuadCropSize(Quad{{{0, 0}, {30, 40}, {30, 50}, {0, 10}}}), cv::Size(50, 10));
  // Top edge 10, bottom 12; left 5.9, right 6.5: width 12, height int(6.5) = 6.
  EXPECT_EQ(QuadCropSize(Quad{{{0, 0}, {10, 0}, {12, 6.5f}, {0, 5.9f}}}), cv::Size(12, 6));
}

TEST(CropTest, AxisAlignedQuadCropsExactlyThatRegion) {
  const cv::Mat image = PatternImage(100, 200);
  auto crop = CropQuad(image, Rect(10, 20, 70, 50));
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  ASSERT_EQ(crop->size(), cv::Size(60, 30));
  const cv::Mat expected = image(cv::Rect(10, 20, 60, 30));
  EXPECT_EQ(cv::norm(*crop, expected, cv::NORM_INF), 0.0);
}

TEST(CropTest, TallQuadIsTurnedCounterClockwise) {
  const cv::Mat image = PatternImage(100, 200);
  // 20 wide, 70 high: 70 / 20 >= 1.5.
  auto crop = CropQuad(image, Rect(10, 10, 30, 80));
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  ASSERT_EQ(crop->rows, 20);
  ASSERT_EQ(crop->cols, 70);
  // Counter-clockwise: output (r, c) shows region (row c, column width-1-r).
  for (int r = 0; r < 20; ++r) {
    for (int c = 0; c < 70; ++c) {
      ASSERT_EQ(crop->at<cv::Vec3b>(r, c), image.at<cv::Vec3b>(10 + c, 10 + (20 - 1 - r))) << r << "," << c;
    }
  }
}

TEST(CropTest, RatioOfExactlyOnePointFiveTurnsAndJustBelowDoesNot) {
  const cv::Mat image = PatternImage(100, 200);
  auto at_limit = CropQuad(image, Rect(0, 0, 20, 30));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit->size(), cv::Size(30, 20));
  auto below = CropQuad(image, Rect(0, 0, 20, 29));
  ASSERT_TRUE(below.ok());
  EXPECT_EQ(below->size(), cv::Size(20, 29));
}

TEST(CropTest, RotatedQuadRecoversTheUprightContent) {
  // Put the pattern on a larger canvas, turn the canvas 30 degrees about a point, and crop the turned
  // rectangle: the crop must match the unturned rectangle up to interpolation.
  const cv::Mat canvas = PatternImage(200, 300);
  cv::Mat smooth;
  cv::GaussianBlur(canvas, smooth, cv::Size(0, 0), 2.0);  // interpolation error stays small on smooth data
  const cv::Point2f centre(150, 100);
  const cv::Mat turn = cv::getRotationMatrix2D(centre, 30.0, 1.0);
  cv::Mat turned;
  cv::warpAffine(smooth, turned, turn, smooth.size(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  Quad quad;
  const Quad upright = Rect(110, 80, 190, 120);
  for (int i = 0; i < 4; ++i) {
    const cv::Point2f p = upright[i];
    quad[i] = cv::Point2f(
        static_cast<float>(turn.at<double>(0, 0) * p.x + turn.at<double>(0, 1) * p.y + turn.at<double>(0, 2)),
        static_cast<float>(turn.at<double>(1, 0) * p.x + turn.at<double>(1, 1) * p.y +
                           turn.at<double>(1, 2)));
  }
  auto crop = CropQuad(turned, quad);
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  ASSERT_EQ(crop->size(), cv::Size(80, 40));
  const cv::Mat expected = smooth(cv::Rect(110, 80, 80, 40));
  // Compare the interior; the last row/column of a warp samples half a pixel beyond the rectangle.
  const cv::Rect inner(2, 2, 76, 36);
  cv::Mat diff;
  cv::absdiff((*crop)(inner), expected(inner), diff);
  EXPECT_LT(cv::mean(diff)[0], 4.0);
}

TEST(CropTest, MinAreaRectQuadOrdersCornersFromTopLeft) {
  // Fractions are truncated first: (10.7, 20.2) -> (10, 20).
  const Quad from_top_left{{{10.7f, 20.2f}, {70.9f, 20.0f}, {70.0f, 50.5f}, {10.0f, 50.0f}}};
  const Quad expected = Rect(10, 20, 70, 50);
  EXPECT_EQ(MinAreaRectQuad(from_top_left), expected);
  // Starting elsewhere or going the other way round gives the same ordered rectangle.
  const Quad shuffled{{{70, 50}, {10, 50}, {10, 20}, {70, 20}}};
  EXPECT_EQ(MinAreaRectQuad(shuffled), expected);
  const Quad anticlockwise{{{10, 20}, {10, 50}, {70, 50}, {70, 20}}};
  EXPECT_EQ(MinAreaRectQuad(anticlockwise), expected);
}

TEST(CropTest, CropTextLineOfAnIntegerRectangleIsThePlainCrop) {
  const cv::Mat image = PatternImage(100, 200);
  auto a = CropTextLine(image, Quad{{{70, 50}, {10, 50}, {10, 20}, {70, 20}}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(cv::norm(*a, image(cv::Rect(10, 20, 60, 30)), cv::NORM_INF), 0.0);
}

TEST(CropTest, RefusesDegenerateInput) {
  const cv::Mat image = PatternImage(10, 10);
  EXPECT_EQ(CropQuad(cv::Mat(), Rect(0, 0, 5, 5)).status().code(), StatusCode::kInvalidArgument);
  const auto flat = CropQuad(image, Rect(1, 1, 8, 1.5f));
  ASSERT_FALSE(flat.ok());
  EXPECT_NE(flat.status().message().find("7x0"), std::string::npos) << flat.status().message();
  EXPECT_FALSE(CropQuad(image, Rect(0, 0, std::nanf(""), 5)).ok());
  EXPECT_FALSE(CropTextLine(image, Rect(0, 0, std::nanf(""), 5)).ok());
}

}  // namespace
}  // namespace plateau::ocr
