// Why a label line was not read exactly: one category per label line of a page, from the text of the
// engine's best reading (metrics.h, BestReading) and the geometry of its boxes.
//
//   std::vector<LineDiagnosis> d = DiagnoseLines(labels, recognised, detected_boxes);
//   LineCategoryCounts counts;
//   counts.Add(d);  // then counts.count[LineCategory::kMissed], ...
//
// Geometry: boxes are axis-aligned (metrics.h, Box); a label's box is the bounding rectangle of its quad.
// "Cover of A by B" = area(A ∩ B) / area(A). A recognised line's own width and height are the lengths of
// its quad's top edge (points 0-1) and left edge (points 0-3), i.e. the sides of its crop.
//
// Categories, tested in this order; the first that holds is the line's category:
//   kExact              the line scores 1 (case and spaces ignored) and its spaces agree too (the
//                       label's and the candidate's words are equal ignoring ASCII case)
//   kExactButSpaces     scores 1, but the words differ: spaces dropped or added (the metric ignores them)
//   kMaskedLabel        the label is only '*' (SROIE masks non-Latin text, e.g. Chinese, that way)
//   A box "overlaps" the label when it covers kMinCover of the label's box, or lies for at least
//   kMinInside of its own area inside it (a label box drawn wider than its text, over dot leaders or
//   blank space, is covered only in part).
//   kMissed             no detected box (dt) overlaps the label
//   kDropped            a detected box does, but no recognised line (the line was dropped after
//                       recognition: empty text or a score below the threshold)
//   -- of the recognised lines overlapping the label, the one sharing most area with it is its "own" --
//   kUpsideDown         its own line was turned by the textline orientation (angle 180)
//   kTallCrop           its own line's crop is tall: height >= kTallRatio x width
//   kSplit              two or more recognised lines lie inside the label's box for kMinInside of their
//                       own area, each covering at least kSplitMinCover of it
//   kMerged             its own line covers kMinCover of at least one other label line's box too, and no
//                       run of its words reads this label exactly
//   kCropTight          its own line's height / the label box's height < kTightRatio
//   kCropLoose          that ratio > kLooseRatio
//   kFullWidth          the best candidate equals the label once full-width forms (U+FF01..U+FF5E, e.g.
//                       '（' '：' '，') are read as their ASCII characters
//   kSubstitution       the best candidate has the label's length (normalised) and differs from it by 1
//                       or 2 substituted characters only (O/0, l/1, ...)
//   kSmallEdit          at most 2 edits, some an insertion or deletion
//   kOther              everything else
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "metrics.h"

namespace plateau::eval {

using Quad = std::array<std::array<double, 2>, 4>;  // top-left, top-right, bottom-right, bottom-left

Box BoundingBox(const Quad& quad);
double IntersectionArea(const Box& a, const Box& b);

struct RecognisedLine {
  std::string text;
  Quad quad{};
  int textline_angle = -1;  // 0 or 180 from the textline orientation; -1: not run
};

enum class LineCategory {
  kExact,
  kExactButSpaces,
  kMaskedLabel,
  kMissed,
  kDropped,
  kUpsideDown,
  kTallCrop,
  kSplit,
  kMerged,
  kCropTight,
  kCropLoose,
  kFullWidth,
  kSubstitution,
  kSmallEdit,
  kOther,
};
inline constexpr int kLineCategoryCount = static_cast<int>(LineCategory::kOther) + 1;

// A short name ("missed", "upside-down", ...) and a one-line description.
const char* CategoryName(LineCategory category);
const char* CategoryDescription(LineCategory category);
// Whether the metric counts the line as read exactly (kExact, kExactButSpaces).
bool IsExactCategory(LineCategory category);

inline constexpr double kMinCover = 0.3;
inline constexpr double kMinInside = 0.5;
inline constexpr double kSplitMinCover = 0.1;
inline constexpr double kTallRatio = 1.5;
inline constexpr double kTightRatio = 0.6;
inline constexpr double kLooseRatio = 2.0;

struct LineDiagnosis {
  LineCategory category = LineCategory::kOther;
  LineReading reading;      // the best reading of the label (metrics.h)
  int own_line = -1;        // index into the recognised lines; -1 when none covers the label
  double height_ratio = 0;  // own line's height / label box height; 0 without an own line
  // kSubstitution: the (label, read) code point pairs, normalised as the metric compares them.
  std::vector<std::pair<char32_t, char32_t>> substitutions;
};

// One diagnosis per label line (label lines whose normalised text is empty get kExact with score 0 and
// should be left out of counts, as ScoreLineAccuracy leaves them out). `detected` are the boxes of every
// detected line (dt_polys), a superset of the recognised lines' boxes.
std::vector<LineDiagnosis> DiagnoseLines(const std::vector<TextLine>& labels,
                                         const std::vector<RecognisedLine>& recognised,
                                         const std::vector<Box>& detected);

// Counts over pages; label lines with an empty normalised text are skipped.
struct LineCategoryCounts {
  std::array<size_t, kLineCategoryCount> count{};
  size_t label_lines = 0;
  std::map<std::pair<char32_t, char32_t>, size_t> substitutions;  // (label, read) -> times

  void Add(const std::vector<TextLine>& labels, const std::vector<LineDiagnosis>& diagnoses);
};

}  // namespace plateau::eval
