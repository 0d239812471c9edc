#include "metrics.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <numeric>
#include <sstream>

#include "common/utf8.h"

namespace plateau::eval {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// std::from_chars for double accepts no leading '+' or spaces; SROIE coordinates are plain integers, but
// a stray space around a number is tolerated since it changes no meaning.
bool ParseNumber(std::string_view field, double* value) {
  field = Trim(field);
  if (field.empty()) return false;
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, *value);
  return ec == std::errc() && ptr == end;
}

double Ratio(size_t num, size_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

double Box::Area() const { return std::max(0.0, x_max - x_min) * std::max(0.0, y_max - y_min); }

StatusOr<TextLine> ParseLabelRow(std::string_view row) {
  if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
  double coords[8];
  size_t start = 0;
  for (int i = 0; i < 8; ++i) {
    const size_t comma = row.find(',', start);
    if (comma == std::string_view::npos) {
      return Status::InvalidArgument("expected 8 comma-separated coordinates before the text, found " +
                                     std::to_string(i) + " in '" + std::string(row) + "'");
    }
    const std::string_view field = row.substr(start, comma - start);
    if (!ParseNumber(field, &coords[i])) {
      return Status::InvalidArgument("coordinate " + std::to_string(i + 1) + " is '" + std::string(field) +
                                     "'; expected a number");
    }
    start = comma + 1;
  }
  TextLine line;
  line.box = {coords[0], coords[1], coords[0], coords[1]};
  for (int p = 1; p < 4; ++p) {
    line.box.x_min = std::min(line.box.x_min, coords[2 * static_cast<size_t>(p)]);
    line.box.x_max = std::max(line.box.x_max, coords[2 * static_cast<size_t>(p)]);
    line.box.y_min = std::min(line.box.y_min, coords[2 * static_cast<size_t>(p) + 1]);
    line.box.y_max = std::max(line.box.y_max, coords[2 * static_cast<size_t>(p) + 1]);
  }
  line.text = std::string(row.substr(start));
  return line;
}

StatusOr<std::vector<TextLine>> ParseLabelCsv(std::string_view content, const std::string& source) {
  std::vector<TextLine> lines;
  size_t start = 0;
  int row_number = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view row = content.substr(start, end - start);
    start = end + 1;
    ++row_number;
    if (Trim(row).empty()) continue;
    StatusOr<TextLine> line = ParseLabelRow(row);
    if (!line.ok()) return line.status().WithContext(source + ":" + std::to_string(row_number));
    lines.push_back(std::move(*line));
  }
  return lines;
}

StatusOr<std::vector<TextLine>> ReadLabelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open the label file");
  std::ostringstream content;
  content << in.rdbuf();
  return ParseLabelCsv(content.str(), path);
}

std::u32string CodePoints(std::string_view utf8) { return DecodeUtf8(utf8); }

size_t EditDistance(std::u32string_view a, std::u32string_view b) {
  // One row of the dynamic programme: row[j] = distance between a[0, i) and b[0, j).
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string NormalizeCaseSpace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsSpace(c)) continue;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

double Iou(const Box& a, const Box& b) {
  const Box overlap{std::max(a.x_min, b.x_min), std::max(a.y_min, b.y_min), std::min(a.x_max, b.x_max),
                    std::min(a.y_max, b.y_max)};
  const double inter = overlap.Area();
  const double uni = a.Area() + b.Area() - inter;
  return uni <= 0 ? 0.0 : inter / uni;
}

std::vector<LineMatch> MatchLines(const std::vector<Box>& labels, const std::vector<Box>& predicted,
                                  double min_iou) {
  std::vector<LineMatch> candidates;
  for (size_t l = 0; l < labels.size(); ++l) {
    for (size_t p = 0; p < predicted.size(); ++p) {
      const double iou = Iou(labels[l], predicted[p]);
      if (iou >= min_iou && iou > 0) candidates.push_back({l, p, iou});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const LineMatch& x, const LineMatch& y) { return x.iou > y.iou; });
  std::vector<bool> label_used(labels.size()), predicted_used(predicted.size());
  std::vector<LineMatch> matches;
  for (const LineMatch& c : candidates) {
    if (label_used[c.label] || predicted_used[c.predicted]) continue;
    label_used[c.label] = predicted_used[c.predicted] = true;
    matches.push_back(c);
  }
  std::sort(matches.begin(), matches.end(),
            [](const LineMatch& x, const LineMatch& y) { return x.label < y.label; });
  return matches;
}

std::string ReadingOrderText(const std::vector<TextLine>& lines) {
  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto centre = [&](size_t i) { return (lines[i].box.y_min + lines[i].box.y_max) / 2; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return centre(a) < centre(b); });

  std::vector<std::vector<size_t>> rows;
  for (size_t i : order) {
    if (!rows.empty()) {
      const Box& anchor = lines[rows.back().front()].box;
      if (centre(i) >= anchor.y_min && centre(i) <= anchor.y_max) {
        rows.back().push_back(i);
        continue;
      }
    }
    rows.push_back({i});
  }

  std::string joined;
  for (std::vector<size_t>& row : rows) {
    std::stable_sort(row.begin(), row.end(),
                     [&](size_t a, size_t b) { return lines[a].box.x_min < lines[b].box.x_min; });
    for (size_t i : row) {
      joined += lines[i].text;
      joined += ' ';
    }
  }
  std::string text;
  bool pending_space = false;
  for (char c : joined) {
    if (IsSpace(c)) {
      pending_space = !text.empty();
      continue;
    }
    if (pending_space) text += ' ';
    pending_space = false;
    text += c;
  }
  return text;
}

double Similarity(std::u32string_view a, std::u32string_view b) {
  const size_t longer = std::max(a.size(), b.size());
  return longer == 0 ? 1.0 : 1.0 - Ratio(EditDistance(a, b), longer);
}

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

LineReading BestReading(std::string_view label, const std::vector<std::string>& predicted) {
  const std::u32string target = CodePoints(NormalizeCaseSpace(label));
  const size_t n = target.size();
  LineReading best;
  // Runs starting at the same word share their prefixes, so the edit distance is carried along as
  // characters are appended: column[a] = distance between target[0, a) and the run so far. This keeps the
  // cost of all runs of a line at (label length) x (line length) x (words), not a full table per run.
  std::vector<size_t> column(n + 1), next(n + 1);
  for (size_t p = 0; p < predicted.size(); ++p) {
    const std::vector<std::string_view> words = Words(predicted[p]);
    std::vector<std::u32string> word_chars;
    for (std::string_view w : words) word_chars.push_back(CodePoints(NormalizeCaseSpace(w)));
    for (size_t first = 0; first < words.size(); ++first) {
      std::iota(column.begin(), column.end(), size_t{0});
      size_t run_length = 0;
      for (size_t end = first; end < words.size(); ++end) {
        for (char32_t c : word_chars[end]) {
          next[0] = ++run_length;
          for (size_t a = 1; a <= n; ++a) {
            next[a] =
                std::min({column[a] + 1, next[a - 1] + 1, column[a - 1] + (target[a - 1] == c ? 0 : 1)});
          }
          column.swap(next);
        }
        const size_t longer = std::max(n, run_length);
        const double score = longer == 0 ? 1.0 : 1.0 - Ratio(column[n], longer);
        if (best.predicted < 0 || score > best.score) {
          best.score = score;
          best.predicted = static_cast<int>(p);
          best.first_word = first;
          best.end_word = end + 1;
        }
      }
    }
  }
  if (best.predicted >= 0) {
    const std::vector<std::string_view> words = Words(predicted[best.predicted]);
    for (size_t w = best.first_word; w < best.end_word; ++w) {
      if (w > best.first_word) best.candidate += ' ';
      best.candidate += words[w];
    }
  }
  return best;
}

LineAccuracy& LineAccuracy::operator+=(const LineAccuracy& o) {
  label_lines += o.label_lines;
  exact_lines += o.exact_lines;
  score_sum += o.score_sum;
  return *this;
}

double LineAccuracy::Mean() const { return label_lines == 0 ? 0.0 : score_sum / label_lines; }
double LineAccuracy::ExactRate() const { return Ratio(exact_lines, label_lines); }

LineAccuracy ScoreLineAccuracy(const std::vector<TextLine>& labels, const std::vector<TextLine>& predicted,
                               std::vector<LineReading>* readings) {
  std::vector<std::string> texts;
  for (const TextLine& p : predicted) texts.push_back(p.text);
  LineAccuracy accuracy;
  if (readings != nullptr) readings->clear();
  for (const TextLine& label : labels) {
    const bool counted = !NormalizeCaseSpace(label.text).empty();
    LineReading reading = counted ? BestReading(label.text, texts) : LineReading{};
    if (counted) {
      ++accuracy.label_lines;
      accuracy.score_sum += reading.score;
      if (reading.score == 1.0) ++accuracy.exact_lines;
    }
    if (readings != nullptr) readings->push_back(std::move(reading));
  }
  return accuracy;
}

PageScore& PageScore::operator+=(const PageScore& o) {
  label_lines += o.label_lines;
  predicted_lines += o.predicted_lines;
  matched_lines += o.matched_lines;
  exact_lines += o.exact_lines;
  exact_normalized_lines += o.exact_normalized_lines;
  matched_edits += o.matched_edits;
  matched_label_chars += o.matched_label_chars;
  page_edits += o.page_edits;
  page_label_chars += o.page_label_chars;
  matched_edits_normalized += o.matched_edits_normalized;
  matched_label_chars_normalized += o.matched_label_chars_normalized;
  page_edits_normalized += o.page_edits_normalized;
  page_label_chars_normalized += o.page_label_chars_normalized;
  line_accuracy += o.line_accuracy;
  return *this;
}

double PageScore::LineRecall() const { return Ratio(matched_lines, label_lines); }
double PageScore::LinePrecision() const { return Ratio(matched_lines, predicted_lines); }
double PageScore::ExactRate() const { return Ratio(exact_lines, matched_lines); }
double PageScore::ExactNormalizedRate() const { return Ratio(exact_normalized_lines, matched_lines); }
double PageScore::MatchedCharAccuracy() const {
  return matched_label_chars == 0 ? 0.0 : 1.0 - Ratio(matched_edits, matched_label_chars);
}
double PageScore::PageCer() const { return Ratio(page_edits, page_label_chars); }
double PageScore::MatchedCharAccuracyNormalized() const {
  return matched_label_chars_normalized == 0
             ? 0.0
             : 1.0 - Ratio(matched_edits_normalized, matched_label_chars_normalized);
}
double PageScore::PageCerNormalized() const {
  return Ratio(page_edits_normalized, page_label_chars_normalized);
}

PageScore ScorePage(const std::vector<TextLine>& labels, const std::vector<TextLine>& predicted,
                    double min_iou) {
  PageScore score;
  score.label_lines = labels.size();
  score.predicted_lines = predicted.size();
  std::vector<Box> label_boxes, predicted_boxes;
  for (const TextLine& l : labels) label_boxes.push_back(l.box);
  for (const TextLine& p : predicted) predicted_boxes.push_back(p.box);
  for (const LineMatch& m : MatchLines(label_boxes, predicted_boxes, min_iou)) {
    const std::string_view label = Trim(labels[m.label].text);
    const std::string_view guess = Trim(predicted[m.predicted].text);
    ++score.matched_lines;
    if (label == guess) ++score.exact_lines;
    if (NormalizeCaseSpace(label) == NormalizeCaseSpace(guess)) ++score.exact_normalized_lines;
    const std::u32string label_cp = CodePoints(label);
    score.matched_edits += EditDistance(label_cp, CodePoints(guess));
    score.matched_label_chars += label_cp.size();
    const std::u32string label_norm = CodePoints(NormalizeCaseSpace(label));
    score.matched_edits_normalized += EditDistance(label_norm, CodePoints(NormalizeCaseSpace(guess)));
    score.matched_label_chars_normalized += label_norm.size();
  }
  const std::string label_text = ReadingOrderText(labels);
  const std::string predicted_text = ReadingOrderText(predicted);
  const std::u32string page_label = CodePoints(label_text);
  score.page_edits = EditDistance(page_label, CodePoints(predicted_text));
  score.page_label_chars = page_label.size();
  const std::u32string page_label_norm = CodePoints(NormalizeCaseSpace(label_text));
  score.page_edits_normalized = EditDistance(page_label_norm, CodePoints(NormalizeCaseSpace(predicted_text)));
  score.page_label_chars_normalized = page_label_norm.size();
  score.line_accuracy = ScoreLineAccuracy(labels, predicted);
  return score;
}

}  // namespace plateau::eval
