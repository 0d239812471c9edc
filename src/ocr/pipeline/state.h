// The pipeline's models and what it keeps about their use; shared by the files of src/ocr/pipeline.
#pragma once

#include <chrono>
#include <memory>

#include "ocr/cls/textline_classifier.h"
#include "ocr/det/text_detector.h"
#include "ocr/doc/doc_orientation.h"
#include "ocr/rec/text_recognizer.h"
#include "plateau/ocr.h"

namespace plateau {

struct OcrPipeline::State {
  // Loaded once by Create and shared, read-only, with every Fork (doc_model only with
  // options.doc_orientation_model).
  std::shared_ptr<const Model> doc_model, det_model, cls_model, rec_model;
  std::shared_ptr<const ocr::CtcDecoder> decoder;
  // The activation block this pipeline's sessions share (they run one after another); per pipeline, so
  // that Forks run side by side.
  std::shared_ptr<SharedArena> arena;
  // This pipeline's own sessions over them (OpenSessions makes them).
  std::unique_ptr<ocr::DocOrientationClassifier> doc;  // only with options.doc_orientation_model
  std::unique_ptr<ocr::TextDetector> det;
  std::unique_ptr<ocr::TextlineClassifier> cls;
  std::unique_ptr<ocr::TextRecognizer> rec;

  // When the last page finished, and whether the sessions were trimmed since (TrimIfIdle).
  std::chrono::steady_clock::time_point last_use = std::chrono::steady_clock::now();
  bool trimmed_since_use = false;
  // Whether det, cls and rec were admitted once by the memory budget (memory_budget.h): a stage's first
  // run also pages in its code.
  bool budget_stage_ran[3] = {false, false, false};
  // ComputeMemoryCeiling's figure, 0 until it ran.
  size_t ceiling_bytes = 0;

  Status OpenSessions(const OcrOptions& options);

  void MarkUsed() {
    last_use = std::chrono::steady_clock::now();
    trimmed_since_use = false;
  }
};

}  // namespace plateau
