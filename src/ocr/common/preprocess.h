// Model input preparation for the PP-OCRv4 models, with the semantics of PaddleX / PaddleOCR so that
// plateau feeds the networks exactly what they were trained and exported with:
//
//   det: DetResizeForTest (limit_side_len / limit_type, sides rounded to multiples of 32, max_side_limit)
//        then NormalizeImage (x/255, ImageNet mean/std) applied to the BGR channels in BGR order, CHW.
//   rec: resize to height 48 keeping the aspect ratio (width ceil(48*w/h), capped), (x/255 - 0.5)/0.5,
//        zero padding on the right up to the batch width, CHW.
//   cls: as rec with a fixed 3x48x192 input.
//
//   PLATEAU_ASSIGN_OR_RETURN(plateau::ocr::DetInput det, plateau::ocr::PrepareDetInput(bgr, {}));
//   session->Run({det.tensor.view()}, &outputs);  // outputs[0]: 1x1xHxW probability map
//   // a map point (x, y) lies at (x * det.source_width / W, y * det.source_height / H) in the image.
//
// Images are cv::Mat of type CV_8UC3 in BGR order (what cv::imread returns). Functions are pure: they
// keep no state and are safe to call from any thread. Invalid arguments yield InvalidArgument errors.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ocr {

// How DetResizeForTest picks the scale before rounding to multiples of 32.
enum class LimitType {
  kMax,         // shrink so the longer side is at most limit_side_len (never enlarge)
  kMin,         // enlarge so the shorter side is at least limit_side_len (never shrink)
  kResizeLong,  // scale so the longer side equals limit_side_len
};

struct DetResizeOptions {
  int limit_side_len = 960;
  LimitType limit_type = LimitType::kMax;
  // After the limit is applied, a longer side above this is scaled down to it (before rounding).
  int max_side_limit = 4000;
};

struct SizeHw {
  int height = 0;
  int width = 0;
  bool operator==(const SizeHw&) const = default;
};

// The network input size DetResizeForTest chooses for an image of height x width: scaled per `options`,
// truncated to integers, clamped by max_side_limit, then each side rounded to the nearest multiple of 32
// (halves to even, as Python's round) and at least 32.
StatusOr<SizeHw> DetTargetSize(int height, int width, const DetResizeOptions& options);

// A prepared detection input.
struct DetInput {
  Tensor tensor;  // float32 1x3xHxW, BGR channel planes
  // The image as given (before the zero padding of tiny images, see PrepareDetInput).
  int source_height = 0;
  int source_width = 0;
  // H / source_height and W / source_width of the image actually resized (PaddleX's ratio_h, ratio_w).
  float ratio_h = 1.0f;
  float ratio_w = 1.0f;
};

// The page resized for detection, still 8-bit BGR (3 bytes a pixel, a quarter of the float input).
struct DetResizedPage {
  cv::Mat bgr;  // CV_8UC3 of DetTargetSize; shares the input's pixels when no resize was needed
  int source_height = 0;
  int source_width = 0;
  float ratio_h = 1.0f;  // as DetInput's
  float ratio_w = 1.0f;
};

// An image whose height + width is below 64 padded with black at the bottom and right to at least 32x32,
// as PaddleX does before resizing for detection; any other image as it is (shared, not copied).
cv::Mat PadTinyForDet(const cv::Mat& bgr);

// The resize of PrepareDetInput without the normalisation.
StatusOr<DetResizedPage> ResizeForDet(const cv::Mat& bgr, const DetResizeOptions& options);

// Resizes per `options` and normalises. Images whose height + width is below 64 are first padded with
// black at the bottom and right to at least 32x32, as PaddleX does.
StatusOr<DetInput> PrepareDetInput(const cv::Mat& bgr, const DetResizeOptions& options);
// Resizes to exactly height x width (no aspect ratio kept) and normalises; used for fixed-shape goldens.
StatusOr<DetInput> PrepareDetInputExact(const cv::Mat& bgr, int height, int width);

// Writes (x/255 - mean[c]) / std[c] with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) for
// channel c of the BGR image (so B uses 0.485/0.229: PaddleOCR applies the ImageNet RGB constants to
// BGR data and the models were trained that way) as CHW planes into `out` (3 * rows * cols floats).
void NormalizeDetChw(const cv::Mat& bgr, float* out);

// Text line input height of the rec and cls models.
inline constexpr int kLineHeight = 48;
// PP-OCRv4 rec default input width, and the width cap PaddleX applies to one batch (a line's own width:
// rec_batch.h, RecLineWidth).
inline constexpr int kRecDefaultWidth = 320;
inline constexpr int kRecMaxWidth = 3200;
inline constexpr int kClsWidth = 192;

// Width of a text line resized to height 48 with its aspect ratio kept: ceil(48 * w / h), at most
// `max_width` (and at least 1).
int LineResizedWidth(int height, int width, int max_width);

// Resizes one crop to 48 x LineResizedWidth(h, w, target_width), writes (x/255 - 0.5)/0.5 as CHW into
// `out` (3 * 48 * target_width floats) and zero-fills the columns right of the resized width.
Status PrepareLineChw(const cv::Mat& bgr_crop, int target_width, float* out);

// N crops -> float32 Nx3x48xtarget_width.
StatusOr<Tensor> PrepareFixedWidthLineBatch(const std::vector<cv::Mat>& crops, int target_width);
// N crops -> float32 Nx3x48x192.
StatusOr<Tensor> PrepareClsBatch(const std::vector<cv::Mat>& crops);

}  // namespace plateau::ocr
