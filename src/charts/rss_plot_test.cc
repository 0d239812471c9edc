#include "charts/rss_plot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

namespace plateau::charts {
namespace {

RssPlotSeries StepSeries(const std::string& name, double low, double high, size_t n) {
  RssPlotSeries s;
  s.name = name;
  s.baseline_rss_bytes = low * 0.8;
  for (size_t i = 0; i < n; ++i) s.rss_bytes.push_back(i < n / 10 ? low : high);
  s.peak_rss_bytes = high;
  s.analysis = AnalyzeRss(s.baseline_rss_bytes, s.rss_bytes).value();
  return s;
}

// Pixels of exactly this BGR colour.
int CountColour(const cv::Mat& img, cv::Vec3b colour) {
  int n = 0;
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) n += img.at<cv::Vec3b>(y, x) == colour;
  }
  return n;
}

TEST(RssPlotTest, DrawsEachSeriesInItsColour) {
  auto img = DrawRssPlot({StepSeries("plateau", 100e6, 120e6, 200), StepSeries("peer", 300e6, 500e6, 200)},
                         "test", 900, 500);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->cols, 900);
  EXPECT_EQ(img->rows, 500);
  EXPECT_EQ(img->type(), CV_8UC3);
  // The first two colours of the palette: blue (180, 100, 20) and orange (20, 120, 230). Each curve is
  // hundreds of pixels long, two thick.
  EXPECT_GT(CountColour(*img, {180, 100, 20}), 300);
  EXPECT_GT(CountColour(*img, {20, 120, 230}), 300);
}

TEST(RssPlotTest, WritesAPng) {
  const std::string path = (std::filesystem::temp_directory_path() / "plateau_rss_plot_test.png").string();
  ASSERT_TRUE(WriteRssPlot({StepSeries("plateau", 50e6, 60e6, 30)}, "one series", path).ok());
  cv::Mat back = cv::imread(path);
  EXPECT_EQ(back.cols, 1200);
  EXPECT_EQ(back.rows, 650);
  std::filesystem::remove(path);
}

TEST(RssPlotTest, RefusesWhatItCannotDraw) {
  EXPECT_EQ(DrawRssPlot({}, "t").status().code(), StatusCode::kInvalidArgument);
  RssPlotSeries empty;
  empty.name = "empty";
  auto no_samples = DrawRssPlot({empty}, "t");
  EXPECT_FALSE(no_samples.ok());
  EXPECT_NE(no_samples.status().message().find("empty"), std::string::npos);
  EXPECT_FALSE(DrawRssPlot({StepSeries("a", 1e6, 2e6, 10)}, "t", 100, 100).ok());
  Status unwritable = WriteRssPlot({StepSeries("a", 1e6, 2e6, 10)}, "t", "/nonexistent-dir/x.png");
  EXPECT_FALSE(unwritable.ok());
  EXPECT_NE(unwritable.message().find("/nonexistent-dir/x.png"), std::string::npos);
}

}  // namespace
}  // namespace plateau::charts
