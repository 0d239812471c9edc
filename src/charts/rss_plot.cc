#include "charts/rss_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "charts/chart_drawing.h"

namespace plateau::charts {
namespace {

using draw::DashedLine;
using draw::Format;
using draw::kColours;
using draw::kGrid;
using draw::kInk;
using draw::NiceStep;
using draw::Text;
using draw::TextSize;
using draw::VerticalText;

constexpr double kMiB = 1024.0 * 1024.0;

}  // namespace

StatusOr<cv::Mat> DrawRssPlot(const std::vector<RssPlotSeries>& series, const std::string& title, int width,
                              int height) {
  if (series.empty()) return Status::InvalidArgument("RSS plot: no series to draw");
  if (width < 400 || height < 300) {
    return Status::InvalidArgument("RSS plot: " + std::to_string(width) + "x" + std::to_string(height) +
                                   " is too small; expected at least 400x300");
  }
  double lo = series[0].baseline_rss_bytes, hi = lo;
  size_t iterations = 0;
  for (const RssPlotSeries& s : series) {
    if (s.rss_bytes.empty())
      return Status::InvalidArgument("RSS plot: series '" + s.name + "' has no samples");
    lo = std::min(lo, s.baseline_rss_bytes);
    hi = std::max(hi, s.baseline_rss_bytes);
    for (double v : s.rss_bytes) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    iterations = std::max(iterations, s.rss_bytes.size());
  }
  lo /= kMiB;
  hi /= kMiB;
  // Room above the curves for the legend: it takes a line per series plus margins.
  const double span = std::max(hi - lo, 1.0);
  const double y_step = NiceStep(span * 1.35, 7);
  const double y_lo = std::max(0.0, std::floor((lo - span * 0.05) / y_step) * y_step);
  const double y_hi = std::ceil((hi + span * (0.1 + 0.09 * series.size())) / y_step) * y_step;
  const double x_hi = static_cast<double>(iterations);
  const double x_step = NiceStep(x_hi, 10);

  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Rect area(95, 50, width - 95 - 30, height - 50 - 75);
  auto px = [&](double x) { return area.x + static_cast<int>(std::lround(x / x_hi * area.width)); };
  auto py = [&](double mib) {
    return area.y + area.height - static_cast<int>(std::lround((mib - y_lo) / (y_hi - y_lo) * area.height));
  };

  // Warm-up phases first, so that everything else is drawn over them.
  for (size_t k = 0; k < series.size(); ++k) {
    const cv::Scalar& c = kColours[k % std::size(kColours)];
    const double end = static_cast<double>(series[k].analysis.warmup_iterations);
    cv::Rect band(cv::Point(px(0), area.y), cv::Point(px(end), area.y + area.height));
    band &= area;
    if (band.area() > 0) {
      cv::Mat roi = img(band);
      cv::Mat tint(roi.size(), roi.type(), c);
      cv::addWeighted(roi, 0.86, tint, 0.14, 0, roi);
    }
  }

  // Grid, ticks and tick labels.
  for (double y = y_lo; y <= y_hi + y_step / 2; y += y_step) {
    cv::line(img, {area.x, py(y)}, {area.x + area.width, py(y)}, kGrid, 1);
    cv::line(img, {area.x - 5, py(y)}, {area.x, py(y)}, kInk, 1);
    const std::string label = Format(y_step < 1 ? "%.1f" : "%.0f", y);
    const cv::Size s = TextSize(label, 0.45);
    Text(img, label, {area.x - 9 - s.width, py(y) + s.height / 2}, 0.45, kInk);
  }
  for (double x = 0; x <= x_hi + x_step / 2; x += x_step) {
    cv::line(img, {px(x), area.y}, {px(x), area.y + area.height}, kGrid, 1);
    cv::line(img, {px(x), area.y + area.height}, {px(x), area.y + area.height + 5}, kInk, 1);
    const std::string label = Format("%.0f", x);
    const cv::Size s = TextSize(label, 0.45);
    Text(img, label, {px(x) - s.width / 2, area.y + area.height + 8 + s.height}, 0.45, kInk);
  }
  cv::rectangle(img, area, kInk, 1);
  const cv::Size xl = TextSize("iteration", 0.55);
  Text(img, "iteration", {area.x + area.width / 2 - xl.width / 2, height - 22}, 0.55, kInk);
  VerticalText(img, "RSS (MiB)", {28, area.y + area.height / 2}, 0.55);
  const cv::Size ts = TextSize(title, 0.65, 2);
  Text(img, title, {width / 2 - ts.width / 2, 32}, 0.65, kInk, 2);

  // Curves, then each series' phase marks: where the plateau starts and its level.
  for (size_t k = 0; k < series.size(); ++k) {
    const RssPlotSeries& s = series[k];
    const cv::Scalar& c = kColours[k % std::size(kColours)];
    std::vector<cv::Point> points = {{px(0), py(s.baseline_rss_bytes / kMiB)}};
    for (size_t i = 0; i < s.rss_bytes.size(); ++i) {
      points.push_back({px(static_cast<double>(i + 1)), py(s.rss_bytes[i] / kMiB)});
    }
    cv::polylines(img, points, false, c, 2, cv::LINE_AA);

    const RssAnalysis& a = s.analysis;
    const int x_warm = px(static_cast<double>(a.warmup_iterations));
    const int y_plateau = py(a.plateau_rss_bytes / kMiB);
    DashedLine(img, {x_warm, area.y}, {x_warm, area.y + area.height}, c, 1);
    DashedLine(img, {x_warm, y_plateau}, {area.x + area.width, y_plateau}, c, 1);
    const std::string phase = "warm-up | plateau " + Format("%.1f MiB", a.plateau_rss_bytes / kMiB);
    const cv::Size ps = TextSize(phase, 0.42);
    const int label_x =
        std::min(x_warm - TextSize("warm-up ", 0.42).width, area.x + area.width - ps.width - 4);
    Text(img, phase, {std::max(area.x + 4, label_x), y_plateau - 6}, 0.42, c);
  }

  // Legend, top left inside the plot, on a white box so that grid and phase lines do not cross the text.
  std::vector<std::string> lines;
  int legend_width = 0;
  for (const RssPlotSeries& s : series) {
    const RssAnalysis& a = s.analysis;
    std::string line = s.name + ": " + RssVerdictName(a.verdict) + ", warm-up " +
                       std::to_string(a.warmup_iterations) + " it. " +
                       Format("%+.1f MiB", a.warmup_bytes / kMiB) + ", plateau " +
                       Format("%.1f MiB", a.plateau_rss_bytes / kMiB) + ", slope " +
                       Format("%.0f B/it", a.slope_bytes_per_iteration);
    if (s.peak_rss_bytes > 0) line += ", peak " + Format("%.1f MiB", s.peak_rss_bytes / kMiB);
    legend_width = std::max(legend_width, TextSize(line, 0.45).width);
    lines.push_back(std::move(line));
  }
  const cv::Rect box(area.x + 6, area.y + 6, std::min(legend_width + 46, area.width - 12),
                     static_cast<int>(22 * lines.size()) + 8);
  cv::rectangle(img, box, cv::Scalar(255, 255, 255), cv::FILLED);
  cv::rectangle(img, box, kGrid, 1);
  int y = area.y + 24;
  for (size_t k = 0; k < lines.size(); ++k) {
    cv::rectangle(img, {area.x + 12, y - 10}, {area.x + 34, y - 2}, kColours[k % std::size(kColours)],
                  cv::FILLED);
    Text(img, lines[k], {area.x + 42, y}, 0.45, kInk);
    y += 22;
  }
  return img;
}

Status WriteRssPlot(const std::vector<RssPlotSeries>& series, const std::string& title,
                    const std::string& path) {
  PLATEAU_ASSIGN_OR_RETURN(cv::Mat img, DrawRssPlot(series, title));
  return draw::WritePng(img, path, "RSS plot");
}

}  // namespace plateau::charts
