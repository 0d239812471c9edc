#include "charts/ratio_chart.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

namespace plateau::charts {
namespace {

const cv::Vec3b kBarColour(180, 100, 20);  // the palette's first colour
const cv::Vec3b kMetColour(60, 160, 40);
const cv::Vec3b kMissedColour(40, 40, 210);

// The longest run of `colour` along image row y.
int LongestRun(const cv::Mat& img, int y, cv::Vec3b colour) {
  int best = 0, run = 0;
  for (int x = 0; x < img.cols; ++x) {
    run = img.at<cv::Vec3b>(y, x) == colour ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

// Rows whose longest bar-coloured run is long: one band per bar. Returns each band's run length.
std::vector<int> BarLengths(const cv::Mat& img) {
  std::vector<int> lengths;
  bool inside = false;
  for (int y = 0; y < img.rows; ++y) {
    const int run = LongestRun(img, y, kBarColour);
    if (run > 10 && !inside) lengths.push_back(run);
    inside = run > 10;
  }
  return lengths;
}

int Count(const cv::Mat& img, cv::Vec3b colour) {
  int n = 0;
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) n += img.at<cv::Vec3b>(y, x) == colour;
  }
  return n;
}

TEST(RatioChartTest, BarLengthsFollowTheRatios) {
  // Ratios 0.25, 0.5 and 1.0: the bars' lengths must be in proportion 1 : 2 : 4.
  auto img = DrawRatioChart({{"a", 25, 100, 0}, {"b", 10, 20, 0}, {"c", 7, 7, 0}}, "t", "x", "y", 900);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->cols, 900);
  EXPECT_EQ(img->type(), CV_8UC3);
  const std::vector<int> lengths = BarLengths(*img);
  ASSERT_EQ(lengths.size(), 3u);
  EXPECT_NEAR(lengths[1], 2 * lengths[0], 2);
  EXPECT_NEAR(lengths[2], 4 * lengths[0], 3);
}

TEST(RatioChartTest, GoalTicksTellMetFromMissed) {
  // One bar under its goal, one over: one green tick, one red one.
  auto both = DrawRatioChart({{"fast", 40, 100, 0.5}, {"slow", 60, 100, 0.5}}, "t", "x", "y");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_GT(Count(*both, kMetColour), 40);
  EXPECT_GT(Count(*both, kMissedColour), 40);
  // All met: the only red left is the legend's sample.
  auto met = DrawRatioChart({{"fast", 40, 100, 0.5}, {"faster", 30, 100, 0.5}}, "t", "x", "y");
  ASSERT_TRUE(met.ok());
  EXPECT_LT(Count(*met, kMissedColour), Count(*both, kMissedColour) - 40);
}

TEST(RatioChartTest, RefusesWhatCannotBeDrawn) {
  EXPECT_FALSE(DrawRatioChart({}, "t", "x", "y").ok());
  auto zero = DrawRatioChart({{"det", 0, 100, 0.45}}, "t", "x", "y");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("det"), std::string::npos) << zero.status().ToString();
  EXPECT_FALSE(DrawRatioChart({{"rec", 10, -1, 0}}, "t", "x", "y").ok());
  EXPECT_FALSE(DrawRatioChart({{"rec", 10, 20, -0.5}}, "t", "x", "y").ok());
  EXPECT_FALSE(DrawRatioChart({{"rec", 10, 20, 0}}, "t", "x", "y", 200).ok());
}

TEST(RatioChartTest, WritesAPngOrSaysWhyNot) {
  const auto path = std::filesystem::temp_directory_path() / "plateau_ratio_chart_test.png";
  ASSERT_TRUE(WriteRatioChart({{"cls", 0.5, 1.2, 0.7}}, "t", "x", "y", path.string()).ok());
  const cv::Mat back = cv::imread(path.string());
  EXPECT_FALSE(back.empty());
  std::filesystem::remove(path);
  auto bad = WriteRatioChart({{"cls", 0.5, 1.2, 0.7}}, "t", "x", "y", "/nonexistent/dir/chart.png");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("/nonexistent/dir/chart.png"), std::string::npos) << bad.ToString();
}

}  // namespace
}  // namespace plateau::charts
