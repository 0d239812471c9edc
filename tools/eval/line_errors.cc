#include "line_errors.h"

#include <algorithm>
#include <cmath>

namespace plateau::eval {
namespace {

double Distance(const std::array<double, 2>& a, const std::array<double, 2>& b) {
  return std::hypot(a[0] - b[0], a[1] - b[1]);
}

double Cover(const Box& covered, const Box& by) {
  const double area = covered.Area();
  return area <= 0 ? 0.0 : IntersectionArea(covered, by) / area;
}

// The label overlaps `box` in the sense of line_errors.h.
bool Overlaps(const Box& label, const Box& box) {
  return Cover(label, box) >= kMinCover || Cover(box, label) >= kMinInside;
}

std::u32string AsciiForFullWidth(std::u32string text) {
  for (char32_t& c : text) {
    if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;
    if (c >= U'A' && c <= U'Z') c = c - U'A' + U'a';  // the texts compared are case folded
  }
  return text;
}

std::vector<std::string> LowerWords(std::string_view text) {
  std::vector<std::string> words;
  for (std::string_view w : Words(text)) words.push_back(NormalizeCaseSpace(w));
  return words;
}

// Whether `read` differs from `label` by substitutions only: equal lengths, and the edit distance equals
// the number of differing positions. If so, `pairs` receives them.
bool PureSubstitutions(const std::u32string& label, const std::u32string& read, size_t edits,
                       std::vector<std::pair<char32_t, char32_t>>* pairs) {
  if (label.size() != read.size()) return false;
  std::vector<std::pair<char32_t, char32_t>> found;
  for (size_t i = 0; i < label.size(); ++i) {
    if (label[i] != read[i]) found.emplace_back(label[i], read[i]);
  }
  // A shift (one deletion and one insertion) can cost less than the positions it misaligns; then the
  // difference is not a set of substitutions.
  if (found.size() != edits) return false;
  *pairs = std::move(found);
  return true;
}

}  // namespace

Box BoundingBox(const Quad& quad) {
  Box box{quad[0][0], quad[0][1], quad[0][0], quad[0][1]};
  for (const auto& p : quad) {
    box.x_min = std::min(box.x_min, p[0]);
    box.y_min = std::min(box.y_min, p[1]);
    box.x_max = std::max(box.x_max, p[0]);
    box.y_max = std::max(box.y_max, p[1]);
  }
  return box;
}

double IntersectionArea(const Box& a, const Box& b) {
  return Box{std::max(a.x_min, b.x_min), std::max(a.y_min, b.y_min), std::min(a.x_max, b.x_max),
             std::min(a.y_max, b.y_max)}
      .Area();
}

const char* CategoryName(LineCategory category) {
  switch (category) {
    case LineCategory::kExact:
      return "exact";
    case LineCategory::kExactButSpaces:
      return "exact, spaces differ";
    case LineCategory::kMaskedLabel:
      return "masked label";
    case LineCategory::kMissed:
      return "missed";
    case LineCategory::kDropped:
      return "dropped after recognition";
    case LineCategory::kUpsideDown:
      return "upside-down";
    case LineCategory::kTallCrop:
      return "tall crop";
    case LineCategory::kSplit:
      return "split";
    case LineCategory::kMerged:
      return "merged";
    case LineCategory::kCropTight:
      return "crop too tight";
    case LineCategory::kCropLoose:
      return "crop too loose";
    case LineCategory::kFullWidth:
      return "full-width forms";
    case LineCategory::kSubstitution:
      return "substitution";
    case LineCategory::kSmallEdit:
      return "1-2 edits";
    case LineCategory::kOther:
      return "other";
  }
  return "?";
}

const char* CategoryDescription(LineCategory category) {
  switch (category) {
    case LineCategory::kExact:
      return "read exactly, spaces as labelled";
    case LineCategory::kExactButSpaces:
      return "exact for the metric, but spaces dropped or added";
    case LineCategory::kMaskedLabel:
      return "the label is only '*' (SROIE's mask for non-Latin text)";
    case LineCategory::kMissed:
      return "no detected box overlaps the label's box";
    case LineCategory::kDropped:
      return "detected, but no recognised line there (empty text or low score)";
    case LineCategory::kUpsideDown:
      return "its line was turned 180 degrees by the textline orientation";
    case LineCategory::kTallCrop:
      return "its line's crop is tall (height >= 1.5 x width)";
    case LineCategory::kSplit:
      return "two or more recognised lines inside the label's box";
    case LineCategory::kMerged:
      return "its line also covers another label line, and no run of words matches";
    case LineCategory::kCropTight:
      return "its line's height < 0.6 x the label box's height";
    case LineCategory::kCropLoose:
      return "its line's height > 2 x the label box's height";
    case LineCategory::kFullWidth:
      return "equal once full-width forms (e.g. '（' '：') read as ASCII";
    case LineCategory::kSubstitution:
      return "same length, 1-2 characters substituted";
    case LineCategory::kSmallEdit:
      return "1-2 edits with an insertion or deletion";
    case LineCategory::kOther:
      return "3 or more edits, none of the above";
  }
  return "?";
}

bool IsExactCategory(LineCategory category) {
  return category == LineCategory::kExact || category == LineCategory::kExactButSpaces;
}

std::vector<LineDiagnosis> DiagnoseLines(const std::vector<TextLine>& labels,
                                         const std::vector<RecognisedLine>& recognised,
                                         const std::vector<Box>& detected) {
  std::vector<std::string> texts;
  std::vector<Box> boxes;
  for (const RecognisedLine& r : recognised) {
    texts.push_back(r.text);
    boxes.push_back(BoundingBox(r.quad));
  }
  std::vector<LineDiagnosis> out(labels.size());
  for (size_t l = 0; l < labels.size(); ++l) {
    LineDiagnosis& d = out[l];
    const Box& label_box = labels[l].box;
    if (NormalizeCaseSpace(labels[l].text).empty()) {
      d.category = LineCategory::kExact;
      continue;
    }
    d.reading = BestReading(labels[l].text, texts);
    double best_shared = 0;
    for (size_t r = 0; r < boxes.size(); ++r) {
      const double shared = IntersectionArea(label_box, boxes[r]);
      if (Overlaps(label_box, boxes[r]) && shared > best_shared)
        best_shared = shared, d.own_line = static_cast<int>(r);
    }
    if (d.own_line >= 0) {
      const double label_height = label_box.y_max - label_box.y_min;
      const Quad& q = recognised[d.own_line].quad;
      if (label_height > 0) d.height_ratio = Distance(q[0], q[3]) / label_height;
    }

    if (d.reading.score == 1.0) {
      d.category = LowerWords(labels[l].text) == LowerWords(d.reading.candidate)
                       ? LineCategory::kExact
                       : LineCategory::kExactButSpaces;
      continue;
    }
    const std::u32string label_chars = CodePoints(NormalizeCaseSpace(labels[l].text));
    if (std::all_of(label_chars.begin(), label_chars.end(), [](char32_t c) { return c == U'*'; })) {
      d.category = LineCategory::kMaskedLabel;
      continue;
    }
    if (d.own_line < 0) {
      const bool detected_there =
          std::any_of(detected.begin(), detected.end(), [&](const Box& b) { return Overlaps(label_box, b); });
      d.category = detected_there ? LineCategory::kDropped : LineCategory::kMissed;
      continue;
    }
    const RecognisedLine& own = recognised[d.own_line];
    if (own.textline_angle == 180) {
      d.category = LineCategory::kUpsideDown;
      continue;
    }
    if (Distance(own.quad[0], own.quad[3]) >= kTallRatio * Distance(own.quad[0], own.quad[1])) {
      d.category = LineCategory::kTallCrop;
      continue;
    }
    int inside = 0;
    for (const Box& b : boxes) {
      if (Cover(b, label_box) >= kMinInside && Cover(label_box, b) >= kSplitMinCover) ++inside;
    }
    if (inside >= 2) {
      d.category = LineCategory::kSplit;
      continue;
    }
    bool covers_another = false;
    for (size_t o = 0; o < labels.size() && !covers_another; ++o) {
      covers_another = o != l && Cover(labels[o].box, boxes[d.own_line]) >= kMinCover;
    }
    if (covers_another) {
      d.category = LineCategory::kMerged;
      continue;
    }
    if (d.height_ratio > 0 && d.height_ratio < kTightRatio) {
      d.category = LineCategory::kCropTight;
      continue;
    }
    if (d.height_ratio > kLooseRatio) {
      d.category = LineCategory::kCropLoose;
      continue;
    }
    const std::u32string read_chars = CodePoints(NormalizeCaseSpace(d.reading.candidate));
    if (AsciiForFullWidth(read_chars) == label_chars) {
      d.category = LineCategory::kFullWidth;
      continue;
    }
    const size_t edits = EditDistance(label_chars, read_chars);
    if (edits <= 2 && PureSubstitutions(label_chars, read_chars, edits, &d.substitutions)) {
      d.category = LineCategory::kSubstitution;
    } else {
      d.category = edits <= 2 ? LineCategory::kSmallEdit : LineCategory::kOther;
    }
  }
  return out;
}

void LineCategoryCounts::Add(const std::vector<TextLine>& labels,
                             const std::vector<LineDiagnosis>& diagnoses) {
  for (size_t l = 0; l < labels.size() && l < diagnoses.size(); ++l) {
    if (NormalizeCaseSpace(labels[l].text).empty()) continue;
    ++label_lines;
    ++count[static_cast<int>(diagnoses[l].category)];
    for (const auto& pair : diagnoses[l].substitutions) ++substitutions[pair];
  }
}

}  // namespace plateau::eval
