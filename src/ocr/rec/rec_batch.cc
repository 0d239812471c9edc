#include "ocr/rec/rec_batch.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "ocr/common/preprocess.h"

namespace plateau::ocr {
namespace {

int OwnWidth(const cv::Mat& crop) { return RecBatchWidth(std::vector<cv::Mat>{crop}); }

}  // namespace

int RecPaddedBatchWidth(const std::vector<cv::Mat>& crops) {
  int width = 0;
  for (const cv::Mat& crop : crops) width = std::max(width, OwnWidth(crop));
  return width;
}

int RecBucketWidth(int width) {
  for (int bucket : kRecWidthBuckets) {
    if (width <= bucket) return bucket;
  }
  return width;
}

int RecBucketLines(int n, int batch_size) {
  int lines = 1;
  while (lines < n) lines *= 2;
  return std::max(n, std::min(lines, batch_size));
}

StatusOr<Tensor> PrepareRecBatchPerLine(const std::vector<cv::Mat>& crops, int min_width, int min_rows) {
  if (crops.empty()) return Status::InvalidArgument("text line batch is empty");
  const int batch_width = std::max(RecPaddedBatchWidth(crops), min_width);
  const int64_t n = std::max(static_cast<int64_t>(crops.size()), static_cast<int64_t>(min_rows));
  PLATEAU_ASSIGN_OR_RETURN(Tensor batch,
                           Tensor::Zeros(DType::kFloat32, Shape({n, 3, kLineHeight, batch_width})));
  const size_t batch_row = static_cast<size_t>(batch_width);
  const size_t per_line = 3 * static_cast<size_t>(kLineHeight) * batch_row;
  std::vector<float> line;
  for (size_t i = 0; i < crops.size(); ++i) {
    const int width = OwnWidth(crops[i]);
    line.resize(3 * static_cast<size_t>(kLineHeight) * static_cast<size_t>(width));
    Status s = PrepareLineChw(crops[i], width, line.data());
    if (!s.ok()) return s.WithContext("text line " + std::to_string(i));
    // The line was laid out with its own row stride; re-lay it with the batch's, leaving the zeros of
    // Tensor::Zeros to the right.
    float* out = batch.as<float>() + i * per_line;
    for (size_t row = 0; row < 3 * static_cast<size_t>(kLineHeight); ++row) {
      std::memcpy(out + row * batch_row, line.data() + row * static_cast<size_t>(width),
                  static_cast<size_t>(width) * sizeof(float));
    }
  }
  return batch;
}

}  // namespace plateau::ocr
