// DB (Differentiable Binarization) post-processing: from the text probability map of a DB detector such
// as PP-OCRv4 det to text boxes in image coordinates, with the semantics of PaddleX / PaddleOCR 3.x
// (DBPostProcess with score_mode "fast", box_type "quad", then the OCR pipeline's reading-order sort).
//
//   DbOptions options;  // thresh 0.3, box_thresh 0.6, unclip_ratio 1.5, at most 1000 candidates
//   PLATEAU_ASSIGN_OR_RETURN(DetBoxes boxes,
//                            DbPostprocess(outputs[0], image.rows, image.cols, options));
//   for (size_t i = 0; i < boxes.quads.size(); ++i) Use(boxes.quads[i], boxes.scores[i]);
//
// Steps, for one map of map_height x map_width:
//   1. bitmap = prob > thresh (optionally dilated by a 2x2 kernel);
//   2. outer and inner contours of the bitmap (OpenCV findContours, RETR_LIST, CHAIN_APPROX_SIMPLE), at
//      most max_candidates of them, in OpenCV's order;
//   3. per contour, its minimum-area rectangle; dropped if its shorter side < min_size;
//   4. score = mean probability over the pixels of the rectangle (filled polygon, map coordinates);
//      dropped if score < box_thresh;
//   5. the rectangle is grown ("unclipped") by distance = area * unclip_ratio / perimeter with round
//      joins (Clipper, integer coordinates), then the minimum-area rectangle of the grown polygon;
//      dropped if its shorter side < min_size + 2;
//   6. corners scaled by dest_width / map_width and dest_height / map_height, rounded to whole numbers
//      (halves to even) and clamped to [0, dest_width] x [0, dest_height];
//   7. boxes sorted in reading order (SortQuadsReadingOrder).
//
// The scale in step 6 is the size of the source image over the size of the map, as PaddleX does (not the
// ratios of the resize), so a map made from a padded tiny image is mapped as PaddleX maps it.
//
// Functions are pure: no state, safe from any thread. Bad arguments yield InvalidArgument.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ocr {

// Four corners in image pixels: top-left, top-right, bottom-right, bottom-left (clockwise on screen).
// Of the two leftmost corners the upper one comes first; of the two rightmost the upper one is second.
using Quad = std::array<cv::Point2f, 4>;

struct DbOptions {
  // Probability above which a map pixel counts as text.
  double thresh = 0.3;
  // Minimum mean probability inside a box for it to be kept.
  double box_thresh = 0.6;
  // How far boxes are grown: distance = area * unclip_ratio / perimeter. Must be > 0.
  double unclip_ratio = 1.5;
  // Contours examined at most (the rest are ignored).
  int max_candidates = 1000;
  // Boxes whose shorter side is below this (map pixels) are dropped; after growing, below min_size + 2.
  int min_size = 3;
  // Dilate the bitmap with a 2x2 kernel before finding contours.
  bool use_dilation = false;
};

struct DetBoxes {
  std::vector<Quad> quads;    // in reading order
  std::vector<float> scores;  // scores[i] belongs to quads[i]: mean map probability inside the box
};

// `prob` is a CV_32FC1 map (any stride). dest_* is the size of the image the boxes are reported in.
StatusOr<DetBoxes> DbPostprocess(const cv::Mat& prob, int dest_height, int dest_width,
                                 const DbOptions& options);
// The same on a map held in two parts, as tiled detection stitches it (2 bytes a pixel instead of the float
// map's 4 plus the bitmap's 1): `bitmap` (CV_8UC1, 255 where the probability exceeds options.thresh, else
// 0; dilated here when options.use_dilation) and `score` (CV_8UC1, the probability x kScoreMapScale,
// rounded). A box score is the mean of its pixels' scores / kScoreMapScale: each pixel is within
// 0.5 / kScoreMapScale of the float map's, and so is the mean. The thresholds themselves are applied to
// the float map (`bitmap`), so only box scores carry the rounding. On the 100 SROIE receipts the 8-bit
// map found the same boxes as a 16-bit one (docs/BENCHMARKS.md, "8-bit stitched scores").
inline constexpr double kScoreMapScale = 255.0;
StatusOr<DetBoxes> DbPostprocessSplit(cv::Mat bitmap, const cv::Mat& score, int dest_height, int dest_width,
                                      const DbOptions& options);
// A CV_8UC1 rows x cols bitmap inside a frame of zeros one pixel wide (the frame is not part of the Mat
// returned). Its own pixels are not initialised: the caller writes every one. DbPostprocessSplit traces the
// contours of such a bitmap where it lies, overwriting it; any other bitmap is traced on a framed copy, as
// cv::findContours does.
cv::Mat NewBorderedBitmap(int rows, int cols);
// Same for a float32 1x1xHxW tensor (the det model's output).
StatusOr<DetBoxes> DbPostprocess(const TensorView& prob, int dest_height, int dest_width,
                                 const DbOptions& options);

// Orders boxes top to bottom by the y of their first corner (ties by x), then, as PaddleOCR's
// sorted_boxes, moves a box before its predecessors while both lie on one line (first-corner y differing
// by less than 10 px) and it is further left. Keeps `scores` paired with `quads`.
void SortQuadsReadingOrder(DetBoxes* boxes);

// Building blocks, exposed for tests.

// The minimum-area rectangle of `points` with corners ordered as Quad, and its shorter side.
struct MiniBox {
  Quad quad;
  float short_side = 0;
};
MiniBox MinimumAreaBox(const std::vector<cv::Point>& points);
MiniBox MinimumAreaBox(const std::vector<cv::Point2f>& points);

// Mean of `prob` over the pixels of the filled polygon `quad` (map coordinates), restricted to the map;
// 0 if no pixel is covered.
double BoxScoreFast(const cv::Mat& prob, const Quad& quad);

// The unclip distance for `quad`: area * unclip_ratio / perimeter (0 for a degenerate quad).
double UnclipDistance(const Quad& quad, double unclip_ratio);

// `quad` truncated to integer coordinates and offset outwards by UnclipDistance with round joins. Empty
// if the offset yields nothing.
std::vector<cv::Point> UnclipQuad(const Quad& quad, double unclip_ratio);

}  // namespace plateau::ocr
