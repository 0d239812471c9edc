// The batch schedule of text line recognition and orientation: which lines run together, in which order,
// at which tensor shape. The schedule is data, computed once; the recogniser runs it
// (TextRecognizer::Recognize), the pipeline predicts and warms memory from it (PredictMemory, Warmup) and
// the memory budget sizes batches with it (ChooseRecBatch), so what is predicted is what runs.
//
//   std::vector<cv::Size> sizes = ...;  // one per text line crop
//   for (const LineBatch& b : ScheduleRecBatches(sizes, {.batch_size = 6})) {
//     // run rows b.lines[0..] of a b.shape() tensor
//   }
//
// Lines. A line's own width is RecLineWidth = int(48 * max(320/48, w/h)), at most 3200 (PaddleX 3.x's
// OCRReisizeNormImg). Its pixels are resized to height 48 and min(ceil(48 * w/h), own width) columns,
// normalised to (x/255 - 0.5)/0.5 and followed by zeros (PrepareRecBatchPerLine).
//
// The recognition schedule, in order:
//   1. lines are ordered by aspect ratio w/h, stable (PaddleX's order), which is also the order of their
//      own widths;
//   2. each line's width bucket is RecBucketWidth(own width), one of kRecWidthBuckets (roughly x1.25
//      apart, 320 to 3200); the lines of one bucket form a group, groups in ascending width;
//   3. a group is cut into batches of at most RecBatchLineLimit(bucket, batch_size) =
//      max(1, min(batch_size, kRecBatchColumns / bucket)) lines; a batch holds that many lines, and the
//      group's remainder runs one line at a time. A batch's tensor is exactly its lines (no padding rows)
//      x 3 x 48 x its bucket.
//
// Why this rule:
//   - A line is padded to its own bucket, never to a wider neighbour's, so its tensor row is the same in
//     every batch and at every batch size: the text read from a line does not depend on batching. (The
//     network attends over the whole row, zeros included, so padding to a neighbour's width could change
//     a reading.)
//   - Every batch of more than one line holds at most kRecBatchColumns columns (x 3 x 48 floats), a
//     constant of the pipeline: one line of the widest width. A line that wide runs alone; short lines
//     run batch_size at a time. The arena of recognition is thus bounded by the largest plan of
//     RecScheduleShapes, whatever the pages. A larger bound buys no speed: recognition time per line is
//     the same at every batch size on CPU (docs/BENCHMARKS.md, "Recognition batches").
//   - text_recognition_batch_size keeps PaddleX's meaning, lines per batch, as an upper bound; the pixel
//     bound only lowers it for wide lines. Batch size 1 runs every line alone.
//   - Remainders run line by line rather than padded with zero rows: with time per line flat in the batch
//     size, a padding row costs as much as a line, while a smaller batch costs nothing. Every distinct
//     shape costs a plan (kernels, generated code: megabytes each), so a remainder does not get a shape
//     of its own size either: per bucket there are two shapes, one line and the line limit
//     (RecScheduleShapes; 19 at batch size 6).
//
// Without bucket_shapes (PaddleX's exact shapes, for comparisons): batches of consecutive lines in the
// same order, each padded only to its widest line and holding at most max(1, min(batch_size,
// kRecBatchColumns / that width)) lines; a line's padding then depends on its batch.
//
// Orientation: every line is 48 x 192, so batches are consecutive lines in input order: batch_size at a
// time, the remainder line by line as above (ScheduleClsBatches, ClsScheduleShapes).
//
// Pure functions, safe from any thread. batch_size < 1 is a programmer error (CHECK): callers validate
// the option and report it.
#pragma once

#include <cstddef>
#include <opencv2/core.hpp>
#include <vector>

#include "ocr/common/preprocess.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ocr {

inline constexpr int kRecWidthBuckets[] = {320, 400, 480, 640, 800, 960, 1280, 1600, 1920, 2560, 3200};
static_assert(kRecWidthBuckets[0] == kRecDefaultWidth && std::size(kRecWidthBuckets) == 11 &&
              kRecWidthBuckets[10] == kRecMaxWidth);

// The pixel bound of a recognition batch, in columns of the 48-row input: rows x width of any batch is at
// most this, or one line.
inline constexpr int kRecBatchColumns = kRecMaxWidth;

struct RecScheduleOptions {
  int batch_size = 6;  // most lines per batch (text_recognition_batch_size); >= 1
  bool bucket_shapes = true;
};

// One network run (recognition or orientation): lines[k] (an index into the scheduled list) is row k of a
// rows x 3 x 48 x width tensor, rows == lines.size().
struct LineBatch {
  std::vector<size_t> lines;
  int rows = 0;
  int width = 0;
  Shape shape() const;
};

// A line's own recognition width: int(48 * max(320/48, w/h)), at most 3200; 320 for a line of no height.
int RecLineWidth(cv::Size line);
// Width of the batch tensor for these lines: the largest of their own widths.
int RecPaddedBatchWidth(const std::vector<cv::Mat>& crops);
// The smallest bucket >= width (widths beyond the last bucket are returned unchanged).
int RecBucketWidth(int width);
// Most lines of a batch whose tensor is `width` columns wide: max(1, min(batch_size, kRecBatchColumns /
// width)).
int RecBatchLineLimit(int width, int batch_size);
// Rows of the next batch of a group with `remaining` lines (>= 1) and a line limit `limit`: the limit
// when that many remain, else 1.
int NextBatchRows(int remaining, int limit);

// Stable order of the lines by aspect ratio w/h, ascending (a line of no height counts as ratio 0).
std::vector<size_t> OrderByAspectRatio(const std::vector<cv::Size>& lines);

// The recognition schedule of these lines (see above): every index exactly once, batches in ascending
// width. Empty lines give no batches.
std::vector<LineBatch> ScheduleRecBatches(const std::vector<cv::Size>& lines,
                                          const RecScheduleOptions& options);
// Every tensor shape ScheduleRecBatches can produce with bucket_shapes at this batch size, whatever the
// lines, by width then rows.
std::vector<Shape> RecScheduleShapes(int batch_size);

// The orientation schedule of `lines` lines (see above), every index once, in input order.
std::vector<LineBatch> ScheduleClsBatches(size_t lines, int batch_size);
// Every shape ScheduleClsBatches can produce at this batch size, by rows.
std::vector<Shape> ClsScheduleShapes(int batch_size);

// N crops (8-bit BGR) -> float32 rows x 3 x 48 x max(RecPaddedBatchWidth(crops), min_width), with
// rows = max(N, min_rows) and the rows after N all zeros. Fails on an empty list and, naming the line, on
// an empty or non-BGR crop.
StatusOr<Tensor> PrepareRecBatchPerLine(const std::vector<cv::Mat>& crops, int min_width = 0,
                                        int min_rows = 0);

}  // namespace plateau::ocr
