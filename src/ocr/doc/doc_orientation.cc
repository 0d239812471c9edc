#include "ocr/doc/doc_orientation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "common/check.h"
#include "ocr/common/crop.h"

namespace plateau::ocr {
namespace {

constexpr char kStage[] = "document orientation";

// ImageNet statistics in R, G, B order, as PaddleX configures NormalizeImage for PP-LCNet_x1_0_doc_ori.
constexpr double kMean[3] = {0.485, 0.456, 0.406};
constexpr double kStd[3] = {0.229, 0.224, 0.225};
// A resized page beyond this would cost gigabytes for a 224-pixel crop; such pages are refused.
constexpr int64_t kMaxResizedSide = 65536;

Status CheckPage(const cv::Mat& bgr) {
  if (bgr.empty()) return Status::InvalidArgument("document orientation: the page image is empty");
  if (bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("document orientation: the page has OpenCV type " +
                                   std::to_string(bgr.type()) + "; expected 8-bit BGR (CV_8UC3)");
  }
  return Status::Ok();
}

Status CheckOutput(const Shape& shape, const Model& model) {
  if (shape.rank() == 2 && shape[0] == 1 && shape[1] == kDocOrientationClasses) return Status::Ok();
  return Status::InvalidArgument(
      "document orientation model " + model.path() + " outputs " + shape.ToString() +
      " for one 1x3x224x224 page; expected 1x4 (labels \"0\", " + "\"90\", \"180\", \"270\")");
}

// The two corners of a box with the smaller x come first; ties keep the given order (a stable sort, as
// the detector does).
Quad OrderCorners(const Quad& q) {
  std::array<cv::Point2f, 4> c = q;
  std::stable_sort(c.begin(), c.end(), [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
  const bool left_first_is_top = c[1].y > c[0].y;
  const bool right_first_is_top = c[3].y > c[2].y;
  return {left_first_is_top ? c[0] : c[1], right_first_is_top ? c[2] : c[3], right_first_is_top ? c[3] : c[2],
          left_first_is_top ? c[1] : c[0]};
}

}  // namespace

StatusOr<Tensor> PrepareDocOrientationInput(const cv::Mat& bgr) {
  PLATEAU_RETURN_IF_ERROR(CheckPage(bgr));
  const double scale = static_cast<double>(kDocOrientationResizeShort) / std::min(bgr.rows, bgr.cols);
  // Python's round() (halves to even), as PaddleX's ResizeByShort.
  const int64_t height = static_cast<int64_t>(std::nearbyint(bgr.rows * scale));
  const int64_t width = static_cast<int64_t>(std::nearbyint(bgr.cols * scale));
  if (std::max(height, width) > kMaxResizedSide) {
    return Status::InvalidArgument("document orientation: a " + std::to_string(bgr.cols) + "x" +
                                   std::to_string(bgr.rows) + " page would be resized to " +
                                   std::to_string(width) + "x" + std::to_string(height) +
                                   "; pages whose sides differ by more than a factor of 256 are refused");
  }
  cv::Mat resized = bgr;
  if (height != bgr.rows || width != bgr.cols) {
    cv::resize(bgr, resized, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0,
               cv::INTER_LINEAR);
  }
  // The shorter side is 256, so the crop always fits.
  const int x0 = (resized.cols - kDocOrientationCrop) / 2;
  const int y0 = (resized.rows - kDocOrientationCrop) / 2;
  PLATEAU_ASSIGN_OR_RETURN(
      Tensor input, Tensor::Zeros(DType::kFloat32, Shape({1, 3, kDocOrientationCrop, kDocOrientationCrop})));
  // x * alpha + beta in float32 with alpha and beta folded in double, as PaddleX's Normalize computes.
  float alpha[3], beta[3];
  for (int c = 0; c < 3; ++c) {
    alpha[c] = static_cast<float>((1.0 / 255.0) / kStd[c]);
    beta[c] = static_cast<float>(-kMean[c] / kStd[c]);
  }
  constexpr size_t kPlane = static_cast<size_t>(kDocOrientationCrop) * kDocOrientationCrop;
  float* out = input.as<float>();
  for (int y = 0; y < kDocOrientationCrop; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y0 + y) + ptrdiff_t{3} * x0;
    for (int x = 0; x < kDocOrientationCrop; ++x) {
      const size_t at = static_cast<size_t>(y) * kDocOrientationCrop + x;
      // Channel c of the RGB tensor is BGR channel 2 - c.
      for (int c = 0; c < 3; ++c)
        out[c * kPlane + at] = static_cast<float>(row[3 * x + 2 - c]) * alpha[c] + beta[c];
    }
  }
  return input;
}

StatusOr<DocOrientation> DocOrientationFromScores(const float* row) {
  std::array<double, kDocOrientationClasses> p{};
  double sum = 0;
  bool in_unit = true;
  for (int i = 0; i < kDocOrientationClasses; ++i) {
    if (!std::isfinite(row[i])) {
      return Status::InvalidArgument("document orientation: score " + std::to_string(i) +
                                     " is not a finite number");
    }
    p[i] = row[i];
    sum += row[i];
    in_unit = in_unit && row[i] >= 0 && row[i] <= 1;
  }
  if (!in_unit || std::abs(sum - 1.0) > 1e-3) {
    // Logits: a softmax, shifted by the maximum so that exp cannot overflow.
    const double top = *std::max_element(p.begin(), p.end());
    sum = 0;
    for (double& v : p) {
      v = std::exp(v - top);
      sum += v;
    }
    for (double& v : p) v /= sum;
  }
  DocOrientation o;
  for (int i = 0; i < kDocOrientationClasses; ++i) o.scores[i] = static_cast<float>(p[i]);
  // max_element returns the first maximum: ties go to the lower class, as argsort-then-reverse in
  // PaddleX does not promise anything better.
  o.class_id = static_cast<int>(std::max_element(o.scores.begin(), o.scores.end()) - o.scores.begin());
  o.score = o.scores[o.class_id];
  return o;
}

StatusOr<std::unique_ptr<DocOrientationClassifier>> DocOrientationClassifier::Create(
    const DocOrientationClassifierOptions& options) {
  PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadStageModel(kStage, options.session));
  return Create(std::move(model), options);
}

StatusOr<std::unique_ptr<DocOrientationClassifier>> DocOrientationClassifier::Create(
    std::shared_ptr<const Model> model, const DocOrientationClassifierOptions& options) {
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                           OpenStageSession(kStage, model, options.session));
  PLATEAU_ASSIGN_OR_RETURN(
      Shape output,
      CheckSingleOutput(kStage, *session, Shape({1, 3, kDocOrientationCrop, kDocOrientationCrop}), "page"));
  PLATEAU_RETURN_IF_ERROR(CheckOutput(output, *model));
  std::unique_ptr<DocOrientationClassifier> c(new DocOrientationClassifier());
  c->options_ = options;
  c->model_ = std::move(model);
  c->session_ = std::move(session);
  return c;
}

StatusOr<DocOrientation> DocOrientationClassifier::Classify(const cv::Mat& bgr) {
  PLATEAU_ASSIGN_OR_RETURN(Tensor input, PrepareDocOrientationInput(bgr));
  std::vector<TensorView> outputs;
  PLATEAU_RETURN_IF_ERROR(session_->Run({input.view()}, &outputs));
  if (outputs.size() != 1 || outputs[0].dtype != DType::kFloat32) {
    return Status::Internal("document orientation model " + model_->path() +
                            " did not return one float32 output");
  }
  PLATEAU_RETURN_IF_ERROR(CheckOutput(outputs[0].shape, *model_));
  return DocOrientationFromScores(outputs[0].as<const float>());
}

StatusOr<DocOrientation> EstimateDocOrientation(const cv::Mat& page, const DetBoxes& boxes,
                                                TextlineClassifier& classifier,
                                                const DocOrientationVoteOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckPage(page));
  if (options.max_lines < 1 || options.batch_size < 1) {
    return Status::InvalidArgument("document orientation vote: max_lines (" +
                                   std::to_string(options.max_lines) + ") and batch_size (" +
                                   std::to_string(options.batch_size) + ") must be at least 1");
  }
  struct Line {
    size_t index;
    double length;  // the longer side
  };
  std::vector<Line> wide, tall;
  double wide_weight = 0, tall_weight = 0;
  for (size_t i = 0; i < boxes.quads.size(); ++i) {
    const cv::Size size = QuadCropSize(boxes.quads[i]);
    if (size.width <= 0 || size.height <= 0) continue;
    if (size.width >= kVerticalLineRatio * size.height) {
      wide.push_back({i, static_cast<double>(size.width)});
      wide_weight += size.width;
    } else if (size.height >= kVerticalLineRatio * size.width) {
      tall.push_back({i, static_cast<double>(size.height)});
      tall_weight += size.height;
    }
  }
  DocOrientation result;
  if (wide.empty() && tall.empty()) {
    result.scores.fill(1.0f / kDocOrientationClasses);
    result.class_id = 0;
    result.score = result.scores[0];
    return result;
  }
  const bool vertical = tall_weight > wide_weight;
  std::vector<Line>& lines = vertical ? tall : wide;
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.length > b.length; });
  if (lines.size() > static_cast<size_t>(options.max_lines))
    lines.resize(static_cast<size_t>(options.max_lines));

  std::vector<cv::Mat> crops;
  crops.reserve(lines.size());
  for (const Line& line : lines) {
    PLATEAU_ASSIGN_OR_RETURN(cv::Mat crop, CropTextLine(page, boxes.quads[line.index]));
    crops.push_back(std::move(crop));
  }
  PLATEAU_ASSIGN_OR_RETURN(std::vector<TextlineOrientation> votes,
                           classifier.Classify(crops, options.batch_size));
  double margin = 0, weight = 0;
  for (size_t i = 0; i < votes.size(); ++i) {
    const double p180 = votes[i].label == kTextline180 ? votes[i].score : 1.0 - votes[i].score;
    margin += lines[i].length * (2.0 * p180 - 1.0);
    weight += lines[i].length;
  }
  margin /= weight;  // in [-1, 1]; > 0: the lines read upside down
  const double p_axis = std::max(wide_weight, tall_weight) / (wide_weight + tall_weight);
  const double p_flip = 0.5 * (1.0 + margin);
  // Classes along the dominant axis share p_axis by the vote; the other two share the rest.
  const int keep = vertical ? 1 : 0;
  const int flip = vertical ? 3 : 2;
  result.scores.fill(static_cast<float>(0.5 * (1.0 - p_axis)));
  result.scores[keep] = static_cast<float>(p_axis * (1.0 - p_flip));
  result.scores[flip] = static_cast<float>(p_axis * p_flip);
  result.class_id = margin > 0 ? flip : keep;
  result.score = result.scores[result.class_id];
  return result;
}

cv::Mat TurnPage(const cv::Mat& page, int angle) {
  cv::Mat turned;
  switch (angle) {
    case 0:
      return page;
    case 90:
      cv::rotate(page, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
      return turned;
    case 180:
      cv::rotate(page, turned, cv::ROTATE_180);
      return turned;
    case 270:
      cv::rotate(page, turned, cv::ROTATE_90_CLOCKWISE);
      return turned;
  }
  PLATEAU_CHECK(angle == 0 || angle == 90 || angle == 180 || angle == 270);
  return page;
}

cv::Point2f TurnPoint(const cv::Point2f& p, int angle, int width, int height) {
  switch (angle) {
    case 0:
      return p;
    case 90:  // counter-clockwise: the right edge becomes the top
      return {p.y, static_cast<float>(width) - p.x};
    case 180:
      return {static_cast<float>(width) - p.x, static_cast<float>(height) - p.y};
    case 270:  // clockwise: the bottom edge becomes the left
      return {static_cast<float>(height) - p.y, p.x};
  }
  PLATEAU_CHECK(angle == 0 || angle == 90 || angle == 180 || angle == 270);
  return p;
}

void TurnBoxes(DetBoxes* boxes, int angle, int width, int height) {
  if (angle == 0) return;
  for (Quad& q : boxes->quads) {
    Quad turned;
    for (int i = 0; i < 4; ++i) turned[i] = TurnPoint(q[i], angle, width, height);
    q = OrderCorners(turned);
  }
  SortQuadsReadingOrder(boxes);
}

}  // namespace plateau::ocr
