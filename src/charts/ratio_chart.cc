#include "charts/ratio_chart.h"

#include <algorithm>
#include <cmath>
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

const cv::Scalar kMet(60, 160, 40);
const cv::Scalar kMissed(40, 40, 210);
constexpr int kRow = 38;      // pixels per bar row
constexpr int kBar = 20;      // bar thickness
constexpr int kLabels = 300;  // width of the label column

}  // namespace

StatusOr<cv::Mat> DrawRatioChart(const std::vector<RatioBar>& bars, const std::string& title,
                                 const std::string& value_name, const std::string& reference_name,
                                 int width) {
  if (bars.empty()) return Status::InvalidArgument("ratio chart: no bars to draw");
  if (width < 500) {
    return Status::InvalidArgument("ratio chart: width " + std::to_string(width) +
                                   " is too small; expected at least 500");
  }
  double hi = 1.0;
  for (const RatioBar& b : bars) {
    if (!(b.value_ms > 0) || !(b.reference_ms > 0) || !std::isfinite(b.value_ms) ||
        !std::isfinite(b.reference_ms)) {
      return Status::InvalidArgument("ratio chart: bar '" + b.label + "' has times " +
                                     Format("%g", b.value_ms) + " and " + Format("%g", b.reference_ms) +
                                     " ms; expected positive numbers");
    }
    if (!(b.goal >= 0) || !std::isfinite(b.goal)) {
      return Status::InvalidArgument("ratio chart: bar '" + b.label + "' has goal " + Format("%g", b.goal) +
                                     "; expected >= 0");
    }
    hi = std::max({hi, b.value_ms / b.reference_ms, b.goal});
  }
  // Room right of the longest bar for its label.
  const double x_step = NiceStep(hi * 1.45, 8);
  const double x_hi = std::ceil(hi * 1.45 / x_step) * x_step;

  const int top = 70, bottom = 70;
  const int height = top + kRow * static_cast<int>(bars.size()) + bottom;
  cv::Mat img(height, width, CV_8UC3, draw::kWhite);
  const cv::Rect area(kLabels, top, width - kLabels - 30, kRow * static_cast<int>(bars.size()));
  auto px = [&](double r) { return area.x + static_cast<int>(std::lround(r / x_hi * area.width)); };

  for (double x = 0; x <= x_hi + 1e-9; x += x_step) {
    cv::line(img, {px(x), area.y}, {px(x), area.y + area.height}, kGrid, 1);
    cv::line(img, {px(x), area.y + area.height}, {px(x), area.y + area.height + 5}, kInk, 1);
    const std::string label = Format(x_step < 0.1 ? "%.2f" : "%.1f", x);
    const cv::Size s = TextSize(label, 0.45);
    Text(img, label, {px(x) - s.width / 2, area.y + area.height + 8 + s.height}, 0.45, kInk);
  }
  DashedLine(img, {px(1.0), area.y - 6}, {px(1.0), area.y + area.height}, kInk, 1);
  const cv::Scalar& colour = kColours[0];
  for (size_t i = 0; i < bars.size(); ++i) {
    const RatioBar& b = bars[i];
    const double ratio = b.value_ms / b.reference_ms;
    const int mid = area.y + kRow * static_cast<int>(i) + kRow / 2;
    const cv::Size ls = TextSize(b.label, 0.5);
    Text(img, b.label, {kLabels - 12 - ls.width, mid + ls.height / 2}, 0.5, kInk);
    cv::rectangle(img, cv::Point(area.x, mid - kBar / 2), cv::Point(px(ratio), mid + kBar / 2), colour,
                  cv::FILLED);
    if (b.goal > 0) {
      const cv::Scalar& mark = ratio <= b.goal ? kMet : kMissed;
      cv::line(img, {px(b.goal), mid - kRow / 2 + 2}, {px(b.goal), mid + kRow / 2 - 2}, mark, 3);
    }
    const std::string figures = Format("%.2f", ratio) + "  (" + Format("%.1f", b.value_ms) + " / " +
                                Format("%.1f", b.reference_ms) + " ms)";
    // Right of the bar and of the goal tick; on white, so that the 1.0 line does not cross it.
    const cv::Size fs = TextSize(figures, 0.45);
    const cv::Point at(std::max(px(ratio), b.goal > 0 ? px(b.goal) : 0) + 8, mid + fs.height / 2);
    cv::rectangle(img, cv::Point(at.x - 2, at.y - fs.height - 3), cv::Point(at.x + fs.width + 2, at.y + 4),
                  draw::kWhite, cv::FILLED);
    Text(img, figures, at, 0.45, kInk);
  }
  const std::string same = reference_name + " = 1.0";
  Text(img, same, {px(1.0) - TextSize(same, 0.45).width / 2, area.y - 10}, 0.45, kInk);
  cv::rectangle(img, area, kInk, 1);

  const cv::Size ts = TextSize(title, 0.65, 2);
  Text(img, title, {width / 2 - ts.width / 2, 30}, 0.65, kInk, 2);
  const std::string axis = value_name + " time / " + reference_name + " time (shorter is faster)";
  const cv::Size as = TextSize(axis, 0.5);
  Text(img, axis, {area.x + area.width / 2 - as.width / 2, height - 22}, 0.5, kInk);
  // Legend: the goal ticks.
  cv::line(img, {20, height - 34}, {20, height - 18}, kMet, 3);
  Text(img, "goal met", {28, height - 21}, 0.45, kInk);
  cv::line(img, {110, height - 34}, {110, height - 18}, kMissed, 3);
  Text(img, "goal missed", {118, height - 21}, 0.45, kInk);
  return img;
}

Status WriteRatioChart(const std::vector<RatioBar>& bars, const std::string& title,
                       const std::string& value_name, const std::string& reference_name,
                       const std::string& path) {
  PLATEAU_ASSIGN_OR_RETURN(cv::Mat img, DrawRatioChart(bars, title, value_name, reference_name));
  return draw::WritePng(img, path, "ratio chart");
}

}  // namespace plateau::charts
