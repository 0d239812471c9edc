// Text line crops: cut the region of a detected quadrilateral out of a page image, straightened, with the
// geometry of PaddleX / PaddleOCR so that the recogniser sees the pixels it was trained on.
//
//   Quad box = {{{72, 25}, {326, 25}, {326, 64}, {72, 64}}};   // top-left, top-right, bottom-right,
//   bottom-left PLATEAU_ASSIGN_OR_RETURN(cv::Mat line, plateau::ocr::CropTextLine(page_bgr, box));
//
// Two entry points:
//   CropQuad      PaddleOCR's get_rotate_crop_image: a perspective warp of exactly the given quad.
//   CropTextLine  what the PaddleX 3.x OCR pipeline does for quad boxes (CropByPolys, det_box_type "quad"):
//                 replace the quad by the minimum-area rectangle of its integer-truncated corners, order
//                 that rectangle's corners, then CropQuad. For a detector's (already rectangular) boxes the
//                 two agree up to the truncation of the corners.
//
// Both work on any non-empty cv::Mat (the warp does not care about the type; the recogniser wants 8-bit
// BGR). They are pure functions: no state, safe from any thread. The result owns its pixels.
#pragma once

#include <array>
#include <opencv2/core.hpp>

#include "plateau/status.h"

namespace plateau::ocr {

// Four corners in image pixels, clockwise from the top-left of the text: top-left, top-right,
// bottom-right, bottom-left (the order of the detector's boxes and of the SROIE labels).
using Quad = std::array<cv::Point2f, 4>;

// A crop whose height / width reaches this ratio is taken for vertical text and turned 90 degrees
// counter-clockwise (PaddleOCR's rule; numpy's rot90).
inline constexpr double kVerticalLineRatio = 1.5;

// Output size of CropQuad before any rotation: width = the longer of the edges p0-p1 and p2-p3, height =
// the longer of p0-p3 and p1-p2, each truncated to an integer (lengths computed in float32 as PaddleOCR).
cv::Size QuadCropSize(const Quad& quad);

// Warps the quad onto an upright QuadCropSize(quad) rectangle (corner i of the quad lands on corner i of
// the rectangle; bicubic interpolation; pixels outside the image repeat the border), then rotates the
// result 90 degrees counter-clockwise if height / width >= kVerticalLineRatio.
// Fails (InvalidArgument) on an empty image, non-finite corners, or a quad whose crop would be less than
// one pixel wide or high.
StatusOr<cv::Mat> CropQuad(const cv::Mat& image, const Quad& quad);

// The minimum-area rectangle around the quad's corners (each coordinate truncated toward zero first, as
// PaddleX converts to int32), with its corners ordered top-left, top-right, bottom-right, bottom-left by
// PaddleX's rule: sort by x (stable); of the two leftmost the one with the smaller y is the top-left
// (ties go to the later one); likewise on the right.
Quad MinAreaRectQuad(const Quad& quad);

// CropQuad(image, MinAreaRectQuad(quad)): PaddleX's crop of a detected quad.
StatusOr<cv::Mat> CropTextLine(const cv::Mat& image, const Quad& quad);

}  // namespace plateau::ocr
