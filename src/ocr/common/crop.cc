#include "ocr/common/crop.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace plateau::ocr {
namespace {

// PaddleOCR measures edges with numpy on float32 points, so the length is a float32 square root; doing
// the same keeps int() truncation on the same side for lengths that land near an integer.
float EdgeLength(const cv::Point2f& a, const cv::Point2f& b) {
  const float dx = a.x - b.x;
  const float dy = a.y - b.y;
  return std::sqrt(dx * dx + dy * dy);
}

std::string QuadText(const Quad& quad) {
  std::string text;
  for (const cv::Point2f& p : quad) {
    if (!text.empty()) text += " ";
    text += "(" + std::to_string(p.x) + ", " + std::to_string(p.y) + ")";
  }
  return text;
}

}  // namespace

cv::Size QuadCropSize(const Quad& quad) {
  const float width = std::max(EdgeLength(quad[0], quad[1]), EdgeLength(quad[2], quad[3]));
  const float height = std::max(EdgeLength(quad[0], quad[3]), EdgeLength(quad[1], quad[2]));
  return cv::Size(static_cast<int>(width), static_cast<int>(height));
}

StatusOr<cv::Mat> CropQuad(const cv::Mat& image, const Quad& quad) {
  if (image.empty()) return Status::InvalidArgument("text line crop: the image is empty");
  for (const cv::Point2f& p : quad) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return Status::InvalidArgument("text line crop: quad " + QuadText(quad) + " has a non-finite corner");
    }
  }
  const cv::Size size = QuadCropSize(quad);
  if (size.width < 1 || size.height < 1) {
    return Status::InvalidArgument("text line crop: quad " + QuadText(quad) + " gives a " +
                                   std::to_string(size.width) + "x" + std::to_string(size.height) +
                                   " crop; expected at least 1x1");
  }
  const cv::Point2f target[4] = {
      {0.0f, 0.0f},
      {static_cast<float>(size.width), 0.0f},
      {static_cast<float>(size.width), static_cast<float>(size.height)},
      {0.0f, static_cast<float>(size.height)},
  };
  const cv::Mat transform = cv::getPerspectiveTransform(quad.data(), target);
  cv::Mat crop;
  cv::warpPerspective(image, crop, transform, size, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  if (static_cast<double>(crop.rows) / crop.cols >= kVerticalLineRatio) {
    cv::Mat turned;
    cv::rotate(crop, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
    return turned;
  }
  return crop;
}

Quad MinAreaRectQuad(const Quad& quad) {
  std::vector<cv::Point> corners;
  corners.reserve(quad.size());
  for (const cv::Point2f& p : quad) {
    corners.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
  }
  cv::Point2f box[4];
  cv::minAreaRect(corners).points(box);
  // Python's sorted() is stable, and which of two equal-x corners comes first decides the order below.
  std::stable_sort(box, box + 4, [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
  const int top_left = box[1].y > box[0].y ? 0 : 1;
  const int bottom_left = 1 - top_left;
  const int top_right = box[3].y > box[2].y ? 2 : 3;
  const int bottom_right = 5 - top_right;
  return Quad{box[top_left], box[top_right], box[bottom_right], box[bottom_left]};
}

StatusOr<cv::Mat> CropTextLine(const cv::Mat& image, const Quad& quad) {
  for (const cv::Point2f& p : quad) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return Status::InvalidArgument("text line crop: quad " + QuadText(quad) + " has a non-finite corner");
    }
  }
  return CropQuad(image, MinAreaRectQuad(quad));
}

}  // namespace plateau::ocr
