#include "metrics.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace plateau::eval {
namespace {

TEST(EditDistanceTest, ClassicCases) {
  EXPECT_EQ(EditDistance(U"", U""), 0u);
  EXPECT_EQ(EditDistance(U"", U"abc"), 3u);  // three insertions
  EXPECT_EQ(EditDistance(U"abc", U""), 3u);  // three deletions
  EXPECT_EQ(EditDistance(U"abc", U"abc"), 0u);
  // kitten -> sitten (k/s) -> sittin (e/i) -> sitting (+g)
  EXPECT_EQ(EditDistance(U"kitten", U"sitting"), 3u);
  // flaw -> law (delete f) -> lawn (insert n); four substitutions would cost more.
  EXPECT_EQ(EditDistance(U"flaw", U"lawn"), 2u);
  EXPECT_EQ(EditDistance(U"TOTAL", U"T0TAL"), 1u);
  EXPECT_EQ(EditDistance(U"ab", U"ba"), 2u);  // no transposition operation
}

TEST(EditDistanceTest, CountsCodePointsNotBytes) {
  // "é" is two bytes in UTF-8 but one character: replacing it by "e" is one substitution.
  EXPECT_EQ(CodePoints("café").size(), 4u);
  EXPECT_EQ(EditDistance(CodePoints("café"), CodePoints("cafe")), 1u);
  // CJK: three bytes each.
  EXPECT_EQ(CodePoints("收据").size(), 2u);
  EXPECT_EQ(EditDistance(CodePoints("收据"), CodePoints("收")), 1u);
}

TEST(CodePointsTest, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(CodePoints("a\xff"
                       "b"),
            (std::u32string{U'a', U'\uFFFD', U'b'}));
  // A lead byte of a 3-byte sequence with only one byte after it, at the end of the text.
  EXPECT_EQ(CodePoints("x\xe6\x94"), (std::u32string{U'x', U'\uFFFD', U'\uFFFD'}));
  // A lead byte followed by a non-continuation byte.
  EXPECT_EQ(CodePoints("\xc3z"), (std::u32string{U'\uFFFD', U'z'}));
}

TEST(NormalizeTest, TrimAndCaseSpace) {
  EXPECT_EQ(Trim("  TOTAL 12.00 \r\n"), "TOTAL 12.00");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(NormalizeCaseSpace(" Total  RM 12.00\t"), "totalrm12.00");
  EXPECT_EQ(NormalizeCaseSpace("ÉA"), "Éa");  // only ASCII letters are lowercased
}

TEST(LabelCsvTest, TextKeepsItsCommas) {
  StatusOr<TextLine> line = ParseLabelRow("110,144,383,144,383,163,110,163,NO.53 55,57 & 59, JALAN SAGU 18,");
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(line->text, "NO.53 55,57 & 59, JALAN SAGU 18,");
  EXPECT_EQ(line->box.x_min, 110);
  EXPECT_EQ(line->box.y_min, 144);
  EXPECT_EQ(line->box.x_max, 383);
  EXPECT_EQ(line->box.y_max, 163);
}

TEST(LabelCsvTest, BoxIsTheBoundingRectangleOfATiltedQuad) {
  // Points (10,20) (50,10) (60,40) (20,50): x in [10, 60], y in [10, 50].
  StatusOr<TextLine> line = ParseLabelRow("10,20,50,10,60,40,20,50,A");
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->box.x_min, 10);
  EXPECT_EQ(line->box.x_max, 60);
  EXPECT_EQ(line->box.y_min, 10);
  EXPECT_EQ(line->box.y_max, 50);
}

TEST(LabelCsvTest, EmptyTextAndCrlf) {
  StatusOr<std::vector<TextLine>> lines =
      ParseLabelCsv("1,2,3,2,3,4,1,4,\r\n\r\n5,6,7,6,7,8,5,8,B C\r\n", "x.csv");
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[0].text, "");
  EXPECT_EQ((*lines)[1].text, "B C");
  EXPECT_EQ((*lines)[1].box.x_min, 5);
}

TEST(LabelCsvTest, ErrorsNameTheFileAndRow) {
  StatusOr<std::vector<TextLine>> few = ParseLabelCsv("1,2,3,2,3,4,1,4,ok\n1,2,3,TEXT\n", "r.csv");
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(few.status().message().find("r.csv:2"), std::string::npos) << few.status().message();

  StatusOr<std::vector<TextLine>> nan = ParseLabelCsv("1,2,3,x2,3,4,1,4,T\n", "s.csv");
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("s.csv:1"), std::string::npos);
  EXPECT_NE(nan.status().message().find("'x2'"), std::string::npos) << nan.status().message();

  EXPECT_EQ(ReadLabelFile("/nonexistent/box.csv").status().code(), StatusCode::kNotFound);
}

TEST(LabelCsvTest, ReadsARealSroieFile) {
  const std::string path = PLATEAU_SOURCE_DIR "/../shared/eval/sroie/box/000.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " missing";
  StatusOr<std::vector<TextLine>> lines = ReadLabelFile(path);
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_GE(lines->size(), 4u);
  EXPECT_EQ((*lines)[0].text, "TAN WOON YANN");
  EXPECT_EQ((*lines)[3].text, "NO.53 55,57 & 59, JALAN SAGU 18,");
}

TEST(IouTest, HandComputed) {
  const Box a{0, 0, 10, 10};
  EXPECT_DOUBLE_EQ(Iou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(Iou(a, Box{10, 0, 20, 10}), 0.0);  // touching edges
  EXPECT_DOUBLE_EQ(Iou(a, Box{20, 20, 30, 30}), 0.0);
  // Overlap 5x10 = 50; union 100 + 100 - 50 = 150.
  EXPECT_DOUBLE_EQ(Iou(a, Box{5, 0, 15, 10}), 50.0 / 150.0);
  // Inside: 4x4 = 16 of 100.
  EXPECT_DOUBLE_EQ(Iou(a, Box{2, 2, 6, 6}), 0.16);
  EXPECT_DOUBLE_EQ(Iou(Box{0, 0, 0, 0}, Box{0, 0, 0, 0}), 0.0);  // degenerate boxes never match
}

TEST(MatchLinesTest, GreedyOneToOneByDecreasingIou) {
  // Label 0 [0,10]x[0,10]. Predicted 0 [1,11]x[0,10]: overlap 90, union 110, IoU 0.818.
  // Predicted 1 [0,10]x[0,10]: IoU 1. Label 1 [1,11]x[0,10]: IoU with predicted 0 is 1, with
  // predicted 1 0.818. Best pairs first: (0,1) and (1,0), both IoU 1.
  const std::vector<Box> labels = {{0, 0, 10, 10}, {1, 0, 11, 10}};
  const std::vector<Box> predicted = {{1, 0, 11, 10}, {0, 0, 10, 10}};
  const std::vector<LineMatch> m = MatchLines(labels, predicted, 0.5);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, 0u);
  EXPECT_EQ(m[0].predicted, 1u);
  EXPECT_EQ(m[1].label, 1u);
  EXPECT_EQ(m[1].predicted, 0u);
}

TEST(MatchLinesTest, ThresholdAndEachLineUsedOnce) {
  // One wide prediction covering two labels side by side: each label has IoU 100/200 = 0.5 with it.
  const std::vector<Box> labels = {{0, 0, 10, 10}, {10, 0, 20, 10}};
  const std::vector<Box> merged = {{0, 0, 20, 10}};
  const std::vector<LineMatch> m = MatchLines(labels, merged, 0.5);
  ASSERT_EQ(m.size(), 1u);  // the prediction is used once: the first label (tie broken by index)
  EXPECT_EQ(m[0].label, 0u);
  EXPECT_DOUBLE_EQ(m[0].iou, 0.5);
  EXPECT_TRUE(MatchLines(labels, merged, 0.51).empty());
  EXPECT_TRUE(MatchLines({}, merged, 0.5).empty());
}

TEST(ReadingOrderTest, RowsThenLeftToRight) {
  // Row 1: "TOTAL" at x 0 and "12.00" at x 100 (its centre 11 lies in TOTAL's [0, 20]); row 2 below.
  const std::vector<TextLine> lines = {
      {{100, 2, 150, 20}, "12.00 "}, {{0, 30, 80, 50}, "THANK  YOU"}, {{0, 0, 60, 20}, " TOTAL"}};
  EXPECT_EQ(ReadingOrderText(lines), "TOTAL 12.00 THANK YOU");
  // The same words as one merged line give the same page text.
  const std::vector<TextLine> merged = {{{0, 0, 150, 20}, "TOTAL    12.00"}, {{0, 30, 80, 50}, "THANK YOU"}};
  EXPECT_EQ(ReadingOrderText(merged), "TOTAL 12.00 THANK YOU");
  EXPECT_EQ(ReadingOrderText({}), "");
}

TEST(ScorePageTest, HandComputedCounts) {
  const std::vector<TextLine> labels = {
      {{0, 0, 100, 20}, "TOTAL"},         // matched (IoU 0.99), read exactly
      {{0, 30, 100, 50}, "Cash"},         // matched (IoU 0.95), read "CASH": exact only when normalised
      {{0, 60, 100, 80}, "CHANGE 0.00"},  // matched (IoU 0.99), read "CHANGE 0.0O": 1 substitution
      {{0, 90, 100, 110}, "THANKS"},      // no predicted box there
  };
  const std::vector<TextLine> predicted = {
      {{1, 0, 100, 20}, "TOTAL\n"},
      {{0, 31, 100, 50}, "CASH"},
      {{0, 60, 99, 80}, "CHANGE 0.0O"},
      {{500, 500, 600, 520}, "THANKS"},  // matches no label box, but its text is on the page
  };
  const PageScore s = ScorePage(labels, predicted);
  EXPECT_EQ(s.label_lines, 4u);
  EXPECT_EQ(s.predicted_lines, 4u);
  EXPECT_EQ(s.matched_lines, 3u);
  EXPECT_EQ(s.exact_lines, 1u);
  EXPECT_EQ(s.exact_normalized_lines, 2u);
  EXPECT_EQ(s.matched_edits, 0u + 3u + 1u);  // Cash -> CASH: 3 substitutions
  EXPECT_EQ(s.matched_label_chars, 5u + 4u + 11u);
  EXPECT_DOUBLE_EQ(s.LineRecall(), 0.75);
  EXPECT_DOUBLE_EQ(s.LinePrecision(), 0.75);
  EXPECT_DOUBLE_EQ(s.MatchedCharAccuracy(), 1.0 - 4.0 / 20.0);
  // Page texts, same length: "TOTAL Cash CHANGE 0.00 THANKS" (29 code points) vs
  // "TOTAL CASH CHANGE 0.0O THANKS": 3 + 1 substitutions. The box-level miss is still credited here.
  EXPECT_EQ(s.page_label_chars, 29u);
  EXPECT_EQ(s.page_edits, 4u);
  EXPECT_DOUBLE_EQ(s.PageCer(), 4.0 / 29.0);
  // Normalised: "total", "cash", "change0.00" vs "change0.0o" -> 1 edit over 5 + 4 + 10 code points;
  // page "totalcashchange0.00thanks" (25) vs "totalcashchange0.0othanks": 1 edit.
  EXPECT_EQ(s.matched_edits_normalized, 1u);
  EXPECT_EQ(s.matched_label_chars_normalized, 19u);
  EXPECT_DOUBLE_EQ(s.MatchedCharAccuracyNormalized(), 1.0 - 1.0 / 19.0);
  EXPECT_EQ(s.page_edits_normalized, 1u);
  EXPECT_EQ(s.page_label_chars_normalized, 25u);
  EXPECT_DOUBLE_EQ(s.PageCerNormalized(), 1.0 / 25.0);

  PageScore total;
  total += s;
  total += s;
  EXPECT_EQ(total.matched_lines, 6u);
  EXPECT_EQ(total.page_edits_normalized, 2u);
  EXPECT_DOUBLE_EQ(total.LineRecall(), 0.75);
}

TEST(ScorePageTest, EmptySidesGiveZeroRatesNotNan) {
  const PageScore s = ScorePage({}, {});
  EXPECT_EQ(s.LineRecall(), 0.0);
  EXPECT_EQ(s.MatchedCharAccuracy(), 0.0);
  EXPECT_EQ(s.PageCer(), 0.0);
  const PageScore nothing_read = ScorePage({{{0, 0, 10, 10}, "ABC"}}, {});
  EXPECT_EQ(nothing_read.page_edits, 3u);
  EXPECT_DOUBLE_EQ(nothing_read.PageCer(), 1.0);
}

TEST(SimilarityTest, HandCheckedValues) {
  EXPECT_DOUBLE_EQ(Similarity(U"abc", U"abd"), 2.0 / 3.0);         // one substitution over 3
  EXPECT_DOUBLE_EQ(Similarity(U"kitten", U"sitting"), 4.0 / 7.0);  // 3 edits over the longer, 7
  EXPECT_DOUBLE_EQ(Similarity(U"abc", U"abcdef"), 0.5);            // 3 insertions over 6
  EXPECT_DOUBLE_EQ(Similarity(U"abc", U""), 0.0);
  EXPECT_DOUBLE_EQ(Similarity(U"", U""), 1.0);
  EXPECT_DOUBLE_EQ(Similarity(CodePoints("收据"), CodePoints("收")), 0.5);  // code points, not bytes
}

TEST(WordsTest, SplitsOnAnyWhiteSpace) {
  EXPECT_EQ(Words("  SUB  TOTAL\t9.00 "), (std::vector<std::string_view>{"SUB", "TOTAL", "9.00"}));
  EXPECT_TRUE(Words(" \t ").empty());
}

TEST(BestReadingTest, ARunOfWordsInsideAJoinedRowCounts) {
  // The labels split the row "SUB TOTAL 9.00"; the engine read it as one line.
  const LineReading r = BestReading("TOTAL", {"SUB TOTAL 9.00"});
  EXPECT_DOUBLE_EQ(r.score, 1.0);
  EXPECT_EQ(r.predicted, 0);
  EXPECT_EQ(r.first_word, 1u);
  EXPECT_EQ(r.end_word, 2u);
  EXPECT_EQ(r.candidate, "TOTAL");
  // A run of two words: "SUB TOTAL" -> "subtotal".
  EXPECT_EQ(BestReading("SUBTOTAL", {"SUB TOTAL 9.00"}).candidate, "SUB TOTAL");
}

TEST(BestReadingTest, IgnoresCaseAndSpaces) {
  EXPECT_DOUBLE_EQ(BestReading("Total RM", {"TOTALRM 12.00"}).score, 1.0);
  EXPECT_DOUBLE_EQ(BestReading("NO.53 55,57", {"NO.5355,57"}).score, 1.0);
}

TEST(BestReadingTest, BestOverLinesAndRunsFirstOnTies) {
  // "abcd" against line 0 "xbcd": 1 substitution -> 3/4. Line 1 "ab cx": runs "ab" (2 deletions -> 1/2),
  // "abcx" (1 substitution -> 3/4), "cx" (delete a, b; d->x: 3 edits -> 1/4). The tie at 3/4 keeps line 0.
  const LineReading r = BestReading("abcd", {"xbcd", "ab cx"});
  EXPECT_DOUBLE_EQ(r.score, 0.75);
  EXPECT_EQ(r.predicted, 0);
  EXPECT_EQ(r.candidate, "xbcd");
  const LineReading only_runs = BestReading("abcd", {"ab cx"});
  EXPECT_DOUBLE_EQ(only_runs.score, 0.75);
  EXPECT_EQ(only_runs.candidate, "ab cx");
}

TEST(BestReadingTest, NothingPredicted) {
  const LineReading r = BestReading("TOTAL", {});
  EXPECT_EQ(r.predicted, -1);
  EXPECT_DOUBLE_EQ(r.score, 0.0);
  EXPECT_EQ(BestReading("TOTAL", {"  "}).predicted, -1);  // a line without words offers no candidate
}

TEST(LineAccuracyTest, MeanAndExactOverLabelLines) {
  // "TOTAL" and "9.00" are runs of the one predicted line (score 1 each). "XYZ" shares no character with
  // any candidate ("total": 3 substitutions + 2 insertions = 5 edits over 5; "9.00": 4 over 4;
  // "total9.00": 9 over 9), so it scores 0. The blank label line is not counted.
  const std::vector<TextLine> labels = {
      {{0, 0, 10, 10}, "TOTAL"}, {{20, 0, 30, 10}, "9.00"}, {{0, 20, 10, 30}, "XYZ"}, {{0, 40, 10, 50}, " "}};
  const std::vector<TextLine> predicted = {{{0, 0, 30, 10}, "Total 9.00"}};
  std::vector<LineReading> readings;
  const LineAccuracy a = ScoreLineAccuracy(labels, predicted, &readings);
  EXPECT_EQ(a.label_lines, 3u);
  EXPECT_EQ(a.exact_lines, 2u);
  EXPECT_DOUBLE_EQ(a.Mean(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(a.ExactRate(), 2.0 / 3.0);
  ASSERT_EQ(readings.size(), 4u);
  EXPECT_EQ(readings[1].candidate, "9.00");
  EXPECT_DOUBLE_EQ(readings[2].score, 0.0);

  LineAccuracy total;
  total += a;
  total += ScoreLineAccuracy({{{0, 0, 10, 10}, "abc"}}, {{{0, 0, 10, 10}, "abd"}});  // 2/3
  EXPECT_EQ(total.label_lines, 4u);
  EXPECT_DOUBLE_EQ(total.Mean(), (2.0 + 2.0 / 3.0) / 4.0);
  EXPECT_DOUBLE_EQ(LineAccuracy{}.Mean(), 0.0);
  // ScorePage carries the same figures.
  EXPECT_EQ(ScorePage(labels, predicted).line_accuracy.exact_lines, 2u);
}

}  // namespace
}  // namespace plateau::eval
