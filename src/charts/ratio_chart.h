// A horizontal bar chart of time ratios, one bar per case: a measured time over a reference time (e.g.
// plateau over ONNX Runtime), with the reference at 1.0 marked across all rows and each case's goal
// ratio as a tick in its row (green when the bar ends at or before it, red otherwise). Each bar is
// labelled with the ratio and both times.
//
//   std::vector<RatioBar> bars = {{"det 1x3x960x736, 1 thread", 98.1, 206.2, 0.45}};
//   PLATEAU_RETURN_IF_ERROR(WriteRatioChart(bars, "plateau / ONNX Runtime", "plateau", "ONNX Runtime",
//                                           "engine.png"));
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "plateau/status.h"

namespace plateau::charts {

struct RatioBar {
  std::string label;
  double value_ms = 0;      // > 0
  double reference_ms = 0;  // > 0
  double goal = 0;          // goal for value / reference; 0: none
};

// An 8-bit BGR picture `width` wide (at least 500), as tall as the rows need. Fails when there is no
// bar or a time is not a positive number, naming the bar.
StatusOr<cv::Mat> DrawRatioChart(const std::vector<RatioBar>& bars, const std::string& title,
                                 const std::string& value_name, const std::string& reference_name,
                                 int width = 1100);

// DrawRatioChart written as PNG to `path`; fails naming the path when it cannot be written.
Status WriteRatioChart(const std::vector<RatioBar>& bars, const std::string& title,
                       const std::string& value_name, const std::string& reference_name,
                       const std::string& path);

}  // namespace plateau::charts
