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

// --- Orders ------------------------------------------------------------------------------------------

// A run of `areas` (pixels per iteration) in a process whose RSS is a base plus a cost per pixel of the
// largest page seen so far: memory that follows the largest input, the pattern the order rule exists for.
OrderedRss FollowsLargest(const std::string& order, const std::vector<double>& areas, double per_pixel) {
  OrderedRss run;
  run.order = order;
  run.page_areas = areas;
  std::vector<double> rss;
  double largest = 0;
  for (double a : areas) {
    largest = std::max(largest, a);
    rss.push_back(150e6 + per_pixel * largest);
  }
  run.analysis = AnalyzeRss(100e6, rss).value();
  return run;
}

// 20 page sizes, 0.2 to 4 megapixels, taken in turn twice: ascending, or descending.
std::vector<double> Areas(bool ascending) {
  std::vector<double> areas;
  for (int pass = 0; pass < 2; ++pass) {
    for (int k = 1; k <= 20; ++k) areas.push_back(0.2e6 * (ascending ? k : 21 - k));
  }
  return areas;
}

TEST(CompareOrdersTest, MemoryFollowingTheLargestPageIsOrderDependent) {
  // 10 bytes per pixel: the largest page costs 40 MB. Ascending, the climb lasts the whole first pass
  // and ends at the largest page (iteration 20); descending, it is over after the first page. Both then
  // sit at the same plateau: only the warm-up tells.
  const std::vector<OrderedRss> runs = {FollowsLargest("sorted", Areas(true), 10),
                                        FollowsLargest("reversed", Areas(false), 10)};
  EXPECT_EQ(runs[0].analysis.warmup_iterations, 20u);
  EXPECT_EQ(runs[1].analysis.warmup_iterations, 1u);
  EXPECT_EQ(runs[0].analysis.verdict, RssVerdict::kStable);
  auto c = CompareOrders(runs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->verdict, RssVerdict::kOrderDependent) << c->reason;
  EXPECT_STREQ(RssVerdictName(c->verdict), "order-dependent");
  EXPECT_EQ(c->plateau_spread_bytes, 0);
  EXPECT_EQ(c->warmup_spread_iterations, 19u);
  EXPECT_EQ(c->warmup_slack_iterations, 4u);  // ceil(40 / 10)
  EXPECT_EQ(c->warmup_record_iteration, (std::vector<size_t>{20, 0}));
  EXPECT_NE(c->reason.find("'sorted'"), std::string::npos) << c->reason;
  EXPECT_NE(c->reason.find("iteration 20"), std::string::npos) << c->reason;
}

TEST(CompareOrdersTest, BoundedMemoryIsStableInEveryOrder) {
  // Memory bounded by a constant of the pipeline: the first page costs it all, whatever its size.
  const std::vector<double> sorted = Areas(true), reversed = Areas(false);
  std::vector<OrderedRss> runs;
  for (auto [name, areas] : {std::pair{"sorted", sorted}, std::pair{"reversed", reversed}}) {
    OrderedRss run;
    run.order = name;
    run.page_areas = areas;
    run.analysis = AnalyzeRss(100e6, std::vector<double>(areas.size(), 180e6)).value();
    runs.push_back(run);
  }
  auto c = CompareOrders(runs);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->verdict, RssVerdict::kStable) << c->reason;
  EXPECT_EQ(c->plateau_spread_bytes, 0);
  EXPECT_EQ(c->warmup_spread_iterations, 0u);
}

TEST(CompareOrdersTest, PlateausApartByMoreThanTheThresholdAreOrderDependent) {
  const std::vector<double> areas(30, 1e6);
  OrderedRss a{"sorted", AnalyzeRss(100e6, std::vector<double>(30, 180e6)).value(), areas};
  OrderedRss b{"shuffled", AnalyzeRss(100e6, std::vector<double>(30, 183e6)).value(), areas};
  auto c = CompareOrders({a, b});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->verdict, RssVerdict::kOrderDependent);
  EXPECT_DOUBLE_EQ(c->plateau_spread_bytes, 3e6);
  EXPECT_NE(c->reason.find("183.00 MB"), std::string::npos) << c->reason;
  // 3 MB apart is within a 5 MB threshold; warm-ups equal: the runs' own verdicts decide.
  RssSeriesOptions loose;
  loose.growth_threshold_bytes = 5e6;
  auto within = CompareOrders({a, b}, loose);
  ASSERT_TRUE(within.ok());
  EXPECT_EQ(within->verdict, RssVerdict::kStable) << within->reason;
}

TEST(CompareOrdersTest, ALateWarmUpNotAtANewLargestPageIsNotOrderDependent) {
  // Same plateau; one run's warm-up ends at iteration 20, where no page larger than before arrived (all
  // pages are the same size): the difference is not the sizes' doing.
  const std::vector<double> areas(60, 1e6);
  std::vector<double> late(60, 180e6);
  std::fill(late.begin(), late.begin() + 19, 175e6);
  OrderedRss a{"sorted", AnalyzeRss(100e6, std::vector<double>(60, 180e6)).value(), areas};
  OrderedRss b{"reversed", AnalyzeRss(100e6, late).value(), areas};
  ASSERT_EQ(b.analysis.warmup_iterations, 20u);
  auto c = CompareOrders({a, b});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->warmup_spread_iterations, 19u);
  EXPECT_EQ(c->verdict, RssVerdict::kStable) << c->reason;
  // The same late end, but a larger page arrived at iteration 19: now it is the sizes.
  b.page_areas[18] = 2e6;
  auto tied = CompareOrders({a, b});
  ASSERT_TRUE(tied.ok());
  EXPECT_EQ(tied->verdict, RssVerdict::kOrderDependent) << tied->reason;
  EXPECT_EQ(tied->warmup_record_iteration[1], 19u);
}

TEST(CompareOrdersTest, GrowthInOneOrderIsReportedAsGrowing) {
  const std::vector<double> areas(100, 1e6);
  std::vector<double> leak;
  for (int i = 0; i < 100; ++i) leak.push_back(180e6 + 50e3 * i);
  OrderedRss a{"sorted", AnalyzeRss(100e6, std::vector<double>(100, 180e6)).value(), areas};
  OrderedRss b{"reversed", AnalyzeRss(100e6, leak).value(), areas};
  ASSERT_EQ(b.analysis.verdict, RssVerdict::kGrowing);
  RssSeriesOptions loose;
  loose.growth_threshold_bytes = 6e6;  // plateaus 2.5 MB apart (the leak's median) are within it
  auto c = CompareOrders({a, b}, loose);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->verdict, RssVerdict::kGrowing) << c->reason;
  EXPECT_NE(c->reason.find("'reversed'"), std::string::npos) << c->reason;
}

TEST(CompareOrdersTest, RefusesFewerThanTwoRunsOrMissingAreas) {
  OrderedRss a{"sorted", AnalyzeRss(100e6, {180e6, 180e6}).value(), {1, 2}};
  EXPECT_EQ(CompareOrders({a}).status().code(), StatusCode::kInvalidArgument);
  OrderedRss b{"reversed", AnalyzeRss(100e6, {180e6, 180e6}).value(), {1}};
  auto c = CompareOrders({a, b});
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("'reversed'"), std::string::npos);
}

}  // namespace
}  // namespace plateau
