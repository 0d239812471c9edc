// PaddleX's response bodies built from results made here: no socket, no pipeline.
#include "server/paddlex_response.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "server/base64.h"

namespace plateau::server {
namespace {

using Json = nlohmann::ordered_json;

// A result as the pipeline gives one for a page turned by the document orientation step, with a
// warning of its own.
OcrResult TurnedPageResult() {
  OcrResult r;
  r.input_path = "file";
  r.page_index = 2;
  r.model_settings.use_doc_preprocessor = true;
  r.doc_preprocessor_res.model_settings.use_doc_orientation_classify = true;
  r.doc_preprocessor_res.angle = 180;
  r.dt_polys = {OcrPoly{{{10, 10}, {110, 10}, {110, 40}, {10, 40}}}};
  r.dt_scores = {0.9f};
  r.text_det_params = {64, "min", 0.3, 4000, 0.6, 1.5};
  r.textline_orientation_angles = {0};
  r.rec_texts = {"TOTAL 12.00"};
  r.rec_scores = {0.98f};
  r.rec_polys = r.dt_polys;
  r.rec_boxes = {{10, 10, 110, 40}};
  r.warnings = {"the pipeline's warning"};
  r.page_image = cv::Mat(60, 200, CV_8UC3, cv::Scalar(255, 255, 255));
  return r;
}

bool HasPathKeys(const Json& j) {
  if (j.is_object() && (j.contains("input_path") || j.contains("page_index"))) return true;
  if (j.is_structured()) {
    for (const Json& v : j) {
      if (HasPathKeys(v)) return true;
    }
  }
  return false;
}

cv::Mat DecodeJpeg(const Json& base64) {
  auto bytes = Base64Decode(base64.get<std::string>());
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return {};
  return cv::imdecode(std::vector<uchar>(bytes->begin(), bytes->end()), cv::IMREAD_COLOR);
}

// prunedResult is `plateau ocr`'s "res" with input_path and page_index taken out, at the top and in the
// document preprocessor's sub-result, every other field as it is.
TEST(PaddlexResponseTest, PrunedResultIsTheResultsJsonWithoutItsPaths) {
  const OcrResult r = TurnedPageResult();
  const Json pruned = PrunedResult(r, {});
  EXPECT_FALSE(HasPathKeys(pruned)) << pruned.dump();

  Json expected = Json::parse(ToJson(r))["res"];
  expected.erase("input_path");
  expected.erase("page_index");
  expected["doc_preprocessor_res"].erase("input_path");
  expected["doc_preprocessor_res"].erase("page_index");
  EXPECT_EQ(pruned, expected);
  EXPECT_EQ(pruned["rec_texts"][0], "TOTAL 12.00");
  EXPECT_EQ(pruned["doc_preprocessor_res"]["angle"], 180);
}

TEST(PaddlexResponseTest, DecodeWarningsComeBeforeThePipelinesAndOnlyWhenThereAreAny) {
  OcrResult r = TurnedPageResult();
  const Json both = PrunedResult(r, {"truncated image"});
  EXPECT_EQ(both["warnings"], (Json{"truncated image", "the pipeline's warning"}));
  EXPECT_EQ(PrunedResult(r, {})["warnings"], (Json{"the pipeline's warning"}));
  r.warnings.clear();
  EXPECT_EQ(PrunedResult(r, {"truncated image"})["warnings"], (Json{"truncated image"}));
  EXPECT_FALSE(PrunedResult(r, {}).contains("warnings"));
}

TEST(PaddlexResponseTest, WithoutVisualizeAnEntryHasNoPictureKeys) {
  const OcrResult r = TurnedPageResult();
  auto entry = OcrResultEntry(r, r.page_image, {}, /*visualize=*/false);
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(entry->size(), 1u) << entry->dump();
  EXPECT_TRUE(entry->contains("prunedResult"));
}

// The pictures are JPEGs of the result, the turned page and the page as received, each scaled down to
// fit 2000 x 2000 when larger.
TEST(PaddlexResponseTest, WithVisualizeAnEntryHasThePicturesScaledToFit) {
  OcrResult r = TurnedPageResult();
  r.page_image = cv::Mat(100, 1500, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Mat input(1500, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  auto entry = OcrResultEntry(r, input, {}, /*visualize=*/true);
  if (!entry.ok() && entry.status().message().find("font") != std::string::npos) {
    GTEST_SKIP() << entry.status().ToString();
  }
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  const std::vector<std::string> keys = {"prunedResult", "ocrImage", "docPreprocessingImage", "inputImage"};
  std::vector<std::string> got;
  for (const auto& [key, value] : entry->items()) got.push_back(key);
  EXPECT_EQ(got, keys);
  // RenderResult puts the page beside the text: 3000 x 100, scaled to 2000 x 66.
  const cv::Mat picture = DecodeJpeg((*entry)["ocrImage"]);
  EXPECT_EQ(picture.size(), cv::Size(2000, 66));
  EXPECT_EQ(DecodeJpeg((*entry)["docPreprocessingImage"]).size(), cv::Size(1500, 100));
  EXPECT_EQ(DecodeJpeg((*entry)["inputImage"]).size(), cv::Size(100, 1500));

  r.model_settings.use_doc_preprocessor = false;
  auto upright = OcrResultEntry(r, input, {}, /*visualize=*/true);
  ASSERT_TRUE(upright.ok()) << upright.status().ToString();
  EXPECT_FALSE(upright->contains("docPreprocessingImage"));
}

TEST(PaddlexResponseTest, BodiesHavePaddleXsShape) {
  Json results = Json::array();
  results.push_back(Json{{"prunedResult", Json::object()}});
  const Json ok = Json::parse(SuccessBody("id-1", results, ImageDataInfo(cv::Size(640, 480))));
  EXPECT_EQ(ok, (Json{{"logId", "id-1"},
                      {"errorCode", 0},
                      {"errorMsg", "Success"},
                      {"result",
                       {{"ocrResults", results},
                        {"dataInfo", {{"width", 640}, {"height", 480}, {"type", "image"}}}}}}));
  EXPECT_EQ(PdfDataInfo(12, {cv::Size(600, 800), cv::Size(800, 600)}),
            (Json{{"numPages", 12},
                  {"pages", {{{"width", 600}, {"height", 800}}, {{"width", 800}, {"height", 600}}}},
                  {"type", "pdf"}}));
  EXPECT_EQ(Json::parse(ErrorBody("id-2", 422, "file: not an image")),
            (Json{{"logId", "id-2"}, {"errorCode", 422}, {"errorMsg", "file: not an image"}}));
  // Text is sent as UTF-8, not \u escaped.
  EXPECT_EQ(Dump(Json{{"t", "合计"}}), "{\"t\":\"合计\"}");
}

}  // namespace
}  // namespace plateau::server
