#include "server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>

#include "ocr/pipeline/pipeline_test_support.h"

namespace plateau::server {
namespace {

using ::plateau::testing::kModels;

// Two workers (a pipeline and its fork); `on_idle` records which pipelines it was called with.
struct Pool {
  std::mutex mu;
  std::multiset<const OcrPipeline*> trimmed;
  std::unique_ptr<WorkerPool> pool;

  Pool() {
    OcrOptions options;
    options.model_dir = kModels;
    options.threads = 1;
    auto first = OcrPipeline::Create(options);
    EXPECT_TRUE(first.ok()) << first.status().ToString();
    if (!first.ok()) return;
    auto second = (*first)->Fork();
    EXPECT_TRUE(second.ok()) << second.status().ToString();
    if (!second.ok()) return;
    std::vector<std::unique_ptr<OcrPipeline>> pipelines;
    pipelines.push_back(std::move(first).value());
    pipelines.push_back(std::move(second).value());
    pool = std::make_unique<WorkerPool>(std::move(pipelines), 2, std::chrono::milliseconds(0),
                                        [this](OcrPipeline& p) {
                                          std::lock_guard<std::mutex> lock(mu);
                                          trimmed.insert(&p);
                                        });
  }
  size_t trims() {
    std::lock_guard<std::mutex> lock(mu);
    return trimmed.size();
  }
};

TEST(WorkerPoolTest, TrimIdleAsksTheIdleWorkersOnly) {
  SKIP_WITHOUT_MODELS();
  Pool p;
  ASSERT_NE(p.pool, nullptr);
  // Both idle: both trim, once each, before TrimIdle returns.
  EXPECT_EQ(p.pool->TrimIdle(std::chrono::seconds(10)), 2u);
  EXPECT_EQ(p.trims(), 2u);
  EXPECT_EQ(p.trimmed.size(), std::set<const OcrPipeline*>(p.trimmed.begin(), p.trimmed.end()).size());

  // One busy (held by a job until released): only the other trims, and TrimIdle does not wait for the
  // busy one.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<const OcrPipeline*> started;
  ASSERT_TRUE(p.pool->TrySubmit([&](OcrPipeline& pipeline) {
    started.set_value(&pipeline);
    released.wait();
  }));
  const OcrPipeline* busy = started.get_future().get();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(p.pool->TrimIdle(std::chrono::seconds(10)), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(p.trims(), 3u);
  EXPECT_EQ(p.trimmed.count(busy), 1u) << "the busy worker was asked";
  release.set_value();

  // The busy worker, once done, does not trim for a request made while it ran.
  std::promise<void> done;
  ASSERT_TRUE(p.pool->TrySubmit([&](OcrPipeline&) { done.set_value(); }));
  done.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(p.trims(), 3u);
  p.pool->Shutdown();
}

}  // namespace
}  // namespace plateau::server
