#include "charts/chart_drawing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "io/codecs.h"

namespace plateau::charts::draw {

double NiceStep(double span, int target) {
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string Format(const char* fmt, double v) {
  char text[64];
  std::snprintf(text, sizeof(text), fmt, v);
  return text;
}

void DashedLine(cv::Mat& img, cv::Point a, cv::Point b, const cv::Scalar& colour, int thickness) {
  const double length = std::hypot(b.x - a.x, b.y - a.y);
  const int dash = 8, gap = 5;
  for (double t = 0; t < length; t += dash + gap) {
    const double t2 = std::min(length, t + dash);
    cv::Point p(static_cast<int>(a.x + (b.x - a.x) * t / length),
                static_cast<int>(a.y + (b.y - a.y) * t / length));
    cv::Point q(static_cast<int>(a.x + (b.x - a.x) * t2 / length),
                static_cast<int>(a.y + (b.y - a.y) * t2 / length));
    cv::line(img, p, q, colour, thickness, cv::LINE_AA);
  }
}

void Text(cv::Mat& img, const std::string& s, cv::Point origin, double scale, const cv::Scalar& colour,
          int thickness) {
  cv::putText(img, s, origin, kFont, scale, colour, thickness, cv::LINE_AA);
}

cv::Size TextSize(const std::string& s, double scale, int thickness) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, scale, thickness, &baseline);
}

void VerticalText(cv::Mat& img, const std::string& s, cv::Point centre, double scale) {
  const cv::Size size = TextSize(s, scale);
  cv::Mat strip(size.height + 8, size.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
  Text(strip, s, {2, size.height + 2}, scale, kInk);
  cv::Mat turned;
  cv::rotate(strip, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect where(centre.x - turned.cols / 2, centre.y - turned.rows / 2, turned.cols, turned.rows);
  where &= cv::Rect(0, 0, img.cols, img.rows);
  turned(cv::Rect(0, 0, where.width, where.height)).copyTo(img(where));
}

Status WritePng(const cv::Mat& img, const std::string& path, const std::string& what) {
  Status written = io::WritePngFile(img, path);
  return written.ok() ? written : written.WithContext(what);
}

}  // namespace plateau::charts::draw
