// Text detection with a DB model (PP-OCRv4 det): image in, text boxes (quads in image pixels) out,
// reproducing the text detection stage of the PaddleX / PaddleOCR 3.x "OCR" pipeline.
//
//   plateau::ocr::TextDetectorOptions options;
//   options.session.model_path = "models/ch_PP-OCRv4_det_infer.onnx";
//   PLATEAU_ASSIGN_OR_RETURN(auto detector, plateau::ocr::TextDetector::Create(options));
//   PLATEAU_ASSIGN_OR_RETURN(plateau::ocr::DetBoxes boxes, detector->Detect(cv::imread("receipt.jpg")));
//   // boxes.quads[i]: top-left, top-right, bottom-right, bottom-left; boxes.scores[i] in [0, 1].
//
// Detect = the page resized as PaddleX resizes it (DetTargetSize, ocr/common/preprocess.h) -> the model on
// windows of a few fixed shapes, one after another in one Session (ocr/det/det_tiles.h), their maps'
// cores stitched into the page's map -> DbPostprocess (ocr/det/db_postprocess.h) on that map, boxes in
// reading order. Each window is resized from the page on its own (ocr/common/resize_region.h: the same
// pixels as resizing the whole page) and normalised into the arena's input, so neither a resized page
// nor a float page is ever held. With `tiled` off the model runs once on the whole resized page
// (PaddleX's way; the arena and plans then follow the page size).
//
// Defaults are those of the OCR pipeline of PaddleOCR 3.0-3.2 (PaddleX 3.0-3.2,
// paddlex/configs/pipelines/OCR.yaml, SubModules.TextDetection), which PaddleOCR(ocr_version="PP-OCRv4")
// also uses, only swapping the model:
//   limit_side_len 64, limit_type "min", max_side_limit 4000  -> in effect the image at its own size
//       (enlarged only if its shorter side is under 64 px, shrunk only if its longer side exceeds 4000),
//       each side rounded to a multiple of 32;
//   thresh 0.3, box_thresh 0.6, unclip_ratio 1.5;
//   and, fixed in DBPostProcess: max_candidates 1000, min_size 3, no dilation, score mode "fast".
// For comparison, the PP-OCRv4_mobile_det model used alone (PaddleX TextDetPredictor without a pipeline
// config) resizes with limit_side_len 960 / limit_type "max"; later PaddleX releases changed the
// pipeline's limit_side_len to 736. Set the options to reproduce those.
//
// Threads: a TextDetector owns one Session and is not thread-safe; create one per thread (they can share
// a Model through the Create overload that takes one). Errors are returned as Status, never thrown.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "ocr/common/preprocess.h"
#include "ocr/common/stage_session.h"
#include "ocr/det/db_postprocess.h"
#include "ocr/det/det_tiles.h"
#include "plateau/engine.h"
#include "plateau/ocr.h"
#include "plateau/status.h"

namespace plateau::ocr {

struct TextDetectorOptions {
  // The model (e.g. models/ch_PP-OCRv4_det_infer.onnx) and its session (stage_session.h). Create raises
  // session.plan_cache_capacity to the number of tile shapes (DetTileShapes(tiles)) when that is larger,
  // so that tiled detection never rebuilds a plan.
  StageSessionOptions session;

  // Tiled detection (det_tiles.h) by default; false runs the model on the whole page.
  bool tiled = true;
  DetTileOptions tiles;

  // Resize (see DetResizeOptions): "min", "max" or "resize_long". The defaults described at the top of
  // this file are kept in plateau/ocr.h (text_det_defaults), shared with OcrOptions.
  int limit_side_len = text_det_defaults::kLimitSideLen;
  std::string limit_type = text_det_defaults::kLimitType;
  int max_side_limit = text_det_defaults::kMaxSideLimit;
  // DB post-processing (see DbOptions).
  double thresh = text_det_defaults::kThresh;
  double box_thresh = text_det_defaults::kBoxThresh;
  double unclip_ratio = text_det_defaults::kUnclipRatio;
  int max_candidates = 1000;
  bool use_dilation = false;
};

// Per-call overrides of TextDetectorOptions; unset fields keep the detector's values (as PaddleX's
// predict(text_det_limit_side_len=..., ...) arguments do).
struct DetOverrides {
  std::optional<int> limit_side_len;
  std::optional<std::string> limit_type;
  std::optional<int> max_side_limit;
  std::optional<double> thresh;
  std::optional<double> box_thresh;
  std::optional<double> unclip_ratio;
  std::optional<bool> tiled;
};

// The schedule Detect follows for an image of rows x cols: the page size after the resize (tiny images
// padded first, as PrepareDetInput does) and its tiles; whole-page detection (tiled false) is one window
// of the page's own size whose core is the whole page. Used by Detect and by memory predictions.
StatusOr<DetTilePlan> PlanDetection(int rows, int cols, const DetResizeOptions& resize, bool tiled,
                                    const DetTileOptions& tiles);

// "min", "max", "resize_long" -> LimitType; anything else is InvalidArgument naming the value.
StatusOr<LimitType> ParseLimitType(const std::string& text);

class TextDetector {
 public:
  // Loads options.session.model_path and creates a session. Fails on a missing/invalid model (NotFound /
  // InvalidArgument from Model::Load), on options out of range, or on a model that is not a DB detector
  // (one 1x3xHxW input, one output).
  static StatusOr<std::unique_ptr<TextDetector>> Create(const TextDetectorOptions& options);
  // Same with an already loaded model (shared, read-only); options.session.model_path is ignored.
  static StatusOr<std::unique_ptr<TextDetector>> Create(std::shared_ptr<const Model> model,
                                                        const TextDetectorOptions& options);

  // Detects text in an 8-bit BGR image (CV_8UC3, as cv::imread returns). Returns boxes in image pixels
  // (whole numbers, within [0, cols] x [0, rows]) in reading order with their scores; no text gives empty
  // vectors. Fails with InvalidArgument on an empty image, another pixel type, or overrides out of range;
  // engine failures are passed on with context. A failure leaves the detector usable.
  StatusOr<DetBoxes> Detect(const cv::Mat& bgr, const DetOverrides& overrides = {});
  // Detect's probability map of the resized page (CV_32FC1 of the page's DetTargetSize), before
  // post-processing; for measuring tiled against whole-page detection. Tiled, it is the 8-bit score map
  // Detect scores boxes on, scaled back (within 0.5/255 of the model's floats).
  StatusOr<cv::Mat> ProbabilityMap(const cv::Mat& bgr, const DetOverrides& overrides = {});

  const TextDetectorOptions& options() const { return options_; }
  // The session, for its memory statistics or to Trim it.
  Session& session() { return *session_; }

 private:
  TextDetector(TextDetectorOptions options, std::shared_ptr<const Model> model,
               std::unique_ptr<Session> session)
      : options_(std::move(options)), model_(std::move(model)), session_(std::move(session)) {}

  struct PageMap;
  StatusOr<PageMap> RunModel(const cv::Mat& bgr, const DetOverrides& overrides);

  TextDetectorOptions options_;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Session> session_;
};

}  // namespace plateau::ocr
