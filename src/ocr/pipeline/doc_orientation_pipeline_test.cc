// The OCR pipeline with document orientation on: turned pages are read as their upright originals.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string>
#include <vector>

#include "io/image.h"
#include "ocr/doc/test_colour_model.h"
#include "plateau/ocr.h"

namespace plateau {
namespace {

const std::string kModels = PLATEAU_SOURCE_DIR "/models";
const std::string kReceipt = PLATEAU_SOURCE_DIR "/../shared/eval/sroie/img/000.jpg";

bool FileExists(const std::string& path) { return static_cast<bool>(std::ifstream(path)); }

class DocOrientationPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx",
                          "ch_ppocr_mobile_v2.0_cls_infer.onnx", "ppocr_keys_v1.txt"}) {
      if (!FileExists(kModels + "/" + f)) GTEST_SKIP() << f << " missing; run `make models`";
    }
    if (!FileExists(kReceipt)) GTEST_SKIP() << "no ../shared/eval";
  }

  static std::unique_ptr<OcrPipeline> Make(const std::string& doc_model = "") {
    OcrOptions options;
    options.model_dir = kModels;
    options.threads = 2;
    options.doc_orientation_model = doc_model;
    auto p = OcrPipeline::Create(options);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  static OcrResult RunOne(OcrPipeline& p, const cv::Mat& image, bool doc) {
    OcrOverrides o;
    o.use_doc_orientation_classify = doc;
    auto range = p.Predict({OcrInput::Image(image, "page")}, o);
    EXPECT_TRUE(range.ok()) << range.status().ToString();
    OcrResult out;
    if (!range.ok()) return out;
    for (const OcrResult& r : *range) out = r;
    EXPECT_TRUE(out.error.ok()) << out.error.ToString();
    return out;
  }
};

TEST_F(DocOrientationPipelineTest, TurnedReceiptReadsLikeTheUprightOne) {
  auto pipeline = Make();
  ASSERT_NE(pipeline, nullptr);
  auto upright = io::ReadImage(kReceipt);
  ASSERT_TRUE(upright.ok());
  const OcrResult reference = RunOne(*pipeline, *upright, false);
  ASSERT_GT(reference.rec_texts.size(), 20u);
  EXPECT_FALSE(reference.model_settings.use_doc_preprocessor);
  EXPECT_EQ(reference.doc_preprocessor_res.angle, -1);

  // Upright with orientation on: nothing turns, so the result is the same.
  const OcrResult same = RunOne(*pipeline, *upright, true);
  EXPECT_TRUE(same.model_settings.use_doc_preprocessor);
  EXPECT_TRUE(same.doc_preprocessor_res.model_settings.use_doc_orientation_classify);
  EXPECT_FALSE(same.doc_preprocessor_res.model_settings.use_doc_unwarping);
  EXPECT_EQ(same.doc_preprocessor_res.angle, 0);
  EXPECT_EQ(same.rec_texts, reference.rec_texts);
  EXPECT_EQ(same.dt_polys, reference.dt_polys);

  const std::pair<cv::RotateFlags, int> turns[] = {
      {cv::ROTATE_90_CLOCKWISE, 90}, {cv::ROTATE_180, 180}, {cv::ROTATE_90_COUNTERCLOCKWISE, 270}};
  const std::set<std::string> expected(reference.rec_texts.begin(), reference.rec_texts.end());
  for (const auto& [flag, angle] : turns) {
    cv::Mat turned;
    cv::rotate(*upright, turned, flag);
    const OcrResult r = RunOne(*pipeline, turned, true);
    EXPECT_EQ(r.doc_preprocessor_res.angle, angle);
    // The page the stages saw is the upright original, pixel for pixel, and the boxes lie on it.
    ASSERT_EQ(r.page_image.size(), upright->size()) << angle;
    EXPECT_EQ(cv::norm(r.page_image, *upright, cv::NORM_INF), 0.0) << angle;
    for (const OcrPoly& poly : r.dt_polys) {
      for (const OcrPoint& pt : poly) {
        EXPECT_TRUE(pt[0] >= 0 && pt[0] <= upright->cols && pt[1] >= 0 && pt[1] <= upright->rows) << angle;
      }
    }
    if (angle == 180) {
      // The boxes come from the turned page's detection, turned back: they differ from the upright
      // page's by a pixel or two, which changes a character here and there, so most lines read the same.
      size_t found = 0;
      for (const std::string& t : r.rec_texts) found += expected.count(t);
      EXPECT_GE(found, expected.size() * 2 / 3) << found << " of " << expected.size() << " upright lines";
      EXPECT_EQ(r.dt_polys.size(), reference.dt_polys.size());
    } else {
      // Sideways pages are detected again once turned: the same pixels give the same result.
      EXPECT_EQ(r.dt_polys, reference.dt_polys) << angle;
      EXPECT_EQ(r.rec_texts, reference.rec_texts) << angle;
    }
    // JSON as PaddleX writes it.
    nlohmann::json j = nlohmann::json::parse(ToJson(r)).at("res");
    EXPECT_EQ(j.at("doc_preprocessor_res").at("angle"), angle);
    EXPECT_EQ(j.at("doc_preprocessor_res").at("model_settings").at("use_doc_orientation_classify"), true);
    EXPECT_EQ(j.at("doc_preprocessor_res").at("model_settings").at("use_doc_unwarping"), false);
    EXPECT_EQ(j.at("doc_preprocessor_res").at("input_path"), "page");
    EXPECT_EQ(j.at("model_settings").at("use_doc_preprocessor"), true);
  }
}

TEST_F(DocOrientationPipelineTest, ModelFileDecidesTheTurnBeforeDetection) {
  // The colour model (ocr/doc/test_colour_model.h) calls a black page "270": the page is turned 270
  // degrees counter-clockwise. A directory holding inference.onnx is accepted as PaddleX lays models out.
  const std::filesystem::path dir = std::filesystem::path(PLATEAU_BINARY_DIR) / "doc_orientation_model";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "inference.onnx", std::ios::binary);
    out << ocr::testing::ColourModel(true);
  }
  for (const std::string& path : {dir.string(), (dir / "inference.onnx").string()}) {
    auto pipeline = Make(path);
    ASSERT_NE(pipeline, nullptr) << path;
    cv::Mat page(40, 100, CV_8UC3, cv::Scalar::all(0));
    page.at<cv::Vec3b>(0, 99) = {0, 0, 255};
    const OcrResult r = RunOne(*pipeline, page, true);
    EXPECT_EQ(r.doc_preprocessor_res.angle, 270);
    // Turned clockwise: the top-right pixel ends at the bottom-right of a 40 x 100 page.
    ASSERT_EQ(r.page_image.cols, 40);
    ASSERT_EQ(r.page_image.rows, 100);
    EXPECT_EQ(r.page_image.at<cv::Vec3b>(99, 39), cv::Vec3b(0, 0, 255));
    // Off for one call: the page stays as it is.
    const OcrResult off = RunOne(*pipeline, page, false);
    EXPECT_EQ(off.doc_preprocessor_res.angle, -1);
    EXPECT_EQ(off.page_image.cols, 100);
  }
}

TEST_F(DocOrientationPipelineTest, BadModelIsRefusedNamingTheOption) {
  OcrOptions options;
  options.model_dir = kModels;
  options.doc_orientation_model = "/nonexistent/PP-LCNet_x1_0_doc_ori.onnx";
  auto p = OcrPipeline::Create(options);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().ToString().find("doc_orientation_model"), std::string::npos) << p.status().ToString();
  // A model with the wrong number of classes.
  const std::filesystem::path file = std::filesystem::path(PLATEAU_BINARY_DIR) / "three_classes.onnx";
  {
    std::ofstream out(file, std::ios::binary);
    out << ocr::testing::ColourModel(true, 3);
  }
  options.doc_orientation_model = file.string();
  p = OcrPipeline::Create(options);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().ToString().find("expected 1x4"), std::string::npos) << p.status().ToString();
}

}  // namespace
}  // namespace plateau
