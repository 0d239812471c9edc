#include "worker/ocr_worker.h"

#include <gtest/gtest.h>

#include <map>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "ocr/pipeline/pipeline_test_support.h"
#include "server/base64.h"
#include "worker/test_redis.h"

namespace plateau::worker {
namespace {

using ::plateau::testing::kModels;
using ::plateau::testing::kSroie;

std::string Png(const cv::Mat& image) {
  std::vector<uchar> bytes;
  cv::imencode(".png", image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

// Bad jobs of every kind around one good one: each bad job ends in the dead letters with an error naming
// what was wrong, the worker goes on, and the good job's result is the pipeline's own.
TEST(OcrWorkerTest, BadJobsAreDeadLetteredWithTheirErrorAndTheWorkerGoesOn) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  const QueueKeys keys("t");
  const cv::Mat receipt = cv::imread(kSroie + "/img/000.jpg");
  const std::string top = Png(receipt(cv::Rect(0, 0, receipt.cols, 240)).clone());
  const std::string receipt_path = kSroie + "/img/000.jpg";
  const std::vector<JobSpec> jobs = {
      {"malformed", "malformed", "{\"path\": "},
      {"range", receipt_path, "{\"path\": \"" + receipt_path + "\", \"textDetThresh\": 5}"},
      {"type", receipt_path, "{\"path\": \"" + receipt_path + "\", \"textDetThresh\": \"high\"}"},
      {"directory", kSroie, "{\"path\": \"" + kSroie + "/img\"}"},
      {"corrupt", "corrupt.png", "{\"file\": \"" + server::Base64Encode("not an image at all") + "\"}"},
      {"good", "top.png", "{\"file\": \"" + server::Base64Encode(top) + "\"}"},
  };
  for (const JobSpec& job : jobs) ASSERT_TRUE(SubmitJob(redis, keys, job).ok()) << job.id;

  WorkerOptions options;
  options.redis = server.Options().address;
  options.queue = "t";
  options.max_attempts = 2;
  options.block = std::chrono::milliseconds(100);
  options.visibility_timeout = std::chrono::milliseconds(5000);
  options.stats_interval = std::chrono::milliseconds(0);
  options.ocr.model_dir = kModels;
  options.ocr.threads = 1;
  auto worker = OcrWorker::Create(options);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  (*worker)->Start();
  QueueCounts counts;
  for (int i = 0; i < 1200; ++i) {
    auto c = CountQueue(redis, keys);
    ASSERT_TRUE(c.ok());
    counts = *c;
    if (counts.results + counts.dead == static_cast<long long>(jobs.size())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*worker)->Stop();
  EXPECT_EQ(counts.results, 1);
  EXPECT_EQ(counts.dead, 5);
  EXPECT_EQ(counts.waiting, 0);
  EXPECT_EQ(counts.pending, 0);
  const WorkerStats stats = (*worker)->stats();
  EXPECT_EQ(stats.jobs_done, 1u);
  EXPECT_EQ(stats.jobs_dead, 5u);
  EXPECT_EQ(stats.jobs_failed, 1u);  // the corrupt image's first run; its second is the last allowed

  auto letters = ReadStream(redis, keys.dead, "0", 10, std::chrono::milliseconds(0));
  ASSERT_TRUE(letters.ok());
  std::map<std::string, StreamEntry> dead;
  for (const StreamEntry& e : *letters) dead[e.Get("job")] = e;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"malformed", "request: the body is not valid JSON"},
      {"range", "text_det_thresh = 5 is out of range"},
      {"type", "textDetThresh: expected a number, got a string"},
      {"directory", "is a directory"},
      {"corrupt", "corrupt.png: not a readable image"},
  };
  for (const auto& [job, words] : expected) {
    ASSERT_TRUE(dead.count(job)) << job << " is not in the dead letters";
    EXPECT_NE(dead[job].Get("error").find(words), std::string::npos) << job << ": " << dead[job].Get("error");
  }
  // Only a job that could have succeeded is run again.
  EXPECT_EQ(dead["malformed"].Get("attempts"), "1");
  EXPECT_EQ(dead["corrupt"].Get("attempts"), "2");
  EXPECT_NE(dead["corrupt"].Get("result").find("\"error\""), std::string::npos);

  auto results = ReadStream(redis, keys.results, "0", 10, std::chrono::milliseconds(0));
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].Get("job"), "good");
  OcrOptions direct;
  direct.model_dir = kModels;
  direct.threads = 1;
  auto pipeline = OcrPipeline::Create(direct);
  ASSERT_TRUE(pipeline.ok());
  auto range = (*pipeline)->Predict({OcrInput::Bytes(top, "top.png")});
  ASSERT_TRUE(range.ok());
  std::vector<std::string> lines;
  for (const OcrResult& r : *range) lines.push_back(ToJson(r));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ((*results)[0].Get("result"), lines[0]);
  EXPECT_NE(lines[0].find("rec_texts"), std::string::npos);
}

// Drain (what SIGTERM does): the running job finishes and is answered, the next one is not taken.
TEST(OcrWorkerTest, StopFinishesTheRunningJobAndTakesNoOther) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  const QueueKeys keys("t");
  for (const char* id : {"first", "second"}) {
    const std::string path = kSroie + "/img/000.jpg";
    ASSERT_TRUE(SubmitJob(redis, keys, {id, path, "{\"path\": \"" + path + "\"}"}).ok());
  }
  WorkerOptions options;
  options.redis = server.Options().address;
  options.queue = "t";
  options.block = std::chrono::milliseconds(100);
  options.stats_interval = std::chrono::milliseconds(0);
  options.ocr.model_dir = kModels;
  options.ocr.threads = 1;
  auto worker = OcrWorker::Create(options);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  (*worker)->Start();
  bool running = false;
  for (int i = 0; i < 6000 && !running; ++i) {
    auto c = CountQueue(redis, keys);
    ASSERT_TRUE(c.ok());
    running = c->pending == 1 && c->results == 0;
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(running) << "the first job was never seen running";
  (*worker)->Stop();
  auto counts = CountQueue(redis, keys);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->results, 1);
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->waiting, 1);  // the second, untouched
  auto results = ReadStream(redis, keys.results, "0", 10, std::chrono::milliseconds(0));
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].Get("job"), "first");
}

// Back-pressure: over its memory limit (here below what the loaded models alone hold) a worker takes no
// job; the job stays in the queue for a worker with room, and Stop still returns.
TEST(OcrWorkerTest, OverItsMemoryLimitAWorkerTakesNoJob) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  const QueueKeys keys("t");
  const std::string receipt_path = kSroie + "/img/000.jpg";
  ASSERT_TRUE(SubmitJob(redis, keys, {"r", receipt_path, "{\"path\": \"" + receipt_path + "\"}"}).ok());
  WorkerOptions options;
  options.redis = server.Options().address;
  options.queue = "t";
  options.memory_limit = 16u << 20;
  options.block = std::chrono::milliseconds(100);
  options.stats_interval = std::chrono::milliseconds(0);
  options.ocr.model_dir = kModels;
  options.ocr.threads = 1;
  auto worker = OcrWorker::Create(options);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  (*worker)->Start();
  for (int i = 0; i < 100 && (*worker)->stats().memory_waits < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*worker)->Stop();
  EXPECT_GE((*worker)->stats().memory_waits, 3u);
  EXPECT_EQ((*worker)->stats().jobs_done, 0u);
  auto counts = CountQueue(redis, keys);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting, 1);
  EXPECT_EQ(counts->pending, 0);  // never taken
  EXPECT_EQ(counts->results, 0);
}

}  // namespace
}  // namespace plateau::worker
