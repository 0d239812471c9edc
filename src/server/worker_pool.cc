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

void WorkerPool::Run(OcrPipeline& pipeline) {
  bool worked_since_idle = false;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto ready = [this] { return stopping_ || !jobs_.empty(); };
    if (worked_since_idle && idle_after_.count() > 0 && on_idle_) {
      if (!cv_.wait_for(lock, idle_after_, ready)) {
        // Idle long enough: hand memory back once, outside the lock so that jobs can still be queued.
        worked_since_idle = false;
        --idle_workers_;
        ++busy_;
        lock.unlock();
        on_idle_(pipeline);
        lock.lock();
        --busy_;
        ++idle_workers_;
        continue;
      }
    } else {
      cv_.wait(lock, ready);
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
  }
}

}  // namespace plateau::server
