// A fixed set of OCR workers, each a thread owning one OcrPipeline (its own sessions; the models are
// shared), fed by a bounded queue. A job that does not fit is refused at once rather than waited for,
// which is what lets the server answer 503 instead of piling up memory and latency.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "plateau/ocr.h"

namespace plateau::server {

class WorkerPool {
 public:
  using Job = std::function<void(OcrPipeline&)>;

  // Takes one pipeline per worker (pipelines.size() >= 1 threads). `queue_capacity` jobs may wait
  // beyond the ones running (0: a job is accepted only when a worker is free). When `idle_after` is
  // positive, a worker that has run a job and then waited that long with nothing to do calls `on_idle`
  // with its pipeline once (to hand memory back), until it next runs a job.
  WorkerPool(std::vector<std::unique_ptr<OcrPipeline>> pipelines, size_t queue_capacity,
             std::chrono::milliseconds idle_after = std::chrono::milliseconds(0),
             std::function<void(OcrPipeline&)> on_idle = nullptr);
  // Shutdown().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the job, or returns false without running it when the queue is full or the pool is shutting
  // down. Thread-safe.
  bool TrySubmit(Job job);
  // Refuses new jobs, runs every job already accepted, joins the workers. Idempotent.
  void Shutdown();

  // Has every worker that is idle now call `on_idle` once (to hand its memory back) and waits, at most
  // `timeout`, until each has done so or taken a job instead. Returns how many called it. For a job that
  // needs the memory the other workers hold; call it from anywhere but on_idle.
  size_t TrimIdle(std::chrono::milliseconds timeout);

  size_t workers() const { return threads_.size(); }
  size_t queued() const;  // accepted, not yet started
  size_t busy() const;    // running now

 private:
  void Run(OcrPipeline& pipeline);

  std::vector<std::unique_ptr<OcrPipeline>> pipelines_;
  const size_t capacity_;
  const std::chrono::milliseconds idle_after_;
  const std::function<void(OcrPipeline&)> on_idle_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  size_t busy_ = 0;
  size_t idle_workers_ = 0;
  // TrimIdle's request: a new generation asks the idle workers; each answers (trimmed or not) once.
  uint64_t trim_generation_ = 0;
  size_t trim_answers_ = 0;
  size_t trims_done_ = 0;
  std::condition_variable trim_cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace plateau::server
