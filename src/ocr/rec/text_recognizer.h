// Text recognition (PP-OCRv4 rec, CTC) of cropped text lines, as the PaddleX 3.x OCR pipeline runs it:
//
//   plateau::ocr::TextRecognizerOptions options;
//   options.session.model_path = "models/ch_PP-OCRv4_rec_infer.onnx";
//   options.dict_path = "models/ppocr_keys_v1.txt";
//   PLATEAU_ASSIGN_OR_RETURN(auto recognizer, plateau::ocr::TextRecognizer::Create(options));
//   PLATEAU_ASSIGN_OR_RETURN(std::vector<plateau::ocr::RecognizedLine> lines, recognizer->Recognize(crops));
//   // lines[i] belongs to crops[i]
//
// What Recognize does:
//   1. schedules the lines (rec_batch.h, ScheduleRecBatches): ordered by aspect ratio, grouped by width
//      bucket, cut into batches of at most batch_size lines and at most kRecBatchColumns columns;
//   2. prepares each batch as PaddleX prepares a line (each line at height 48 and its own width
//      int(48 * max(320/48, w/h)) up to 3200), zero padded to the batch's bucket;
//   3. runs the network (output N x T x classes, softmax) and decodes each row greedily (ctc_decoder.h);
//   4. returns one RecognizedLine per input crop, in input order, with `accepted` = score >= the score
//      threshold (PaddleX drops lines below text_rec_score_thresh from its result; the caller decides).
//
// Defaults and where they come from (PaddleX 3.x, pipeline config "OCR"):
//   batch_size   6    TextRecognition batch_size / PaddleOCR's text_recognition_batch_size
//   score_thresh 0.0  TextRecognition score_thresh / text_rec_score_thresh (PaddleX keeps score >= it)
//
// The dictionary must match the model: 1 (blank) + dictionary lines + 1 (space) classes must equal the
// width of the model's output, checked by Create (and again on every run); a mismatch is refused with
// both numbers in the message.
//
// Threads: a TextRecognizer owns one Session and is not thread-safe. To recognise on several threads,
// load the Model and the CtcDecoder once and Create one recogniser per thread from them (both are
// immutable and shared).
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ocr/common/stage_session.h"
#include "ocr/rec/ctc_decoder.h"
#include "plateau/engine.h"
#include "plateau/status.h"

namespace plateau::ocr {

inline constexpr int kDefaultTextRecognitionBatchSize = 6;
inline constexpr float kDefaultTextRecScoreThresh = 0.0f;

struct TextRecognizerOptions {
  // The model (ch_PP-OCRv4_rec_infer.onnx) and its session (stage_session.h). Each distinct batch shape
  // (lines x width) needs a plan: Create raises session.plan_cache_capacity to the number of shapes the
  // schedule can produce at batch_size (RecScheduleShapes) when that is larger.
  StageSessionOptions session;
  std::string dict_path;  // ppocr_keys_v1.txt
  // Most lines per network run (text_recognition_batch_size); at least 1. Wide lines run in smaller
  // batches (rec_batch.h).
  int batch_size = kDefaultTextRecognitionBatchSize;
  // Lines whose score is below this are marked not accepted (text_rec_score_thresh).
  float score_thresh = kDefaultTextRecScoreThresh;
  // Batch lines by the width buckets of rec_batch.h, which bounds the number of plans and keeps each
  // line's reading independent of its batch; off, each batch is padded only to its widest line
  // (PaddleX's shapes, one plan per distinct width).
  bool bucket_shapes = true;
};

// Per-call overrides of the options; unset fields keep the recogniser's values.
struct RecOverrides {
  std::optional<int> batch_size;
  std::optional<float> score_thresh;
};

struct RecognizedLine {
  std::string text;      // UTF-8
  float score = 0.0f;    // mean probability of the emitted characters; 0 if none
  bool accepted = true;  // score >= score_thresh
  // Where each character was read: its run of output steps (of `steps`, the network's output length).
  std::vector<EmittedLabel> labels;
  int64_t steps = 0;
};

class TextRecognizer {
 public:
  // Loads the model and the dictionary. Fails if either cannot be loaded, if the options are invalid
  // (batch_size < 1, negative threads), or if the dictionary does not match the model's output width.
  static StatusOr<std::unique_ptr<TextRecognizer>> Create(const TextRecognizerOptions& options);
  // The same from an already loaded model and decoder (shared between recognisers);
  // options.session.model_path and options.dict_path are ignored.
  static StatusOr<std::unique_ptr<TextRecognizer>> Create(std::shared_ptr<const Model> model,
                                                          std::shared_ptr<const CtcDecoder> decoder,
                                                          const TextRecognizerOptions& options);

  // Recognises each crop (8-bit BGR, any size; already upright). An empty list gives an empty result.
  // Fails, naming the crop's index, on an empty or non-BGR crop, and on engine errors; the recogniser
  // stays usable after a failure.
  StatusOr<std::vector<RecognizedLine>> Recognize(const std::vector<cv::Mat>& crops,
                                                  const RecOverrides& overrides = {});

  const TextRecognizerOptions& options() const { return options_; }
  const CtcDecoder& decoder() const { return *decoder_; }
  Session& session() { return *session_; }

 private:
  TextRecognizer() = default;
  TextRecognizerOptions options_;
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const CtcDecoder> decoder_;
  std::unique_ptr<Session> session_;
};

}  // namespace plateau::ocr
