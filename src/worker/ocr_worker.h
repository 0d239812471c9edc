// `plateau worker`: OCR jobs from a Redis stream (job_queue.h), on any number of machines.
//
//   plateau::worker::WorkerOptions options;  // 127.0.0.1:6379, queue "plateau", 1 thread
//   PLATEAU_ASSIGN_OR_RETURN(auto worker, plateau::worker::OcrWorker::Create(options));
//   worker->Start();
//   ...                 // until SIGTERM
//   worker->Stop();     // drain: running jobs finish and are answered, nothing new is taken
//
// Each of `workers` threads owns a pipeline (OcrPipeline::Fork: one copy of the weights) and a Redis
// connection, and holds at most one job: it takes a job (a reclaimed one first), runs it, writes its
// results and acknowledges it in one step, then takes the next. A job that fails (nothing of it could
// be read) goes back to the queue with its error; after `max_attempts` failed runs, or when it cannot
// ever run (a malformed request, parameters out of range, a path that is a directory), it goes to the
// dead-letter stream with its error. A job whose holder went quiet for `visibility_timeout` is taken by
// another worker; one handed out more than `max_attempts` times without ever being answered (it keeps
// killing its workers) is dead-lettered too. While a job runs, a keeper thread renews its hold every
// third of the timeout, so a long job (a big PDF) is not taken away from a live worker.
//
// Memory: with `memory_limit`, a thread takes a job only while the process's RSS is under it (after
// handing back its own pipeline's memory if it is not), and the pipeline keeps every page under it
// (OcrOptions::memory_limit). A page refused for memory while other threads of the process are busy goes
// back to the queue without counting as a failed run; refused with nothing else running, it counts.
//
// Redis going away is waited out (RedisClient's backoff); nothing is lost: a job stays pending in Redis
// until it is answered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "plateau/ocr.h"
#include "plateau/status.h"
#include "worker/job_queue.h"
#include "worker/redis_client.h"

namespace plateau::worker {

struct WorkerOptions {
  RedisAddress redis;
  std::string queue = "plateau";  // key prefix (job_queue.h)
  std::string name;               // consumer name prefix; empty: hostname:pid
  int workers = 1;                // threads, each with its own pipeline, >= 1
  size_t memory_limit = 0;        // ceiling on the process's RSS in bytes; 0: none
  std::chrono::milliseconds visibility_timeout{60000};
  int max_attempts = 3;  // failed runs (or unanswered deliveries) before the dead-letter stream, >= 1
  std::chrono::milliseconds block{1000};  // longest wait for a job before looking again (and at Stop)
  std::chrono::milliseconds stats_interval{30000};  // 0: only at Stop
  bool warmup = false;  // OcrPipeline::WarmupEveryShape on each thread's pipeline before its first job
  OcrOptions ocr;
};

// Counters since Create.
struct WorkerStats {
  uint64_t jobs_done = 0;       // answered with results
  uint64_t pages = 0;           // results written
  uint64_t jobs_failed = 0;     // runs that failed and were put back
  uint64_t jobs_dead = 0;       // sent to the dead-letter stream by this worker
  uint64_t jobs_reclaimed = 0;  // taken over from a worker that went quiet
  uint64_t jobs_duplicate = 0;  // finished but already answered by another worker (nothing written)
  uint64_t memory_waits = 0;    // times a thread waited before taking a job because RSS was at the limit
  uint64_t redis_reconnects = 0;
  size_t rss_bytes = 0;
  size_t peak_rss_bytes = 0;
};

class OcrWorker {
 public:
  // Checks the options and loads the models (one pipeline per thread). Redis is first reached by the
  // threads, which wait for it (with backoff) and make the queue if missing. `log` gets one line per event
  // (a lost connection, a dead-lettered job, the stats line); may be empty.
  static StatusOr<std::unique_ptr<OcrWorker>> Create(const WorkerOptions& options,
                                                     std::function<void(const std::string&)> log = nullptr);
  ~OcrWorker();

  void Start();
  // Drain: nothing new is taken, running jobs finish and are answered, threads join. Answering keeps
  // retrying a lost Redis until Abort. Idempotent.
  void Stop();
  // Makes a Stop in progress give up on Redis (a second SIGTERM): jobs not answered stay pending and are
  // reclaimed by other workers.
  void Abort() { aborting_ = true; }

  WorkerStats stats() const;
  // One JSON line: {"worker": name, "jobs_done": ..., "rss_bytes": ...}.
  std::string StatsLine() const;
  const std::string& name() const { return name_; }

 private:
  OcrWorker(const WorkerOptions& options, std::function<void(const std::string&)> log);
  void RunThread(int index);
  void RunKeeper();
  void Handle(OcrPipeline& pipeline, RedisClient& redis, const TakenJob& job, const std::string& consumer);
  RedisClientOptions ClientOptions();
  void Log(const std::string& line) const;

  WorkerOptions options_;
  std::function<void(const std::string&)> log_;
  std::string name_;
  QueueKeys keys_;
  std::vector<std::unique_ptr<OcrPipeline>> pipelines_;
  std::vector<std::thread> threads_;
  std::thread keeper_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> aborting_{false};
  std::atomic<bool> keeper_stop_{false};
  std::atomic<int> busy_{0};
  std::mutex stop_mu_;
  bool stopped_ = false;
  std::mutex keeper_mu_;
  std::condition_variable keeper_cv_;

  // Entries held by this process's threads, with their consumer names, for the keeper.
  mutable std::mutex held_mu_;
  std::set<std::pair<std::string, std::string>> held_;  // (consumer, entry id)

  std::atomic<uint64_t> jobs_done_{0}, pages_{0}, jobs_failed_{0}, jobs_dead_{0}, jobs_reclaimed_{0},
      jobs_duplicate_{0}, memory_waits_{0};
  mutable std::atomic<uint64_t> reconnects_{0};
};

}  // namespace plateau::worker
