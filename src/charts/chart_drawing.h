// Drawing helpers shared by the charts plateau writes as PNG (RSS over iterations, benchmark ratios):
// ink and colours, text, dashed lines and tick spacing, on 8-bit BGR pictures.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "plateau/status.h"

namespace plateau::charts::draw {

inline constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
inline const cv::Scalar kInk(40, 40, 40);
inline const cv::Scalar kGrid(225, 225, 225);
inline const cv::Scalar kWhite(255, 255, 255);
// Colours (BGR) that stay apart when printed in grey too: blue, orange, green, purple.
inline const cv::Scalar kColours[] = {{180, 100, 20}, {20, 120, 230}, {60, 160, 40}, {150, 60, 140}};

// The tick spacing among 1, 2 and 5 times a power of ten nearest above span / target ticks.
double NiceStep(double span, int target);

// printf-style formatting of one number.
std::string Format(const char* fmt, double v);

void DashedLine(cv::Mat& img, cv::Point a, cv::Point b, const cv::Scalar& colour, int thickness);

// Text with its baseline starting at `origin`.
void Text(cv::Mat& img, const std::string& s, cv::Point origin, double scale, const cv::Scalar& colour,
          int thickness = 1);
cv::Size TextSize(const std::string& s, double scale, int thickness = 1);

// Text turned 90 degrees counter-clockwise, centred on `centre` (OpenCV draws only horizontal text).
void VerticalText(cv::Mat& img, const std::string& s, cv::Point centre, double scale);

// Writes `img` as PNG to `path`; the error starts with `what` and names the path.
Status WritePng(const cv::Mat& img, const std::string& path, const std::string& what);

}  // namespace plateau::charts::draw
