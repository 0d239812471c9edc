#include "ocr/rec/line_text.h"

#include <algorithm>
#include <vector>

#include "common/utf8.h"

namespace plateau::ocr {
namespace {

constexpr char32_t kFullwidthFirst = 0xFF01;   // '！'
constexpr char32_t kFullwidthLast = 0xFF5E;    // '～'
constexpr char32_t kFullwidthOffset = 0xFEE0;  // U+FF01 - '!'

bool IsCjk(char32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFF61 && cp <= 0xFF9F) || cp >= 0x20000;
}

// The code points of a Latin line, or nothing for a line with CJK or malformed bytes.
bool LatinCodePoints(const std::string& text, std::u32string* cps) {
  bool well_formed = false;
  *cps = DecodeUtf8(text, &well_formed);
  return well_formed && std::none_of(cps->begin(), cps->end(), IsCjk);
}

}  // namespace

bool FoldFullwidth(std::string* text) {
  std::u32string cps;
  if (!LatinCodePoints(*text, &cps)) return false;
  const auto fullwidth = [](char32_t cp) { return cp >= kFullwidthFirst && cp <= kFullwidthLast; };
  if (std::none_of(cps.begin(), cps.end(), fullwidth)) return false;
  std::string folded;
  folded.reserve(text->size());
  for (char32_t cp : cps) AppendUtf8(fullwidth(cp) ? cp - kFullwidthOffset : cp, &folded);
  *text = std::move(folded);
  return true;
}

std::string SpaceWideGaps(const RecognizedLine& line) {
  const std::vector<EmittedLabel>& labels = line.labels;
  std::u32string cps;
  if (labels.size() < 3 || !LatinCodePoints(line.text, &cps)) return line.text;
  // Each label's bytes: from its text_begin to the next one's; they must tile the text.
  const auto label_text = [&](size_t k) {
    const size_t end = k + 1 < labels.size() ? labels[k + 1].text_begin : line.text.size();
    return std::string_view(line.text).substr(labels[k].text_begin, end - labels[k].text_begin);
  };
  if (labels.front().text_begin != 0) return line.text;
  for (size_t k = 1; k < labels.size(); ++k) {
    if (labels[k].text_begin <= labels[k - 1].text_begin || labels[k].text_begin > line.text.size()) {
      return line.text;
    }
  }
  std::vector<bool> is_space(labels.size());
  for (size_t k = 0; k < labels.size(); ++k) is_space[k] = label_text(k) == " ";
  // Pitches between consecutive characters that are not spaces.
  std::vector<int64_t> pitches;
  for (size_t k = 1; k < labels.size(); ++k) {
    if (!is_space[k] && !is_space[k - 1]) pitches.push_back(labels[k].first_step - labels[k - 1].first_step);
  }
  if (pitches.empty()) return line.text;
  std::nth_element(pitches.begin(), pitches.begin() + static_cast<std::ptrdiff_t>(pitches.size() / 2),
                   pitches.end());
  const double pitch = static_cast<double>(pitches[pitches.size() / 2]);
  std::string spaced;
  spaced.reserve(line.text.size() + labels.size());
  for (size_t k = 0; k < labels.size(); ++k) {
    if (k > 0 && !is_space[k] && !is_space[k - 1]) {
      const int64_t blank_steps = labels[k].first_step - labels[k - 1].last_step - 1;
      if (static_cast<double>(blank_steps) > kSpaceGapPitches * pitch) spaced += ' ';
    }
    spaced += label_text(k);
  }
  return spaced;
}

}  // namespace plateau::ocr
