#include "ocr/cls/textline_classifier.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "ocr/rec/sroie_test_lines.h"

namespace plateau::ocr {
namespace {

using testing::FileExists;
using testing::kModelDir;
using testing::LabelledLine;
using testing::LoadSroieLines;

const std::string kClsModel = std::string(kModelDir) + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";

cv::Mat Numbered(int rows, int cols) {
  cv::Mat m(rows, cols, CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x), static_cast<uint8_t>(y), 7);
    }
  }
  return m;
}

TEST(RotateUpsideDownLinesTest, TurnsOnlyConfident180Lines) {
  std::vector<cv::Mat> crops = {Numbered(3, 5), Numbered(4, 6), Numbered(2, 9)};
  const std::vector<cv::Mat> originals = {crops[0].clone(), crops[1].clone(), crops[2].clone()};
  const std::vector<TextlineOrientation> orientations = {
      {kTextline180, 0.95f}, {kTextline0, 0.99f}, {kTextline180, 0.6f}};
  // PaddleX 3.x: every "180" line.
  auto turned = RotateUpsideDownLines(orientations, &crops);
  ASSERT_TRUE(turned.ok());
  EXPECT_EQ(*turned, 2u);
  for (size_t i : {size_t{0}, size_t{2}}) {
    const cv::Mat& o = originals[i];
    ASSERT_EQ(crops[i].size(), o.size());
    for (int y = 0; y < o.rows; ++y) {
      for (int x = 0; x < o.cols; ++x) {
        ASSERT_EQ(crops[i].at<cv::Vec3b>(y, x), o.at<cv::Vec3b>(o.rows - 1 - y, o.cols - 1 - x));
      }
    }
  }
  EXPECT_EQ(cv::norm(crops[1], originals[1], cv::NORM_INF), 0.0);

  // PaddleOCR 2.x's cls_thresh 0.9: only the first line.
  std::vector<cv::Mat> again = {originals[0].clone(), originals[1].clone(), originals[2].clone()};
  auto strict = RotateUpsideDownLines(orientations, &again, 0.9f);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(*strict, 1u);
  EXPECT_EQ(cv::norm(again[2], originals[2], cv::NORM_INF), 0.0);

  std::vector<cv::Mat> short_list = {originals[0]};
  EXPECT_FALSE(RotateUpsideDownLines(orientations, &short_list).ok());
}

TextlineOrientation Says180(float p180) {
  return p180 > 0.5f ? TextlineOrientation{kTextline180, p180} : TextlineOrientation{kTextline0, 1.0f - p180};
}

TEST(DecideTextlineTurnsTest, ALone180VoteOnAnUprightPageNeedsPageThresh) {
  const TextlineTurnOptions rule{0.9f, 0.999f};
  // Three upright lines and one that says "180" at 0.995: the others vote upright, 0.995 <= 0.999.
  std::vector<TextlineOrientation> o = {Says180(0.01f), Says180(0.02f), Says180(0.995f), Says180(0.1f)};
  const std::vector<int> widths = {100, 100, 100, 100};
  EXPECT_EQ(DecideTextlineTurns(o, widths, rule), (std::vector<bool>{false, false, false, false}));
  o[2] = Says180(0.9995f);
  EXPECT_EQ(DecideTextlineTurns(o, widths, rule), (std::vector<bool>{false, false, true, false}));
}

TEST(DecideTextlineTurnsTest, OnAnUpsideDownPageLinesAreTurnedUnlessSurelyUpright) {
  const TextlineTurnOptions rule{0.9f, 0.999f};
  // Four lines say "180"; line 1 says "0" at 0.8 and line 3 says "0" at 0.9995. For every line the
  // others hold at least three "180" votes against at most two "0".
  const std::vector<TextlineOrientation> o = {Says180(0.97f),   Says180(0.2f), Says180(0.99f),
                                              Says180(0.0005f), Says180(0.6f), Says180(0.95f)};
  const std::vector<int> widths = {100, 100, 100, 100, 100, 100};
  EXPECT_EQ(DecideTextlineTurns(o, widths, rule), (std::vector<bool>{true, true, true, false, true, true}));
}

TEST(DecideTextlineTurnsTest, ALineAloneOrOnASplitPageUsesThresh) {
  const TextlineTurnOptions rule{0.9f, 0.999f};
  EXPECT_EQ(DecideTextlineTurns({Says180(0.95f)}, {50}, rule), std::vector<bool>{true});
  EXPECT_EQ(DecideTextlineTurns({Says180(0.85f)}, {50}, rule), std::vector<bool>{false});
  // Two lines of equal width: line 0's other line says "0", so line 0 (0.95) needs 0.999 and stays; line
  // 1's other line says "180", so line 1 is turned unless its "0" probability (0.7) exceeds 0.999.
  EXPECT_EQ(DecideTextlineTurns({Says180(0.95f), Says180(0.3f)}, {50, 50}, rule),
            (std::vector<bool>{false, true}));
  // Three lines, the others of line 2 split exactly in half by width: thresh decides.
  EXPECT_EQ(DecideTextlineTurns({Says180(0.99f), Says180(0.01f), Says180(0.95f)}, {60, 60, 10}, rule)[2],
            true);
  EXPECT_EQ(DecideTextlineTurns({Says180(0.99f), Says180(0.01f), Says180(0.85f)}, {60, 60, 10}, rule)[2],
            false);
}

TEST(DecideTextlineTurnsTest, WideLinesOutweighNarrowOnes) {
  const TextlineTurnOptions rule{0.9f, 0.999f};
  // One wide line says "180" (weight 300), two narrow ones "0" (weight 50 each): for line 2 the others
  // (300 for "180" against 50) vote upside down, so it is turned although it says "0" at 0.9.
  const std::vector<TextlineOrientation> o = {Says180(0.98f), Says180(0.1f), Says180(0.1f)};
  EXPECT_EQ(DecideTextlineTurns(o, {300, 50, 50}, rule)[2], true);
  // The same labels with the widths swapped: the others of line 2 vote upright.
  EXPECT_EQ(DecideTextlineTurns(o, {50, 300, 50}, rule)[2], false);
}

class TextlineClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kClsModel)) GTEST_SKIP() << kClsModel << " missing; run `make models`";
  }
  static std::unique_ptr<TextlineClassifier> Make(int batch_size = kDefaultTextlineOrientationBatchSize) {
    TextlineClassifierOptions options;
    options.session.model_path = kClsModel;
    options.session.threads = 2;
    options.batch_size = batch_size;
    auto c = TextlineClassifier::Create(options);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }
};

TEST_F(TextlineClassifierTest, RefusesBadInput) {
  TextlineClassifierOptions options;
  options.session.model_path = kClsModel;
  options.batch_size = 0;
  EXPECT_EQ(TextlineClassifier::Create(options).status().code(), StatusCode::kInvalidArgument);
  auto classifier = Make();
  ASSERT_NE(classifier, nullptr);
  const cv::Mat good(20, 80, CV_8UC3, cv::Scalar::all(255));
  auto result = classifier->Classify({good, good, cv::Mat(20, 80, CV_8UC1)});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("text line 2"), std::string::npos) << result.status().message();
  auto empty = classifier->Classify({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(TextlineClassifierTest, ALineAndItsHalfTurnGetOppositeLabels) {
  std::vector<cv::Mat> upright;
  for (int receipt = 0; receipt < 3; ++receipt) {
    for (LabelledLine& l : LoadSroieLines(receipt)) {
      // Lines of one or two characters carry too little to tell up from down.
      if (DecodeUtf8(l.text).size() >= 3) upright.push_back(l.crop);
    }
  }
  if (upright.empty()) GTEST_SKIP() << "SROIE data missing under " << testing::kSroieDir;
  std::vector<cv::Mat> turned = upright;
  std::vector<TextlineOrientation> given(upright.size(), TextlineOrientation{kTextline180, 1.0f});
  ASSERT_TRUE(RotateUpsideDownLines(given, &turned).ok());

  auto classifier = Make();
  ASSERT_NE(classifier, nullptr);
  auto up = classifier->Classify(upright);
  auto down = classifier->Classify(turned);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  // Batching must not matter: every line has the same input width.
  auto up_single = classifier->Classify(upright, 1);
  ASSERT_TRUE(up_single.ok());

  size_t up_correct = 0, down_correct = 0, opposite = 0;
  for (size_t i = 0; i < upright.size(); ++i) {
    up_correct += (*up)[i].label == kTextline0 ? 1 : 0;
    down_correct += (*down)[i].label == kTextline180 ? 1 : 0;
    opposite += (*up)[i].label != (*down)[i].label ? 1 : 0;
    EXPECT_GE((*up)[i].score, 0.5f);
    EXPECT_LE((*up)[i].score, 1.0f + 1e-6f);
    EXPECT_EQ((*up_single)[i].label, (*up)[i].label);
    EXPECT_NEAR((*up_single)[i].score, (*up)[i].score, 1e-4);
  }
  const double n = static_cast<double>(upright.size());
  std::printf("SROIE 000-002: %zu lines; upright read as 0: %.3f, turned read as 180: %.3f, opposite: %.3f\n",
              upright.size(), up_correct / n, down_correct / n, opposite / n);
  // Measured: 131 lines, 0.969 upright read as "0", 0.969 turned read as "180", 0.954 opposite.
  EXPECT_GE(up_correct / n, 0.94);
  EXPECT_GE(down_correct / n, 0.94);
  EXPECT_GE(opposite / n, 0.92);
}

// The pipeline's step on real receipt lines (label crops of SROIE 000-005): upright, almost none is
// turned; the same lines upside down, a receipt at a time (a page scanned upside down), at least 97% are
// turned back.
TEST_F(TextlineClassifierTest, OrientLinesKeepsUprightPagesAndTurnsUpsideDownOnes) {
  auto classifier = Make();
  ASSERT_NE(classifier, nullptr);
  const TextlineTurnOptions rule;  // the pipeline's defaults
  size_t lines = 0, upright_turned = 0, upside_down_back = 0;
  for (int receipt = 0; receipt < 6; ++receipt) {
    std::vector<cv::Mat> upright;
    for (LabelledLine& l : LoadSroieLines(receipt)) upright.push_back(l.crop);
    if (upright.empty()) GTEST_SKIP() << "SROIE data missing under " << testing::kSroieDir;
    std::vector<cv::Mat> turned;
    for (const cv::Mat& crop : upright) {
      cv::Mat t;
      cv::rotate(crop, t, cv::ROTATE_180);
      turned.push_back(t);
    }
    const std::vector<cv::Mat> turned_before = turned;
    auto up = classifier->OrientLines(&upright, rule);
    auto down = classifier->OrientLines(&turned, rule);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    ASSERT_TRUE(down.ok()) << down.status().ToString();
    for (size_t i = 0; i < upright.size(); ++i) {
      upright_turned += (*up)[i];
      upside_down_back += (*down)[i];
      // A line reported turned was turned: the crop is its 180-degree rotation.
      cv::Mat expected;
      if ((*down)[i]) {
        cv::rotate(turned_before[i], expected, cv::ROTATE_180);
      } else {
        expected = turned_before[i];
      }
      ASSERT_EQ(cv::norm(turned[i], expected, cv::NORM_INF), 0.0) << "receipt " << receipt << " line " << i;
    }
    lines += upright.size();
  }
  std::printf("SROIE 000-005: %zu lines; upright turned %zu, upside down turned back %zu\n", lines,
              upright_turned, upside_down_back);
  ASSERT_GE(lines, 200u);
  EXPECT_LE(static_cast<double>(upright_turned) / lines, 0.002);
  EXPECT_GE(static_cast<double>(upside_down_back) / lines, 0.97);
}

TEST_F(TextlineClassifierTest, OrientLinesRefusesNullCrops) {
  auto classifier = Make();
  ASSERT_NE(classifier, nullptr);
  EXPECT_EQ(classifier->OrientLines(nullptr, TextlineTurnOptions{}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plateau::ocr
