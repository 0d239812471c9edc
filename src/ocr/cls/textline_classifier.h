// Text line orientation (0 or 180 degrees) of cropped text lines, with the ch_ppocr_mobile_v2.0_cls model
// (input N x 3 x 48 x 192, output N x 2 probabilities for the labels "0" and "180"):
//
//   plateau::ocr::TextlineClassifierOptions options;
//   options.session.model_path = "models/ch_ppocr_mobile_v2.0_cls_infer.onnx";
//   PLATEAU_ASSIGN_OR_RETURN(auto classifier, plateau::ocr::TextlineClassifier::Create(options));
//   PLATEAU_ASSIGN_OR_RETURN(auto orientations, classifier->Classify(crops));
//   plateau::ocr::RotateUpsideDownLines(orientations, &crops);   // crops are now upright
//
// Each crop is resized to height 48 keeping its ratio (at most 192 wide), normalised to (x/255-0.5)/0.5
// and zero padded to 192 (preprocess.h, PrepareClsBatch). Because every line has the same input width, a
// line's result does not depend on its batch; crops are batched in input order, batch_size at a time and
// the remainder one by one (rec_batch.h, ScheduleClsBatches: the schedule the pipeline's memory
// prediction plans).
//
// The label is the most probable class (the first on a tie) and the score its probability. The PaddleX
// 3.x OCR pipeline turns a line whenever the label is "180", with no score threshold (its textline
// orientation step keeps only class_ids[0]); PaddleOCR 2.x only turned lines whose "180" score exceeded
// cls_thresh = 0.9. Both judge each line alone, and this model labels a few percent of upright receipt
// lines "180" (some with a score above 0.99), which then read as garbage. The pipeline's step,
// OrientLines, judges each line against the rest of its page instead (DecideTextlineTurns below);
// RotateUpsideDownLines keeps the per-line rules (min_score 0: PaddleX 3.x; 0.9: PaddleOCR 2.x).
//
// Defaults (PaddleX 3.x): batch_size 6 (TextLineOrientation batch_size /
// textline_orientation_batch_size).
//
// Threads: one Session per classifier, not thread-safe; share the Model between classifiers instead.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ocr/common/stage_session.h"
#include "plateau/engine.h"
#include "plateau/status.h"

namespace plateau::ocr {

inline constexpr int kDefaultTextlineOrientationBatchSize = 6;

// Class indices of the orientation model.
inline constexpr int kTextline0 = 0;
inline constexpr int kTextline180 = 1;
// Label names of the classes, as PaddleX's text line orientation module reports them.
inline constexpr const char* kTextlineLabelNames[2] = {"0_degree", "180_degree"};

struct TextlineClassifierOptions {
  StageSessionOptions session;                            // ch_ppocr_mobile_v2.0_cls_infer.onnx
  int batch_size = kDefaultTextlineOrientationBatchSize;  // at least 1
};

struct TextlineOrientation {
  int label = kTextline0;  // kTextline0 or kTextline180
  float score = 0.0f;      // probability of `label`
};

// When the pipeline turns a line (OcrOptions::textline_orientation_thresh and _page_thresh). The
// classifier errs on a few percent of lines either way (short lines, digits, symmetric glyphs), while a
// page's lines almost always share one orientation: a page scanned upside down has every line upside down.
// So each line is judged against the vote of the page's other lines (each votes by its label, weighted by
// its crop width, since long lines carry more evidence):
//   - the others vote upright (less than half the weight says "180"): the line is turned only when its
//     "180" probability exceeds `page_thresh`;
//   - the others vote upside down (more than half): the line is turned unless its "0" probability
//     exceeds `page_thresh`;
//   - nothing to go by (a line alone, or the others split exactly in half): the line is turned when its
//     "180" probability exceeds `thresh` (PaddleOCR 2.x's cls_thresh rule).
// Probabilities are compared with >, as PaddleOCR 2.x; a threshold >= 1 never lets a line go against its
// page (or, for `thresh`, never turns a lone line).
struct TextlineTurnOptions {
  float thresh = 0.9f;
  float page_thresh = 0.999f;
};

class TextlineClassifier {
 public:
  // Loads the model. Fails on bad options and on a model whose output is not N x 2.
  static StatusOr<std::unique_ptr<TextlineClassifier>> Create(const TextlineClassifierOptions& options);
  // The same from a loaded model (shared between classifiers); options.session.model_path is ignored.
  static StatusOr<std::unique_ptr<TextlineClassifier>> Create(std::shared_ptr<const Model> model,
                                                              const TextlineClassifierOptions& options);

  // One result per crop, in input order. `batch_size` overrides the option for this call. Fails, naming
  // the crop's index, on an empty or non-BGR (CV_8UC3) crop; the classifier stays usable.
  StatusOr<std::vector<TextlineOrientation>> Classify(const std::vector<cv::Mat>& crops,
                                                      std::optional<int> batch_size = std::nullopt);

  // The pipeline's line orientation step: classifies the crops, decides by DecideTextlineTurns (widths:
  // the crops' own) and turns the chosen crops by 180 degrees in place. Returns, per crop, whether it
  // was turned. Fails as Classify does (crops untouched); crops == nullptr is InvalidArgument.
  StatusOr<std::vector<bool>> OrientLines(std::vector<cv::Mat>* crops, const TextlineTurnOptions& rule,
                                          std::optional<int> batch_size = std::nullopt);

  const TextlineClassifierOptions& options() const { return options_; }
  Session& session() { return *session_; }

 private:
  TextlineClassifier() = default;
  TextlineClassifierOptions options_;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Session> session_;
};

// For each line, whether to turn it, by the rule above. `widths` are the crops' widths, one per line.
std::vector<bool> DecideTextlineTurns(const std::vector<TextlineOrientation>& orientations,
                                      const std::vector<int>& widths, const TextlineTurnOptions& options);

// Turns by 180 degrees (an exact pixel flip, cv::rotate) every crop whose orientation is kTextline180
// with score > min_score; the default 0 turns every "180" line (a winning probability is at least 0.5),
// as PaddleX 3.x.
// Returns how many were turned. Fails if the two lists differ in length.
StatusOr<size_t> RotateUpsideDownLines(const std::vector<TextlineOrientation>& orientations,
                                       std::vector<cv::Mat>* crops, float min_score = 0.0f);

}  // namespace plateau::ocr
