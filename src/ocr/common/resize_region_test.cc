// ResizeLinearRegion against cv::resize: every window of many resizes, pixel for pixel.
#include "ocr/common/resize_region.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>
#include <string>

namespace plateau::ocr {
namespace {

cv::Mat RandomImage(int rows, int cols) {
  cv::Mat m(rows, cols, CV_8UC3);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(256));
  // Smooth regions too: long runs of equal values are where rounding differences would show.
  cv::rectangle(m, cv::Rect(0, 0, cols / 2, rows / 3), cv::Scalar(255, 255, 255), cv::FILLED);
  return m;
}

void ExpectWindowsMatch(const cv::Mat& src, cv::Size size, const std::vector<cv::Rect>& windows) {
  cv::Mat whole;
  cv::resize(src, whole, size, 0, 0, cv::INTER_LINEAR);
  for (const cv::Rect& w : windows) {
    cv::Mat got;
    ResizeLinearRegion(src, size, w, &got);
    cv::Mat want = whole(w);
    ASSERT_EQ(got.size(), want.size());
    cv::Mat diff;
    cv::absdiff(got, want, diff);
    double max_diff = 0;
    cv::minMaxLoc(diff.reshape(1), nullptr, &max_diff);
    EXPECT_EQ(max_diff, 0) << src.cols << "x" << src.rows << " -> " << size.width << "x" << size.height
                           << ", window at " << w.x << "," << w.y << " " << w.width << "x" << w.height << ": "
                           << cv::countNonZero(diff.reshape(1)) << " elements differ";
  }
}

TEST(ResizeLinearRegionTest, WindowsEqualTheWholeResizePixelForPixel) {
  cv::setRNGSeed(20261207);
  // Receipts and A4 scans to their multiples of 32, small images enlarged, large ones shrunk.
  const std::vector<std::pair<cv::Size, cv::Size>> cases = {
      {{1080, 1528}, {1088, 1536}}, {{2481, 3508}, {2496, 3520}}, {{463, 1013}, {480, 1024}},
      {{100, 37}, {96, 32}},        {{333, 517}, {960, 1504}},    {{4000, 3000}, {1280, 960}},
      {{31, 33}, {32, 32}},         {{700, 700}, {704, 704}},
  };
  for (const auto& [from, to] : cases) {
    cv::Mat src = RandomImage(from.height, from.width);
    std::vector<cv::Rect> windows = {cv::Rect(0, 0, to.width, to.height)};
    std::mt19937 rng(7);
    for (int i = 0; i < 12; ++i) {
      std::uniform_int_distribution<int> x(0, to.width - 1), y(0, to.height - 1);
      const int x0 = x(rng), y0 = y(rng);
      std::uniform_int_distribution<int> w(1, to.width - x0), h(1, to.height - y0);
      windows.emplace_back(x0, y0, w(rng), h(rng));
    }
    // The last columns of a row, where OpenCV changes its rounding.
    windows.emplace_back(to.width - 9, 0, 9, to.height);
    ExpectWindowsMatch(src, to, windows);
  }
}

TEST(ResizeLinearRegionTest, VectorElementsFollowTheRowLength) {
  EXPECT_EQ(RowVectorElements(3), 0);
  EXPECT_EQ(RowVectorElements(8), 0);
  EXPECT_EQ(RowVectorElements(9), 8);
  EXPECT_EQ(RowVectorElements(15), 8);
  EXPECT_EQ(RowVectorElements(16), 16);
  EXPECT_EQ(RowVectorElements(30), 24);
  EXPECT_EQ(RowVectorElements(3264), 3264);
}

}  // namespace
}  // namespace plateau::ocr
