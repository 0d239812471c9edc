#include "ocr/rec/rec_batch.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "common/check.h"

namespace plateau::ocr {

Shape LineBatch::shape() const { return Shape({rows, 3, kLineHeight, width}); }

int RecLineWidth(cv::Size line) {
  double ratio = static_cast<double>(kRecDefaultWidth) / kLineHeight;
  if (line.height > 0) ratio = std::max(ratio, static_cast<double>(line.width) / line.height);
  // Compared before converting: a huge ratio must not overflow the int.
  const double width = kLineHeight * ratio;
  return width >= kRecMaxWidth ? kRecMaxWidth : static_cast<int>(width);
}

int RecPaddedBatchWidth(const std::vector<cv::Mat>& crops) {
  int width = 0;
  for (const cv::Mat& crop : crops) width = std::max(width, RecLineWidth(crop.size()));
  return width;
}

int RecBucketWidth(int width) {
  for (int bucket : kRecWidthBuckets) {
    if (width <= bucket) return bucket;
  }
  return width;
}

int RecBatchLineLimit(int width, int batch_size) {
  PLATEAU_CHECK(batch_size >= 1 && width >= 1);
  return std::max(1, std::min(batch_size, kRecBatchColumns / width));
}

int NextBatchRows(int remaining, int limit) {
  PLATEAU_CHECK(remaining >= 1 && limit >= 1);
  return remaining >= limit ? limit : 1;
}

std::vector<size_t> OrderByAspectRatio(const std::vector<cv::Size>& lines) {
  std::vector<double> ratio(lines.size(), 0.0);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].height > 0) ratio[i] = static_cast<double>(lines[i].width) / lines[i].height;
  }
  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ratio[a] < ratio[b]; });
  return order;
}

std::vector<LineBatch> ScheduleRecBatches(const std::vector<cv::Size>& lines,
                                          const RecScheduleOptions& options) {
  PLATEAU_CHECK(options.batch_size >= 1);
  const std::vector<size_t> order = OrderByAspectRatio(lines);
  std::vector<LineBatch> batches;
  size_t begin = 0;
  while (begin < order.size()) {
    LineBatch batch;
    if (options.bucket_shapes) {
      // The group of lines sharing the first line's bucket; the order by ratio is also the order by own
      // width, so a group is a run of consecutive lines.
      const int bucket = RecBucketWidth(RecLineWidth(lines[order[begin]]));
      size_t end = begin + 1;
      while (end < order.size() && RecBucketWidth(RecLineWidth(lines[order[end]])) == bucket) ++end;
      const int limit = RecBatchLineLimit(bucket, options.batch_size);
      batch.width = bucket;
      batch.rows = NextBatchRows(static_cast<int>(end - begin), limit);
    } else {
      // Consecutive lines while the batch, padded to its widest (its last) line, stays within the bound.
      size_t end = begin + 1;
      batch.width = RecLineWidth(lines[order[begin]]);
      while (end < order.size()) {
        const int width = std::max(batch.width, RecLineWidth(lines[order[end]]));
        if (static_cast<int>(end - begin) + 1 > RecBatchLineLimit(width, options.batch_size)) break;
        batch.width = width;
        ++end;
      }
      batch.rows = static_cast<int>(end - begin);
    }
    batch.lines.assign(order.begin() + static_cast<std::ptrdiff_t>(begin),
                       order.begin() + static_cast<std::ptrdiff_t>(begin) + batch.rows);
    begin += static_cast<size_t>(batch.rows);
    batches.push_back(std::move(batch));
  }
  return batches;
}

namespace {

// The row counts NextBatchRows can give under `limit`.
std::vector<int> RowLadder(int limit) {
  return limit == 1 ? std::vector<int>{1} : std::vector<int>{1, limit};
}

}  // namespace

std::vector<Shape> RecScheduleShapes(int batch_size) {
  PLATEAU_CHECK(batch_size >= 1);
  std::vector<Shape> shapes;
  for (int width : kRecWidthBuckets) {
    for (int rows : RowLadder(RecBatchLineLimit(width, batch_size))) {
      shapes.push_back(LineBatch{{}, rows, width}.shape());
    }
  }
  return shapes;
}

std::vector<LineBatch> ScheduleClsBatches(size_t lines, int batch_size) {
  PLATEAU_CHECK(batch_size >= 1);
  std::vector<LineBatch> batches;
  for (size_t begin = 0; begin < lines;) {
    LineBatch batch;
    batch.width = kClsWidth;
    batch.rows = NextBatchRows(
        static_cast<int>(std::min<size_t>(lines - begin, static_cast<size_t>(batch_size))), batch_size);
    batch.lines.resize(static_cast<size_t>(batch.rows));
    std::iota(batch.lines.begin(), batch.lines.end(), begin);
    begin += static_cast<size_t>(batch.rows);
    batches.push_back(std::move(batch));
  }
  return batches;
}

std::vector<Shape> ClsScheduleShapes(int batch_size) {
  PLATEAU_CHECK(batch_size >= 1);
  std::vector<Shape> shapes;
  for (int rows : RowLadder(batch_size)) shapes.push_back(LineBatch{{}, rows, kClsWidth}.shape());
  return shapes;
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
    const int width = RecLineWidth(crops[i].size());
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
