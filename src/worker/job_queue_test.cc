#include "worker/job_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "server/ocr_request.h"
#include "worker/redis_client.h"
#include "worker/test_redis.h"

namespace plateau::worker {
namespace {

TEST(RedisUrlTest, ReadsEveryPart) {
  auto a = ParseRedisUrl("redis://alice:s3cret@10.0.0.5:6380/2");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->password, "s3cret");
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->ToString(), "10.0.0.5:6380/2");  // no credentials in messages

  auto plain = ParseRedisUrl("cache.local");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "cache.local");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  auto password_only = ParseRedisUrl("redis://:pw@[::1]:7000");
  ASSERT_TRUE(password_only.ok()) << password_only.status().ToString();
  EXPECT_EQ(password_only->host, "::1");
  EXPECT_EQ(password_only->port, 7000);
  EXPECT_EQ(password_only->user, "");
  EXPECT_EQ(password_only->password, "pw");
}

TEST(RedisUrlTest, RefusesWhatItCannotUseNamingThePart) {
  for (const auto& [url, part] :
       std::vector<std::pair<std::string, std::string>>{{"rediss://host", "only redis://"},
                                                        {"redis://host:99999", "port"},
                                                        {"redis://host/x", "database"},
                                                        {"redis://[::1", "IPv6"},
                                                        {"redis://[]:6379", "host"}}) {
    auto a = ParseRedisUrl(url);
    ASSERT_FALSE(a.ok()) << url;
    EXPECT_NE(a.status().message().find(part), std::string::npos) << a.status().message();
  }
}

TEST(OcrJobTest, TakesAPathOrAFileButNotBoth) {
  auto by_path = server::ParseOcrJob(R"({"path": "scans/a.png", "textDetThresh": 0.4})");
  ASSERT_TRUE(by_path.ok()) << by_path.status().ToString();
  EXPECT_EQ(by_path->path, "scans/a.png");
  EXPECT_EQ(by_path->overrides.text_det_thresh, 0.4);
  auto both = server::ParseOcrJob(R"({"path": "a.png", "file": "Zm9v"})");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("both"), std::string::npos);
  auto neither = server::ParseOcrJob(R"({"textDetThresh": 0.4})");
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.status().message().find("path"), std::string::npos);
  auto bad_type = server::ParseOcrJob(R"({"path": 3})");
  ASSERT_FALSE(bad_type.ok());
  // The HTTP request keeps requiring a file.
  EXPECT_FALSE(server::ParseOcrRequest(R"({"path": "a.png"})").ok());
}

TEST(JobQueueTest, SubmittingTheSameIdTwiceAddsOneJob) {
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  QueueKeys keys("t");
  ASSERT_TRUE(EnsureQueue(redis, keys).ok());
  ASSERT_TRUE(EnsureQueue(redis, keys).ok());  // idempotent
  auto first = SubmitJob(redis, keys, {"a", "a.png", R"({"path": "a.png"})"});
  auto second = SubmitJob(redis, keys, {"a", "a.png", R"({"path": "a.png"})"});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  auto counts = CountQueue(redis, keys);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting, 1);
}

// The same job answered by two workers (the first was thought dead) gets one set of results.
TEST(JobQueueTest, AJobIsAnsweredOnce) {
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  QueueKeys keys("t");
  ASSERT_TRUE(SubmitJob(redis, keys, {"pdf", "doc.pdf", R"({"path": "doc.pdf"})"}).ok());
  auto taken = TakeJob(redis, keys, "w1", std::chrono::seconds(60), std::chrono::milliseconds(100));
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->id, "pdf");
  EXPECT_EQ((*taken)->label, "doc.pdf");
  EXPECT_FALSE((*taken)->reclaimed);
  auto done = FinishJob(redis, keys, **taken, "w1", {"{\"page\":0}", "{\"page\":1}"});
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  auto again = FinishJob(redis, keys, **taken, "w2", {"{\"page\":0}", "{\"page\":1}"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto failed_late = FailJob(redis, keys, **taken, "w3", 1, "late", true);
  ASSERT_TRUE(failed_late.ok());
  EXPECT_FALSE(*failed_late);
  auto counts = CountQueue(redis, keys);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->results, 2);  // one per page, once
  EXPECT_EQ(counts->dead, 0);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(counts->pending, 0);
  auto results = ReadStream(redis, keys.results, "0", 10, std::chrono::milliseconds(0));
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ((*results)[1].Get("page"), "1");
  EXPECT_EQ((*results)[1].Get("pages"), "2");
  EXPECT_EQ((*results)[1].Get("worker"), "w1");
}

TEST(JobQueueTest, AFailedJobGoesBackThenToTheDeadLetters) {
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  QueueKeys keys("t");
  ASSERT_TRUE(SubmitJob(redis, keys, {"bad", "bad.png", R"({"path": "bad.png"})"}).ok());
  auto first = TakeJob(redis, keys, "w1", std::chrono::seconds(60), std::chrono::milliseconds(100));
  ASSERT_TRUE(first.ok() && first->has_value());
  auto retried = FailJob(redis, keys, **first, "w1", 1, "not a readable image", false);
  ASSERT_TRUE(retried.ok() && *retried);
  auto second = TakeJob(redis, keys, "w2", std::chrono::seconds(60), std::chrono::milliseconds(100));
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->attempts, 1);
  EXPECT_EQ((*second)->error, "not a readable image");
  EXPECT_EQ((*second)->request, R"({"path": "bad.png"})");
  auto dead = FailJob(redis, keys, **second, "w2", 2, "not a readable image", true, "{\"res\":{}}");
  ASSERT_TRUE(dead.ok() && *dead);
  auto letters = ReadStream(redis, keys.dead, "0", 10, std::chrono::milliseconds(0));
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].Get("job"), "bad");
  EXPECT_EQ((*letters)[0].Get("error"), "not a readable image");
  EXPECT_EQ((*letters)[0].Get("attempts"), "2");
  EXPECT_EQ((*letters)[0].Get("result"), "{\"res\":{}}");
  auto counts = CountQueue(redis, keys);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(counts->pending, 0);
}

// A job whose worker went quiet is reclaimed after the visibility timeout, not before; touching it
// keeps it with its worker.
TEST(JobQueueTest, AQuietWorkersJobIsReclaimedAfterTheTimeout) {
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  QueueKeys keys("t");
  ASSERT_TRUE(SubmitJob(redis, keys, {"j", "j.png", R"({"path": "j.png"})"}).ok());
  const auto timeout = std::chrono::milliseconds(300);
  auto held = TakeJob(redis, keys, "dead-worker", timeout, std::chrono::milliseconds(50));
  ASSERT_TRUE(held.ok() && held->has_value());
  auto early = TakeJob(redis, keys, "w2", timeout, std::chrono::milliseconds(50));
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  std::this_thread::sleep_for(timeout + std::chrono::milliseconds(100));
  ASSERT_TRUE(TouchJobs(redis, keys, "dead-worker", {(*held)->entry_id}).ok());
  auto touched = TakeJob(redis, keys, "w2", timeout, std::chrono::milliseconds(50));
  ASSERT_TRUE(touched.ok());
  EXPECT_FALSE(touched->has_value()) << "a touched job was taken";
  std::this_thread::sleep_for(timeout + std::chrono::milliseconds(100));
  auto late = TakeJob(redis, keys, "w2", timeout, std::chrono::milliseconds(50));
  ASSERT_TRUE(late.ok() && late->has_value());
  EXPECT_TRUE((*late)->reclaimed);
  EXPECT_EQ((*late)->id, "j");
  EXPECT_EQ((*late)->deliveries, 2);
  // The quiet worker's own answer, should it come back, is then the only one written, once.
  ASSERT_TRUE(*FinishJob(redis, keys, **held, "dead-worker", {"{}"}));
  EXPECT_FALSE(*FinishJob(redis, keys, **late, "w2", {"{}"}));
}

// Redis going away and coming back with its AOF: the command waits and then succeeds, and the queue
// is as it was.
TEST(RedisClientTest, RetriesThroughARestart) {
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  QueueKeys keys("t");
  ASSERT_TRUE(SubmitJob(redis, keys, {"j", "j.png", R"({"path": "j.png"})"}).ok());
  server.Kill();
  // The client waits in another thread; this one restarts Redis (the server dies with the thread that
  // started it).
  StatusOr<QueueCounts> counts = Status::Internal("not run");
  std::thread client([&] { counts = CountQueue(redis, keys); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.Start();
  client.join();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->waiting, 1);
  EXPECT_GE(redis.reconnects(), 1u);
}

TEST(RedisClientTest, GivesUpWhenTold) {
  TestRedis nothing;  // never started: the port refuses
  RedisClient redis(nothing.Options());
  int asked = 0;
  auto r = redis.Command({"PING"}, [&] { return ++asked >= 3; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(asked, 3);
  EXPECT_NE(r.status().message().find("gave up"), std::string::npos) << r.status().message();
}

TEST(RedisClientTest, AnErrorReplyIsNotRetried) {
  SKIP_WITHOUT_REDIS();
  TestRedis server;
  server.Start();
  RedisClient redis(server.Options());
  ASSERT_TRUE(redis.Command({"SET", "k", "v"}).ok());
  auto r = redis.Command({"XLEN", "k"});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsRedisError(r.status(), "WRONGTYPE")) << r.status().message();
}

}  // namespace
}  // namespace plateau::worker
