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
  const std::vector<cv::Size> lines = {{20, 10}, {10, 20}, {10, 5}, {7, 7}, {32, 4}};
  EXPECT_EQ(OrderByAspectRatio(lines), (std::vector<size_t>{1, 3, 0, 2, 4}));
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
    options.session.model_path = kRecModel;
    options.dict_path = kDict;
    options.session.threads = 2;
    auto r = TextRecognizer::Create(options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
};

TEST_F(TextRecognizerTest, RefusesADictionaryThatDoesNotMatchTheModel) {
  const std::string path = ::testing::TempDir() + "short_dict.txt";
  std::ofstream(path) << "a\nb\nc\n";
  TextRecognizerOptions options;
  options.session.model_path = kRecModel;
  options.dict_path = path;
  options.session.threads = 2;
  auto r = TextRecognizer::Create(options);
  std::remove(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("6625"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("gives 5"), std::string::npos) << r.status().message();
  std::printf("mismatched dictionary: %s\n", r.status().ToString().c_str());
}

TEST_F(TextRecognizerTest, RefusesAModelThatIsNotARecogniser) {
  const std::string cls = std::string(kModelDir) + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
  if (!FileExists(cls)) GTEST_SKIP() << cls << " missing; run `make models`";
  TextRecognizerOptions options;
  options.session.model_path = cls;
  options.dict_path = kDict;
  options.session.threads = 2;
  auto r = TextRecognizer::Create(options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(cls), std::string::npos) << r.status().message();
  std::printf("cls model as recogniser: %s\n", r.status().ToString().c_str());
}

TEST_F(TextRecognizerTest, RefusesBadOptionsAndCrops) {
  TextRecognizerOptions bad;
  bad.session.model_path = kRecModel;
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
  RecOverrides zero_batch;
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

// SROIE labels are upper-cased and their spacing is the annotator's; the comparison that says how well
// the characters are read ignores both (ASCII letters compared upper-case, spaces removed).
std::string Normalised(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ' ') continue;
    out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

struct Accuracy {
  double exact = 0;       // share of lines read exactly
  double characters = 0;  // 1 - character error rate
};

Accuracy Measure(const std::vector<RecognizedLine>& got, const std::vector<LabelledLine>& lines,
                 bool normalise) {
  size_t exact = 0, edits = 0, chars = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string a = normalise ? Normalised(got[i].text) : got[i].text;
    const std::string b = normalise ? Normalised(lines[i].text) : lines[i].text;
    exact += a == b ? 1 : 0;
    edits += EditDistance(a, b);
    chars += DecodeUtf8(b).size();
  }
  return {static_cast<double>(exact) / static_cast<double>(lines.size()),
          1.0 - static_cast<double>(edits) / static_cast<double>(chars)};
}

std::vector<LabelledLine> SroieLines(int first, int last) {
  std::vector<LabelledLine> lines;
  for (int receipt = first; receipt <= last; ++receipt) {
    for (LabelledLine& l : LoadSroieLines(receipt)) lines.push_back(std::move(l));
  }
  return lines;
}

TEST_F(TextRecognizerTest, SroieLinesAccuracy) {
  const std::vector<LabelledLine> lines = SroieLines(0, 2);
  if (lines.empty()) GTEST_SKIP() << "SROIE data missing under " << testing::kSroieDir;
  std::vector<cv::Mat> crops;
  for (const LabelledLine& l : lines) crops.push_back(l.crop);

  auto recognizer = MakeRecognizer();
  ASSERT_NE(recognizer, nullptr);
  auto batched = recognizer->Recognize(crops);  // default batch size 6
  ASSERT_TRUE(batched.ok()) << batched.status().ToString();
  ASSERT_EQ(batched->size(), lines.size());
  RecOverrides one;
  one.batch_size = 1;
  auto single = recognizer->Recognize(crops, one);
  ASSERT_TRUE(single.ok()) << single.status().ToString();

  const Accuracy raw = Measure(*batched, lines, false);
  const Accuracy norm = Measure(*batched, lines, true);
  size_t same_text = 0;
  for (size_t i = 0; i < lines.size(); ++i) same_text += (*batched)[i].text == (*single)[i].text ? 1 : 0;
  const double agreement = static_cast<double>(same_text) / static_cast<double>(lines.size());
  std::printf(
      "SROIE 000-002, %zu lines, batch 6: exact %.3f, character accuracy %.4f; ignoring case and spaces: "
      "exact %.3f, character accuracy %.4f; batch 1 reads the same text on %.3f of the lines\n",
      lines.size(), raw.exact, raw.characters, norm.exact, norm.characters, agreement);
  // The bounds sit a little below the figures in docs/MEMORY.md ("Shape buckets").
  EXPECT_GE(raw.exact, 0.42);
  EXPECT_GE(raw.characters, 0.74);
  EXPECT_GE(norm.exact, 0.73);
  EXPECT_GE(norm.characters, 0.93);
  // Each line is padded to its own width bucket whatever its batch (rec_batch.h), so the batch size
  // changes no reading. See SameTextAtEveryBatchSize.
  EXPECT_EQ(agreement, 1.0);
}

// A line's tensor row never depends on its batch (rec_batch.h): its pixels are its own and it is padded to
// its own bucket. So every batch size reads the same text, on every line, narrow or wide; the scores
// agree to rounding (kernels may block a batch of 1 and of 6 differently).
TEST_F(TextRecognizerTest, SameTextAtEveryBatchSize) {
  std::vector<cv::Mat> crops;
  for (const LabelledLine& l : SroieLines(0, 2)) crops.push_back(l.crop);
  if (crops.size() < 7) GTEST_SKIP() << "SROIE data missing under " << testing::kSroieDir;
  auto recognizer = MakeRecognizer();
  ASSERT_NE(recognizer, nullptr);
  RecOverrides one;
  one.batch_size = 1;
  auto reference = recognizer->Recognize(crops, one);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  size_t wide = 0;
  for (const cv::Mat& c : crops) wide += RecLineWidth(c.size()) > kRecDefaultWidth ? 1 : 0;
  EXPECT_GT(wide, 10u);  // the check covers lines that share a batch with wider ones
  for (int batch_size : {2, 3, 6, 16}) {
    RecOverrides other;
    other.batch_size = batch_size;
    auto b = recognizer->Recognize(crops, other);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    for (size_t i = 0; i < crops.size(); ++i) {
      EXPECT_EQ((*reference)[i].text, (*b)[i].text) << "line " << i << ", batch size " << batch_size;
      EXPECT_NEAR((*reference)[i].score, (*b)[i].score, 1e-4)
          << "line " << i << ", batch size " << batch_size;
    }
  }
  std::printf("%zu lines (%zu wider than 320): same text at batch sizes 1, 2, 3, 6 and 16\n", crops.size(),
              wide);
}

TEST_F(TextRecognizerTest, ScoreThresholdMarksLinesWithoutDroppingThem) {
  cv::Mat text = Solid(40, 200, 255);
  cv::putText(text, "TOTAL 12.50", cv::Point(6, 30), cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar::all(0), 2);
  const cv::Mat blank = Solid(40, 200, 255);
  TextRecognizerOptions options;
  options.score_thresh = 0.5f;
  auto recognizer = MakeRecognizer(options);
  ASSERT_NE(recognizer, nullptr);
  auto lines = recognizer->Recognize({blank, text});
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 2u);
  // Nothing to read: empty text, score 0, below any positive threshold.
  EXPECT_EQ((*lines)[0].text, "");
  EXPECT_EQ((*lines)[0].score, 0.0f);
  EXPECT_FALSE((*lines)[0].accepted);
  EXPECT_TRUE((*lines)[1].accepted);
  RecOverrides strict;
  strict.score_thresh = 1.01f;
  auto none = recognizer->Recognize({blank, text}, strict);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)[1].accepted);
  EXPECT_EQ((*none)[1].text, (*lines)[1].text);
}

}  // namespace
}  // namespace plateau::ocr
