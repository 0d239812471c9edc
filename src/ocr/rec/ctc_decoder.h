// Greedy CTC decoding of a text recognition network's output, with the label set of PaddleOCR's
// CTCLabelDecode (use_space_char on):
//
//   class 0            the CTC blank
//   classes 1..n       the dictionary's lines, in file order
//   class n + 1        a space " "
//
//   PLATEAU_ASSIGN_OR_RETURN(plateau::ocr::CtcDecoder decoder,
//                            plateau::ocr::CtcDecoder::FromFile("models/ppocr_keys_v1.txt"));
//   // probs: T x decoder.num_classes() row-major, one softmax row per time step
//   plateau::ocr::DecodedText line = decoder.Decode(probs, T);
//
// Decoding takes the most probable class at every step (the first on ties), merges runs of the same
// class, drops blanks, and concatenates the labels of what is left. The score is the mean of the winning
// probabilities of the steps that were kept (one per emitted label), 0 when nothing is emitted.
//
// A CtcDecoder is immutable after construction: share it between threads freely.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plateau/status.h"

namespace plateau::ocr {

// One emitted label: where its bytes start in DecodedText::text, and the first and last time step of its
// run (a step is a column of the network's output; for PP-OCR's recognisers, 8 input columns).
struct EmittedLabel {
  size_t text_begin = 0;
  int64_t first_step = 0;
  int64_t last_step = 0;
};

struct DecodedText {
  std::string text;                  // UTF-8
  float score = 0.0f;                // in [0, 1] for softmax input
  std::vector<EmittedLabel> labels;  // in text order
};

class CtcDecoder {
 public:
  // Reads a UTF-8 dictionary, one label per line. A trailing "\r" is removed from each line (CRLF files)
  // and a final newline does not make an extra label; every other byte belongs to its label, spaces
  // included. Fails with NotFound if the file cannot be read and InvalidArgument if it holds no labels,
  // an empty line, or bytes that are not valid UTF-8 (naming the line).
  static StatusOr<CtcDecoder> FromFile(const std::string& path);
  // The same from labels already in memory; `origin` names them in errors.
  static StatusOr<CtcDecoder> FromLabels(std::vector<std::string> labels,
                                         const std::string& origin = "dictionary");

  // Blank + dictionary + space.
  int64_t num_classes() const { return static_cast<int64_t>(classes_.size()); }
  // Label of a class; "" for the blank.
  const std::string& label(int64_t class_index) const { return classes_[static_cast<size_t>(class_index)]; }
  // Where the dictionary came from (file path or `origin`), for error messages.
  const std::string& origin() const { return origin_; }

  // Decodes one sequence of `steps` rows of num_classes() probabilities each. `probs` must hold exactly
  // steps * num_classes() values (programmer error otherwise).
  DecodedText Decode(std::span<const float> probs, int64_t steps) const;

 private:
  CtcDecoder(std::vector<std::string> classes, std::string origin)
      : classes_(std::move(classes)), origin_(std::move(origin)) {}
  std::vector<std::string> classes_;
  std::string origin_;
};

// True if `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

}  // namespace plateau::ocr
