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
// Pure functions, safe from any thread.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ocr {

// Width of the batch tensor for these lines: the largest of their own widths.
int RecPaddedBatchWidth(const std::vector<cv::Mat>& crops);

// N crops (8-bit BGR) -> float32 N x 3 x 48 x RecPaddedBatchWidth(crops). Fails on an empty list and,
// naming the line, on an empty or non-BGR crop.
StatusOr<Tensor> PrepareRecBatchPerLine(const std::vector<cv::Mat>& crops);

}  // namespace plateau::ocr
