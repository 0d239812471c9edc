// What the pipeline does to a recognised line's text before it reports it, on lines of Latin text (lines
// without a CJK character; a line with one is left exactly as read):
//
// - Full-width forms. The Chinese dictionary (ppocr_keys_v1.txt) holds both the ASCII characters and their
//   full-width twins (U+FF01..U+FF5E: '（' '）' '：' '，' ...). On Latin text the recogniser sometimes picks
//   the twin, which the printed line never meant: "GST（MYR）", "Rounding：". FoldFullwidth reads each
//   full-width form as its ASCII character.
// - Spaces at wide gaps. The recogniser often reads words run together ("UNIHAKKAINTERNATIONALSDNBHD",
//   "1X19.00") although its own output shows the gap: a long run of blank steps between two characters.
//   SpaceWideGaps puts a space where the blank steps between two characters exceed kSpaceGapPitches times
//   the line's median character pitch (steps from one character's first step to the next one's), and no
//   space is there already. The factor was chosen on the label crops of SROIE receipts 000-009 as the one
//   that separates the spaces the model left out from the gaps inside words (docs/BENCHMARKS.md, "Spaces
//   at wide gaps, full-width forms", has the counts).
//
//   RecognizedLine line = ...;              // from TextRecognizer::Recognize: text, labels, steps
//   std::string text = SpaceWideGaps(line);  // "1 X 19.00"
//   FoldFullwidth(&text);                    // "GST(MYR)" from "GST（MYR）"
//
// CJK here: the CJK symbols and punctuation, kana, Hangul and unified ideograph blocks (U+2E80..U+9FFF,
// U+AC00..U+D7AF, U+F900..U+FAFF, U+20000 and up) and the half-width kana (U+FF61..U+FF9F). Text that is
// not well-formed UTF-8 is left unchanged. Pure functions, safe from any thread.
#pragma once

#include <string>

#include "ocr/rec/text_recognizer.h"

namespace plateau::ocr {

inline constexpr double kSpaceGapPitches = 1.1;

// Replaces full-width forms by their ASCII characters in a Latin line; returns whether it changed.
bool FoldFullwidth(std::string* text);

// The line's text with a space at each wide gap (see above). The text as read when the line has CJK
// characters, fewer than three characters, or labels that do not cover its text.
std::string SpaceWideGaps(const RecognizedLine& line);

}  // namespace plateau::ocr
