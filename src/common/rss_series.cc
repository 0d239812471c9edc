#include "common/rss_series.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace plateau {

const char* RssVerdictName(RssVerdict verdict) {
  switch (verdict) {
    case RssVerdict::kStable:
      return "stable";
    case RssVerdict::kGrowing:
      return "growing";
    case RssVerdict::kOrderDependent:
      return "order-dependent";
  }
  return "unknown";
}

LinearFit FitLine(const std::vector<double>& y, size_t begin, size_t end) {
  LinearFit fit;
  end = std::min(end, y.size());
  if (begin >= end) return fit;
  const double n = static_cast<double>(end - begin);
  // Centred sums: RSS values are ~1e8 and indices ~1e3, so the textbook sums of x*y would lose digits.
  double mean_x = 0, mean_y = 0;
  for (size_t i = begin; i < end; ++i) {
    mean_x += static_cast<double>(i);
    mean_y += y[i];
  }
  mean_x /= n;
  mean_y /= n;
  double sxx = 0, sxy = 0;
  for (size_t i = begin; i < end; ++i) {
    const double dx = static_cast<double>(i) - mean_x;
    sxx += dx * dx;
    sxy += dx * (y[i] - mean_y);
  }
  fit.slope = sxx > 0 ? sxy / sxx : 0;
  fit.intercept = mean_y - fit.slope * mean_x;
  return fit;
}

namespace {

double Mean(const std::vector<double>& y, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += y[i];
  return end > begin ? sum / static_cast<double>(end - begin) : 0;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + mid);
  return (lower + upper) / 2;
}

std::string Mb(double bytes) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f MB", bytes / 1e6);
  return text;
}

}  // namespace

StatusOr<RssAnalysis> AnalyzeRss(double baseline_rss_bytes, const std::vector<double>& rss,
                                 const RssSeriesOptions& options) {
  if (rss.empty()) return Status::InvalidArgument("RSS series: no samples; expected one per iteration");
  if (!std::isfinite(baseline_rss_bytes) || baseline_rss_bytes < 0) {
    return Status::InvalidArgument("RSS series: baseline " + std::to_string(baseline_rss_bytes) +
                                   " is not a byte count (finite, >= 0)");
  }
  for (size_t i = 0; i < rss.size(); ++i) {
    if (!std::isfinite(rss[i]) || rss[i] < 0) {
      return Status::InvalidArgument("RSS series: sample " + std::to_string(i) + " = " +
                                     std::to_string(rss[i]) + " is not a byte count (finite, >= 0)");
    }
  }
  if (!(options.plateau_tolerance_bytes >= 0) || !(options.growth_threshold_bytes >= 0)) {
    return Status::InvalidArgument(
        "RSS series options: plateau_tolerance_bytes and growth_threshold_bytes "
        "must be >= 0");
  }

  RssAnalysis a;
  const size_t n = rss.size();
  a.iterations = n;
  a.baseline_rss_bytes = baseline_rss_bytes;
  a.growth_threshold_bytes = options.growth_threshold_bytes;
  a.max_rss_bytes = *std::max_element(rss.begin(), rss.end());

  // The second half keeps at least two samples when there are two, so that it has a slope.
  const size_t half = n >= 2 ? std::min(n / 2, n - 2) : 0;
  const LinearFit trend = FitLine(rss, half, n);
  a.slope_bytes_per_iteration = trend.slope;
  double sq = 0;
  for (size_t i = half; i < n; ++i) sq += (rss[i] - trend.At(i)) * (rss[i] - trend.At(i));
  a.noise_bytes = std::sqrt(sq / static_cast<double>(n - half));

  const double tolerance = std::max(options.plateau_tolerance_bytes, 3 * a.noise_bytes);
  size_t start = n - 1;
  for (size_t i = 0; i < n; ++i) {
    if (rss[i] >= trend.At(i) - tolerance) {
      start = i;
      break;
    }
  }
  a.warmup_iterations = start + 1;
  const size_t plateau_samples = n - start;
  a.plateau_rss_bytes = Median(std::vector<double>(rss.begin() + start, rss.end()));
  a.warmup_bytes = a.plateau_rss_bytes - baseline_rss_bytes;
  const size_t w = std::max<size_t>(1, plateau_samples / 10);
  a.growth_after_warmup_bytes = Mean(rss, n - w, n) - Mean(rss, start, start + w);
  a.projected_growth_bytes = a.slope_bytes_per_iteration * static_cast<double>(plateau_samples - 1);

  const double limit = options.growth_threshold_bytes;
  if (n >= 2 && start > half) {
    a.verdict = RssVerdict::kGrowing;
    a.reason = "the warm-up did not end in the first half of the run (it took " +
               std::to_string(a.warmup_iterations) + " of " + std::to_string(n) +
               " iterations): memory was still rising; run more iterations";
  } else if (a.growth_after_warmup_bytes > limit) {
    a.verdict = RssVerdict::kGrowing;
    a.reason = "RSS grew by " + Mb(a.growth_after_warmup_bytes) + " after warm-up, more than " + Mb(limit);
  } else if (a.projected_growth_bytes > limit) {
    a.verdict = RssVerdict::kGrowing;
    a.reason = "the second half's trend amounts to " + Mb(a.projected_growth_bytes) +
               " over the plateau, more than " + Mb(limit);
  } else {
    a.verdict = RssVerdict::kStable;
    a.reason = "after warm-up RSS grew by " + Mb(a.growth_after_warmup_bytes) +
               " (trend: " + Mb(a.projected_growth_bytes) + "), within " + Mb(limit);
  }
  return a;
}

namespace {

// The record (rule 5) the warm-up of `run` ended at, 0 if none.
size_t WarmupRecord(const OrderedRss& run, size_t slack) {
  const size_t w = run.analysis.warmup_iterations;
  double largest = -1;
  size_t found = 0;
  for (size_t i = 0; i < run.page_areas.size(); ++i) {
    const size_t iteration = i + 1;
    if (!(run.page_areas[i] > largest)) continue;
    largest = run.page_areas[i];
    // The latest record at or before the warm-up's end that is within the slack of it.
    if (iteration >= 2 && iteration <= w && w <= iteration + slack) found = iteration;
  }
  return found;
}

std::string Iterations(size_t n) { return std::to_string(n) + (n == 1 ? " iteration" : " iterations"); }

}  // namespace

StatusOr<OrderComparison> CompareOrders(const std::vector<OrderedRss>& runs,
                                        const RssSeriesOptions& options) {
  if (runs.size() < 2) {
    return Status::InvalidArgument("comparing orders: " + std::to_string(runs.size()) +
                                   " run(s); expected at least two orders of the same pages");
  }
  size_t shortest = runs[0].analysis.iterations;
  for (const OrderedRss& r : runs) {
    if (r.page_areas.size() != r.analysis.iterations) {
      return Status::InvalidArgument("comparing orders: order '" + r.order + "' has " +
                                     std::to_string(r.page_areas.size()) + " page areas for " +
                                     Iterations(r.analysis.iterations) + "; expected one per iteration");
    }
    shortest = std::min(shortest, r.analysis.iterations);
  }
  OrderComparison c;
  c.warmup_slack_iterations = std::max<size_t>(3, (shortest + 9) / 10);
  size_t hi_plateau = 0, lo_plateau = 0, longest = 0, quickest = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    const RssAnalysis& a = runs[k].analysis;
    if (a.plateau_rss_bytes > runs[hi_plateau].analysis.plateau_rss_bytes) hi_plateau = k;
    if (a.plateau_rss_bytes < runs[lo_plateau].analysis.plateau_rss_bytes) lo_plateau = k;
    if (a.warmup_iterations > runs[longest].analysis.warmup_iterations) longest = k;
    if (a.warmup_iterations < runs[quickest].analysis.warmup_iterations) quickest = k;
    c.warmup_record_iteration.push_back(WarmupRecord(runs[k], c.warmup_slack_iterations));
  }
  c.plateau_spread_bytes =
      runs[hi_plateau].analysis.plateau_rss_bytes - runs[lo_plateau].analysis.plateau_rss_bytes;
  c.warmup_spread_iterations =
      runs[longest].analysis.warmup_iterations - runs[quickest].analysis.warmup_iterations;

  const double limit = options.growth_threshold_bytes;
  const size_t record = c.warmup_record_iteration[longest];
  if (c.plateau_spread_bytes > limit) {
    c.verdict = RssVerdict::kOrderDependent;
    c.reason = "the plateau is " + Mb(runs[hi_plateau].analysis.plateau_rss_bytes) + " in order '" +
               runs[hi_plateau].order + "' but " + Mb(runs[lo_plateau].analysis.plateau_rss_bytes) +
               " in order '" + runs[lo_plateau].order + "', " + Mb(c.plateau_spread_bytes) +
               " apart, more than " + Mb(limit);
  } else if (c.warmup_spread_iterations > c.warmup_slack_iterations && record > 0) {
    c.verdict = RssVerdict::kOrderDependent;
    c.reason = "the warm-up took " + Iterations(runs[longest].analysis.warmup_iterations) + " in order '" +
               runs[longest].order + "', ending where a page larger than all before it arrived (iteration " +
               std::to_string(record) + "), but " + Iterations(runs[quickest].analysis.warmup_iterations) +
               " in order '" + runs[quickest].order + "': memory follows the largest page seen";
  } else {
    bool growing = false;
    std::string which;
    for (const OrderedRss& r : runs) {
      if (r.analysis.verdict != RssVerdict::kGrowing) continue;
      growing = true;
      which += (which.empty() ? "'" : ", '") + r.order + "'";
    }
    c.verdict = growing ? RssVerdict::kGrowing : RssVerdict::kStable;
    c.reason = std::string(growing ? "growing in order " + which + "; " : "") + "plateaus within " +
               Mb(c.plateau_spread_bytes) + " of each other and warm-ups within " +
               Iterations(c.warmup_spread_iterations) + " (slack " +
               std::to_string(c.warmup_slack_iterations) + ")" +
               (c.warmup_spread_iterations > c.warmup_slack_iterations
                    ? ", the longest not ending at a new largest page"
                    : "");
  }
  return c;
}

}  // namespace plateau
