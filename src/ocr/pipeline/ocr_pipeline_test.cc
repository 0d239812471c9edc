#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "ocr/pipeline/pipeline_test_support.h"
#include "ocr/rec/line_text.h"
#include "plateau/ocr.h"

namespace plateau {
namespace {

namespace fs = std::filesystem;

using ::plateau::testing::kModels;
using ::plateau::testing::kSroie;
using ::plateau::testing::SroieLabels;

// One pipeline for the whole suite: loading three models takes a while.
OcrPipeline& Pipeline() {
  static std::unique_ptr<OcrPipeline> pipeline = [] {
    OcrOptions options;
    options.model_dir = kModels;
    auto p = OcrPipeline::Create(options);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }();
  return *pipeline;
}

std::vector<OcrResult> RunAll(std::vector<OcrInput> inputs, OcrOverrides overrides = {}) {
  auto range = Pipeline().Predict(std::move(inputs), overrides);
  EXPECT_TRUE(range.ok()) << range.status().ToString();
  std::vector<OcrResult> out;
  if (!range.ok()) return out;
  for (const OcrResult& r : *range) out.push_back(r);
  return out;
}

// Checks the invariants between the fields of a successful result.
void ExpectConsistent(const OcrResult& r) {
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.dt_polys.size(), r.dt_scores.size());
  EXPECT_EQ(r.textline_orientation_angles.size(), r.dt_polys.size());
  EXPECT_EQ(r.rec_texts.size(), r.rec_scores.size());
  EXPECT_EQ(r.rec_polys.size(), r.rec_texts.size());
  EXPECT_EQ(r.rec_boxes.size(), r.rec_texts.size());
  EXPECT_LE(r.rec_polys.size(), r.dt_polys.size());
  for (size_t i = 0; i < r.rec_polys.size(); ++i) {
    const OcrPoly& p = r.rec_polys[i];
    int x0 = std::min({p[0][0], p[1][0], p[2][0], p[3][0]});
    int y0 = std::min({p[0][1], p[1][1], p[2][1], p[3][1]});
    int x1 = std::max({p[0][0], p[1][0], p[2][0], p[3][0]});
    int y1 = std::max({p[0][1], p[1][1], p[2][1], p[3][1]});
    EXPECT_EQ(r.rec_boxes[i], (std::array<int, 4>{x0, y0, x1, y1})) << "line " << i;
    EXPECT_GE(r.rec_scores[i], r.text_rec_score_thresh);
  }
}

TEST(OcrPipelineTest, SroieReceiptReadsLabelLinesExactly) {
  SKIP_WITHOUT_MODELS();
  std::vector<OcrResult> results = RunAll({OcrInput::Path(kSroie + "/img/000.jpg")});
  ASSERT_EQ(results.size(), 1u);
  const OcrResult& r = results[0];
  ExpectConsistent(r);
  EXPECT_EQ(r.page_index, -1);
  EXPECT_EQ(r.input_path, kSroie + "/img/000.jpg");
  EXPECT_TRUE(r.model_settings.use_textline_orientation);
  EXPECT_FALSE(r.model_settings.use_doc_preprocessor);
  EXPECT_EQ(r.doc_preprocessor_res.angle, -1);
  EXPECT_EQ(r.text_det_params.limit_side_len, 64);
  EXPECT_EQ(r.text_det_params.limit_type, "min");
  for (int a : r.textline_orientation_angles) EXPECT_TRUE(a == 0 || a == 180) << a;

  std::vector<std::string> labels = SroieLabels(kSroie + "/box/000.csv");
  ASSERT_GT(labels.size(), 10u);
  std::set<std::string> texts(r.rec_texts.begin(), r.rec_texts.end());
  int exact = 0;
  for (const std::string& label : labels) exact += texts.count(label) ? 1 : 0;
  EXPECT_GE(exact, 5) << "of " << labels.size() << " label lines";
  EXPECT_TRUE(texts.count("789417-W"));
  EXPECT_TRUE(texts.count("CASH BILL"));
}

// On Latin receipts the pipeline's own line text rules (text_rec_space_gaps, text_rec_fold_fullwidth) read
// more label lines exactly, spaces as labelled, than the recogniser's raw text, and change nothing but
// spaces and full-width forms.
TEST(OcrPipelineTest, SpacesAtWideGapsAndAsciiFormsReadMoreLabelLinesExactly) {
  SKIP_WITHOUT_MODELS();
  OcrOverrides raw;
  raw.text_rec_space_gaps = false;
  raw.text_rec_fold_fullwidth = false;
  int exact_raw = 0, exact_default = 0, fullwidth_raw = 0;
  for (int receipt = 0; receipt < 4; ++receipt) {
    const std::string name = "/00" + std::to_string(receipt);
    const std::vector<OcrResult> plain = RunAll({OcrInput::Path(kSroie + "/img" + name + ".jpg")}, raw);
    const std::vector<OcrResult> ruled = RunAll({OcrInput::Path(kSroie + "/img" + name + ".jpg")});
    ASSERT_EQ(plain.size(), 1u);
    ASSERT_EQ(ruled.size(), 1u);
    ASSERT_EQ(plain[0].rec_texts.size(), ruled[0].rec_texts.size());
    for (size_t i = 0; i < plain[0].rec_texts.size(); ++i) {
      std::string expected = plain[0].rec_texts[i], got = ruled[0].rec_texts[i];
      std::erase(expected, ' ');
      std::erase(got, ' ');
      bool fullwidth = ocr::FoldFullwidth(&expected);
      fullwidth_raw += fullwidth ? 1 : 0;
      EXPECT_EQ(got, expected) << "receipt" << name << " line " << i << ": " << plain[0].rec_texts[i]
                               << " -> " << ruled[0].rec_texts[i];
    }
    const std::set<std::string> plain_texts(plain[0].rec_texts.begin(), plain[0].rec_texts.end());
    const std::set<std::string> ruled_texts(ruled[0].rec_texts.begin(), ruled[0].rec_texts.end());
    for (const std::string& label : SroieLabels(kSroie + "/box" + name + ".csv")) {
      exact_raw += plain_texts.count(label) ? 1 : 0;
      exact_default += ruled_texts.count(label) ? 1 : 0;
    }
  }
  EXPECT_GT(fullwidth_raw, 0) << "receipts 000-003 were expected to hold full-width misreadings";
  EXPECT_GT(exact_default, exact_raw + 5);
}

// A fork shares the models but runs its own sessions: from another thread, at the same time as its
// parent, it reads the same receipt into the same result.
TEST(OcrPipelineTest, ForkRunsBesideItsParentWithTheSameResults) {
  SKIP_WITHOUT_MODELS();
  auto fork = Pipeline().Fork();
  ASSERT_TRUE(fork.ok()) << fork.status().ToString();
  const std::string path = kSroie + "/img/001.jpg";
  std::string forked;
  std::thread other([&] {
    auto range = (*fork)->Predict({OcrInput::Path(path)});
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    for (const OcrResult& r : *range) forked = ToJson(r);
  });
  std::vector<OcrResult> own = RunAll({OcrInput::Path(path)});
  other.join();
  ASSERT_EQ(own.size(), 1u);
  ExpectConsistent(own[0]);
  EXPECT_FALSE(own[0].rec_texts.empty());
  EXPECT_EQ(forked, ToJson(own[0]));
}

TEST(OcrPipelineTest, LazyDirectoryWithCorruptFileContinues) {
  SKIP_WITHOUT_MODELS();
  fs::path dir = fs::temp_directory_path() / ("plateau_ocr_dir_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(kSroie + "/img/000.jpg", dir / "a.jpg");
  fs::copy_file(kSroie + "/img/001.jpg", dir / "b.jpg");
  {
    std::ofstream bad(dir / "c.png", std::ios::binary);
    bad << "\x89PNG\r\n\x1a\n this is not really a png";
  }
  std::ofstream(dir / "notes.txt") << "ignored: not an image extension";

  auto range = Pipeline().Predict({OcrInput::Path(dir.string())});
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  std::vector<std::string> paths;
  std::vector<bool> failed;
  for (const OcrResult& r : *range) {
    paths.push_back(fs::path(r.input_path).filename().string());
    failed.push_back(!r.error.ok());
    if (r.error.ok()) {
      ExpectConsistent(r);
      EXPECT_FALSE(r.rec_texts.empty());
    } else {
      EXPECT_NE(r.error.message().find("c.png"), std::string::npos) << r.error.ToString();
    }
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"a.jpg", "b.jpg", "c.png"}));
  EXPECT_EQ(failed, (std::vector<bool>{false, false, true}));
  fs::remove_all(dir);
}

TEST(OcrPipelineTest, MissingPathAndEmptyInputs) {
  SKIP_WITHOUT_MODELS();
  EXPECT_TRUE(RunAll({}).empty());
  std::vector<OcrResult> results =
      RunAll({OcrInput::Path("/nonexistent/x.jpg"), OcrInput::Bytes("garbage", "upload-1")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].error.code(), StatusCode::kNotFound);
  EXPECT_EQ(results[0].input_path, "/nonexistent/x.jpg");
  EXPECT_FALSE(results[1].error.ok());
  EXPECT_EQ(results[1].input_path, "upload-1");
}

TEST(OcrPipelineTest, OverridesOutOfRangeAreRefusedNamingTheParameter) {
  SKIP_WITHOUT_MODELS();
  struct Case {
    OcrOverrides overrides;
    std::string name;
  };
  std::vector<Case> cases(6);
  cases[0].overrides.text_det_thresh = 1.5, cases[0].name = "text_det_thresh";
  cases[1].overrides.text_det_box_thresh = -0.1, cases[1].name = "text_det_box_thresh";
  cases[2].overrides.text_det_limit_type = "longest", cases[2].name = "text_det_limit_type";
  cases[3].overrides.text_recognition_batch_size = 0, cases[3].name = "text_recognition_batch_size";
  cases[4].overrides.text_rec_score_thresh = 2.0, cases[4].name = "text_rec_score_thresh";
  cases[5].overrides.text_det_unclip_ratio = 0.0, cases[5].name = "text_det_unclip_ratio";
  for (const Case& c : cases) {
    auto range = Pipeline().Predict({OcrInput::Path(kSroie + "/img/000.jpg")}, c.overrides);
    ASSERT_FALSE(range.ok()) << c.name;
    EXPECT_NE(range.status().message().find(c.name), std::string::npos) << range.status().ToString();
  }
  OcrOptions bad;
  bad.model_dir = kModels;
  bad.textline_orientation_batch_size = -3;
  auto p = OcrPipeline::Create(bad);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("textline_orientation_batch_size"), std::string::npos);
}

TEST(OcrPipelineTest, ScoreThresholdFiltersRecognisedLinesOnly) {
  SKIP_WITHOUT_MODELS();
  std::vector<OcrResult> all = RunAll({OcrInput::Path(kSroie + "/img/000.jpg")});
  OcrOverrides strict;
  strict.text_rec_score_thresh = 0.99;
  strict.use_textline_orientation = false;
  std::vector<OcrResult> kept = RunAll({OcrInput::Path(kSroie + "/img/000.jpg")}, strict);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(kept.size(), 1u);
  ExpectConsistent(kept[0]);
  EXPECT_DOUBLE_EQ(kept[0].text_rec_score_thresh, 0.99);
  EXPECT_FALSE(kept[0].model_settings.use_textline_orientation);
  for (int a : kept[0].textline_orientation_angles) EXPECT_EQ(a, -1);
  // Detection does not depend on the threshold.
  EXPECT_EQ(kept[0].dt_polys, all[0].dt_polys);
  // Independently: the lines of the unfiltered run scoring >= 0.99 (the receipt is upright, so turning
  // lines off does not change them).
  size_t expected = 0;
  for (float s : all[0].rec_scores) expected += s >= 0.99f ? 1 : 0;
  EXPECT_LT(expected, all[0].rec_texts.size()) << "the threshold should drop some lines";
  EXPECT_LT(kept[0].rec_texts.size(), all[0].rec_texts.size());
  EXPECT_NEAR(static_cast<double>(kept[0].rec_texts.size()), static_cast<double>(expected), 2.0);
}

TEST(OcrPipelineTest, DecodedImageInput) {
  SKIP_WITHOUT_MODELS();
  std::ifstream in(kSroie + "/img/000.jpg", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::vector<OcrResult> results = RunAll({OcrInput::Bytes(bytes.str(), "receipt-000")});
  ASSERT_EQ(results.size(), 1u);
  ExpectConsistent(results[0]);
  EXPECT_EQ(results[0].input_path, "receipt-000");
  // The same pixels as the file, so the same result.
  std::vector<OcrResult> from_file = RunAll({OcrInput::Path(kSroie + "/img/000.jpg")});
  ASSERT_EQ(from_file.size(), 1u);
  EXPECT_EQ(results[0].rec_texts, from_file[0].rec_texts);
  EXPECT_EQ(results[0].dt_polys, from_file[0].dt_polys);
}

// A PDF with one page per text, each drawn in Helvetica at 28 pt on a 400 x 200 pt page; the xref
// offsets are computed as the objects are written.
std::string MakePdf(const std::vector<std::string>& page_texts) {
  const int n = static_cast<int>(page_texts.size());
  std::vector<std::string> objs;
  objs.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (int i = 0; i < n; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  objs.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
  objs.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  for (int i = 0; i < n; ++i) {
    objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents " +
                   std::to_string(5 + 2 * i) + " 0 R /Resources << /Font << /F1 3 0 R >> >> >>");
    std::string stream = "BT /F1 28 Tf 30 90 Td (" + page_texts[i] + ") Tj ET";
    objs.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream");
  }
  std::string out = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objs.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof(line), "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

TEST(OcrPipelineTest, PdfPagesOneResultEach) {
  SKIP_WITHOUT_MODELS();
  fs::path path = fs::temp_directory_path() / ("plateau_ocr_" + std::to_string(::getpid()) + ".pdf");
  std::ofstream(path, std::ios::binary) << MakePdf({"INVOICE 2024", "TOTAL 125.50"});
  std::vector<OcrResult> results =
      RunAll({OcrInput::Path(path.string()), OcrInput::Bytes(MakePdf({"HELLO WORLD"}), "mem.pdf")});
  fs::remove(path);
  ASSERT_EQ(results.size(), 3u);
  for (const OcrResult& r : results) ExpectConsistent(r);
  EXPECT_EQ(results[0].page_index, 0);
  EXPECT_EQ(results[1].page_index, 1);
  EXPECT_EQ(results[2].page_index, 0);
  EXPECT_EQ(results[0].input_path, path.string());
  EXPECT_EQ(results[2].input_path, "mem.pdf");
  EXPECT_EQ(results[0].rec_texts, std::vector<std::string>{"INVOICE 2024"});
  EXPECT_EQ(results[1].rec_texts, std::vector<std::string>{"TOTAL 125.50"});
  EXPECT_EQ(results[2].rec_texts, std::vector<std::string>{"HELLO WORLD"});
}

// PredictParallel on a pipeline and its fork gives what Predict gives, result for result and in the same
// order: images, a PDF's pages, a decoded image, and the error results of a corrupt input and a missing
// path, which stop nothing.
TEST(OcrPipelineTest, PredictParallelGivesWhatPredictGivesInTheSameOrder) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  auto fork = Pipeline().Fork();
  ASSERT_TRUE(fork.ok()) << fork.status().ToString();
  const fs::path pdf =
      fs::temp_directory_path() / ("plateau_parallel_" + std::to_string(::getpid()) + ".pdf");
  std::ofstream(pdf, std::ios::binary) << MakePdf({"FIRST 1", "SECOND 2", "THIRD 3"});
  const cv::Mat decoded = cv::imread(kSroie + "/img/002.jpg");
  ASSERT_FALSE(decoded.empty());
  const auto inputs = [&] {
    return std::vector<OcrInput>{OcrInput::Path(kSroie + "/img/000.jpg"),
                                 OcrInput::Bytes("\xff\xd8\xff\xe0 not a JPEG after all", "corrupt.jpg"),
                                 OcrInput::Path(pdf.string()),
                                 OcrInput::Path(kSroie + "/img/001.jpg"),
                                 OcrInput::Path("/no/such/receipt.jpg"),
                                 OcrInput::Image(decoded, "decoded"),
                                 OcrInput::Path(kSroie + "/img/000.jpg")};
  };
  std::vector<std::string> one, two;
  for (const OcrResult& r : RunAll(inputs())) one.push_back(ToJson(r));
  auto range = OcrPipeline::PredictParallel({&Pipeline(), fork->get()}, inputs());
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  for (const OcrResult& r : *range) two.push_back(ToJson(r));
  fs::remove(pdf);
  ASSERT_EQ(one.size(), 9u);
  EXPECT_EQ(two, one);
  EXPECT_NE(one[1].find("corrupt.jpg"), std::string::npos);
  EXPECT_NE(one[1].find("\"error\""), std::string::npos);
  EXPECT_NE(one[6].find("\"error\""), std::string::npos);
  EXPECT_NE(one[4].find("THIRD 3"), std::string::npos);  // the PDF gives results 2-4
}

TEST(OcrPipelineTest, PredictParallelRefusesNoPipelineAPipelineTwiceAndBadOverrides) {
  SKIP_WITHOUT_MODELS();
  EXPECT_EQ(OcrPipeline::PredictParallel({}, {}).status().code(), StatusCode::kInvalidArgument);
  auto twice = OcrPipeline::PredictParallel({&Pipeline(), &Pipeline()}, {});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("Fork"), std::string::npos) << twice.status().ToString();
  auto fork = Pipeline().Fork();
  ASSERT_TRUE(fork.ok());
  OcrOverrides bad;
  bad.text_det_thresh = 2;
  auto refused = OcrPipeline::PredictParallel({&Pipeline(), fork->get()}, {}, bad);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("text_det_thresh"), std::string::npos);
  // Left before its end: the pages being read finish and the threads are joined.
  auto range = OcrPipeline::PredictParallel(
      {&Pipeline(), fork->get()}, {OcrInput::Path(kModels), OcrInput::Path("/no/such/a.jpg"),
                                   OcrInput::Path("/no/such/b.jpg"), OcrInput::Path("/no/such/c.jpg")});
  ASSERT_TRUE(range.ok());
  auto it = range->begin();
  ASSERT_NE(it, range->end());
  EXPECT_FALSE(it->error.ok());
}

TEST(OcrPipelineTest, PredictReadsEachInputOnlyWhenReached) {
  SKIP_WITHOUT_MODELS();
  fs::path dir = fs::temp_directory_path() / ("plateau_ocr_lazy_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "a.pdf", std::ios::binary) << MakePdf({"FIRST 1"});
  std::ofstream(dir / "b.pdf", std::ios::binary) << MakePdf({"SECOND 2"});
  auto range = Pipeline().Predict({OcrInput::Path(dir.string())});
  ASSERT_TRUE(range.ok());
  auto it = range->begin();
  ASSERT_NE(it, range->end());
  EXPECT_TRUE(it->error.ok()) << it->error.ToString();
  EXPECT_EQ(fs::path(it->input_path).filename(), "a.pdf");
  EXPECT_EQ(it->rec_texts.size(), 1u);
  // The directory was listed, but b.pdf has not been read yet: removing it now makes its step fail.
  fs::remove(dir / "b.pdf");
  ++it;
  ASSERT_NE(it, range->end());
  EXPECT_EQ(fs::path(it->input_path).filename(), "b.pdf");
  EXPECT_FALSE(it->error.ok());
  ++it;
  EXPECT_EQ(it, range->end());
  fs::remove_all(dir);
}

OcrResult HandMadeResult() {
  OcrResult r;
  r.input_path = "/data/scan.v2.pdf";
  r.page_index = 2;
  r.dt_polys = {OcrPoly{{{1, 2}, {30, 2}, {30, 12}, {1, 12}}}};
  r.dt_scores = {0.5f};
  r.textline_orientation_angles = {180};
  r.rec_texts = {"价格 12.50"};
  r.rec_scores = {0.75f};
  r.rec_polys = r.dt_polys;
  r.rec_boxes = {{1, 2, 30, 12}};
  r.text_det_params = {64, "min", 0.3, 4000, 0.6, 1.5};
  return r;
}

TEST(OcrJsonTest, PaddleXFieldsAndRawUtf8) {
  std::string text = ToJson(HandMadeResult());
  EXPECT_NE(text.find("价格 12.50"), std::string::npos) << "UTF-8 must not be escaped: " << text;
  EXPECT_EQ(text.find('\n'), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(text);
  const nlohmann::json& res = j.at("res");
  EXPECT_EQ(res.at("input_path"), "/data/scan.v2.pdf");
  EXPECT_EQ(res.at("page_index"), 2);
  EXPECT_EQ(res.at("dt_polys"), nlohmann::json::parse("[[[1,2],[30,2],[30,12],[1,12]]]"));
  EXPECT_EQ(res.at("rec_boxes"), nlohmann::json::parse("[[1,2,30,12]]"));
  EXPECT_EQ(res.at("textline_orientation_angles"), nlohmann::json::parse("[180]"));
  EXPECT_EQ(res.at("text_type"), "general");
  // As PaddleX: no doc_preprocessor_res unless the document preprocessor ran.
  EXPECT_FALSE(res.contains("doc_preprocessor_res"));
  EXPECT_EQ(res.at("model_settings").at("use_doc_preprocessor"), false);
  EXPECT_EQ(res.at("text_det_params").at("limit_type"), "min");
  EXPECT_EQ(res.at("text_det_params").at("max_side_limit"), 4000);
  EXPECT_DOUBLE_EQ(res.at("rec_scores")[0].get<double>(), 0.75);
  EXPECT_FALSE(res.contains("error"));

  OcrResult failed;
  failed.input_path = "x.jpg";
  failed.error = Status::DataLoss("x.jpg: truncated");
  nlohmann::json f = nlohmann::json::parse(ToJson(failed));
  EXPECT_TRUE(f.at("res").at("page_index").is_null());
  EXPECT_EQ(f.at("res").at("error"), "DATA_LOSS: x.jpg: truncated");
  EXPECT_FALSE(f.at("res").contains("rec_texts"));
}

TEST(OcrJsonTest, SaveJsonNamesFilesByStemAndPage) {
  fs::path dir = fs::temp_directory_path() / ("plateau_ocr_json_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  OcrResult r = HandMadeResult();
  ASSERT_TRUE(SaveJson(r, dir.string()).ok());
  r.input_path = "receipt.jpg";
  r.page_index = -1;
  ASSERT_TRUE(SaveJson(r, dir.string()).ok());
  EXPECT_TRUE(fs::exists(dir / "scan.v2_2_res.json"));
  EXPECT_TRUE(fs::exists(dir / "receipt_res.json"));
  std::ifstream in(dir / "receipt_res.json");
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("res").at("rec_texts")[0], "价格 12.50");
  fs::remove_all(dir);
}

TEST(OcrPipelineTest, UprightReceiptKeepsItsLinesUpright) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  // Receipt 000 at the defaults: the per-line argmax rule turned three of its lines ("9.00" read
  // "C00'6").
  auto results = RunAll({OcrInput::Path(testing::SroieReceipt(0))});
  ASSERT_EQ(results.size(), 1u);
  ExpectConsistent(results[0]);
  for (size_t i = 0; i < results[0].textline_orientation_angles.size(); ++i) {
    EXPECT_EQ(results[0].textline_orientation_angles[i], 0) << "line " << i;
  }
  const std::vector<std::string>& texts = results[0].rec_texts;
  EXPECT_GE(std::count(texts.begin(), texts.end(), "9.00"), 3) << "the label has 9.00 three times";
}

TEST(OcrPipelineTest, UpsideDownReceiptHasItsLinesTurnedBack) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  cv::Mat receipt = cv::imread(testing::SroieReceipt(1), cv::IMREAD_COLOR);
  ASSERT_FALSE(receipt.empty());
  cv::rotate(receipt, receipt, cv::ROTATE_180);
  auto results = RunAll({OcrInput::Image(receipt, "001-upside-down")});
  ASSERT_EQ(results.size(), 1u);
  ExpectConsistent(results[0]);
  const std::vector<int>& angles = results[0].textline_orientation_angles;
  ASSERT_GE(angles.size(), 20u);
  const double turned = static_cast<double>(std::count(angles.begin(), angles.end(), 180)) / angles.size();
  EXPECT_GE(turned, 0.97) << angles.size() << " lines";
}

TEST(OcrPipelineTest, UpsideDownLineAloneIsTurned) {
  SKIP_WITHOUT_MODELS();
  const std::string path = PLATEAU_SOURCE_DIR "/../shared/eval/rapidocr/text_cls.jpg";
  if (!fs::exists(path)) GTEST_SKIP() << path << " missing";
  auto results = RunAll({OcrInput::Path(path)});
  ASSERT_EQ(results.size(), 1u);
  ExpectConsistent(results[0]);
  ASSERT_EQ(results[0].textline_orientation_angles.size(), 1u);
  EXPECT_EQ(results[0].textline_orientation_angles[0], 180);
}

TEST(OcrPipelineTest, TimingReportsEachStageWhenAsked) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  auto plain = RunAll({OcrInput::Path(testing::SroieReceipt(2))});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_FALSE(plain[0].stage_times.has_value());
  EXPECT_EQ(ToJson(plain[0]).find("stage_times_ms"), std::string::npos);

  OcrOverrides timed;
  timed.timing = true;
  auto results = RunAll({OcrInput::Path(testing::SroieReceipt(2))}, timed);
  ASSERT_EQ(results.size(), 1u);
  ExpectConsistent(results[0]);
  ASSERT_TRUE(results[0].stage_times.has_value());
  const OcrStageTimes& t = *results[0].stage_times;
  for (double stage : {t.decode, t.detection, t.crop, t.textline_orientation, t.recognition}) {
    EXPECT_GT(stage, 0.0);
  }
  EXPECT_EQ(t.doc_orientation, 0.0) << "document orientation is off";
  EXPECT_GE(t.total + 1e-6, t.decode + t.detection + t.crop + t.textline_orientation + t.recognition);
  const auto json = nlohmann::json::parse(ToJson(results[0]));
  ASSERT_TRUE(json["res"].contains("stage_times_ms"));
  EXPECT_DOUBLE_EQ(json["res"]["stage_times_ms"]["recognition"].get<double>(), t.recognition);
}

}  // namespace
}  // namespace plateau
