// TextDetector: argument checking, and detection with the real PP-OCRv4 model on a drawn text line and on
// labelled SROIE receipts (skipped when the model is missing).
#include "ocr/det/text_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace plateau::ocr {
namespace {

const std::string kModelFile = "ch_PP-OCRv4_det_infer.onnx";

std::string ModelPath() { return std::string(PLATEAU_SOURCE_DIR) + "/models/" + kModelFile; }
std::string EvalDir() { return std::string(PLATEAU_SOURCE_DIR) + "/../shared/eval"; }

#define SKIP_WITHOUT_MODEL()                                                               \
  do {                                                                                     \
    if (!std::filesystem::exists(ModelPath())) {                                           \
      GTEST_SKIP() << "model " << kModelFile << " missing: run `make models` to fetch it"; \
    }                                                                                      \
  } while (0)

// One detector for the whole suite: loading and planning the model is the slow part.
class TextDetectorModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(ModelPath())) return;
    TextDetectorOptions options;
    options.session.model_path = ModelPath();
    options.session.threads = 2;
    auto created = TextDetector::Create(options);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    detector_ = std::move(created).value().release();
  }
  static void TearDownTestSuite() {
    delete detector_;
    detector_ = nullptr;
  }
  static TextDetector* detector_;
};
TextDetector* TextDetectorModelTest::detector_ = nullptr;

cv::Rect2d Bounds(const Quad& quad) {
  double x0 = quad[0].x, x1 = quad[0].x, y0 = quad[0].y, y1 = quad[0].y;
  for (const cv::Point2f& p : quad) {
    x0 = std::min<double>(x0, p.x);
    x1 = std::max<double>(x1, p.x);
    y0 = std::min<double>(y0, p.y);
    y1 = std::max<double>(y1, p.y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

double Iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

// SROIE label file: `x1,y1,x2,y2,x3,y3,x4,y4,TEXT` per line.
std::vector<Quad> ReadLabels(const std::string& path) {
  std::vector<Quad> labels;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string field;
    float v[8];
    int n = 0;
    while (n < 8 && std::getline(fields, field, ',')) {
      try {
        v[n++] = std::stof(field);
      } catch (const std::exception&) {
        break;
      }
    }
    if (n < 8) continue;
    labels.push_back(
        {cv::Point2f(v[0], v[1]), cv::Point2f(v[2], v[3]), cv::Point2f(v[4], v[5]), cv::Point2f(v[6], v[7])});
  }
  return labels;
}

TEST(TextDetectorTest, ParseLimitTypeAcceptsPaddleXNames) {
  EXPECT_EQ(ParseLimitType("min").value(), LimitType::kMin);
  EXPECT_EQ(ParseLimitType("max").value(), LimitType::kMax);
  EXPECT_EQ(ParseLimitType("resize_long").value(), LimitType::kResizeLong);
  auto bad = ParseLimitType("Max");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'Max'"), std::string::npos) << bad.status().message();
}

TEST(TextDetectorTest, DefaultsAreThoseOfTheOcrPipeline) {
  const TextDetectorOptions options;
  EXPECT_EQ(options.limit_side_len, 64);
  EXPECT_EQ(options.limit_type, "min");
  EXPECT_EQ(options.max_side_limit, 4000);
  EXPECT_DOUBLE_EQ(options.thresh, 0.3);
  EXPECT_DOUBLE_EQ(options.box_thresh, 0.6);
  EXPECT_DOUBLE_EQ(options.unclip_ratio, 1.5);
  EXPECT_EQ(options.max_candidates, 1000);
  EXPECT_FALSE(options.use_dilation);
}

TEST(TextDetectorTest, CreateRejectsMissingModelAndBadOptions) {
  TextDetectorOptions options;
  auto empty = TextDetector::Create(options);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);

  options.session.model_path = "/nonexistent/det.onnx";
  auto missing = TextDetector::Create(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/det.onnx"), std::string::npos)
      << missing.status().message();

  const TextDetectorOptions defaults;
  auto null_model = TextDetector::Create(std::shared_ptr<const Model>(), defaults);
  EXPECT_EQ(null_model.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TextDetectorModelTest, CreateRejectsOptionsOutOfRange) {
  SKIP_WITHOUT_MODEL();
  TextDetectorOptions options;
  options.session.model_path = ModelPath();
  options.limit_type = "longest";
  auto bad_type = TextDetector::Create(options);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("longest"), std::string::npos);
  options.limit_type = "max";
  options.box_thresh = 1.5;
  auto bad_thresh = TextDetector::Create(options);
  ASSERT_FALSE(bad_thresh.ok());
  EXPECT_NE(bad_thresh.status().message().find("box_thresh"), std::string::npos);
}

TEST_F(TextDetectorModelTest, DetectRejectsBadImagesAndOverridesAndStaysUsable) {
  SKIP_WITHOUT_MODEL();
  auto empty = detector_->Detect(cv::Mat());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);

  auto gray = detector_->Detect(cv::Mat(64, 64, CV_8UC1, cv::Scalar(255)));
  ASSERT_FALSE(gray.ok());
  EXPECT_EQ(gray.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(gray.status().message().find("CV_8UC3"), std::string::npos) << gray.status().message();

  auto floats = detector_->Detect(cv::Mat(64, 64, CV_32FC3, cv::Scalar(1, 1, 1)));
  EXPECT_EQ(floats.status().code(), StatusCode::kInvalidArgument);

  const cv::Mat white(64, 64, CV_8UC3, cv::Scalar(255, 255, 255));
  DetOverrides bad_ratio;
  bad_ratio.unclip_ratio = -1.0;
  auto ratio = detector_->Detect(white, bad_ratio);
  ASSERT_FALSE(ratio.ok());
  EXPECT_NE(ratio.status().message().find("unclip_ratio"), std::string::npos);
  DetOverrides bad_type;
  bad_type.limit_type = "smallest";
  EXPECT_EQ(detector_->Detect(white, bad_type).status().code(), StatusCode::kInvalidArgument);

  auto blank = detector_->Detect(white);
  ASSERT_TRUE(blank.ok()) << blank.status().ToString();
  EXPECT_TRUE(blank->quads.empty());
}

TEST_F(TextDetectorModelTest, FindsADrawnTextLineWhereItWasDrawn) {
  SKIP_WITHOUT_MODEL();
  cv::Mat image(300, 700, CV_8UC3, cv::Scalar(255, 255, 255));
  const std::string text = "PLATEAU 2024 OCR";
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 1.5, 3, &baseline);
  const cv::Point origin(100, 160);
  cv::putText(image, text, origin, cv::FONT_HERSHEY_SIMPLEX, 1.5, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
  const cv::Rect2d ink(origin.x, origin.y - size.height, size.width, size.height + baseline);

  // Both the pipeline's resize (image size, rounded to 32) and a shrinking one map back to the image.
  for (const char* type : {"min", "max"}) {
    DetOverrides params;
    params.limit_type = type;
    params.limit_side_len = std::string(type) == "max" ? 480 : 64;
    auto boxes = detector_->Detect(image, params);
    ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
    ASSERT_GE(boxes->quads.size(), 1u) << type;
    double best = 0;
    for (const Quad& q : boxes->quads) best = std::max(best, Iou(Bounds(q), ink));
    EXPECT_GE(best, 0.6) << "limit_type " << type << ": no box over the drawn text";
    for (size_t i = 0; i < boxes->quads.size(); ++i) {
      EXPECT_GE(boxes->scores[i], 0.6f);
      for (const cv::Point2f& p : boxes->quads[i]) {
        EXPECT_GE(p.x, 0);
        EXPECT_LE(p.x, image.cols);
        EXPECT_GE(p.y, 0);
        EXPECT_LE(p.y, image.rows);
      }
    }
  }
}

TEST_F(TextDetectorModelTest, OverridesApplyToOneCallOnly) {
  SKIP_WITHOUT_MODEL();
  cv::Mat image(200, 600, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(image, "OVERRIDES 42", cv::Point(60, 120), cv::FONT_HERSHEY_SIMPLEX, 1.5, cv::Scalar(0, 0, 0),
              3, cv::LINE_AA);
  auto normal = detector_->Detect(image);
  ASSERT_TRUE(normal.ok()) << normal.status().ToString();
  ASSERT_EQ(normal->quads.size(), 1u);

  DetOverrides wider;
  wider.unclip_ratio = 3.0;
  auto grown = detector_->Detect(image, wider);
  ASSERT_TRUE(grown.ok()) << grown.status().ToString();
  ASSERT_EQ(grown->quads.size(), 1u);
  const cv::Rect2d small = Bounds(normal->quads[0]), large = Bounds(grown->quads[0]);
  EXPECT_EQ((small & large).area(), small.area()) << "a larger unclip_ratio must contain the default box";
  EXPECT_GT(large.height, small.height + 4);
  // The same map scores the same regardless of how far the box is grown afterwards.
  EXPECT_FLOAT_EQ(grown->scores[0], normal->scores[0]);

  DetOverrides strict;
  strict.box_thresh = 0.999;
  auto none = detector_->Detect(image, strict);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->quads.empty());

  auto again = detector_->Detect(image);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->quads, normal->quads);
}

TEST_F(TextDetectorModelTest, TinyImagesArePaddedNotRefused) {
  SKIP_WITHOUT_MODEL();
  const cv::Mat tiny(12, 20, CV_8UC3, cv::Scalar(255, 255, 255));
  auto boxes = detector_->Detect(tiny);
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  for (const Quad& q : boxes->quads) {
    for (const cv::Point2f& p : q) {
      EXPECT_LE(p.x, tiny.cols);
      EXPECT_LE(p.y, tiny.rows);
    }
  }
}

// Share of labelled text lines of SROIE receipts covered by a detected box (IoU of the axis-aligned
// bounding rectangles >= 0.5).
TEST_F(TextDetectorModelTest, RecallOnSroieReceipts) {
  SKIP_WITHOUT_MODEL();
  const std::string dir = EvalDir() + "/sroie";
  if (!std::filesystem::exists(dir + "/img/000.jpg")) GTEST_SKIP() << "evaluation images missing in " << dir;
  const std::vector<std::string> ids = {"000", "001", "002", "003", "004", "005", "006", "007"};
  size_t labelled = 0, matched = 0, detected = 0;
  for (const std::string& id : ids) {
    const cv::Mat image = cv::imread(dir + "/img/" + id + ".jpg", cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << id;
    const std::vector<Quad> labels = ReadLabels(dir + "/box/" + id + ".csv");
    ASSERT_FALSE(labels.empty()) << id;
    const auto start = std::chrono::steady_clock::now();
    auto boxes = detector_->Detect(image);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(boxes.ok()) << id << ": " << boxes.status().ToString();
    size_t hits = 0;
    for (const Quad& label : labels) {
      double best = 0;
      for (const Quad& q : boxes->quads) best = std::max(best, Iou(Bounds(label), Bounds(q)));
      if (best >= 0.5) ++hits;
    }
    std::printf("[ sroie    ] %s %dx%d: %zu of %zu labelled lines matched, %zu boxes, %.0f ms\n", id.c_str(),
                image.cols, image.rows, hits, labels.size(), boxes->quads.size(), ms);
    labelled += labels.size();
    matched += hits;
    detected += boxes->quads.size();
  }
  const double recall = static_cast<double>(matched) / static_cast<double>(labelled);
  std::printf("[ sroie    ] recall %.3f (%zu of %zu labelled lines), %zu boxes detected\n", recall, matched,
              labelled, detected);
  EXPECT_GE(recall, 0.85);
}

// Tiled detection against whole-page detection on real receipts: the maps differ (a tile's
// squeeze-excitation averages see only the tile), yet the boxes are nearly the same. The bounds hold with
// a margin under what plateau_det_tiling_eval measured on all 100 receipts (docs/BENCHMARKS.md, "Tiled
// detection"): there every whole-page box but a few per hundred had a tiled box with IoU >= 0.5.
TEST_F(TextDetectorModelTest, TiledDetectionFindsTheBoxesOfWholePageDetection) {
  SKIP_WITHOUT_MODEL();
  const std::string dir = EvalDir() + "/sroie";
  if (!std::filesystem::exists(dir + "/img/000.jpg")) GTEST_SKIP() << "evaluation images missing in " << dir;
  DetOverrides whole_page;
  whole_page.tiled = false;
  size_t whole_boxes = 0, tiled_boxes = 0, matched = 0;
  // 000 fits one window (463x1013 -> 480x1024 in a 512x1024 window); 050 (1080x1528) takes two tiles
  // across and two down; 026 is a 1654x2339 scan (two across, three down).
  for (const std::string id : {"000", "050", "026"}) {
    const cv::Mat image = cv::imread(dir + "/img/" + id + ".jpg", cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << id;
    auto whole = detector_->Detect(image, whole_page);
    ASSERT_TRUE(whole.ok()) << id << ": " << whole.status().ToString();
    auto tiled = detector_->Detect(image);
    ASSERT_TRUE(tiled.ok()) << id << ": " << tiled.status().ToString();
    for (const Quad& w : whole->quads) {
      double best = 0;
      for (const Quad& t : tiled->quads) best = std::max(best, Iou(Bounds(w), Bounds(t)));
      if (best >= 0.5) ++matched;
    }
    whole_boxes += whole->quads.size();
    tiled_boxes += tiled->quads.size();
  }
  ASSERT_GT(whole_boxes, 100u);
  EXPECT_GE(static_cast<double>(matched), 0.97 * static_cast<double>(whole_boxes));
  EXPECT_NEAR(static_cast<double>(tiled_boxes), static_cast<double>(whole_boxes), 0.05 * whole_boxes);
}

TEST_F(TextDetectorModelTest, TiledMapEqualsWholePageMapOnAPageOfOneTile) {
  SKIP_WITHOUT_MODEL();
  // A page of exactly one tile shape runs the same input either way; the tiled map's scores are kept in 8
  // bits (DbPostprocessSplit), so it is the model's map rounded to the nearest 1/255.
  cv::Mat page(768, 768, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(page, "TOTAL 12.50", cv::Point(40, 200), cv::FONT_HERSHEY_SIMPLEX, 2.0, cv::Scalar(0, 0, 0), 4);
  DetOverrides whole_page;
  whole_page.tiled = false;
  auto whole = detector_->ProbabilityMap(page, whole_page);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  auto tiled = detector_->ProbabilityMap(page);
  ASSERT_TRUE(tiled.ok()) << tiled.status().ToString();
  ASSERT_EQ(whole->size(), tiled->size());
  EXPECT_LE(cv::norm(*whole, *tiled, cv::NORM_INF), 0.5 / kScoreMapScale + 1e-9);
}

// The detection memory of a tiled detector is that of its tile shapes: once they are planned, pages of
// any size build no plan and do not grow the arena.
TEST(TextDetectorTilesTest, PagesOfNewSizesBuildNoPlanAndDoNotGrowTheArena) {
  SKIP_WITHOUT_MODEL();
  TextDetectorOptions options;
  options.session.model_path = ModelPath();
  options.session.threads = 2;
  auto created = TextDetector::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  TextDetector& detector = **created;
  const std::vector<SizeHw> shapes = DetTileShapes(options.tiles);
  EXPECT_GE(detector.session().stats().plan_cache_capacity, shapes.size());
  // Each tile shape run once, as a warm-up would: plans built and the arena at its largest.
  std::vector<TensorView> outputs;
  for (const SizeHw& s : shapes) {
    auto zeros = Tensor::Zeros(DType::kFloat32, Shape({1, 3, s.height, s.width}));
    ASSERT_TRUE(zeros.ok());
    ASSERT_TRUE(detector.session().Run({zeros->view()}, &outputs).ok());
  }
  const SessionStats planned = detector.session().stats();
  cv::Mat base(640, 480, CV_8UC3, cv::Scalar(250, 250, 250));
  cv::putText(base, "RECEIPT 0042", cv::Point(20, 300), cv::FONT_HERSHEY_SIMPLEX, 1.5, cv::Scalar(0, 0, 0),
              3);
  // Sizes whose resized pages (multiples of 32) all differ: one window, one row of tiles, a grid.
  for (const cv::Size size : {cv::Size(300, 200), cv::Size(480, 640), cv::Size(700, 1000),
                              cv::Size(1100, 900), cv::Size(1500, 2300), cv::Size(2600, 1700)}) {
    cv::Mat page;
    cv::resize(base, page, size);
    auto boxes = detector.Detect(page);
    ASSERT_TRUE(boxes.ok()) << size << ": " << boxes.status().ToString();
    const SessionStats now = detector.session().stats();
    EXPECT_EQ(now.plan_misses, planned.plan_misses) << size;
    EXPECT_EQ(now.arena_bytes, planned.arena_bytes) << size;
    EXPECT_EQ(now.plan_evictions, 0u) << size;
  }
}

}  // namespace
}  // namespace plateau::ocr
