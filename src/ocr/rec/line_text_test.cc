#include "ocr/rec/line_text.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace plateau::ocr {
namespace {

std::string Folded(std::string text, bool* changed = nullptr) {
  const bool c = FoldFullwidth(&text);
  if (changed != nullptr) *changed = c;
  return text;
}

TEST(FoldFullwidthTest, LatinLinesGetTheAsciiTwins) {
  bool changed = false;
  EXPECT_EQ(Folded("GST\xEF\xBC\x88MYR\xEF\xBC\x89", &changed), "GST(MYR)");  // GST（MYR）
  EXPECT_TRUE(changed);
  EXPECT_EQ(Folded("Rounding\xEF\xBC\x9A"), "Rounding:");  // Rounding：
  EXPECT_EQ(Folded("\xEF\xBC\x88"
                   "CO.REG:933109-X)"),
            "(CO.REG:933109-X)");  // （CO.REG...
  // The first and last forms of the block, and a Latin-1 letter, which is not CJK.
  EXPECT_EQ(Folded("\xEF\xBC\x81"
                   "caf\xC3\xA9\xEF\xBD\x9E"),
            "!caf\xC3\xA9~");  // ！café～
}

TEST(FoldFullwidthTest, LinesWithCjkOrNothingToFoldStayAsRead) {
  const std::string cjk =
      "\xE9\x87\x91\xE9\xA2\x9D\xEF\xBC\x9A"
      "12.00";                                                    // 金额：12.00
  const std::string hangul = "\xEA\xB0\x80\xEF\xBC\x88";          // 가（
  const std::string halfwidth_kana = "\xEF\xBD\xB1\xEF\xBC\x88";  // ｱ（
  const std::string not_utf8 = "\xFF\xEF\xBC\x88";
  for (const std::string& text :
       {cjk, hangul, halfwidth_kana, not_utf8, std::string("TOTAL 9.00"), std::string("")}) {
    bool changed = true;
    EXPECT_EQ(Folded(text, &changed), text);
    EXPECT_FALSE(changed);
  }
}

// A line read as `chars`, character k emitted over steps [runs[k].first, runs[k].second].
RecognizedLine Read(const std::vector<std::string>& chars, const std::vector<std::pair<int, int>>& runs) {
  RecognizedLine line;
  for (size_t k = 0; k < chars.size(); ++k) {
    line.labels.push_back({line.text.size(), runs[k].first, runs[k].second});
    line.text += chars[k];
  }
  line.steps = runs.empty() ? 0 : runs.back().second + 1;
  return line;
}

TEST(SpaceWideGapsTest, AGapWiderThanThePitchBecomesASpace) {
  // "1X19.00": characters every 3 steps, and 5 blank steps between "X" and "1" (pitch 3 x 1.1 = 3.3).
  const RecognizedLine line = Read({"1", "X", "1", "9", ".", "0", "0"},
                                   {{0, 0}, {3, 3}, {9, 9}, {12, 12}, {15, 15}, {18, 18}, {21, 21}});
  EXPECT_EQ(SpaceWideGaps(line), "1X 19.00");
}

TEST(SpaceWideGapsTest, GapsWithinThePitchAndGapsAlreadySpacedStayAsRead) {
  // A gap of 3 blank steps at pitch 3 (not wider than 1.1 pitches) is a gap inside a word.
  EXPECT_EQ(SpaceWideGaps(Read({"A", "B", "C", "D"}, {{0, 0}, {3, 3}, {6, 6}, {10, 10}})), "ABCD");
  // The model's own space is kept and not doubled, however wide the gap around it.
  EXPECT_EQ(SpaceWideGaps(Read({"A", "B", " ", "C", "D"}, {{0, 1}, {3, 4}, {9, 9}, {15, 15}, {18, 18}})),
            "AB CD");
  // Runs of a character over several steps: the gap counts from the run's last step.
  EXPECT_EQ(SpaceWideGaps(Read({"A", "B", "C"}, {{0, 2}, {4, 6}, {8, 10}})), "ABC");
}

TEST(SpaceWideGapsTest, ShortCjkOrInconsistentLinesStayAsRead) {
  EXPECT_EQ(SpaceWideGaps(Read({"A", "B"}, {{0, 0}, {20, 20}})), "AB");  // too few characters to judge
  // 金 额 1 2 with a wide gap: a CJK line is never spaced.
  EXPECT_EQ(
      SpaceWideGaps(Read({"\xE9\x87\x91", "\xE9\xA2\x9D", "1", "2"}, {{0, 0}, {3, 3}, {15, 15}, {18, 18}})),
      "\xE9\x87\x91\xE9\xA2\x9D"
      "12");
  RecognizedLine broken = Read({"A", "B", "C", "D"}, {{0, 0}, {3, 3}, {20, 20}, {23, 23}});
  broken.labels[2].text_begin = 9;  // beyond the text
  EXPECT_EQ(SpaceWideGaps(broken), "ABCD");
}

}  // namespace
}  // namespace plateau::ocr
