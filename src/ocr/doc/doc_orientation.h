// Document (page) orientation: which of 0, 90, 180 or 270 degrees a page must be turned counter-clockwise
// to stand upright, the document orientation step of the PaddleX / PaddleOCR 3.x OCR pipeline
// (DocPreprocessor, module doc_img_orientation_classification).
//
// Two ways to find it:
//
//   1. A 4-class orientation model such as PP-LCNet_x1_0_doc_ori exported to ONNX (none ships with plateau;
//      the user supplies the file):
//
//        plateau::ocr::DocOrientationClassifierOptions options;
//        options.session.model_path = "PP-LCNet_x1_0_doc_ori.onnx";
//        PLATEAU_ASSIGN_OR_RETURN(auto classifier, plateau::ocr::DocOrientationClassifier::Create(options));
//        PLATEAU_ASSIGN_OR_RETURN(plateau::ocr::DocOrientation o, classifier->Classify(page_bgr));
//        cv::Mat upright = plateau::ocr::TurnPage(page_bgr, o.angle());
//
//      Input preparation is PaddleX's for that model (PrepareDocOrientationInput): BGR -> RGB; resize so
//      the shorter side is 256 (bilinear, each side round(side * 256 / shorter), halves to even); centre
//      crop 224 x 224 (offsets floor((side - 224) / 2)); x/255, mean (0.485, 0.456, 0.406) and std (0.229,
//      0.224, 0.225) per R, G, B channel; 1x3x224x224. Output: N x 4 scores for the labels "0", "90",
//      "180", "270". PaddleX's exported model ends in a softmax; when a row is not a probability
//      distribution (a model that outputs logits), a softmax is applied here, so scores are always
//      probabilities. The label is the most probable class (the first on a tie).
//
//   2. EstimateDocOrientation: no extra model; it reads the orientation off the text lines the detector
//      already found on the page, with the 0/180 textline classifier:
//        - each box is "wide" (width / height >= kVerticalLineRatio) or "tall" (the inverse); square-ish
//          boxes say nothing. Weighted by their longer side, whichever kind dominates decides between
//          {0, 180} (wide lines) and {90, 270} (tall lines);
//        - the longest lines of the dominant kind (at most max_lines) are cropped as the pipeline crops
//          them (ocr/common/crop.h: tall crops are turned 90 degrees counter-clockwise) and classified;
//          each line votes its margin p("180") - p("0") weighted by its length, so that the textline
//          model's occasional confident-looking flips of single upright lines (a few percent of upright
//          receipt lines are labelled "180": docs/BENCHMARKS.md, "Text line orientation") are outvoted
//          rather than decisive;
//        - wide lines: mean margin <= 0 -> 0, > 0 -> 180. Tall lines: a crop turned counter-clockwise that
//          reads upright means the page was turned clockwise, i.e. it needs 90 counter-clockwise: mean
//          margin <= 0 -> 90, > 0 -> 270.
//      The pipeline calls it with the boxes of its own detection, so an upright page costs no second
//      detection. A page upside down is turned with its boxes (TurnPage, TurnBoxes); a sideways page is
//      turned and detected again, because the detector finds vertical lines less well than the same lines
//      upright (docs/BENCHMARKS.md, "Document orientation", has the numbers).
//
// Angles follow PaddleX: the label names are degrees, and the page is turned by that many degrees
// counter-clockwise (PaddleX rotates with scipy.ndimage.rotate / cv::getRotationMatrix2D, where positive
// is counter-clockwise). So "90" is a page whose text runs top to bottom (it was turned 90 degrees
// clockwise) and "270" one whose text runs bottom to top.
//
// Threads: a DocOrientationClassifier owns one Session and is not thread-safe. The free functions are
// pure, except that EstimateDocOrientation runs the given textline classifier.
#pragma once

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <string>

#include "ocr/cls/textline_classifier.h"
#include "ocr/common/stage_session.h"
#include "ocr/det/db_postprocess.h"
#include "plateau/engine.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::ocr {

inline constexpr int kDocOrientationClasses = 4;
// Label names of the classes, as PaddleX reports them; class i is i * 90 degrees.
inline constexpr const char* kDocOrientationLabelNames[kDocOrientationClasses] = {"0", "90", "180", "270"};
// PP-LCNet_x1_0_doc_ori's input: shorter side resized to 256, centre crop 224.
inline constexpr int kDocOrientationResizeShort = 256;
inline constexpr int kDocOrientationCrop = 224;

struct DocOrientation {
  int class_id = 0;                                    // 0..3
  float score = 0.0f;                                  // scores[class_id]
  std::array<float, kDocOrientationClasses> scores{};  // per class; they sum to 1
  // Degrees to turn the page counter-clockwise: 0, 90, 180 or 270.
  int angle() const { return class_id * 90; }
};

// The 1x3x224x224 float32 input described above for an 8-bit BGR page (CV_8UC3). Fails on an empty
// image, another type, or a page so elongated that its resized longer side would exceed 65536 pixels.
StatusOr<Tensor> PrepareDocOrientationInput(const cv::Mat& bgr);

struct DocOrientationClassifierOptions {
  StageSessionOptions session;  // a 4-class orientation model (ONNX), e.g. PP-LCNet_x1_0_doc_ori
};

class DocOrientationClassifier {
 public:
  // Loads the model. Fails on a missing or invalid file, and on a model that cannot take a 1x3x224x224
  // input or whose output for it is not 1 x 4 (the message names the model and the shape found).
  static StatusOr<std::unique_ptr<DocOrientationClassifier>> Create(
      const DocOrientationClassifierOptions& options);
  // The same from a loaded model; options.session.model_path is ignored.
  static StatusOr<std::unique_ptr<DocOrientationClassifier>> Create(
      std::shared_ptr<const Model> model, const DocOrientationClassifierOptions& options);

  // Fails as PrepareDocOrientationInput does, or on a non-finite model output; stays usable.
  StatusOr<DocOrientation> Classify(const cv::Mat& bgr);

  const DocOrientationClassifierOptions& options() const { return options_; }
  Session& session() { return *session_; }

 private:
  DocOrientationClassifier() = default;
  DocOrientationClassifierOptions options_;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Session> session_;
};

// Turns `row` (kDocOrientationClasses scores of one image) into a DocOrientation: used as they are when
// they form a probability distribution (each in [0, 1], sum within 1e-3 of 1), else through a softmax.
// Fails on non-finite values.
StatusOr<DocOrientation> DocOrientationFromScores(const float* row);

struct DocOrientationVoteOptions {
  // Lines of the dominant kind that are classified, longest first.
  int max_lines = 24;
  int batch_size = kDefaultTextlineOrientationBatchSize;
};

// Estimates the orientation of `page` (8-bit BGR) from `boxes`, the text boxes detected on it, as
// described above. No boxes (or only square ones) give class 0 with scores 0.25 each. Fails on an
// invalid page or when the classifier fails.
StatusOr<DocOrientation> EstimateDocOrientation(const cv::Mat& page, const DetBoxes& boxes,
                                                TextlineClassifier& classifier,
                                                const DocOrientationVoteOptions& options = {});

// `page` turned counter-clockwise by `angle` degrees (0, 90, 180 or 270; an exact pixel permutation,
// cv::rotate). 0 returns `page` itself (shared, not copied). Any other angle is a programmer error.
cv::Mat TurnPage(const cv::Mat& page, int angle);

// Maps a point of a width x height page into the page turned by TurnPage(page, angle) (pixel-edge
// coordinates: the page spans [0, width] x [0, height]).
cv::Point2f TurnPoint(const cv::Point2f& p, int angle, int width, int height);

// Maps the boxes found on a width x height page into the turned page: each corner through TurnPoint, the
// corners re-ordered top-left, top-right, bottom-right, bottom-left by the detector's rule (of the two
// leftmost corners the upper one is the top-left; of the two rightmost the upper one is the top-right),
// and the boxes re-sorted in reading order (SortQuadsReadingOrder), scores following their boxes.
void TurnBoxes(DetBoxes* boxes, int angle, int width, int height);

}  // namespace plateau::ocr
