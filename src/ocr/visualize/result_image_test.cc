#include "ocr/visualize/result_image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/freetype.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "plateau/ocr.h"

namespace plateau {
namespace {

namespace fs = std::filesystem;

const cv::Vec3b kGrey(200, 200, 200);
const cv::Vec3b kWhite(255, 255, 255);

OcrPoly Rect(int x0, int y0, int x1, int y1) { return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}; }

// A grey page with the given lines, as a successful result.
OcrResult MakeResult(int w, int h, std::vector<OcrPoly> polys, std::vector<std::string> texts) {
  OcrResult r;
  r.input_path = "/somewhere/page.png";
  r.page_image = cv::Mat(h, w, CV_8UC3, cv::Scalar(kGrey[0], kGrey[1], kGrey[2]));
  r.rec_polys = polys;
  r.dt_polys = polys;
  r.rec_texts = texts;
  r.rec_scores.assign(texts.size(), 0.9f);
  return r;
}

// Ink = a pixel clearly darker than white and grey-ish (B, G and R within 40 of each other), which tells
// text (drawn black, anti-aliased) apart from the coloured box outlines.
bool IsInk(const cv::Vec3b& p) {
  const int lo = std::min({p[0], p[1], p[2]}), hi = std::max({p[0], p[1], p[2]});
  return hi < 160 && hi - lo < 40;
}

// Counts ink pixels of `half` inside `inside`, and those outside every rectangle of `allowed`.
void CountInk(const cv::Mat& half, const cv::Rect& inside, const std::vector<cv::Rect>& allowed, int* in,
              int* out) {
  *in = *out = 0;
  for (int y = 0; y < half.rows; ++y) {
    for (int x = 0; x < half.cols; ++x) {
      if (!IsInk(half.at<cv::Vec3b>(y, x))) continue;
      if (inside.contains({x, y})) ++*in;
      bool ok = false;
      for (const cv::Rect& r : allowed) ok = ok || r.contains({x, y});
      if (!ok) ++*out;
    }
  }
}

// `r` grown by 2 pixels on each side: the outline is drawn anti-aliased on the box's edge.
cv::Rect Padded(const cv::Rect& r) { return cv::Rect(r.x - 2, r.y - 2, r.width + 5, r.height + 5); }

TEST(ResultImageTest, BoxColorsAreDistinctSaturatedAndStable) {
  for (size_t i = 0; i < 8; ++i) {
    const cv::Scalar c = ocr::BoxColor(i);
    EXPECT_EQ(c, ocr::BoxColor(i));
    const double lo = std::min({c[0], c[1], c[2]}), hi = std::max({c[0], c[1], c[2]});
    EXPECT_GT(hi - lo, 100) << "box " << i << " is not a clear colour";
    for (size_t j = 0; j < i; ++j) EXPECT_NE(c, ocr::BoxColor(j)) << i << " vs " << j;
  }
}

TEST(ResultImageTest, LeftHalfColoursTheBoxesAndKeepsThePageElsewhere) {
  OcrResult r = MakeResult(400, 200, {Rect(20, 20, 180, 60), Rect(220, 120, 380, 170)}, {"HELLO", "WORLD"});
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->type(), CV_8UC3);
  ASSERT_EQ(img->size(), cv::Size(800, 200));
  // Inside box i: 60% page grey + 40% the box colour (away from the outline).
  for (int i = 0; i < 2; ++i) {
    const cv::Point centre = i == 0 ? cv::Point(100, 40) : cv::Point(300, 145);
    const cv::Vec3b got = img->at<cv::Vec3b>(centre);
    const cv::Scalar c = ocr::BoxColor(i);
    for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(got[ch], 0.6 * kGrey[ch] + 0.4 * c[ch], 1.5) << "box " << i;
  }
  // Away from the boxes the page is unchanged.
  EXPECT_EQ(img->at<cv::Vec3b>(100, 100), kGrey);
  EXPECT_EQ(img->at<cv::Vec3b>(190, 10), kGrey);
  // The outline is the box colour at full strength (thickness 1 on a 400 px page).
  const cv::Vec3b edge = img->at<cv::Vec3b>(20, 100);
  const cv::Scalar c0 = ocr::BoxColor(0);
  for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(edge[ch], c0[ch], 40);
}

TEST(ResultImageTest, RightHalfDrawsEachTextInsideItsOwnBox) {
  const cv::Rect a(20, 20, 160, 40), b(220, 120, 160, 50);
  OcrResult r = MakeResult(
      400, 200,
      {Rect(a.x, a.y, a.x + a.width, a.y + a.height), Rect(b.x, b.y, b.x + b.width, b.y + b.height)},
      {"TAN WOON YANN", "中文识别 OK"});
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  const cv::Mat right = (*img)(cv::Rect(400, 0, 400, 200));
  // Only the boxes' outlines and the text: everything else stays white.
  int in_a = 0, in_b = 0, out = 0, tmp = 0;
  CountInk(right, a, {Padded(a), Padded(b)}, &in_a, &out);
  CountInk(right, b, {Padded(a), Padded(b)}, &in_b, &tmp);
  EXPECT_GT(in_a, 150) << "no text drawn in the first box";
  EXPECT_GT(in_b, 150) << "no text drawn in the second box";
  EXPECT_EQ(out, 0) << "ink outside both boxes";
  EXPECT_EQ(right.at<cv::Vec3b>(100, 200), kWhite);
  EXPECT_EQ(right.at<cv::Vec3b>(190, 10), kWhite);
  // The text fills its box: ink reaches the left third and the right third of box a.
  cv::Mat grey;
  cv::cvtColor(right(a), grey, cv::COLOR_BGR2GRAY);
  const cv::Rect ink = cv::boundingRect(grey < 128);
  EXPECT_LT(ink.x, a.width / 3);
  EXPECT_GT(ink.x + ink.width, 2 * a.width / 3);
  EXPECT_GT(ink.height, a.height / 3);
}

TEST(ResultImageTest, TextTooLongForItsBoxShrinksAndStaysInside) {
  const cv::Rect a(50, 50, 60, 20);
  OcrResult r = MakeResult(300, 150, {Rect(a.x, a.y, a.x + a.width, a.y + a.height)},
                           {"A VERY LONG LINE OF TEXT THAT CANNOT FIT 0123456789"});
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  const cv::Mat right = (*img)(cv::Rect(300, 0, 300, 150));
  int in = 0, out = 0;
  CountInk(right, a, {Padded(a)}, &in, &out);
  EXPECT_GT(in, 5);
  EXPECT_EQ(out, 0);
}

TEST(ResultImageTest, TallBoxGetsTextAlongItsLength) {
  const cv::Rect a(100, 20, 24, 200);
  OcrResult r = MakeResult(300, 260, {Rect(a.x, a.y, a.x + a.width, a.y + a.height)}, {"VERTICAL TEXT"});
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  const cv::Mat right = (*img)(cv::Rect(300, 0, 300, 260));
  int in = 0, out = 0;
  CountInk(right, a, {Padded(a)}, &in, &out);
  EXPECT_EQ(out, 0);
  cv::Mat grey;
  cv::cvtColor(right(a), grey, cv::COLOR_BGR2GRAY);
  const cv::Rect ink = cv::boundingRect(grey < 128);
  // Written sideways, the text runs down most of the box rather than shrinking to its width.
  EXPECT_GT(ink.height, a.height / 2) << ink;
}

TEST(ResultImageTest, TiltedBoxKeepsTextInsideTheQuad) {
  // A parallelogram leaning right; text must stay inside its bounding rectangle.
  OcrResult r = MakeResult(300, 200, {OcrPoly{{{40, 60}, {240, 40}, {250, 90}, {50, 110}}}}, {"slanted"});
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  const cv::Mat right = (*img)(cv::Rect(300, 0, 300, 200));
  int in = 0, out = 0;
  CountInk(right, cv::Rect(40, 40, 211, 71), {Padded(cv::Rect(40, 40, 211, 71))}, &in, &out);
  EXPECT_GT(in, 100);
  EXPECT_EQ(out, 0);
}

TEST(ResultImageTest, EmptyResultIsThePageBesideAWhitePage) {
  OcrResult r = MakeResult(120, 80, {}, {});
  r.page_image.at<cv::Vec3b>(10, 10) = cv::Vec3b(1, 2, 3);
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->size(), cv::Size(240, 80));
  EXPECT_EQ(cv::norm((*img)(cv::Rect(0, 0, 120, 80)), r.page_image, cv::NORM_INF), 0);
  cv::Mat white(80, 120, CV_8UC3, cv::Scalar::all(255));
  EXPECT_EQ(cv::norm((*img)(cv::Rect(120, 0, 120, 80)), white, cv::NORM_INF), 0);
}

TEST(ResultImageTest, EmptyTextAndDegenerateBoxesAreOutlinedOnly) {
  OcrResult r = MakeResult(200, 100, {Rect(10, 10, 90, 40), Rect(120, 50, 120, 50)}, {"", "x"});
  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  int in = 0, out = 0;
  CountInk((*img)(cv::Rect(200, 0, 200, 100)), cv::Rect(0, 0, 200, 100), {}, &in, &out);
  EXPECT_EQ(in, 0);
}

TEST(ResultImageTest, LargePageIsScaledDownToMaxSide) {
  OcrResult r = MakeResult(1000, 600, {Rect(100, 100, 900, 300)}, {"BIG"});
  OcrImageOptions options;
  options.max_side = 500;
  auto img = RenderResult(r, options);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->size(), cv::Size(1000, 300));
  // The box scaled with the page: (50..450, 50..150) in each half.
  const cv::Mat right = (*img)(cv::Rect(500, 0, 500, 300));
  int in = 0, out = 0;
  CountInk(right, cv::Rect(50, 50, 400, 100), {Padded(cv::Rect(50, 50, 400, 100))}, &in, &out);
  EXPECT_GT(in, 500);
  EXPECT_EQ(out, 0);

  // The default bound: 4000 px on the longer side.
  OcrResult wide = MakeResult(4100, 60, {}, {});
  auto wide_img = RenderResult(wide);
  ASSERT_TRUE(wide_img.ok()) << wide_img.status().ToString();
  EXPECT_EQ(wide_img->cols, 8000);
  EXPECT_EQ(wide_img->rows, 59);
}

TEST(ResultImageTest, RefusesFailedResultsAndMissingPages) {
  OcrResult failed;
  failed.input_path = "broken.jpg";
  failed.error = Status::DataLoss("broken.jpg: not an image");
  auto a = RenderResult(failed);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(a.status().message().find("broken.jpg"), std::string::npos) << a.status().ToString();

  OcrResult no_page = MakeResult(10, 10, {}, {});
  no_page.page_image = cv::Mat();
  auto b = RenderResult(no_page);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("page_image"), std::string::npos) << b.status().ToString();

  OcrResult mismatched = MakeResult(10, 10, {Rect(1, 1, 5, 5)}, {});
  EXPECT_FALSE(RenderResult(mismatched).ok());

  const fs::path dir = fs::temp_directory_path() / ("plateau_img_fail_" + std::to_string(::getpid()));
  EXPECT_FALSE(SaveImage(failed, dir.string()).ok());
  EXPECT_FALSE(fs::exists(dir / "broken_ocr_res_img.png"));
  fs::remove_all(dir);
}

TEST(ResultImageTest, MissingFontNamesThePathAndThePackage) {
  OcrImageOptions options;
  options.font_path = "/nonexistent/fonts/NoSuchFont.ttc";
  auto img = RenderResult(MakeResult(50, 50, {}, {}), options);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kNotFound);
  EXPECT_NE(img.status().message().find("/nonexistent/fonts/NoSuchFont.ttc"), std::string::npos);
  EXPECT_NE(img.status().message().find("fonts-noto-cjk"), std::string::npos);

  // A file that is not a font.
  const fs::path bogus = fs::temp_directory_path() / ("plateau_not_a_font_" + std::to_string(::getpid()));
  { std::ofstream(bogus) << "not a font"; }
  options.font_path = bogus.string();
  auto bad = RenderResult(MakeResult(50, 50, {}, {}), options);
  fs::remove(bogus);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(bogus.string()), std::string::npos) << bad.status().ToString();

  // A face the collection does not have.
  OcrImageOptions no_face;
  no_face.font_index = 99;
  auto missing_face = RenderResult(MakeResult(50, 50, {}, {}), no_face);
  ASSERT_FALSE(missing_face.ok());
  EXPECT_NE(missing_face.status().message().find("face 99"), std::string::npos)
      << missing_face.status().ToString();
}

TEST(ResultImageTest, SaveImageNamesFilesLikeTheJson) {
  const fs::path dir = fs::temp_directory_path() / ("plateau_img_" + std::to_string(::getpid())) / "sub";
  fs::remove_all(dir.parent_path());
  OcrResult image = MakeResult(64, 32, {Rect(4, 4, 60, 28)}, {"ab"});
  image.input_path = "/x/receipt.scan.jpg";
  ASSERT_TRUE(SaveImage(image, dir.string()).ok());
  OcrResult page = MakeResult(40, 50, {}, {});
  page.input_path = "doc.pdf";
  page.page_index = 3;
  ASSERT_TRUE(SaveImage(page, dir.string()).ok());

  cv::Mat a = cv::imread((dir / "receipt.scan_ocr_res_img.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.size(), cv::Size(128, 32));
  EXPECT_EQ(a.channels(), 3);
  cv::Mat b = cv::imread((dir / "doc_3_ocr_res_img.png").string());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.size(), cv::Size(80, 50));
  fs::remove_all(dir.parent_path());
}

TEST(ResultImageTest, FittedTextUsesTheTileHeightWhenWidthAllows) {
  cv::Ptr<cv::freetype::FreeType2> font = cv::freetype::createFreeType2();
  font->loadFontData(OcrImageOptions().font_path, OcrImageOptions().font_index);
  cv::Mat tile(40, 400, CV_8UC3, cv::Scalar::all(255));
  const int size = ocr::DrawFittedText(*font, "Hg", tile);
  EXPECT_GE(size, 30);
  EXPECT_LE(size, 40);
  cv::Mat narrow(40, 30, CV_8UC3, cv::Scalar::all(255));
  const int small = ocr::DrawFittedText(*font, "Hello world", narrow);
  EXPECT_GT(small, 0);
  EXPECT_LT(small, 10);
  cv::Mat tiny(40, 1, CV_8UC3, cv::Scalar::all(255));
  EXPECT_EQ(ocr::DrawFittedText(*font, "x", tiny), 0);
}

TEST(ResultImageTest, PipelineResultCarriesItsPageAndDrawsItsLines) {
  const std::string models = PLATEAU_SOURCE_DIR "/models";
  const std::string input = PLATEAU_SOURCE_DIR "/../shared/eval/simple/simple.png";
  if (!fs::exists(models + "/ch_PP-OCRv4_det_infer.onnx")) GTEST_SKIP() << "models missing: run make models";
  OcrOptions options;
  options.model_dir = models;
  auto pipeline = OcrPipeline::Create(options);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
  auto range = (*pipeline)->Predict({OcrInput::Path(input)});
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  std::vector<OcrResult> results(range->begin(), range->end());
  ASSERT_EQ(results.size(), 1u);
  const OcrResult& r = results[0];
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  const cv::Mat original = cv::imread(input);
  ASSERT_EQ(r.page_image.size(), original.size());
  EXPECT_EQ(r.page_image.type(), CV_8UC3);
  // The label of simple.png (../shared/eval/README.md).
  ASSERT_NE(std::find(r.rec_texts.begin(), r.rec_texts.end(), "Tesseract.js"), r.rec_texts.end());

  auto img = RenderResult(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->size(), cv::Size(2 * original.cols, original.rows));
  const cv::Mat right = (*img)(cv::Rect(original.cols, 0, original.cols, original.rows));
  std::vector<cv::Rect> boxes;
  for (const auto& b : r.rec_boxes) boxes.push_back(Padded(cv::Rect(b[0], b[1], b[2] - b[0], b[3] - b[1])));
  for (size_t i = 0; i < boxes.size(); ++i) {
    int in = 0, out = 0;
    CountInk(right, boxes[i], boxes, &in, &out);
    EXPECT_GT(in, 50) << "line " << i << " '" << r.rec_texts[i] << "'";
    EXPECT_EQ(out, 0);
  }
}

}  // namespace
}  // namespace plateau
