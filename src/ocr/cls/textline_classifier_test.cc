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

class TextlineClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kClsModel)) GTEST_SKIP() << kClsModel << " missing; run `make models`";
  }
  static std::unique_ptr<TextlineClassifier> Make(int batch_size = kDefaultTextlineOrientationBatchSize) {
    TextlineClassifierOptions options;
    options.model_path = kClsModel;
    options.threads = 2;
    options.batch_size = batch_size;
    auto c = TextlineClassifier::Create(options);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }
};

TEST_F(TextlineClassifierTest, RefusesBadInput) {
  TextlineClassifierOptions options;
  options.model_path = kClsModel;
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
      if (testing::CodePoints(l.text).size() >= 3) upright.push_back(l.crop);
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

}  // namespace
}  // namespace plateau::ocr
