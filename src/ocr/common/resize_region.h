// A window of an 8-bit bilinear resize, computed without the rest of the resized image.
//
//   cv::Mat window;
//   ResizeLinearRegion(page, cv::Size(2496, 3520), cv::Rect(0, 896, 1152, 896), &window);
//   // window equals cv::resize(page, whole, cv::Size(2496, 3520), 0, 0, cv::INTER_LINEAR) then
//   // whole(cv::Rect(0, 896, 1152, 896)), pixel for pixel
//
// Tiled detection needs the page resized to multiples of 32 but only one window of it at a time; the
// whole resized copy of an A4 scan is 26 MB. The arithmetic is OpenCV 4's for 8-bit INTER_LINEAR: the
// source coordinate of output column x is (x + 0.5) * (source width / output width) - 0.5 as a float,
// split into a column and an 11-bit fixed-point weight pair (clamped at the edges), the same per row,
// a horizontal pass in 32-bit integers, then a vertical pass whose rounding OpenCV computes two ways: its
// 16-bit vector form over the first elements of a row, then its exact form for the rest. Which form
// an element gets depends on its position in the whole output row (RowVectorElements), so a window
// rounds each pixel as the whole resize does. The test (resize_region_test.cc) compares windows with
// cv::resize over many sizes; a build of OpenCV with other vector widths would fail it.
//
// Thread-safe; `out` is (re)allocated as region.height x region.width CV_8UC3.
#pragma once

#include <opencv2/core.hpp>

namespace plateau::ocr {

// `src` CV_8UC3, non-empty; `size` positive; `region` non-empty and within `size` (CHECKed: callers plan
// their windows inside the page).
void ResizeLinearRegion(const cv::Mat& src, cv::Size size, const cv::Rect& region, cv::Mat* out);

// Elements (columns x 3) at the start of a `row_elements`-long output row that OpenCV's vertical pass
// rounds in its vector form.
int RowVectorElements(int row_elements);

}  // namespace plateau::ocr
