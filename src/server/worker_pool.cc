#include "server/worker_pool.h"

namespace plateau::server {

WorkerPool::WorkerPool(std::vector<std::unique_ptr<OcrPipeline>> pipelines, size_t queue_capacity,
                       std::chrono::milliseconds idle_after, std::function<void(OcrPipeline&)> on_idle)
    : pipelines_(std::move(pipelines)),
      capacity_(queue_capacity),
      idle_after_(idle_after),
      on_idle_(std::move(on_idle)) {
  idle_workers_ = pipelines_.size();
  for (auto& p : pipelines_) threads_.emplace_back([this, pipeline = p.get()] { Run(*pipeline); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TrySubmit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    // Jobs up to the number of idle workers start at once; beyond them, at most capacity_ wait.
    if (jobs_.size() >= capacity_ + idle_workers_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_;
}

size_t WorkerPool::TrimIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!on_idle_ || idle_workers_ == 0) return 0;
  const size_t asked = idle_workers_;
  ++trim_generation_;
  trim_answers_ = 0;
  trims_done_ = 0;
  cv_.notify_all();
  trim_cv_.wait_for(lock, timeout, [&] { return trim_answers_ >= asked; });
  return trims_done_;
}

void WorkerPool::Run(OcrPipeline& pipeline) {
  bool worked_since_idle = false;
  uint64_t trim_seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  // Hands memory back outside the lock, so that jobs can still be queued, counted as busy meanwhile.
  auto trim = [&] {
    --idle_workers_;
    ++busy_;
    lock.unlock();
    on_idle_(pipeline);
    lock.lock();
    --busy_;
    ++idle_workers_;
    worked_since_idle = false;
  };
  for (;;) {
    auto ready = [&] { return stopping_ || !jobs_.empty() || trim_seen != trim_generation_; };
    if (worked_since_idle && idle_after_.count() > 0 && on_idle_) {
      if (!cv_.wait_for(lock, idle_after_, ready)) {
        trim();  // idle long enough: once
        continue;
      }
    } else {
      cv_.wait(lock, ready);
    }
    if (trim_seen != trim_generation_) {
      // Asked by TrimIdle: trim unless there is a job to run (which then uses the memory anyway).
      trim_seen = trim_generation_;
      if (jobs_.empty() && !stopping_) {
        trim();
        ++trims_done_;
      }
      ++trim_answers_;
      trim_cv_.notify_all();
      continue;
    }
    if (jobs_.empty()) return;  // stopping, nothing left to run
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    --idle_workers_;
    ++busy_;
    lock.unlock();
    job(pipeline);
    job = nullptr;  // release what the job captured before reporting the worker free
    lock.lock();
    --busy_;
    ++idle_workers_;
    worked_since_idle = true;
    // A TrimIdle asked while this worker was busy was not waiting for it.
    trim_seen = trim_generation_;
  }
}

}  // namespace plateau::server
