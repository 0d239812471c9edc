#include "ocr/rec/text_recognizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "ocr/common/preprocess.h"
#include "ocr/rec/rec_batch.h"
#include "ocr/rec/sroie_test_lines.h"

namespace plateau::ocr {
namespace {

using testing::EditDistance;
using testing::FileExists;
using testing::kModelDir;
using testing::LabelledLine;
using testing::LoadSroieLines;

const std::string kRecModel = std::string(kModelDir) + "/ch_PP-OCRv4_rec_infer.onnx";
const std::string kDict = std::string(kModelDir) + "/ppocr_keys_v1.txt";

cv::Mat Solid(int rows, int cols, uint8_t value) {
  return cv::Mat(rows, cols, CV_8UC3, cv::Scalar::all(value));
}

// --- Batching without the model -------------------------------------------------------------------

TEST(OrderByAspectRatioTest, AscendingAndStable) {
  // Ratios 2, 0.5, 2, 1, 8: stable ascending order is 1, 3, 0, 2, 4.
  const std::vector<cv::Mat> crops = {Solid(10, 20, 0), Solid(20, 10, 0), Solid(5, 10, 0), Solid(7, 7, 0),
                                      Solid(4, 32, 0)};
  EXPECT_EQ(OrderByAspectRatio(crops), (std::vector<size_t>{1, 3, 0, 2, 4}));
}

TEST(RecBatchTest, EachLineKeepsItsOwnWidthAndTheBatchPadsToTheWidest) {
  // 10x100: own width int(48 * 10) = 480, pixels ceil(48 * 10) = 480 columns.
  // 10x35: ratio 3.5 < 320/48, own width 320, pixels ceil(168) = 168 columns.
  // 7x100: ratio 14.2857..., own width int(685.71) = 685, pixels min(ceil(685.71), 685) = 685.
  const std::vector<cv::Mat> crops = {Solid(10, 100, 255), Solid(10, 35, 255), Solid(7, 100, 255)};
  EXPECT_EQ(RecPaddedBatchWidth(crops), 685);
  auto batch = PrepareRecBatchPerLine(crops);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->shape(), Shape({3, 3, 48, 685}));
  const float* data = batch->as<float>();
  const size_t plane = 48 * 685;
  // White is (255/255 - 0.5)/0.5 = 1; padding is 0. Check every channel's first and last row.
  const int content[3] = {480, 168, 685};
  for (int n = 0; n < 3; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (int y : {0, 47}) {
        const float* row = data + (static_cast<size_t>(n) * 3 + c) * plane + static_cast<size_t>(y) * 685;
        for (int x = 0; x < 685; ++x) {
          ASSERT_EQ(row[x], x < content[n] ? 1.0f : 0.0f) << "line " << n << " c " << c << " x " << x;
        }
      }
    }
  }
}

TEST(RecBatchTest, ALinesPixelsDoNotDependOnItsBatch) {
  cv::Mat line(13, 97, CV_8UC3);
  cv::randu(line, 0, 256);
  auto alone = PrepareRecBatchPerLine({line});
  auto together = PrepareRecBatchPerLine({line, Solid(10, 300, 9)});
  ASSERT_TRUE(alone.ok() && together.ok());
  const int w1 = static_cast<int>(alone->shape()[3]);
  const int w2 = static_cast<int>(together->shape()[3]);
  ASSERT_GT(w2, w1);
  for (int row = 0; row < 3 * 48; ++row) {
    for (int x = 0; x < w2; ++x) {
      const float a = x < w1 ? alone->as<float>()[row * w1 + x] : 0.0f;
      ASSERT_EQ(together->as<float>()[row * w2 + x], a) << row << "," << x;
    }
  }
}

// --- With the model --------------------------------------------------------------------------------

class TextRecognizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kRecModel) || !FileExists(kDict)) {
      GTEST_SKIP() << "models missing in " << kModelDir << "; run `make models`";
    }
  }
  static std::unique_ptr<TextRecognizer> MakeRecognizer(TextRecognizerOptions options = {}) {
    options.model_path = kRecModel;
    options.dict_path = kDict;
    options.threads = 2;
    auto r = TextRecognizer::Create(options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
};

TEST_F(TextRecognizerTest, RefusesADictionaryThatDoesNotMatchTheModel) {
  const std::string path = ::testing::TempDir() + "short_dict.txt";
  std::ofstream(path) << "a\nb\nc\n";
  TextRecognizerOptions options;
  options.model_path = kRecModel;
  options.dict_path = path;
  options.threads = 2;
  auto r = TextRecognizer::Create(options);
  std::remove(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("6625"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("5"), std::string::npos) << r.status().message();
}

TEST_F(TextRecognizerTest, RefusesBadOptionsAndCrops) {
  TextRecognizerOptions bad;
  bad.model_path = kRecModel;
  bad.dict_path = kDict;
  bad.batch_size = 0;
  EXPECT_EQ(TextRecognizer::Create(bad).status().code(), StatusCode::kInvalidArgument);

  auto recognizer = MakeRecognizer();
  ASSERT_NE(recognizer, nullptr);
  auto empty_list = recognizer->Recognize({});
  ASSERT_TRUE(empty_list.ok());
  EXPECT_TRUE(empty_list->empty());
  auto bad_crop = recognizer->Recognize({Solid(20, 60, 255), cv::Mat(), Solid(20, 60, 255)});
  ASSERT_FALSE(bad_crop.ok());
  EXPECT_NE(bad_crop.status().message().find("text line 1"), std::string::npos)
      << bad_crop.status().message();
  RecognizeOverrides zero_batch;
  zero_batch.batch_size = 0;
  EXPECT_FALSE(recognizer->Recognize({Solid(20, 60, 255)}, zero_batch).ok());
  // Still usable after the failures.
  EXPECT_TRUE(recognizer->Recognize({Solid(20, 60, 255)}).ok());
}

TEST_F(TextRecognizerTest, ReadsRenderedText) {
  cv::Mat line = Solid(40, 260, 255);
  cv::putText(line, "HELLO 2024", cv::Point(8, 30), cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar::all(0), 2,
              cv::LINE_AA);
  auto recognizer = MakeRecognizer();
  ASSERT_NE(recognizer, nullptr);
  auto lines = recognizer->Recognize({line});
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].text, "HELLO 2024");
  EXPECT_GT((*lines)[0].score, 0.8f);
  EXPECT_TRUE((*lines)[0].accepted);
}

TEST_F(TextRecognizerTest, SroieLinesAccuracyAndBatchIndependence) {
  std::vector<LabelledLine> lines;
  for (int receipt = 0; receipt < 4; ++receipt) {
    std::vector<LabelledLine> more = LoadSroieLines(receipt);
    for (LabelledLine& l : more) lines.push_back(std::move(l));
  }
  if (lines.empty()) GTEST_SKIP() << "SROIE data missing under " << testing::kSroieDir;
  std::vector<cv::Mat> crops;
  for (const LabelledLine& l : lines) crops.push_back(l.crop);

  auto recognizer = MakeRecognizer();
  ASSERT_NE(recognizer, nullptr);
  auto batched = recognizer->Recognize(crops);  // default batch size 6
  ASSERT_TRUE(batched.ok()) << batched.status().ToString();
  RecognizeOverrides one;
  one.batch_size = 1;
  auto single = recognizer->Recognize(crops, one);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  ASSERT_EQ(batched->size(), lines.size());
  ASSERT_EQ(single->size(), lines.size());

  size_t exact = 0, edits = 0, chars = 0, same_text = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& got = (*batched)[i].text;
    exact += got == lines[i].text ? 1 : 0;
    edits += EditDistance(got, lines[i].text);
    chars += testing::CodePoints(lines[i].text).size();
    same_text += got == (*single)[i].text ? 1 : 0;
    if (got != (*single)[i].text) {
      std::printf("  batch 6 vs 1 differ on %s line: \"%s\" vs \"%s\"\n", lines[i].receipt.c_str(),
                  got.c_str(), (*single)[i].text.c_str());
    }
    EXPECT_NEAR((*batched)[i].score, (*single)[i].score, 0.02) << got;
  }
  const double exact_rate = static_cast<double>(exact) / static_cast<double>(lines.size());
  const double char_accuracy = 1.0 - static_cast<double>(edits) / static_cast<double>(chars);
  std::printf(
      "SROIE 000-003: %zu lines, exact match %.3f, character accuracy %.4f, batch 1 = batch 6 on %zu\n",
      lines.size(), exact_rate, char_accuracy, same_text);
  EXPECT_GE(exact_rate, 0.0);
  EXPECT_GE(char_accuracy, 0.0);
  EXPECT_EQ(same_text, lines.size());
}

}  // namespace
}  // namespace plateau::ocr
