#include "ocr/det/db_postprocess.h"

#include <opencv2/imgproc/imgproc_c.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <polyclipping/clipper.hpp>
#include <string>
#include <utility>

namespace plateau::ocr {
namespace {

// PaddleOCR's reading-order rule treats boxes whose first corners differ by less than this many pixels
// in y as one text line.
constexpr float kSameLineTolerance = 10.0f;

template <typename Point>
MiniBox MinimumAreaBoxOf(const std::vector<Point>& points) {
  MiniBox result;
  if (points.empty()) return result;
  const cv::RotatedRect rect = cv::minAreaRect(points);
  std::array<cv::Point2f, 4> corners;
  rect.points(corners.data());
  // Stable, as Python's sorted(): equal x keeps OpenCV's corner order, which decides ties the same way.
  std::stable_sort(corners.begin(), corners.end(),
                   [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
  const bool left_first_is_top = corners[1].y > corners[0].y;
  const cv::Point2f& top_left = left_first_is_top ? corners[0] : corners[1];
  const cv::Point2f& bottom_left = left_first_is_top ? corners[1] : corners[0];
  const bool right_first_is_top = corners[3].y > corners[2].y;
  const cv::Point2f& top_right = right_first_is_top ? corners[2] : corners[3];
  const cv::Point2f& bottom_right = right_first_is_top ? corners[3] : corners[2];
  result.quad = {top_left, top_right, bottom_right, bottom_left};
  result.short_side = std::min(rect.size.width, rect.size.height);
  return result;
}

int ClampInt(double v, int lo, int hi) {
  if (!(v >= lo)) return lo;  // also catches NaN
  if (v > hi) return hi;
  return static_cast<int>(v);
}

Status CheckOptions(const DbOptions& options) {
  if (!std::isfinite(options.thresh) || !std::isfinite(options.box_thresh)) {
    return Status::InvalidArgument("DB post-processing: thresh and box_thresh must be finite numbers");
  }
  if (!(options.unclip_ratio > 0) || !std::isfinite(options.unclip_ratio)) {
    return Status::InvalidArgument("DB post-processing: unclip_ratio must be a positive number, got " +
                                   std::to_string(options.unclip_ratio));
  }
  if (options.max_candidates < 0 || options.min_size < 0) {
    return Status::InvalidArgument("DB post-processing: max_candidates (" +
                                   std::to_string(options.max_candidates) + ") and min_size (" +
                                   std::to_string(options.min_size) + ") must not be negative");
  }
  return Status::Ok();
}

}  // namespace

MiniBox MinimumAreaBox(const std::vector<cv::Point>& points) { return MinimumAreaBoxOf(points); }
MiniBox MinimumAreaBox(const std::vector<cv::Point2f>& points) { return MinimumAreaBoxOf(points); }

double BoxScoreFast(const cv::Mat& prob, const Quad& quad) {
  const int h = prob.rows;
  const int w = prob.cols;
  if (h <= 0 || w <= 0) return 0.0;
  float min_x = quad[0].x, max_x = quad[0].x, min_y = quad[0].y, max_y = quad[0].y;
  for (const cv::Point2f& p : quad) {
    min_x = std::min(min_x, p.x);
    max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y);
    max_y = std::max(max_y, p.y);
  }
  const int x0 = ClampInt(std::floor(min_x), 0, w - 1);
  const int x1 = ClampInt(std::ceil(max_x), 0, w - 1);
  const int y0 = ClampInt(std::floor(min_y), 0, h - 1);
  const int y1 = ClampInt(std::ceil(max_y), 0, h - 1);
  cv::Mat mask = cv::Mat::zeros(y1 - y0 + 1, x1 - x0 + 1, CV_8UC1);
  // Corners relative to the window, truncated toward zero as numpy's astype(int32) does.
  std::vector<cv::Point> polygon;
  polygon.reserve(4);
  for (const cv::Point2f& p : quad) {
    polygon.emplace_back(static_cast<int>(p.x - static_cast<float>(x0)),
                         static_cast<int>(p.y - static_cast<float>(y0)));
  }
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(1));
  return cv::mean(prob(cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1)), mask)[0];
}

double UnclipDistance(const Quad& quad, double unclip_ratio) {
  const std::vector<cv::Point2f> points(quad.begin(), quad.end());
  const double area = cv::contourArea(points);
  const double perimeter = cv::arcLength(points, /*closed=*/true);
  if (!(perimeter > 0)) return 0.0;
  return area * unclip_ratio / perimeter;
}

std::vector<cv::Point> UnclipQuad(const Quad& quad, double unclip_ratio) {
  const double distance = UnclipDistance(quad, unclip_ratio);
  ClipperLib::Path path;
  // Clipper works on integers; the corners are truncated as pyclipper does when handed float points.
  for (const cv::Point2f& p : quad) {
    path.emplace_back(static_cast<ClipperLib::cInt>(p.x), static_cast<ClipperLib::cInt>(p.y));
  }
  ClipperLib::Paths solution;
  try {
    ClipperLib::ClipperOffset offset;
    offset.AddPath(path, ClipperLib::jtRound, ClipperLib::etClosedPolygon);
    offset.Execute(solution, distance);
  } catch (const std::exception&) {
    // Clipper throws only for coordinates beyond its range; such a box cannot be grown, so it is dropped.
    return {};
  }
  std::vector<cv::Point> grown;
  if (solution.empty()) return grown;
  // A grown convex quad is one polygon; if Clipper ever returns more, PaddleX keeps the first.
  grown.reserve(solution[0].size());
  for (const ClipperLib::IntPoint& p : solution[0]) {
    grown.emplace_back(static_cast<int>(p.X), static_cast<int>(p.Y));
  }
  return grown;
}

void SortQuadsReadingOrder(DetBoxes* boxes) {
  const size_t n = boxes->quads.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  const auto& quads = boxes->quads;
  std::stable_sort(order.begin(), order.end(), [&quads](size_t a, size_t b) {
    const cv::Point2f& pa = quads[a][0];
    const cv::Point2f& pb = quads[b][0];
    if (pa.y != pb.y) return pa.y < pb.y;
    return pa.x < pb.x;
  });
  // The second pass is deliberately PaddleOCR's bounded bubble pass rather than a comparator: "same line"
  // is not transitive, so the result depends on this exact procedure.
  for (size_t i = 0; i + 1 < n; ++i) {
    for (size_t j = i + 1; j-- > 0;) {
      const cv::Point2f& upper = quads[order[j]][0];
      const cv::Point2f& lower = quads[order[j + 1]][0];
      if (std::abs(lower.y - upper.y) < kSameLineTolerance && lower.x < upper.x) {
        std::swap(order[j], order[j + 1]);
      } else {
        break;
      }
    }
  }
  DetBoxes sorted;
  sorted.quads.reserve(n);
  sorted.scores.reserve(n);
  for (size_t k : order) {
    sorted.quads.push_back(boxes->quads[k]);
    sorted.scores.push_back(k < boxes->scores.size() ? boxes->scores[k] : 0.0f);
  }
  *boxes = std::move(sorted);
}

cv::Mat NewBorderedBitmap(int rows, int cols) {
  // Only the frame is cleared: every caller writes the whole inside.
  cv::Mat framed(rows + 2, cols + 2, CV_8UC1);
  framed.row(0).setTo(0);
  framed.row(rows + 1).setTo(0);
  framed.col(0).setTo(0);
  framed.col(cols + 1).setTo(0);
  return framed(cv::Rect(1, 1, cols, rows));
}

namespace {

// The frame of `bitmap` inside its parent when it has one of zeros a pixel wide (NewBorderedBitmap).
bool HasZeroFrame(const cv::Mat& bitmap, cv::Mat* framed) {
  cv::Size whole;
  cv::Point at;
  bitmap.locateROI(whole, at);
  if (at.x < 1 || at.y < 1 || at.x + bitmap.cols + 1 > whole.width || at.y + bitmap.rows + 1 > whole.height) {
    return false;
  }
  cv::Mat f = bitmap;
  f.adjustROI(1, 1, 1, 1);
  if (cv::countNonZero(f.row(0)) != 0 || cv::countNonZero(f.row(f.rows - 1)) != 0 ||
      cv::countNonZero(f.col(0)) != 0 || cv::countNonZero(f.col(f.cols - 1)) != 0) {
    return false;
  }
  *framed = f;
  return true;
}

// cv::findContours(bitmap, RETR_LIST, CHAIN_APPROX_SIMPLE), the same contours in the same order. That
// function traces a copy of the image with a zero frame added; a bitmap that already sits in such a frame
// is traced where it lies instead (with OpenCV's C tracer, which cv::findContours itself calls), so an A4
// page's map needs no third copy (8.7 MB; 16 MB at 4000x4000). The bitmap's pixels are overwritten.
std::vector<std::vector<cv::Point>> FindContoursOf(cv::Mat& bitmap) {
  std::vector<std::vector<cv::Point>> contours;
  cv::Mat framed;
  if (!HasZeroFrame(bitmap, &framed)) {
    cv::findContours(bitmap, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
    return contours;
  }
  CvMat image = cvMat(framed);
  CvMemStorage* storage = cvCreateMemStorage(0);
  CvSeq* first = nullptr;
  cvFindContours(&image, storage, &first, sizeof(CvContour), CV_RETR_LIST, CV_CHAIN_APPROX_SIMPLE,
                 cvPoint(-1, -1));
  if (first != nullptr) {
    // As cv::findContours lists them: the contour tree flattened by cvTreeToNodeSeq.
    CvSeq* all = cvTreeToNodeSeq(first, sizeof(CvSeq), storage);
    contours.resize(static_cast<size_t>(all->total));
    for (int i = 0; i < all->total; ++i) {
      const auto* c = *reinterpret_cast<CvSeq* const*>(cvGetSeqElem(all, i));
      contours[static_cast<size_t>(i)].resize(static_cast<size_t>(c->total));
      cvCvtSeqToArray(c, contours[static_cast<size_t>(i)].data());
    }
  }
  cvReleaseMemStorage(&storage);
  return contours;
}

}  // namespace

// The boxes of a thresholded map: contours of `bitmap` (dilated first when asked), each scored by the mean
// of `score` inside it times `score_scale`.
static StatusOr<DetBoxes> BoxesFromMaps(cv::Mat bitmap, const cv::Mat& score_map, double score_scale,
                                        int dest_height, int dest_width, const DbOptions& options) {
  if (options.use_dilation) {
    cv::Mat dilated = NewBorderedBitmap(bitmap.rows, bitmap.cols);
    cv::dilate(bitmap, dilated, cv::Mat::ones(2, 2, CV_8UC1));
    bitmap = dilated;
  }
  const int map_rows = bitmap.rows, map_cols = bitmap.cols;
  std::vector<std::vector<cv::Point>> contours = FindContoursOf(bitmap);
  bitmap.release();

  const double width_scale = static_cast<double>(dest_width) / map_cols;
  const double height_scale = static_cast<double>(dest_height) / map_rows;
  const size_t candidates = std::min(contours.size(), static_cast<size_t>(options.max_candidates));
  DetBoxes result;
  for (size_t c = 0; c < candidates; ++c) {
    const MiniBox tight = MinimumAreaBox(contours[c]);
    if (tight.short_side < options.min_size) continue;
    const double score = BoxScoreFast(score_map, tight.quad) * score_scale;
    if (options.box_thresh > score) continue;
    const std::vector<cv::Point> grown = UnclipQuad(tight.quad, options.unclip_ratio);
    if (grown.empty()) continue;
    const MiniBox box = MinimumAreaBox(grown);
    if (box.short_side < options.min_size + 2) continue;
    Quad quad;
    for (int k = 0; k < 4; ++k) {
      // nearbyint rounds halves to even, as numpy's round does.
      const double x = std::nearbyint(box.quad[k].x * width_scale);
      const double y = std::nearbyint(box.quad[k].y * height_scale);
      quad[k] = cv::Point2f(static_cast<float>(std::clamp(x, 0.0, static_cast<double>(dest_width))),
                            static_cast<float>(std::clamp(y, 0.0, static_cast<double>(dest_height))));
    }
    result.quads.push_back(quad);
    result.scores.push_back(static_cast<float>(score));
  }
  SortQuadsReadingOrder(&result);
  return result;
}

static Status CheckDest(int dest_height, int dest_width) {
  if (dest_height <= 0 || dest_width <= 0) {
    return Status::InvalidArgument("DB post-processing: destination image size " +
                                   std::to_string(dest_height) + "x" + std::to_string(dest_width) +
                                   " is not positive");
  }
  return Status::Ok();
}

StatusOr<DetBoxes> DbPostprocess(const cv::Mat& prob, int dest_height, int dest_width,
                                 const DbOptions& options) {
  if (prob.empty()) return Status::InvalidArgument("DB post-processing: the probability map is empty");
  if (prob.type() != CV_32FC1) {
    return Status::InvalidArgument("DB post-processing: the probability map has OpenCV type " +
                                   std::to_string(prob.type()) + "; expected one float32 channel (CV_32FC1)");
  }
  PLATEAU_RETURN_IF_ERROR(CheckDest(dest_height, dest_width));
  PLATEAU_RETURN_IF_ERROR(CheckOptions(options));

  // numpy compares a float32 map with a Python float in float32, so the threshold is rounded to float.
  const float thresh = static_cast<float>(options.thresh);
  cv::Mat bitmap = NewBorderedBitmap(prob.rows, prob.cols);
  for (int y = 0; y < prob.rows; ++y) {
    const float* in = prob.ptr<float>(y);
    uint8_t* out = bitmap.ptr<uint8_t>(y);
    for (int x = 0; x < prob.cols; ++x) out[x] = in[x] > thresh ? 255 : 0;
  }
  return BoxesFromMaps(std::move(bitmap), prob, 1.0, dest_height, dest_width, options);
}

StatusOr<DetBoxes> DbPostprocessSplit(cv::Mat bitmap, const cv::Mat& score, int dest_height, int dest_width,
                                      const DbOptions& options) {
  if (bitmap.empty() || bitmap.type() != CV_8UC1 || score.type() != CV_8UC1 ||
      score.size() != bitmap.size()) {
    return Status::InvalidArgument(
        "DB post-processing: expected a CV_8UC1 bitmap and a CV_8UC1 score map of one size, got types " +
        std::to_string(bitmap.type()) + " and " + std::to_string(score.type()) + ", sizes " +
        std::to_string(bitmap.rows) + "x" + std::to_string(bitmap.cols) + " and " +
        std::to_string(score.rows) + "x" + std::to_string(score.cols));
  }
  PLATEAU_RETURN_IF_ERROR(CheckDest(dest_height, dest_width));
  PLATEAU_RETURN_IF_ERROR(CheckOptions(options));
  return BoxesFromMaps(std::move(bitmap), score, 1.0 / kScoreMapScale, dest_height, dest_width, options);
}

StatusOr<DetBoxes> DbPostprocess(const TensorView& prob, int dest_height, int dest_width,
                                 const DbOptions& options) {
  if (prob.dtype != DType::kFloat32) {
    return Status::InvalidArgument(std::string("DB post-processing: the probability map is ") +
                                   DTypeName(prob.dtype) + "; expected float32");
  }
  const Shape& s = prob.shape;
  if (s.rank() != 4 || s[0] != 1 || s[1] != 1 || s[2] <= 0 || s[3] <= 0 || prob.data == nullptr) {
    return Status::InvalidArgument("DB post-processing: the probability map has shape " + s.ToString() +
                                   "; expected 1x1xHxW with data");
  }
  if (s[2] > INT32_MAX || s[3] > INT32_MAX) {
    return Status::OutOfRange("DB post-processing: the probability map " + s.ToString() + " is too large");
  }
  const cv::Mat map(static_cast<int>(s[2]), static_cast<int>(s[3]), CV_32FC1, prob.data);
  return DbPostprocess(map, dest_height, dest_width, options);
}

}  // namespace plateau::ocr
