#include "ocr/common/stage_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "ocr/cls/textline_classifier.h"
#include "ocr/det/text_detector.h"
#include "ocr/doc/doc_orientation.h"
#include "ocr/doc/test_colour_model.h"
#include "ocr/rec/rec_batch.h"
#include "ocr/rec/text_recognizer.h"

namespace plateau::ocr {
namespace {

const std::string kModelDir = PLATEAU_SOURCE_DIR "/models";

bool FileExists(const std::string& path) { return static_cast<bool>(std::ifstream(path)); }

std::shared_ptr<const Model> ColourModel() {
  auto model = Model::LoadFromBytes(testing::ColourModel(/*softmax=*/true), "colour");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

bool Mentions(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

TEST(StageSessionTest, RefusesBadOptionsNamingTheStage) {
  StageSessionOptions negative_threads;
  negative_threads.model_path = "/nonexistent/model.onnx";
  negative_threads.threads = -1;
  Status s = LoadStageModel("text detection", negative_threads).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  // Refused before the (missing) file is looked at.
  EXPECT_TRUE(Mentions(s, "text detection") && Mentions(s, "threads")) << s.ToString();

  StageSessionOptions no_plans;
  no_plans.plan_cache_capacity = 0;
  s = OpenStageSession("text recognition", ColourModel(), no_plans).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(s, "text recognition") && Mentions(s, "plan_cache_capacity")) << s.ToString();

  s = LoadStageModel("document orientation", StageSessionOptions{}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(s, "document orientation") && Mentions(s, "model_path")) << s.ToString();

  s = OpenStageSession("textline orientation", nullptr, StageSessionOptions{}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(s, "textline orientation")) << s.ToString();
}

TEST(StageSessionTest, MissingModelFileIsNamed) {
  StageSessionOptions options;
  options.model_path = "/nonexistent/model.onnx";
  const Status s = LoadStageModel("text detection", options).status();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Mentions(s, "/nonexistent/model.onnx")) << s.ToString();
}

TEST(StageSessionTest, KeepsTheLargerOfTheOptionsAndTheStagesPlans) {
  StageSessionOptions options;
  options.plan_cache_capacity = 5;
  auto few = OpenStageSession("stage", ColourModel(), options, /*min_plan_cache_capacity=*/3);
  ASSERT_TRUE(few.ok()) << few.status().ToString();
  EXPECT_EQ((*few)->stats().plan_cache_capacity, 5u);
  auto many = OpenStageSession("stage", ColourModel(), options, /*min_plan_cache_capacity=*/12);
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ((*many)->stats().plan_cache_capacity, 12u);
}

TEST(StageSessionTest, CheckSingleOutputNamesTheStageAndTheInput) {
  auto session = OpenStageSession("document orientation", ColourModel(), StageSessionOptions{});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto output = CheckSingleOutput("document orientation", **session, Shape({1, 3, 224, 224}), "page");
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_EQ(*output, Shape({1, 4}));
  auto wrong = CheckSingleOutput("document orientation", **session, Shape({1, 5, 224, 224}), "page");
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(Mentions(wrong.status(), "document orientation model colour") &&
              Mentions(wrong.status(), "1x5x224x224 page"))
      << wrong.status().ToString();
}

// What a stage's session was opened with, read back from the session.
struct Opened {
  SessionOptions options;
  size_t plan_cache_capacity = 0;
};

// One stage: how to open it from its session options, which model it needs, and how many plans its own
// schedule asks for (the session keeps at least that many).
struct StageCase {
  std::string name;
  std::string model_file;  // under models/; empty: a model built by the test
  size_t stage_plans = 0;
  std::function<StatusOr<Opened>(const StageSessionOptions&)> open;
};

template <typename Stage>
StatusOr<Opened> ReadBack(StatusOr<std::unique_ptr<Stage>> stage) {
  PLATEAU_RETURN_IF_ERROR(stage.status());
  Session& session = (*stage)->session();
  return Opened{session.options(), session.stats().plan_cache_capacity};
}

std::vector<StageCase> Stages() {
  return {
      {"det", "ch_PP-OCRv4_det_infer.onnx", DetTileShapes(DetTileOptions{}).size(),
       [](const StageSessionOptions& session) {
         TextDetectorOptions options;
         options.session = session;
         return ReadBack(TextDetector::Create(options));
       }},
      {"cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", 0,
       [](const StageSessionOptions& session) {
         TextlineClassifierOptions options;
         options.session = session;
         return ReadBack(TextlineClassifier::Create(options));
       }},
      {"rec", "ch_PP-OCRv4_rec_infer.onnx", RecScheduleShapes(kDefaultTextRecognitionBatchSize).size(),
       [](const StageSessionOptions& session) {
         TextRecognizerOptions options;
         options.session = session;
         options.dict_path = kModelDir + "/ppocr_keys_v1.txt";
         return ReadBack(TextRecognizer::Create(options));
       }},
      {"doc", "", 0,
       [](const StageSessionOptions& session) {
         DocOrientationClassifierOptions options;
         options.session = session;
         return ReadBack(DocOrientationClassifier::Create(ColourModel(), options));
       }},
  };
}

class StageOptionsTest : public ::testing::TestWithParam<StageCase> {
 protected:
  void SetUp() override {
    const std::string& file = GetParam().model_file;
    if (!file.empty() && !FileExists(kModelDir + "/" + file)) {
      GTEST_SKIP() << kModelDir << "/" << file << " missing; run `make models`";
    }
  }
  StageSessionOptions WithModel(StageSessionOptions options) const {
    if (!GetParam().model_file.empty()) options.model_path = kModelDir + "/" + GetParam().model_file;
    return options;
  }
};

TEST_P(StageOptionsTest, OptionsReachTheSession) {
  StageSessionOptions options = WithModel({});
  options.threads = 3;
  options.plan_cache_capacity = 41;  // more than any stage's own schedule needs
  options.reference_kernels = true;
  auto opened = GetParam().open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->options.threads, 3);
  EXPECT_TRUE(opened->options.reference_kernels);
  ASSERT_LT(GetParam().stage_plans, 41u);
  EXPECT_EQ(opened->plan_cache_capacity, 41u);
}

TEST_P(StageOptionsTest, DefaultsAreTheEnginesRaisedToTheStagesPlans) {
  auto opened = GetParam().open(WithModel({}));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_FALSE(opened->options.reference_kernels);
  EXPECT_GE(opened->options.threads, 1);  // 0 asked for all cores
  EXPECT_EQ(opened->plan_cache_capacity,
            std::max(SessionOptions{}.plan_cache_capacity, GetParam().stage_plans));
}

TEST_P(StageOptionsTest, BadSessionOptionsAreRefusedNamingTheStage) {
  StageSessionOptions options = WithModel({});
  options.threads = -2;
  auto opened = GetParam().open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(opened.status(), "threads is -2")) << opened.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(EveryStage, StageOptionsTest, ::testing::ValuesIn(Stages()),
                         [](const ::testing::TestParamInfo<StageCase>& info) { return info.param.name; });

}  // namespace
}  // namespace plateau::ocr
