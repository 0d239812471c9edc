// Batching text line crops for the recognition network the way PaddleX 3.x's TextRecPredictor does:
// every line is prepared on its own (OCRReisizeNormImg), then the batch is zero padded on the right to
// its widest member (ToBatch).
//
// A line's own width is RecBatchWidth({line}) = int(48 * max(320/48, w/h)), at most 3200; its pixels are
// resized to height 48 and min(ceil(48 * w/h), own width) columns (stretched to 3200 when wider),
// normalised to (x/255 - 0.5)/0.5, and followed by zeros. So a line's pixels do not depend on the other
// lines of its batch; only the amount of zero padding does. (PaddleOCR 2.x instead sized every line of a
// batch against the batch's widest ratio, which can change a line's resized width by one column.)
//
// Shape buckets. Every distinct batch shape (lines x width) needs its own execution plan, so the recogniser
// pads each batch further, to the next bucket: widths to kRecWidthBuckets (roughly x1.25 apart, from the
// default 320 to the maximum 3200) and line counts to a power of two or the batch size (RecBucketLines).
// At batch size 6 a session then meets at most 11 x 4 shapes, whatever the pages. Padding columns are
// zeros like PaddleX's own padding; padding lines are zeros and their results are discarded.
//
// Pure functions, safe from any thread.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ocr {

inline constexpr int kRecWidthBuckets[] = {320, 400, 480, 640, 800, 960, 1280, 1600, 1920, 2560, 3200};

// Width of the batch tensor for these lines: the largest of their own widths.
int RecPaddedBatchWidth(const std::vector<cv::Mat>& crops);

// The smallest bucket >= width (widths beyond the last bucket are returned unchanged).
int RecBucketWidth(int width);
// Lines of the batch tensor for n lines (1 <= n <= batch_size): the smallest power of two >= n, or
// batch_size when that is smaller.
int RecBucketLines(int n, int batch_size);

// N crops (8-bit BGR) -> float32 rows x 3 x 48 x max(RecPaddedBatchWidth(crops), min_width), with
// rows = max(N, min_rows) and the rows after N all zeros. Fails on an empty list and, naming the line, on
// an empty or non-BGR crop.
StatusOr<Tensor> PrepareRecBatchPerLine(const std::vector<cv::Mat>& crops, int min_width = 0,
                                        int min_rows = 0);

}  // namespace plateau::ocr
