// Allocation failure injection (tests/test_allocator.h): the n-th aligned allocation (tensors, arenas,
// packed weights) the pipeline makes on the calling thread fails, at points spread over a whole run; each
// gives an error result, not a crash, and the next request reads the page as before.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "plateau/ocr.h"
#include "tests/test_allocator.h"

namespace plateau {
namespace {

namespace fs = std::filesystem;

const std::string kModels = PLATEAU_SOURCE_DIR "/models";
const std::string kReceipt = PLATEAU_SOURCE_DIR "/../shared/eval/sroie/img/000.jpg";

// The top of a receipt (463 x 192, five text lines): small, so that each run is quick.
cv::Mat SmallPage() {
  cv::Mat page = cv::imread(kReceipt);
  if (page.empty()) return page;
  return page(cv::Rect(0, 0, page.cols, 192)).clone();
}

// Processes `page` with the injection armed only while the pipeline works (fail_at > 0: that allocation
// fails); `count` receives the aligned allocations the calling thread made meanwhile. The test's own
// allocations happen outside.
OcrResult RunPage(OcrPipeline& pipeline, const cv::Mat& page, long fail_at = 0, long* count = nullptr,
                  bool* hit = nullptr) {
  std::vector<OcrInput> inputs;
  inputs.push_back(OcrInput::Image(page, "top"));
  OcrResult result;
  result.error = Status::Internal("no result");
  const long before = plateau::testing::AlignedAllocationCountOnThisThread();
  plateau::testing::FailNthAlignedAllocationOnThisThread(fail_at);
  StatusOr<OcrRange> range = pipeline.Predict(std::move(inputs));
  const OcrResult* first = nullptr;
  if (range.ok()) {
    auto it = range->begin();
    if (it != range->end()) first = &*it;
  }
  const bool failed_one = plateau::testing::InjectedFailureHappened();
  plateau::testing::FailNthAlignedAllocationOnThisThread(0);
  if (count != nullptr) *count = plateau::testing::AlignedAllocationCountOnThisThread() - before;
  if (hit != nullptr) *hit = failed_one;
  if (!range.ok()) {
    result.error = range.status();
  } else if (first != nullptr) {
    result = *first;
  }
  return result;
}

TEST(AllocationFailureTest, TheNthAllocationFailingGivesAnErrorAndTheNextRequestWorks) {
  const cv::Mat page = SmallPage();
  if (page.empty() || !fs::exists(kModels + "/ch_PP-OCRv4_rec_infer.onnx")) {
    GTEST_SKIP() << "models or ../shared/eval missing";
  }
  OcrOptions options;
  options.model_dir = kModels;
  auto created = OcrPipeline::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  OcrPipeline& pipeline = **created;

  // Reference reading, and how many allocations a run makes on this thread (with the plans dropped so
  // that the counted run plans again: the most allocating path).
  const OcrResult reference = RunPage(pipeline, page);
  ASSERT_TRUE(reference.error.ok()) << reference.error.ToString();
  ASSERT_GE(reference.rec_texts.size(), 3u);
  pipeline.Trim();
  long total = 0;
  RunPage(pipeline, page, 0, &total);
  ASSERT_GT(total, 20);
  std::printf("one run (planning included) makes %ld aligned allocations on the calling thread\n", total);

  // Fail allocations spread over the whole run, each time with the plans dropped first.
  int errors = 0;
  const int kPoints = 12;
  for (int k = 0; k < kPoints; ++k) {
    const long nth = 1 + total * k / kPoints;
    pipeline.Trim();
    bool hit = false;
    const OcrResult failed = RunPage(pipeline, page, nth, nullptr, &hit);
    if (hit && !failed.error.ok()) {
      ++errors;
      EXPECT_EQ(failed.error.code(), StatusCode::kResourceExhausted) << failed.error.ToString();
    }
    // The next request reads the same text as before.
    const OcrResult again = RunPage(pipeline, page);
    ASSERT_TRUE(again.error.ok()) << "after failing allocation " << nth << ": " << again.error.ToString();
    EXPECT_EQ(again.rec_texts, reference.rec_texts) << "after failing allocation " << nth;
  }
  // Most injected failures surface as an error result (a few may hit an allocation whose failure is
  // absorbed, e.g. a nothrow one).
  EXPECT_GE(errors, kPoints / 2);
}

}  // namespace
}  // namespace plateau
