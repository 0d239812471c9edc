#include "worker/ocr_worker.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/process_memory.h"
#include "server/ocr_request.h"

namespace plateau::worker {
namespace {

Status CheckOptions(const WorkerOptions& o) {
  auto fail = [](const std::string& what) { return Status::InvalidArgument(what); };
  if (o.queue.empty()) return fail("queue: empty; expected a key prefix such as plateau");
  if (o.workers < 1 || o.workers > 256)
    return fail("workers = " + std::to_string(o.workers) + "; expected 1..256");
  if (o.max_attempts < 1) return fail("max_attempts = " + std::to_string(o.max_attempts) + "; expected >= 1");
  if (o.visibility_timeout.count() < 1000) {
    return fail("visibility_timeout = " + std::to_string(o.visibility_timeout.count()) +
                " ms; expected at least 1000 ms (jobs would be taken from live workers)");
  }
  if (o.block.count() < 1 || o.block >= o.visibility_timeout) {
    return fail("block = " + std::to_string(o.block.count()) +
                " ms; expected 1 ms .. the visibility timeout");
  }
  if (o.stats_interval.count() < 0) return fail("stats_interval must be >= 0 (0: only at the end)");
  return Status::Ok();
}

std::string DefaultName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof(host), "host");
  return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

OcrWorker::OcrWorker(const WorkerOptions& options, std::function<void(const std::string&)> log)
    : options_(options),
      log_(std::move(log)),
      name_(options.name.empty() ? DefaultName() : options.name),
      keys_(options.queue) {}

OcrWorker::~OcrWorker() { Stop(); }

void OcrWorker::Log(const std::string& line) const {
  if (log_) log_(line);
}

RedisClientOptions OcrWorker::ClientOptions() {
  RedisClientOptions o;
  o.address = options_.redis;
  // XREADGROUP blocks for options_.block; a reply later than that plus a margin means Redis is gone.
  o.io_timeout = options_.block + std::chrono::milliseconds(10000);
  o.log = [this](const std::string& line) { Log("redis: " + line); };
  o.on_reconnect = [this] { ++reconnects_; };
  return o;
}

StatusOr<std::unique_ptr<OcrWorker>> OcrWorker::Create(const WorkerOptions& options,
                                                       std::function<void(const std::string&)> log) {
  PLATEAU_RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<OcrWorker> w(new OcrWorker(options, std::move(log)));
  OcrOptions ocr = options.ocr;
  // One ceiling for the process, the same on every thread (each sees the others' memory in RSS).
  if (options.memory_limit > 0) ocr.memory_limit = options.memory_limit;
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<OcrPipeline> first, OcrPipeline::Create(ocr));
  for (int i = 1; i < options.workers; ++i) {
    PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<OcrPipeline> sibling, first->Fork());
    w->pipelines_.push_back(std::move(sibling));
  }
  w->pipelines_.insert(w->pipelines_.begin(), std::move(first));
  // Redis is not contacted here: the threads wait for it (with backoff) and make the queue when missing.
  return w;
}

void OcrWorker::Start() {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { RunThread(i); });
  keeper_ = std::thread([this] { RunKeeper(); });
}

void OcrWorker::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  {
    std::lock_guard<std::mutex> k(keeper_mu_);
    keeper_stop_ = true;
  }
  keeper_cv_.notify_all();
  if (keeper_.joinable()) keeper_.join();
}

WorkerStats OcrWorker::stats() const {
  WorkerStats s;
  s.jobs_done = jobs_done_;
  s.pages = pages_;
  s.jobs_failed = jobs_failed_;
  s.jobs_dead = jobs_dead_;
  s.jobs_reclaimed = jobs_reclaimed_;
  s.jobs_duplicate = jobs_duplicate_;
  s.memory_waits = memory_waits_;
  s.redis_reconnects = reconnects_;
  const ProcessMemory m = ReadProcessMemory();
  s.rss_bytes = m.rss_bytes;
  s.peak_rss_bytes = m.peak_rss_bytes;
  return s;
}

std::string OcrWorker::StatsLine() const {
  const WorkerStats s = stats();
  nlohmann::ordered_json j;
  j["worker"] = name_;
  j["jobs_done"] = s.jobs_done;
  j["pages"] = s.pages;
  j["jobs_failed"] = s.jobs_failed;
  j["jobs_dead"] = s.jobs_dead;
  j["jobs_reclaimed"] = s.jobs_reclaimed;
  j["jobs_duplicate"] = s.jobs_duplicate;
  j["memory_waits"] = s.memory_waits;
  j["redis_reconnects"] = s.redis_reconnects;
  j["rss_bytes"] = s.rss_bytes;
  j["peak_rss_bytes"] = s.peak_rss_bytes;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void OcrWorker::RunThread(int index) {
  OcrPipeline& pipeline = *pipelines_[index];
  RedisClient redis(ClientOptions());
  const std::string consumer = name_ + ":" + std::to_string(index);
  if (options_.warmup) {
    if (Status st = pipeline.WarmupEveryShape(); !st.ok())
      Log(consumer + ": warm-up failed: " + st.ToString());
  }
  auto stopping = [this] { return stopping_.load(); };
  while (!stopping_) {
    if (options_.memory_limit > 0 && ReadProcessMemory().rss_bytes >= options_.memory_limit) {
      // Over the ceiling: hand back this thread's own memory first; if the process is still over it,
      // the other threads hold it, and their jobs end.
      pipeline.Trim({.drop_code_pages = true});  // the worker owns its process
      if (ReadProcessMemory().rss_bytes >= options_.memory_limit) {
        ++memory_waits_;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
    }
    auto job = TakeJob(redis, keys_, consumer, options_.visibility_timeout, options_.block, stopping);
    if (!job.ok()) {
      if (stopping_) break;
      // Not a lost connection (that is retried inside): e.g. the key holds something else.
      Log(consumer + ": cannot take a job: " + job.status().ToString());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (!job->has_value()) continue;
    const TakenJob& taken = **job;
    {
      std::lock_guard<std::mutex> lock(held_mu_);
      held_.insert({consumer, taken.entry_id});
    }
    ++busy_;
    Handle(pipeline, redis, taken, consumer);
    --busy_;
    {
      std::lock_guard<std::mutex> lock(held_mu_);
      held_.erase({consumer, taken.entry_id});
    }
  }
  // Leaves the group tidy when this consumer holds nothing (one attempt: Redis may be gone).
  auto removed = RemoveIdleConsumer(redis, keys_, consumer, [] { return true; });
  (void)removed;
}

void OcrWorker::Handle(OcrPipeline& pipeline, RedisClient& redis, const TakenJob& job,
                       const std::string& consumer) {
  if (job.reclaimed) ++jobs_reclaimed_;
  const std::string where = "job " + job.id + (job.label != job.id ? " (" + job.label + ")" : "");
  // Answers are retried through any Redis outage, even while draining, until Abort.
  auto aborting = [this] { return aborting_.load(); };
  auto fail = [&](const std::string& error, bool dead, bool counts, const std::string& result = "") {
    const int attempts = job.attempts + (counts ? 1 : 0);
    dead = dead || attempts >= options_.max_attempts;
    auto answered = FailJob(redis, keys_, job, consumer, attempts, error, dead, result, aborting);
    if (!answered.ok()) {
      Log(where + ": could not be answered (it stays pending and will be reclaimed): " +
          answered.status().ToString());
      return;
    }
    if (!*answered) {
      ++jobs_duplicate_;
      return;
    }
    if (dead) {
      ++jobs_dead_;
      Log(where + ": dead-lettered after " + std::to_string(attempts) + " failed run" +
          (attempts == 1 ? "" : "s") + ": " + error);
    } else if (counts) {
      ++jobs_failed_;
    }
  };

  if (job.deliveries > options_.max_attempts) {
    return fail("handed to workers " + std::to_string(job.deliveries) +
                    " times without being answered (each stopped before finishing it: crashed, killed or "
                    "cut off from Redis for longer than the visibility timeout)" +
                    (job.error.empty() ? "" : "; last error: " + job.error),
                true, false);
  }
  auto request = server::ParseOcrJob(job.request);
  if (!request.ok()) return fail("request: " + request.status().message(), true, true);
  OcrInput input;
  if (!request->path.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(request->path, ec)) {
      return fail(
          "path: '" + request->path +
              "' is a directory; a job is one file (plateau submit makes a job per file of a directory)",
          true, true);
    }
    input = OcrInput::Path(request->path);
  } else {
    input = OcrInput::Bytes(std::move(request->file), job.label);
  }

  std::vector<std::string> lines;
  Status first_error;
  std::string error_line;
  bool memory_refused = false;
  size_t ok_pages = 0;
  try {
    auto range = pipeline.Predict({std::move(input)}, request->overrides);
    if (!range.ok()) return fail("parameters: " + range.status().message(), true, true);
    for (const OcrResult& r : *range) {
      lines.push_back(ToJson(r));
      if (r.error.ok()) {
        ++ok_pages;
        continue;
      }
      if (r.error.code() == StatusCode::kResourceExhausted) memory_refused = true;
      if (first_error.ok()) {
        first_error = r.error;
        error_line = lines.back();
      }
    }
  } catch (const std::exception& e) {
    return fail("internal error while running the pipeline: " + std::string(e.what()), false, true);
  }

  if (memory_refused) {
    // Other threads of this process hold memory that their jobs will release: the page may fit later,
    // here or elsewhere, so the run does not count. With nothing else running it never will here.
    const bool others_busy = busy_.load() > 1;
    if (others_busy) ++memory_waits_;
    return fail(first_error.ToString(), false, !others_busy, error_line);
  }
  if (ok_pages == 0) {
    if (first_error.ok()) first_error = Status::InvalidArgument(job.label + ": no page to read");
    return fail(first_error.ToString(), false, true, error_line);
  }
  auto answered = FinishJob(redis, keys_, job, consumer, lines, aborting);
  if (!answered.ok()) {
    Log(where + ": results could not be written (the job stays pending and will be reclaimed): " +
        answered.status().ToString());
    return;
  }
  if (!*answered) {
    ++jobs_duplicate_;
    return;
  }
  ++jobs_done_;
  pages_ += lines.size();
}

void OcrWorker::RunKeeper() {
  RedisClient redis(ClientOptions());
  auto done = [this] { return keeper_stop_.load(); };
  const auto touch_every = options_.visibility_timeout / 3;
  auto next_touch = std::chrono::steady_clock::now() + touch_every;
  auto next_stats = std::chrono::steady_clock::now() + options_.stats_interval;
  auto publish = [&](const std::function<bool()>& give_up) {
    const std::string line = StatsLine();
    Log(line);
    auto r = redis.Command({"HSET", keys_.stats, name_, line}, give_up);
    (void)r;
  };
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(keeper_mu_);
      keeper_cv_.wait_for(lock, std::min<std::chrono::milliseconds>(touch_every, std::chrono::seconds(1)),
                          done);
      if (keeper_stop_) break;
    }
    if (std::chrono::steady_clock::now() >= next_touch) {
      next_touch = std::chrono::steady_clock::now() + touch_every;
      std::map<std::string, std::vector<std::string>> held;
      {
        std::lock_guard<std::mutex> lock(held_mu_);
        for (const auto& [consumer, entry] : held_) held[consumer].push_back(entry);
      }
      for (const auto& [consumer, entries] : held) {
        Status st = TouchJobs(redis, keys_, consumer, entries, done);
        if (!st.ok() && !keeper_stop_)
          Log(consumer + ": could not renew its hold on its job: " + st.ToString());
      }
    }
    if (options_.stats_interval.count() > 0 && std::chrono::steady_clock::now() >= next_stats) {
      next_stats += options_.stats_interval;
      publish(done);
    }
  }
  publish([] { return true; });
}

}  // namespace plateau::worker
