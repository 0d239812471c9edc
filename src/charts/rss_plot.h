// A picture of RSS over iterations, in the manner of memory_profiler's `mprof plot`: one curve per
// series (the baseline before the first iteration at x = 0, the sample after iteration i at x = i), each
// series' warm-up shaded in its colour up to a dashed line where the plateau starts, the plateau level as
// a dashed horizontal line, labelled axes with ticks (iterations; MiB), and a legend with each series'
// figures and verdict.
//
//   RssPlotSeries s{"plateau", baseline, rss, peak, analysis};
//   PLATEAU_RETURN_IF_ERROR(WriteRssPlot({s}, "plateau memcheck", "rss.png"));
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "common/rss_series.h"
#include "plateau/status.h"

namespace plateau::charts {

struct RssPlotSeries {
  std::string name;
  double baseline_rss_bytes = 0;
  std::vector<double> rss_bytes;  // one per iteration
  double peak_rss_bytes = 0;      // VmHWM; 0 when unknown (then left out of the legend)
  RssAnalysis analysis;           // AnalyzeRss of the same samples
};

// An 8-bit BGR picture of width x height (at least 400 x 300). Fails when there is no series, a series
// has no samples, or the size is too small.
StatusOr<cv::Mat> DrawRssPlot(const std::vector<RssPlotSeries>& series, const std::string& title,
                              int width = 1200, int height = 650);

// DrawRssPlot written as PNG to `path`; fails naming the path when it cannot be written.
Status WriteRssPlot(const std::vector<RssPlotSeries>& series, const std::string& title,
                    const std::string& path);

}  // namespace plateau::charts
