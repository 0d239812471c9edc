#include "common/rss_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace plateau {
namespace {

// Every expected figure below is worked out by hand from the series' definition and the rule in
// rss_series.h.

TEST(FitLineTest, RecoversAnExactLine) {
  std::vector<double> y;
  for (int i = 0; i < 10; ++i) y.push_back(7.0 + 3.0 * i);
  const LinearFit all = FitLine(y, 0, 10);
  EXPECT_NEAR(all.slope, 3.0, 1e-12);
  EXPECT_NEAR(all.intercept, 7.0, 1e-9);
  // A window keeps the x coordinates of the whole series.
  const LinearFit tail = FitLine(y, 5, 10);
  EXPECT_NEAR(tail.slope, 3.0, 1e-12);
  EXPECT_NEAR(tail.At(0), 7.0, 1e-9);
}

TEST(FitLineTest, OnePointHasNoSlope) {
  const LinearFit fit = FitLine({5.0, 9.0}, 1, 2);
  EXPECT_EQ(fit.slope, 0);
  EXPECT_EQ(fit.At(1), 9.0);
  EXPECT_EQ(FitLine({}, 0, 0).At(3), 0);
}

TEST(FitLineTest, KeepsPrecisionAtRssMagnitudes) {
  // 300 MB plus 1 byte per iteration: uncentred sums would drown the slope in rounding.
  std::vector<double> y;
  for (int i = 0; i < 1000; ++i) y.push_back(300e6 + i);
  EXPECT_NEAR(FitLine(y, 500, 1000).slope, 1.0, 1e-6);
}

TEST(AnalyzeRssTest, FlatSeriesIsStableAndWarmAfterOneIteration) {
  const std::vector<double> rss(100, 100e6);
  auto a = AnalyzeRss(90e6, rss);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->iterations, 100u);
  EXPECT_EQ(a->warmup_iterations, 1u);
  EXPECT_DOUBLE_EQ(a->warmup_bytes, 10e6);
  EXPECT_DOUBLE_EQ(a->plateau_rss_bytes, 100e6);
  EXPECT_NEAR(a->slope_bytes_per_iteration, 0, 1e-9);
  EXPECT_NEAR(a->growth_after_warmup_bytes, 0, 1e-6);
  EXPECT_NEAR(a->projected_growth_bytes, 0, 1e-6);
  EXPECT_DOUBLE_EQ(a->max_rss_bytes, 100e6);
  EXPECT_EQ(a->verdict, RssVerdict::kStable);
  EXPECT_STREQ(RssVerdictName(a->verdict), "stable");
}

TEST(AnalyzeRssTest, LinearGrowthIsALeakNotWarmUp) {
  // 10 kB per iteration from the first one: every sample lies on the trend line, so no warm-up.
  std::vector<double> rss;
  for (int i = 0; i < 1000; ++i) rss.push_back(100e6 + 10000.0 * i);
  auto a = AnalyzeRss(100e6, rss);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_NEAR(a->slope_bytes_per_iteration, 10000, 1e-6);
  EXPECT_EQ(a->warmup_iterations, 1u);
  // Windows of 100 samples: means at i = 949.5 and i = 49.5.
  EXPECT_NEAR(a->growth_after_warmup_bytes, 10000 * 900.0, 1e-3);
  EXPECT_NEAR(a->projected_growth_bytes, 10000 * 999.0, 1e-3);
  EXPECT_NEAR(a->plateau_rss_bytes, 100e6 + 10000 * 499.5, 1e-3);
  EXPECT_EQ(a->verdict, RssVerdict::kGrowing);
  EXPECT_STREQ(RssVerdictName(a->verdict), "growing");
  EXPECT_NE(a->reason.find("9.00 MB"), std::string::npos) << a->reason;
}

TEST(AnalyzeRssTest, StepThenFlatIsWarmUp) {
  // 60 MB for 20 iterations, then 80 MB for good: warm-up ends at sample 20, i.e. after 21 iterations.
  std::vector<double> rss(200, 80e6);
  std::fill(rss.begin(), rss.begin() + 20, 60e6);
  auto a = AnalyzeRss(50e6, rss);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->warmup_iterations, 21u);
  EXPECT_DOUBLE_EQ(a->plateau_rss_bytes, 80e6);
  EXPECT_DOUBLE_EQ(a->warmup_bytes, 30e6);
  EXPECT_NEAR(a->slope_bytes_per_iteration, 0, 1e-9);
  EXPECT_NEAR(a->growth_after_warmup_bytes, 0, 1e-6);
  EXPECT_EQ(a->verdict, RssVerdict::kStable);
}

TEST(AnalyzeRssTest, RampThenFlatEndsWhereTheRampMeetsThePlateau) {
  // +2 MB per iteration up to sample 30 (160 MB), flat after. Sample 29 (158 MB) is more than the
  // 1 MiB tolerance below the plateau, sample 30 is on it: 31 warm-up iterations.
  std::vector<double> rss;
  for (int i = 0; i < 300; ++i) rss.push_back(100e6 + 2e6 * std::min(i, 30));
  auto a = AnalyzeRss(95e6, rss);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->warmup_iterations, 31u);
  EXPECT_DOUBLE_EQ(a->plateau_rss_bytes, 160e6);
  EXPECT_DOUBLE_EQ(a->warmup_bytes, 65e6);
  EXPECT_EQ(a->verdict, RssVerdict::kStable);
}

TEST(AnalyzeRssTest, NoisyFlatIsStable) {
  // A ramp of 10 samples (150..195 MB), then 200 MB with uniform noise in [-0.5, 0.5] MB from a fixed
  // linear congruential generator. Noise sd = 1 MB / sqrt(12) = 0.29 MB, so the tolerance stays 1 MiB
  // and the first noisy sample (>= 199.5 MB) is already on the plateau: 11 warm-up iterations. The
  // slope's standard error over 500 samples is 0.29 MB / sqrt(500^3 / 12) = 90 B/iteration.
  std::vector<double> rss;
  uint32_t state = 12345;
  for (int i = 0; i < 1000; ++i) {
    state = state * 1664525u + 1013904223u;
    const double noise = (state / 4294967296.0 - 0.5) * 1e6;
    rss.push_back(i < 10 ? 150e6 + 5e6 * i : 200e6 + noise);
  }
  auto a = AnalyzeRss(100e6, rss);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->warmup_iterations, 11u);
  EXPECT_NEAR(a->plateau_rss_bytes, 200e6, 0.1e6);
  EXPECT_NEAR(a->warmup_bytes, 100e6, 0.1e6);
  EXPECT_NEAR(a->slope_bytes_per_iteration, 0, 500);
  EXPECT_NEAR(a->noise_bytes, 1e6 / std::sqrt(12.0), 0.03e6);
  EXPECT_NEAR(a->growth_after_warmup_bytes, 0, 0.3e6);
  EXPECT_EQ(a->verdict, RssVerdict::kStable);
}

TEST(AnalyzeRssTest, LargeNoiseWidensTheTolerance) {
  // Alternating +-4 MB around 300 MB after one low sample: the noise (sd 4 MB) sets the tolerance to
  // 12 MB, so sample 1 (296 MB) is on the plateau though it is 4 MB below the line.
  std::vector<double> rss = {200e6};
  for (int i = 1; i < 400; ++i) rss.push_back(300e6 + (i % 2 == 0 ? 4e6 : -4e6));
  auto a = AnalyzeRss(150e6, rss);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->warmup_iterations, 2u);
  EXPECT_NEAR(a->noise_bytes, 4e6, 0.05e6);
  EXPECT_EQ(a->verdict, RssVerdict::kStable);
}

TEST(AnalyzeRssTest, SlowGrowthIsJudgedByItsTotal) {
  // 1.5 kB per iteration over 1000 iterations: 1.35 MB measured (windows at 49.5 and 949.5), 1.50 MB
  // projected: under 2 MB. At 3 kB per iteration: 2.7 MB and 3.0 MB: over.
  auto series = [](double per_iteration) {
    std::vector<double> rss;
    for (int i = 0; i < 1000; ++i) rss.push_back(250e6 + per_iteration * i);
    return rss;
  };
  auto slow = AnalyzeRss(200e6, series(1500));
  ASSERT_TRUE(slow.ok());
  EXPECT_NEAR(slow->growth_after_warmup_bytes, 1.35e6, 1);
  EXPECT_NEAR(slow->projected_growth_bytes, 1.4985e6, 1);
  EXPECT_EQ(slow->verdict, RssVerdict::kStable) << slow->reason;
  auto faster = AnalyzeRss(200e6, series(3000));
  ASSERT_TRUE(faster.ok());
  EXPECT_EQ(faster->verdict, RssVerdict::kGrowing) << faster->reason;
  // The same 3 kB/iteration with a looser threshold is stable: the threshold is an option.
  RssSeriesOptions loose;
  loose.growth_threshold_bytes = 5e6;
  auto loose_result = AnalyzeRss(200e6, series(3000), loose);
  ASSERT_TRUE(loose_result.ok());
  EXPECT_EQ(loose_result->verdict, RssVerdict::kStable);
}

TEST(AnalyzeRssTest, WarmUpEndingLateIsNotCalledStable) {
  // Flat at 100 MB, then a 50 MB step at sample 80 of 100: the second half is not a plateau.
  std::vector<double> rss(100, 100e6);
  std::fill(rss.begin() + 80, rss.end(), 150e6);
  auto a = AnalyzeRss(90e6, rss);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->verdict, RssVerdict::kGrowing) << a->reason;
}

TEST(AnalyzeRssTest, DropAfterWarmUpIsStable) {
  // 120 MB for 10 samples, then memory handed back: 100 MB. A fall is not growth.
  std::vector<double> rss(200, 100e6);
  std::fill(rss.begin(), rss.begin() + 10, 120e6);
  auto a = AnalyzeRss(80e6, rss);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->warmup_iterations, 1u);
  EXPECT_DOUBLE_EQ(a->plateau_rss_bytes, 100e6);
  EXPECT_LT(a->growth_after_warmup_bytes, 0);
  EXPECT_EQ(a->verdict, RssVerdict::kStable);
}

TEST(AnalyzeRssTest, ShortSeries) {
  auto one = AnalyzeRss(10e6, {20e6});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->warmup_iterations, 1u);
  EXPECT_DOUBLE_EQ(one->warmup_bytes, 10e6);
  EXPECT_EQ(one->verdict, RssVerdict::kStable);
  // Two samples 5 MB apart: the line through both is the trend, 5 MB of growth.
  auto two = AnalyzeRss(10e6, {20e6, 25e6});
  ASSERT_TRUE(two.ok());
  EXPECT_NEAR(two->slope_bytes_per_iteration, 5e6, 1e-6);
  EXPECT_EQ(two->verdict, RssVerdict::kGrowing);
}

TEST(AnalyzeRssTest, RefusesBadSeries) {
  EXPECT_EQ(AnalyzeRss(0, {}).status().code(), StatusCode::kInvalidArgument);
  auto negative = AnalyzeRss(0, {1e6, -1});
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("sample 1"), std::string::npos);
  EXPECT_FALSE(AnalyzeRss(0, {1e6, std::numeric_limits<double>::quiet_NaN()}).ok());
  EXPECT_FALSE(AnalyzeRss(std::numeric_limits<double>::infinity(), {1e6}).ok());
  RssSeriesOptions bad;
  bad.growth_threshold_bytes = -1;
  EXPECT_FALSE(AnalyzeRss(0, {1e6}, bad).ok());
}

}  // namespace
}  // namespace plateau
