#include "ocr/doc/doc_orientation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "ocr/det/text_detector.h"
#include "ocr/doc/test_colour_model.h"

namespace plateau::ocr {
namespace {

const std::string kModelDir = PLATEAU_SOURCE_DIR "/models";
const std::string kEvalDir = PLATEAU_SOURCE_DIR "/../shared/eval";

bool FileExists(const std::string& path) { return static_cast<bool>(std::ifstream(path)); }

std::unique_ptr<DocOrientationClassifier> MakeClassifier(bool softmax) {
  auto model =
      Model::LoadFromBytes(testing::ColourModel(softmax), softmax ? "colour_softmax" : "colour_logits");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  if (!model.ok()) return nullptr;
  DocOrientationClassifierOptions options;
  options.session.threads = 1;
  auto c = DocOrientationClassifier::Create(*model, options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// (v/255 - mean) / std of one RGB channel.
double Normalised(int v, int channel) {
  const double mean[3] = {0.485, 0.456, 0.406};
  const double stdev[3] = {0.229, 0.224, 0.225};
  return (v / 255.0 - mean[channel]) / stdev[channel];
}

cv::Mat Solid(int rows, int cols, int r, int g, int b) {
  return cv::Mat(rows, cols, CV_8UC3, cv::Scalar(b, g, r));
}

TEST(DocOrientationInputTest, OnePixelPageIsUniformNormalisedRgb) {
  // A 1x1 page resized to 256x256 is one colour; the tensor holds R, G, B planes in that order.
  auto t = PrepareDocOrientationInput(Solid(1, 1, 200, 100, 50));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->shape(), Shape({1, 3, 224, 224}));
  const float* p = t->as<float>();
  const size_t plane = 224 * 224;
  const int rgb[3] = {200, 100, 50};
  for (int c = 0; c < 3; ++c) {
    for (size_t at : {size_t{0}, plane / 2 + 17, plane - 1}) {
      EXPECT_NEAR(p[c * plane + at], Normalised(rgb[c], c), 1e-5) << "channel " << c << " at " << at;
    }
  }
}

TEST(DocOrientationInputTest, TwoByTwoPageKeepsCornersAfterResizeAndCentreCrop) {
  // 2x2 -> 256x256: output column u samples source x = (u + 0.5) / 128 - 0.5, clamped to [0, 1]. The
  // crop starts at 16, so its first row / column sample x = -0.37 -> pixel 0 exactly and its last
  // (resized 239) x = 1.37 -> pixel 1 exactly. Crop (112, 112) is resized (128, 128): x = 0.504, a blend
  // of 0.496 / 0.504 of the two pixels on each axis.
  cv::Mat page(2, 2, CV_8UC3);
  page.at<cv::Vec3b>(0, 0) = {0, 0, 255};      // red (BGR)
  page.at<cv::Vec3b>(0, 1) = {0, 255, 0};      // green
  page.at<cv::Vec3b>(1, 0) = {255, 0, 0};      // blue
  page.at<cv::Vec3b>(1, 1) = {255, 255, 255};  // white
  auto t = PrepareDocOrientationInput(page);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const float* p = t->as<float>();
  const size_t plane = 224 * 224;
  auto at = [&](int c, int y, int x) { return p[c * plane + static_cast<size_t>(y) * 224 + x]; };
  // R plane: red top-left, 0 top-right, 0 bottom-left, 255 bottom-right.
  EXPECT_NEAR(at(0, 0, 0), Normalised(255, 0), 1e-5);
  EXPECT_NEAR(at(0, 0, 223), Normalised(0, 0), 1e-5);
  EXPECT_NEAR(at(0, 223, 0), Normalised(0, 0), 1e-5);
  EXPECT_NEAR(at(0, 223, 223), Normalised(255, 0), 1e-5);
  // G plane: green top-right; B plane: blue bottom-left.
  EXPECT_NEAR(at(1, 0, 223), Normalised(255, 1), 1e-5);
  EXPECT_NEAR(at(1, 0, 0), Normalised(0, 1), 1e-5);
  EXPECT_NEAR(at(2, 223, 0), Normalised(255, 2), 1e-5);
  EXPECT_NEAR(at(2, 0, 0), Normalised(0, 2), 1e-5);
  // Centre: each channel is 255 in two of the four pixels. R: top-left (0.496 * 0.496) and bottom-right
  // (0.504 * 0.504) -> 255 * 0.5001 ~ 127.5; OpenCV's 8-bit fixed point rounds to a whole value.
  EXPECT_NEAR(at(0, 112, 112), Normalised(128, 0), 1.0 / 255 / 0.229 + 1e-5);
}

TEST(DocOrientationInputTest, CentreCropOfAWidePageSeesOnlyTheMiddle) {
  // 100x200: resized to 256x512 (x2.56), crop columns 144..367 = source x 56.2..143.7, all green.
  cv::Mat page = Solid(100, 200, 255, 0, 0);
  page(cv::Rect(50, 0, 100, 100)).setTo(cv::Scalar(0, 255, 0));
  auto t = PrepareDocOrientationInput(page);
  ASSERT_TRUE(t.ok());
  const float* p = t->as<float>();
  for (int x : {0, 100, 223}) {
    EXPECT_NEAR(p[x], Normalised(0, 0), 1e-5) << x;                // R
    EXPECT_NEAR(p[224 * 224 + x], Normalised(255, 1), 1e-5) << x;  // G
  }
}

TEST(DocOrientationInputTest, RefusesBadPages) {
  EXPECT_EQ(PrepareDocOrientationInput(cv::Mat()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PrepareDocOrientationInput(cv::Mat(10, 10, CV_8UC1)).status().code(),
            StatusCode::kInvalidArgument);
  // 1 x 300: the shorter side 1 -> 256 makes the longer 76800 > 65536.
  auto s = PrepareDocOrientationInput(cv::Mat(1, 300, CV_8UC3, cv::Scalar::all(0)));
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("300x1"), std::string::npos) << s.status().ToString();
}

TEST(DocOrientationClassifierTest, ColourModelPicksTheClassNormalisationImplies) {
  // Normalised means of a solid page (R, G, B): red (2.25, -2.04, -1.80) -> logits (2.25, -2.04, -1.80,
  // 1.59): class 0. Green (-2.12, 2.43, -1.80) -> class 1 (2.43 > 1.49). Blue (-2.12, -2.04, 2.64) ->
  // class 2 (2.64 > 1.51). Black (-2.12, -2.04, -1.80) -> class 3 (5.96). A BGR/RGB mix-up would swap the
  // red and blue pages.
  for (bool softmax : {true, false}) {
    auto c = MakeClassifier(softmax);
    ASSERT_NE(c, nullptr);
    struct Case {
      int r, g, b, expected;
    };
    for (const Case& k : {Case{255, 0, 0, 0}, Case{0, 255, 0, 1}, Case{0, 0, 255, 2}, Case{0, 0, 0, 3}}) {
      auto o = c->Classify(Solid(300, 400, k.r, k.g, k.b));
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      EXPECT_EQ(o->class_id, k.expected)
          << "rgb " << k.r << "," << k.g << "," << k.b << " softmax " << softmax;
      EXPECT_EQ(o->angle(), 90 * k.expected);
      // Scores are the softmax of the logits, whether the model applies it or not. The pooling sums
      // 224 * 224 float32 values, whose rounding moves the mean by about 1e-4.
      const double m[3] = {Normalised(k.r, 0), Normalised(k.g, 1), Normalised(k.b, 2)};
      const double logits[4] = {m[0], m[1], m[2], -(m[0] + m[1] + m[2])};
      double sum = 0;
      for (double l : logits) sum += std::exp(l);
      for (int i = 0; i < 4; ++i) EXPECT_NEAR(o->scores[i], std::exp(logits[i]) / sum, 2e-3) << i;
      EXPECT_FLOAT_EQ(o->score, o->scores[o->class_id]);
    }
  }
}

TEST(DocOrientationClassifierTest, RefusesAModelWithoutFourClasses) {
  auto model = Model::LoadFromBytes(testing::ColourModel(true, 3), "three_classes");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto c = DocOrientationClassifier::Create(*model, DocOrientationClassifierOptions());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("expected 1x4"), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().message().find("1x3"), std::string::npos) << c.status().ToString();

  DocOrientationClassifierOptions missing;
  missing.session.model_path = "/nonexistent/doc_ori.onnx";
  EXPECT_FALSE(DocOrientationClassifier::Create(missing).ok());
  EXPECT_FALSE(DocOrientationClassifier::Create(DocOrientationClassifierOptions()).ok());
}

TEST(DocOrientationClassifierTest, ScoresThatAreProbabilitiesStayAsTheyAre) {
  const float probs[4] = {0.1f, 0.2f, 0.6f, 0.1f};
  auto o = DocOrientationFromScores(probs);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->class_id, 2);
  EXPECT_FLOAT_EQ(o->score, 0.6f);
  const float tie[4] = {0.4f, 0.4f, 0.1f, 0.1f};
  EXPECT_EQ(DocOrientationFromScores(tie)->class_id, 0);
  const float bad[4] = {0.1f, NAN, 0.2f, 0.3f};
  EXPECT_FALSE(DocOrientationFromScores(bad).ok());
}

// --- Turning pages and boxes ----------------------------------------------------------------------------

TEST(TurnPageTest, PixelsLandWhereTurnPointSays) {
  // A 5x3 page (width 5, height 3) with one marked pixel at x=4, y=0 (top-right). Turned 90 degrees
  // counter-clockwise the right edge becomes the top: the pixel is at the top-left of a 3x5 page.
  cv::Mat page(3, 5, CV_8UC3, cv::Scalar::all(0));
  page.at<cv::Vec3b>(0, 4) = {9, 9, 9};
  struct Case {
    int angle;
    int x, y;  // expected position of the marked pixel
  };
  for (const Case& k : {Case{0, 4, 0}, Case{90, 0, 0}, Case{180, 0, 2}, Case{270, 2, 4}}) {
    cv::Mat turned = TurnPage(page, k.angle);
    const bool sideways = k.angle == 90 || k.angle == 270;
    ASSERT_EQ(turned.cols, sideways ? 3 : 5);
    ASSERT_EQ(turned.rows, sideways ? 5 : 3);
    EXPECT_EQ(turned.at<cv::Vec3b>(k.y, k.x), cv::Vec3b(9, 9, 9)) << k.angle;
    const cv::Point2f centre = TurnPoint({4.5f, 0.5f}, k.angle, 5, 3);
    EXPECT_FLOAT_EQ(centre.x, k.x + 0.5f) << k.angle;
    EXPECT_FLOAT_EQ(centre.y, k.y + 0.5f) << k.angle;
  }
}

TEST(TurnBoxesTest, WideBoxBecomesTallWithCornersInDetectorOrder) {
  // On a 100x50 page a box (10,5)-(60,15). Turned 90 counter-clockwise, (x, y) -> (y, 100 - x).
  DetBoxes boxes;
  boxes.quads = {Quad{cv::Point2f(10, 5), {60, 5}, {60, 15}, {10, 15}}};
  boxes.scores = {0.9f};
  TurnBoxes(&boxes, 90, 100, 50);
  const Quad expected = {cv::Point2f(5, 40), {15, 40}, {15, 90}, {5, 90}};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(boxes.quads[0][i], expected[i]) << i;

  // 180: two lines swap places in reading order, and scores follow their boxes.
  DetBoxes two;
  two.quads = {Quad{cv::Point2f(10, 5), {60, 5}, {60, 15}, {10, 15}},
               Quad{cv::Point2f(10, 30), {80, 30}, {80, 40}, {10, 40}}};
  two.scores = {0.7f, 0.8f};
  TurnBoxes(&two, 180, 100, 50);
  const Quad first = {cv::Point2f(20, 10), {90, 10}, {90, 20}, {20, 20}};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(two.quads[0][i], first[i]) << i;
  EXPECT_FLOAT_EQ(two.scores[0], 0.8f);
  EXPECT_FLOAT_EQ(two.scores[1], 0.7f);
}

// --- The estimate from the detector and the textline classifier, on real pages ------------------------

class DocOrientationEstimateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"}) {
      if (!FileExists(kModelDir + "/" + f)) GTEST_SKIP() << f << " missing; run `make models`";
    }
    if (!FileExists(kEvalDir + "/pages/phototest.tif")) GTEST_SKIP() << "no ../shared/eval";
    TextDetectorOptions det_options;
    det_options.session.model_path = kModelDir + "/ch_PP-OCRv4_det_infer.onnx";
    det_options.session.threads = 2;
    auto det = TextDetector::Create(det_options);
    ASSERT_TRUE(det.ok()) << det.status().ToString();
    det_ = std::move(det).value();
    TextlineClassifierOptions cls_options;
    cls_options.session.model_path = kModelDir + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    cls_options.session.threads = 2;
    auto cls = TextlineClassifier::Create(cls_options);
    ASSERT_TRUE(cls.ok()) << cls.status().ToString();
    cls_ = std::move(cls).value();
  }

  int Estimate(const cv::Mat& page, const std::string& what) {
    auto boxes = det_->Detect(page);
    EXPECT_TRUE(boxes.ok()) << what << ": " << boxes.status().ToString();
    if (!boxes.ok()) return -1;
    auto o = EstimateDocOrientation(page, *boxes, *cls_);
    EXPECT_TRUE(o.ok()) << what << ": " << o.status().ToString();
    return o.ok() ? o->angle() : -1;
  }

  std::unique_ptr<TextDetector> det_;
  std::unique_ptr<TextlineClassifier> cls_;
};

TEST_F(DocOrientationEstimateTest, EvalPagesAsDecoded) {
  // Angles by looking at the files: -rotated-L and phototestrot read bottom to top (turned 90 degrees
  // counter-clockwise: PaddleX class "270"), -rotated-R top to bottom ("90"). The simple-*.jpg files
  // carry an EXIF orientation that makes them upright once decoded (io/image.h honours it, as
  // cv2.imread in PaddleX does), so they are all "0". The two large upright scans of pages/ (3312x2550)
  // take most of a minute to detect here; tools/doc_orientation_eval.cc covers them.
  const std::vector<std::pair<std::string, int>> cases = {
      {"pages/phototest.tif", 0},
      {"pages/phototest-rotated-180.png", 180},
      {"pages/phototest-rotated-L.png", 270},
      {"pages/phototest-rotated-R.png", 90},
      {"pages/phototestrot.tif", 270},
      {"pages/eurotext.tif", 0},
      {"simple/simple.jpg", 0},
      {"simple/simple-90.jpg", 0},
      {"simple/simple-180.jpg", 0},
      {"simple/simple-270.jpg", 0},
      {"simple/simple.png", 0},
      {"simple/testocr.png", 0},
      {"simple/bill.png", 0},
      {"simple/cosmic.png", 0},
      {"simple/chinese.png", 0},
  };
  for (const auto& [file, angle] : cases) {
    auto page = io::ReadImage(kEvalDir + "/" + file);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(Estimate(*page, file), angle) << file;
  }
}

TEST_F(DocOrientationEstimateTest, SimpleJpegsWithoutTheirExifTurn) {
  // The stored pixels of simple-N.jpg are the picture turned N degrees counter-clockwise (checked by
  // eye: simple-90's text reads bottom to top), so they need (360 - N) % 360 more.
  for (int n : {90, 180, 270}) {
    const std::string file = kEvalDir + "/simple/simple-" + std::to_string(n) + ".jpg";
    cv::Mat raw = cv::imread(file, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    ASSERT_FALSE(raw.empty()) << file;
    EXPECT_EQ(Estimate(raw, file), (360 - n) % 360) << file;
  }
}

TEST_F(DocOrientationEstimateTest, EveryTurnOfPhototestAndSampledReceipts) {
  // Each page turned by cv::rotate: ROTATE_90_CLOCKWISE makes a page PaddleX calls "90", ROTATE_180
  // "180", ROTATE_90_COUNTERCLOCKWISE "270". All 100 receipts x 4: tools/doc_orientation_eval.cc.
  std::vector<std::string> files = {kEvalDir + "/pages/phototest.tif"};
  for (int i = 0; i < 100; i += 20) {
    char name[32];
    std::snprintf(name, sizeof(name), "/sroie/img/%03d.jpg", i);
    files.push_back(kEvalDir + name);
  }
  for (const std::string& file : files) {
    auto upright = io::ReadImage(file);
    ASSERT_TRUE(upright.ok()) << upright.status().ToString();
    EXPECT_EQ(Estimate(*upright, file), 0) << file;
    const std::pair<cv::RotateFlags, int> turns[] = {
        {cv::ROTATE_90_CLOCKWISE, 90}, {cv::ROTATE_180, 180}, {cv::ROTATE_90_COUNTERCLOCKWISE, 270}};
    for (const auto& [flag, angle] : turns) {
      cv::Mat turned;
      cv::rotate(*upright, turned, flag);
      EXPECT_EQ(Estimate(turned, file), angle) << file << " turned to " << angle;
      // Turning by the answer gives the page back.
      EXPECT_EQ(cv::norm(TurnPage(turned, angle), *upright, cv::NORM_INF), 0.0) << file << " " << angle;
    }
  }
}

TEST_F(DocOrientationEstimateTest, BlankPageIsUpright) {
  auto o = EstimateDocOrientation(Solid(200, 300, 255, 255, 255), DetBoxes{}, *cls_);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->angle(), 0);
  EXPECT_FLOAT_EQ(o->score, 0.25f);
  EXPECT_FALSE(EstimateDocOrientation(cv::Mat(), DetBoxes{}, *cls_).ok());
}

}  // namespace
}  // namespace plateau::ocr
