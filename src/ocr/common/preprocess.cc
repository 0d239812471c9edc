#include "ocr/common/preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <string>

namespace plateau::ocr {
namespace {

// ImageNet statistics as PaddleOCR configures NormalizeImage for detection.
constexpr double kDetMean[3] = {0.485, 0.456, 0.406};
constexpr double kDetStd[3] = {0.229, 0.224, 0.225};

Status CheckImage(const cv::Mat& image, const char* what) {
  if (image.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (image.type() != CV_8UC3) {
    return Status::InvalidArgument(std::string(what) + " has OpenCV type " + std::to_string(image.type()) +
                                   " and " + std::to_string(image.channels()) +
                                   " channels; expected 8-bit BGR (CV_8UC3)");
  }
  return Status::Ok();
}

// Python's round() on a float rounds halves to even; nearbyint does the same in the default rounding
// mode, which matters for sides like 48 (1.5 * 32 -> 64) and 80 (2.5 * 32 -> 64).
int64_t RoundToMultipleOf32(int64_t side) {
  const int64_t rounded = static_cast<int64_t>(std::nearbyint(static_cast<double>(side) / 32.0)) * 32;
  return std::max<int64_t>(rounded, 32);
}

StatusOr<Tensor> NewDetTensor(int height, int width) {
  return Tensor::Zeros(DType::kFloat32, Shape({1, 3, height, width}));
}

}  // namespace

StatusOr<SizeHw> DetTargetSize(int height, int width, const DetResizeOptions& options) {
  if (height <= 0 || width <= 0) {
    return Status::InvalidArgument("image size " + std::to_string(height) + "x" + std::to_string(width) +
                                   " is not positive");
  }
  if (options.limit_side_len <= 0 || options.max_side_limit < 32) {
    return Status::InvalidArgument("det resize needs limit_side_len > 0 and max_side_limit >= 32, got " +
                                   std::to_string(options.limit_side_len) + " and " +
                                   std::to_string(options.max_side_limit));
  }
  const double limit = options.limit_side_len;
  const int longer = std::max(height, width);
  const int shorter = std::min(height, width);
  double ratio = 1.0;
  switch (options.limit_type) {
    case LimitType::kMax:
      if (longer > limit) ratio = limit / longer;
      break;
    case LimitType::kMin:
      if (shorter < limit) ratio = limit / shorter;
      break;
    case LimitType::kResizeLong:
      ratio = limit / longer;
      break;
  }
  // Truncation, not rounding, to the integer size: PaddleX uses int(h * ratio).
  int64_t h = static_cast<int64_t>(height * ratio);
  int64_t w = static_cast<int64_t>(width * ratio);
  if (std::max(h, w) > options.max_side_limit) {
    const double clamp = static_cast<double>(options.max_side_limit) / static_cast<double>(std::max(h, w));
    h = static_cast<int64_t>(static_cast<double>(h) * clamp);
    w = static_cast<int64_t>(static_cast<double>(w) * clamp);
  }
  return SizeHw{static_cast<int>(RoundToMultipleOf32(h)), static_cast<int>(RoundToMultipleOf32(w))};
}

void NormalizeDetChw(const cv::Mat& bgr, float* out) {
  // Same arithmetic as PaddleX (x * alpha + beta in float32 with alpha, beta folded in double), so the
  // tensors agree bit for bit rather than within rounding.
  float alpha[3], beta[3];
  for (int c = 0; c < 3; ++c) {
    alpha[c] = static_cast<float>((1.0 / 255.0) / kDetStd[c]);
    beta[c] = static_cast<float>(-kDetMean[c] / kDetStd[c]);
  }
  const size_t plane = static_cast<size_t>(bgr.rows) * bgr.cols;
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* row = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const size_t at = static_cast<size_t>(y) * bgr.cols + x;
      for (int c = 0; c < 3; ++c) {
        out[c * plane + at] = static_cast<float>(row[3 * x + c]) * alpha[c] + beta[c];
      }
    }
  }
}

cv::Mat PadTinyForDet(const cv::Mat& bgr) {
  // The network's 32x downsampling needs at least one cell.
  if (bgr.rows + bgr.cols >= 64) return bgr;
  cv::Mat padded;
  cv::copyMakeBorder(bgr, padded, 0, std::max(32, bgr.rows) - bgr.rows, 0, std::max(32, bgr.cols) - bgr.cols,
                     cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  return padded;
}

StatusOr<DetResizedPage> ResizeForDet(const cv::Mat& bgr, const DetResizeOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckImage(bgr, "detection input image"));
  DetResizedPage result;
  result.source_height = bgr.rows;
  result.source_width = bgr.cols;
  const cv::Mat padded = PadTinyForDet(bgr);
  PLATEAU_ASSIGN_OR_RETURN(SizeHw size, DetTargetSize(padded.rows, padded.cols, options));
  result.bgr = padded;
  if (size.height != padded.rows || size.width != padded.cols) {
    cv::resize(padded, result.bgr, cv::Size(size.width, size.height), 0, 0, cv::INTER_LINEAR);
  }
  result.ratio_h = static_cast<float>(static_cast<double>(size.height) / padded.rows);
  result.ratio_w = static_cast<float>(static_cast<double>(size.width) / padded.cols);
  return result;
}

StatusOr<DetInput> PrepareDetInput(const cv::Mat& bgr, const DetResizeOptions& options) {
  PLATEAU_ASSIGN_OR_RETURN(DetResizedPage page, ResizeForDet(bgr, options));
  DetInput result;
  result.source_height = page.source_height;
  result.source_width = page.source_width;
  result.ratio_h = page.ratio_h;
  result.ratio_w = page.ratio_w;
  PLATEAU_ASSIGN_OR_RETURN(result.tensor, NewDetTensor(page.bgr.rows, page.bgr.cols));
  NormalizeDetChw(page.bgr, result.tensor.as<float>());
  return result;
}

StatusOr<DetInput> PrepareDetInputExact(const cv::Mat& bgr, int height, int width) {
  PLATEAU_RETURN_IF_ERROR(CheckImage(bgr, "detection input image"));
  if (height <= 0 || width <= 0) {
    return Status::InvalidArgument("det input size " + std::to_string(height) + "x" + std::to_string(width) +
                                   " is not positive");
  }
  DetInput result;
  result.source_height = bgr.rows;
  result.source_width = bgr.cols;
  cv::Mat resized = bgr;
  if (height != bgr.rows || width != bgr.cols) {
    cv::resize(bgr, resized, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  }
  result.ratio_h = static_cast<float>(static_cast<double>(height) / bgr.rows);
  result.ratio_w = static_cast<float>(static_cast<double>(width) / bgr.cols);
  PLATEAU_ASSIGN_OR_RETURN(result.tensor, NewDetTensor(height, width));
  NormalizeDetChw(resized, result.tensor.as<float>());
  return result;
}

int LineResizedWidth(int height, int width, int max_width) {
  const double ratio = static_cast<double>(width) / height;
  const double wanted = std::ceil(kLineHeight * ratio);
  if (wanted > max_width) return max_width;
  return std::max(1, static_cast<int>(wanted));
}

Status PrepareLineChw(const cv::Mat& bgr_crop, int target_width, float* out) {
  PLATEAU_RETURN_IF_ERROR(CheckImage(bgr_crop, "text line crop"));
  if (target_width <= 0) {
    return Status::InvalidArgument("text line target width " + std::to_string(target_width) +
                                   " is not positive");
  }
  const int resized_width = LineResizedWidth(bgr_crop.rows, bgr_crop.cols, target_width);
  cv::Mat resized;
  cv::resize(bgr_crop, resized, cv::Size(resized_width, kLineHeight), 0, 0, cv::INTER_LINEAR);
  const size_t plane = static_cast<size_t>(kLineHeight) * target_width;
  std::memset(out, 0, 3 * plane * sizeof(float));
  for (int y = 0; y < kLineHeight; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y);
    for (int x = 0; x < resized_width; ++x) {
      for (int c = 0; c < 3; ++c) {
        // Three float32 steps in PaddleOCR's order (/255, -0.5, /0.5) to reproduce its rounding.
        out[c * plane + static_cast<size_t>(y) * target_width + x] =
            (static_cast<float>(row[3 * x + c]) / 255.0f - 0.5f) / 0.5f;
      }
    }
  }
  return Status::Ok();
}

StatusOr<Tensor> PrepareFixedWidthLineBatch(const std::vector<cv::Mat>& crops, int target_width) {
  if (crops.empty()) return Status::InvalidArgument("text line batch is empty");
  if (target_width <= 0) {
    return Status::InvalidArgument("text line target width " + std::to_string(target_width) +
                                   " is not positive");
  }
  const int64_t n = static_cast<int64_t>(crops.size());
  PLATEAU_ASSIGN_OR_RETURN(Tensor batch,
                           Tensor::Zeros(DType::kFloat32, Shape({n, 3, kLineHeight, target_width})));
  const size_t per_line = 3 * static_cast<size_t>(kLineHeight) * target_width;
  for (size_t i = 0; i < crops.size(); ++i) {
    Status s = PrepareLineChw(crops[i], target_width, batch.as<float>() + i * per_line);
    if (!s.ok()) return s.WithContext("text line " + std::to_string(i));
  }
  return batch;
}

StatusOr<Tensor> PrepareClsBatch(const std::vector<cv::Mat>& crops) {
  return PrepareFixedWidthLineBatch(crops, kClsWidth);
}

}  // namespace plateau::ocr
