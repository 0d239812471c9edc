// Leak or warm-up? The analysis of a process's resident memory (RSS) sampled once after every iteration
// of a repeated workload, as `plateau memcheck` and the memory benchmark do.
//
//   std::vector<double> rss = ...;  // bytes, one sample after each iteration
//   PLATEAU_ASSIGN_OR_RETURN(plateau::RssAnalysis a, plateau::AnalyzeRss(baseline_bytes, rss));
//   if (a.verdict == plateau::RssVerdict::kGrowing) { /* a.reason says which figure crossed the line */ }
//
// The model: memory rises while caches and arenas fill (warm-up), then follows a line, flat when nothing
// leaks (the plateau). The rule, in order:
//
// 1. Trend. A least-squares line is fitted to the second half of the samples (indices [n/2, n)); its
//    slope is `slope_bytes_per_iteration`. `noise_bytes` is the standard deviation of the samples
//    around that line.
// 2. Warm-up. The plateau starts at the first sample that comes within `tolerance` below the trend line
//    extended back to it, tolerance = max(options.plateau_tolerance_bytes, 3 * noise_bytes). Samples
//    before it are the warm-up; `warmup_iterations` counts the iterations up to and including that first
//    plateau sample (a workload that is warm after its first iteration has warmup_iterations == 1).
//    A steady rise from the start (a leak) follows its own trend line from the start, so it is never
//    taken for warm-up.
// 3. Figures. `plateau_rss_bytes` is the median of the plateau samples; `warmup_bytes` is that level
//    minus the baseline (RSS before the first iteration). `growth_after_warmup_bytes` is the mean of the
//    last w plateau samples minus the mean of the first w, w = max(1, plateau samples / 10): the rise
//    actually measured, robust to noise. `projected_growth_bytes` = slope * (plateau samples - 1): what
//    the second half's trend amounts to over the plateau.
// 4. Verdict. `growing` when growth_after_warmup_bytes or projected_growth_bytes exceeds
//    options.growth_threshold_bytes, or when the warm-up did not end in the first half of the run (then
//    the trend of the second half is not a plateau's, and the run needs more iterations); else `stable`.
//
// Thresholds are totals over the run analysed, not rates: a longer run allows a smaller slope.
//
// Order. A climb that lasts as long as new, larger pages keep arriving is not warm-up: it is memory that
// follows the largest input seen. To tell, the same pages are run in several orders (by page area
// ascending, descending, shuffled), each in a fresh pipeline, and CompareOrders judges the runs together:
//
// 5. A page is a record when its area is larger than that of every page before it in its run (the first
//    page is one). A run's warm-up ends at a late record when some record at iteration r >= 2 has
//    r <= warmup_iterations <= r + slack, with slack = max(3, ceil(iterations / 10)) over the shortest
//    run: memory stopped rising only when a page larger than all before it had arrived.
// 6. The runs are `order-dependent` when their plateau levels (plateau_rss_bytes) differ by more than
//    options.growth_threshold_bytes, or when their warm-up lengths differ by more than slack and the run
//    with the longest warm-up ends it at a late record (e.g. at the largest page when pages come
//    smallest first, and after one iteration when they come largest first). Otherwise the verdict is
//    `growing` when any run is growing, else `stable`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "plateau/status.h"

namespace plateau {

struct RssSeriesOptions {
  // Samples this close below the trend line have reached the plateau (raised to 3x the noise).
  double plateau_tolerance_bytes = 1 << 20;
  // Largest growth after warm-up, over the whole run, still called stable. 2 MB (decimal).
  double growth_threshold_bytes = 2'000'000;
};

enum class RssVerdict { kStable, kGrowing, kOrderDependent };

// "stable", "growing" or "order-dependent".
const char* RssVerdictName(RssVerdict verdict);

struct RssAnalysis {
  size_t iterations = 0;
  double baseline_rss_bytes = 0;
  size_t warmup_iterations = 0;          // >= 1: iterations until the plateau was reached
  double warmup_bytes = 0;               // plateau level - baseline
  double plateau_rss_bytes = 0;          // median of the plateau samples
  double slope_bytes_per_iteration = 0;  // least squares over the second half
  double noise_bytes = 0;                // standard deviation around the second half's line
  double growth_after_warmup_bytes = 0;
  double projected_growth_bytes = 0;
  double max_rss_bytes = 0;  // largest sample
  double growth_threshold_bytes = 0;
  RssVerdict verdict = RssVerdict::kStable;
  std::string reason;  // one sentence: which figure decided the verdict, with its value
};

// Analyses `rss` (bytes after each iteration; at least one sample) given the RSS before the first
// iteration. Fails (InvalidArgument) on an empty series, a negative or non-finite value, or options out
// of range (negative thresholds).
StatusOr<RssAnalysis> AnalyzeRss(double baseline_rss_bytes, const std::vector<double>& rss,
                                 const RssSeriesOptions& options = {});

// One run of the pages in one order, analysed by AnalyzeRss.
struct OrderedRss {
  std::string order;  // its name, for the reason ("sorted", "reversed", ...)
  RssAnalysis analysis;
  std::vector<double> page_areas;  // pixels of each iteration's page, in run order (one per iteration)
};

struct OrderComparison {
  RssVerdict verdict = RssVerdict::kStable;
  std::string reason;                   // one sentence naming the orders and figures that decided
  double plateau_spread_bytes = 0;      // highest plateau_rss_bytes - lowest
  size_t warmup_spread_iterations = 0;  // longest warmup_iterations - shortest
  size_t warmup_slack_iterations = 0;   // slack of rule 5
  // Per run, in the order given: the iteration (1-based) of the record its warm-up ended at, 0 if none.
  std::vector<size_t> warmup_record_iteration;
};

// Judges runs of the same pages in different orders by rules 5 and 6. Fails (InvalidArgument) with fewer
// than two runs, or a run whose page_areas do not hold one area per iteration.
StatusOr<OrderComparison> CompareOrders(const std::vector<OrderedRss>& runs,
                                        const RssSeriesOptions& options = {});

// Slope and intercept of the least-squares line through (i, y[i]) for i in [begin, end); index i is the
// x coordinate. Fewer than two points give slope 0 and their mean (0 when there are none).
struct LinearFit {
  double slope = 0;
  double intercept = 0;
  double At(double x) const { return intercept + slope * x; }
};
LinearFit FitLine(const std::vector<double>& y, size_t begin, size_t end);

}  // namespace plateau
