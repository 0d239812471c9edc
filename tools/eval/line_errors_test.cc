#include "line_errors.h"

#include <gtest/gtest.h>

namespace plateau::eval {
namespace {

// An upright quad over [x0, x1) x [y0, y1).
Quad Rect(double x0, double y0, double x1, double y1) { return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}; }

TextLine Label(double x0, double y0, double x1, double y1, std::string text) {
  return {{x0, y0, x1, y1}, std::move(text)};
}

RecognisedLine Read(const Quad& quad, std::string text, int angle = 0) {
  return {std::move(text), quad, angle};
}

std::vector<Box> Boxes(const std::vector<RecognisedLine>& lines) {
  std::vector<Box> boxes;
  for (const RecognisedLine& l : lines) boxes.push_back(BoundingBox(l.quad));
  return boxes;
}

LineCategory CategoryOf(const TextLine& label, const std::vector<RecognisedLine>& read,
                        const std::vector<Box>& detected) {
  return DiagnoseLines({label}, read, detected).front().category;
}

TEST(GeometryTest, BoundingBoxAndIntersection) {
  const Box b = BoundingBox({{{10, 20}, {50, 10}, {60, 40}, {20, 50}}});
  EXPECT_EQ(b.x_min, 10);
  EXPECT_EQ(b.y_min, 10);
  EXPECT_EQ(b.x_max, 60);
  EXPECT_EQ(b.y_max, 50);
  // [0,10)x[0,10) and [5,20)x[5,20) share [5,10)x[5,10): 25.
  EXPECT_DOUBLE_EQ(IntersectionArea({0, 0, 10, 10}, {5, 5, 20, 20}), 25.0);
  EXPECT_DOUBLE_EQ(IntersectionArea({0, 0, 10, 10}, {20, 20, 30, 30}), 0.0);
}

TEST(DiagnoseLinesTest, ExactAndExactButSpaces) {
  const std::vector<RecognisedLine> read = {Read(Rect(0, 0, 100, 20), "Total RM 9.00")};
  EXPECT_EQ(CategoryOf(Label(0, 0, 100, 20, "TOTAL RM 9.00"), read, Boxes(read)), LineCategory::kExact);
  // The label's two words are one in the reading: exact for the metric, but a space was dropped.
  EXPECT_EQ(CategoryOf(Label(0, 0, 100, 20, "TOTALRM 9.00"), read, Boxes(read)),
            LineCategory::kExactButSpaces);
}

TEST(DiagnoseLinesTest, MissedAndDropped) {
  const std::vector<RecognisedLine> read = {Read(Rect(0, 0, 100, 20), "CASH")};
  const TextLine far_away = Label(0, 100, 100, 120, "CHANGE");
  EXPECT_EQ(CategoryOf(far_away, read, Boxes(read)), LineCategory::kMissed);
  // A detected box over it that produced no recognised line.
  std::vector<Box> detected = Boxes(read);
  detected.push_back({0, 100, 100, 120});
  EXPECT_EQ(CategoryOf(far_away, read, detected), LineCategory::kDropped);
}

TEST(DiagnoseLinesTest, ALabelBoxWiderThanItsTextIsNotMissed) {
  // The label box spans dot leaders to x = 400; the line read covers [0, 60) of it: 15% of the label's
  // area, below kMinCover, but it lies wholly inside the label box, so it is the label's own line.
  const std::vector<RecognisedLine> read = {Read(Rect(0, 0, 60, 20), "CASH.")};
  const std::vector<LineDiagnosis> d =
      DiagnoseLines({Label(0, 0, 400, 20, "CASH.............. RM")}, read, Boxes(read));
  EXPECT_EQ(d[0].own_line, 0);
  EXPECT_EQ(d[0].category, LineCategory::kOther);
}

TEST(DiagnoseLinesTest, MaskedLabelsAndFullWidthForms) {
  const std::vector<RecognisedLine> chinese = {Read(Rect(0, 0, 100, 20), "谢谢")};
  EXPECT_EQ(CategoryOf(Label(0, 0, 100, 20, "***"), chinese, Boxes(chinese)), LineCategory::kMaskedLabel);
  // U+FF08 and U+FF09 are the full-width '(' and ')'.
  const std::vector<RecognisedLine> wide = {Read(Rect(0, 0, 100, 20), "QTY（S）:4")};
  EXPECT_EQ(CategoryOf(Label(0, 0, 100, 20, "QTY(S) : 4"), wide, Boxes(wide)), LineCategory::kFullWidth);
}

TEST(DiagnoseLinesTest, UpsideDownAndTallCrop) {
  const TextLine label = Label(0, 0, 100, 20, "THANK YOU");
  const std::vector<RecognisedLine> turned = {Read(Rect(0, 0, 100, 20), "NOA KNVHL", 180)};
  EXPECT_EQ(CategoryOf(label, turned, Boxes(turned)), LineCategory::kUpsideDown);
  // A crop 30 high and 20 wide: 30 >= 1.5 x 20.
  const TextLine short_label = Label(0, 0, 20, 30, "A1");
  const std::vector<RecognisedLine> tall = {Read(Rect(0, 0, 20, 30), "AI")};
  EXPECT_EQ(CategoryOf(short_label, tall, Boxes(tall)), LineCategory::kTallCrop);
}

TEST(DiagnoseLinesTest, SplitAndMerged) {
  // Two recognised halves inside one label box; neither half nor their runs read the label.
  const std::vector<RecognisedLine> halves = {Read(Rect(0, 0, 50, 20), "SUBTO"),
                                              Read(Rect(50, 0, 100, 20), "TAI")};
  EXPECT_EQ(CategoryOf(Label(0, 0, 100, 20, "SUBTOTAL"), halves, Boxes(halves)), LineCategory::kSplit);
  // One recognised line over two label boxes, with the words glued: no run reads "TOTAL".
  const std::vector<RecognisedLine> joined = {Read(Rect(0, 0, 200, 20), "T0TAL9.00")};
  const std::vector<TextLine> labels = {Label(0, 0, 100, 20, "TOTAL"), Label(100, 0, 200, 20, "9.00")};
  const std::vector<LineDiagnosis> d = DiagnoseLines(labels, joined, Boxes(joined));
  EXPECT_EQ(d[0].category, LineCategory::kMerged);
  EXPECT_EQ(d[0].own_line, 0);
  // With a space the run "9.00" is exact: merging costs nothing then.
  const std::vector<RecognisedLine> spaced = {Read(Rect(0, 0, 200, 20), "T0TAL 9.00")};
  EXPECT_EQ(DiagnoseLines(labels, spaced, Boxes(spaced))[1].category, LineCategory::kExact);
}

TEST(DiagnoseLinesTest, CropHeights) {
  const TextLine label = Label(0, 0, 100, 20, "RECEIPT");
  // Height 10 over 20: ratio 0.5 < 0.8.
  const std::vector<RecognisedLine> tight = {Read(Rect(0, 5, 100, 15), "RECEIPI")};
  const std::vector<LineDiagnosis> d = DiagnoseLines({label}, tight, Boxes(tight));
  EXPECT_EQ(d[0].category, LineCategory::kCropTight);
  EXPECT_DOUBLE_EQ(d[0].height_ratio, 0.5);
  // Height 50 over 20: ratio 2.5 > 2; still mostly over the label (its box covers all of it).
  const std::vector<RecognisedLine> loose = {Read(Rect(0, -15, 100, 35), "RECEIPI")};
  EXPECT_EQ(CategoryOf(label, loose, Boxes(loose)), LineCategory::kCropLoose);
}

TEST(DiagnoseLinesTest, SubstitutionsSmallEditsAndOther) {
  const std::vector<TextLine> labels = {Label(0, 0, 100, 20, "TOTAL 10.00")};
  auto diagnose = [&](const std::string& text) {
    const std::vector<RecognisedLine> read = {Read(Rect(0, 0, 100, 20), text)};
    return DiagnoseLines(labels, read, Boxes(read)).front();
  };
  // "total10.00" vs "t0tal1o.00": o->0 and 0->o, two substitutions.
  const LineDiagnosis two = diagnose("T0TAL 1O.00");
  EXPECT_EQ(two.category, LineCategory::kSubstitution);
  ASSERT_EQ(two.substitutions.size(), 2u);
  EXPECT_EQ(two.substitutions[0], (std::pair<char32_t, char32_t>{U'o', U'0'}));
  EXPECT_EQ(two.substitutions[1], (std::pair<char32_t, char32_t>{U'0', U'o'}));
  EXPECT_EQ(diagnose("TOTAL 10.0").category, LineCategory::kSmallEdit);  // one deletion
  EXPECT_EQ(diagnose("TQTAL 1Q.QQ").category, LineCategory::kOther);     // four substitutions

  LineCategoryCounts counts;
  counts.Add(labels, {two});
  counts.Add({Label(0, 0, 1, 1, " ")}, {LineDiagnosis{}});  // empty label: not counted
  EXPECT_EQ(counts.label_lines, 1u);
  EXPECT_EQ(counts.count[static_cast<int>(LineCategory::kSubstitution)], 1u);
  EXPECT_EQ((counts.substitutions[{U'o', U'0'}]), 1u);
}

}  // namespace
}  // namespace plateau::eval
