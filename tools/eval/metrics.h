// Accuracy measures of the evaluation program (plateau_eval): text lines read by an OCR engine compared
// with labelled text lines of the same page.
//
//   PLATEAU_ASSIGN_OR_RETURN(std::vector<TextLine> labels, ReadLabelFile("sroie/box/000.csv"));
//   std::vector<TextLine> predicted = ...;  // the engine's lines: box and text
//   PageScore score = ScorePage(labels, predicted);
//   total += score;  // then total.LineRecall(), total.MatchedCharAccuracy(), ...
//
// Definitions (docs/BENCHMARKS.md repeats them next to the figures):
// - Boxes are axis-aligned rectangles in page pixels; a quadrilateral counts as its bounding rectangle.
// - Matching: a label line and a predicted line are candidates when the intersection over union (IoU) of
//   their boxes is at least `min_iou`. Candidates are taken in decreasing IoU order and each line is used
//   at most once (greedy one-to-one matching).
// - Texts are compared as Unicode code points after trimming leading and trailing white space.
//   "Normalised" comparison also lowercases ASCII letters and removes every white-space character.
// - Character error rate (CER) = edit distance (Levenshtein: insertions, deletions, substitutions, each
//   costing 1) / number of code points of the label.
// - Page text: the lines of a page grouped into rows and read row by row, left to right (ReadingOrderText);
//   the same rule orders label and predicted lines, so that an engine splitting a row into several lines,
//   or merging them, is compared on the same order of words.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "plateau/status.h"

namespace plateau::eval {

// A rectangle, [x_min, x_max) x [y_min, y_max), in page pixels.
struct Box {
  double x_min = 0, y_min = 0, x_max = 0, y_max = 0;
  double Area() const;
};

struct TextLine {
  Box box;
  std::string text;  // UTF-8
};

// One row of a SROIE box file: `x1,y1,x2,y2,x3,y3,x4,y4,TEXT`, where TEXT is everything after the 8th comma
// (it may contain commas). A trailing '\r' is dropped. The box is the bounding rectangle of the 4 points.
// Fails (InvalidArgument) on fewer than 8 commas or a coordinate that is not a number.
StatusOr<TextLine> ParseLabelRow(std::string_view row);
// Every non-empty row of a box file's content; errors name `source` and the 1-based row.
StatusOr<std::vector<TextLine>> ParseLabelCsv(std::string_view content, const std::string& source);
StatusOr<std::vector<TextLine>> ReadLabelFile(const std::string& path);

// The code points of UTF-8 text; a byte that does not start a valid sequence counts as U+FFFD.
std::u32string CodePoints(std::string_view utf8);
// Levenshtein distance between two code point sequences.
size_t EditDistance(std::u32string_view a, std::u32string_view b);
// `text` without leading and trailing white space.
std::string_view Trim(std::string_view text);
// ASCII letters lowercased, every white-space character removed.
std::string NormalizeCaseSpace(std::string_view text);

double Iou(const Box& a, const Box& b);

struct LineMatch {
  size_t label = 0;      // index into the label lines
  size_t predicted = 0;  // index into the predicted lines
  double iou = 0;
};
// Greedy one-to-one matching by decreasing IoU (ties: lower label index, then lower predicted index),
// keeping pairs with IoU >= min_iou. Result sorted by label index.
std::vector<LineMatch> MatchLines(const std::vector<Box>& labels, const std::vector<Box>& predicted,
                                  double min_iou);

// The text of a page in reading order: lines are sorted by the vertical centre of their boxes; a line
// joins the current row when its vertical centre lies within the vertical extent of the row's first line,
// otherwise it starts a new row; a row is read by increasing x_min. Lines are joined by single spaces and
// every run of white space becomes one space (no leading or trailing space).
std::string ReadingOrderText(const std::vector<TextLine>& lines);

// --- Line accuracy ------------------------------------------------------------------------------------
//
// How well each label line was read, wherever and however the engine placed it: no box matching, so an
// engine that joins several labelled segments of one printed row into one line ("TOTAL 9.00" where the
// labels hold "TOTAL" and "9.00") or splits differently is not penalised for the segmentation itself.
// - Candidates for a label line: every run of consecutive words of every predicted line (words are the
//   white-space separated tokens; a whole line is the run of all its words).
// - Both sides compared after NormalizeCaseSpace (white space removed, ASCII letters lowercased).
// - Similarity = 1 - EditDistance / max(len(label), len(candidate)), lengths in Unicode code points of
//   the normalised texts; in [0, 1], 1 only for equal texts.
// - A label line's score is its best similarity over all candidates (0 when there are none). Label lines
//   whose normalised text is empty are not counted.
// - Line accuracy = mean score over the counted label lines; exact = share of them scoring 1.

// 1 - EditDistance(a, b) / max(|a|, |b|); 1 when both are empty.
double Similarity(std::u32string_view a, std::u32string_view b);

// The white-space separated tokens of `text`, in order.
std::vector<std::string_view> Words(std::string_view text);

// The best reading of one label line among the predicted texts.
struct LineReading {
  double score = 0;       // best similarity, 0 when no predicted line has a word
  int predicted = -1;     // index of the predicted line the best run comes from; -1: none
  size_t first_word = 0;  // the run: words [first_word, end_word) of that line
  size_t end_word = 0;
  std::string candidate;  // the run's words joined by single spaces (not normalised)
};

// Ties keep the first candidate found, in the order: predicted line, first word, end word.
LineReading BestReading(std::string_view label, const std::vector<std::string>& predicted);

// Sums for one page or, with +=, for many.
struct LineAccuracy {
  size_t label_lines = 0;  // counted label lines (non-empty once normalised)
  size_t exact_lines = 0;  // of them, scoring 1
  double score_sum = 0;

  LineAccuracy& operator+=(const LineAccuracy& other);
  double Mean() const;       // score_sum / label_lines; 0 when there are none
  double ExactRate() const;  // exact_lines / label_lines; 0 when there are none
};

// `readings`, when given, receives one entry per label line (also the uncounted ones, score 0).
LineAccuracy ScoreLineAccuracy(const std::vector<TextLine>& labels, const std::vector<TextLine>& predicted,
                               std::vector<LineReading>* readings = nullptr);

// Counts for one page or, summed with +=, for many.
struct PageScore {
  size_t label_lines = 0;
  size_t predicted_lines = 0;
  size_t matched_lines = 0;
  size_t exact_lines = 0;             // matched lines whose trimmed texts are equal
  size_t exact_normalized_lines = 0;  // matched lines equal after NormalizeCaseSpace
  size_t matched_edits = 0;           // sum of edit distances over matched lines (trimmed texts)
  size_t matched_label_chars = 0;     // sum of label code points over matched lines
  size_t page_edits = 0;              // edit distance between the ReadingOrderText of both sides
  size_t page_label_chars = 0;        // code points of the labels' ReadingOrderText
  // The same three sums after NormalizeCaseSpace on both sides.
  size_t matched_edits_normalized = 0;
  size_t matched_label_chars_normalized = 0;
  size_t page_edits_normalized = 0;
  size_t page_label_chars_normalized = 0;
  LineAccuracy line_accuracy;  // ScoreLineAccuracy of the page (no box matching)

  PageScore& operator+=(const PageScore& other);

  // Each returns 0 when its denominator is 0.
  double LineRecall() const;                     // matched_lines / label_lines
  double LinePrecision() const;                  // matched_lines / predicted_lines
  double ExactRate() const;                      // exact_lines / matched_lines
  double ExactNormalizedRate() const;            // exact_normalized_lines / matched_lines
  double MatchedCharAccuracy() const;            // 1 - matched_edits / matched_label_chars
  double PageCer() const;                        // page_edits / page_label_chars
  double MatchedCharAccuracyNormalized() const;  // 1 - matched_edits_normalized / ..._chars_normalized
  double PageCerNormalized() const;              // page_edits_normalized / page_label_chars_normalized
};

inline constexpr double kDefaultMinIou = 0.5;

PageScore ScorePage(const std::vector<TextLine>& labels, const std::vector<TextLine>& predicted,
                    double min_iou = kDefaultMinIou);

}  // namespace plateau::eval
