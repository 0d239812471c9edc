// Runs a sequence of tasks on several threads and hands their results out one by one in the sequence's
// order, holding a bounded number of results at once: what OcrPipeline::PredictParallel is made of.
//
//   OrderedWorkers<int> run(2, 4, [&]() -> std::optional<OrderedWorkers<int>::Task> {
//     if (next == end) return std::nullopt;
//     return [item = *next++](size_t worker) { return Work(item, worker); };
//   });
//   while (std::optional<int> r = run.Next()) Print(*r);  // in the order the source gave the tasks
//
// Contract:
// - The source is called under the object's lock, by one thread at a time, in sequence order: it is
//   where the order is decided and may keep state without a lock of its own. nullopt ends the sequence
//   (it is not called again).
// - A task runs on the worker thread that took it, with that worker's index (0 .. workers-1), so that
//   each worker can use things of its own (an OcrPipeline's sessions). A task must not throw.
// - Bound: at most `window` results exist at once, counting the tasks running, the results finished and
//   waiting for their turn, and the one Next last returned (the caller's, until the next Next). A worker
//   takes a task only while fewer are held; the oldest is always within the window, so the order never
//   waits on a task that cannot start.
// - Lazy: the threads start at the first Next. The destructor takes no new task, lets the running ones
//   finish and joins the threads; results not yet handed out are dropped.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/check.h"

namespace plateau::ocr {

template <typename Result>
class OrderedWorkers {
 public:
  using Task = std::function<Result(size_t worker)>;
  using Source = std::function<std::optional<Task>()>;

  // workers >= 1, window >= 1.
  OrderedWorkers(size_t workers, size_t window, Source source)
      : workers_(workers), window_(window), source_(std::move(source)) {
    PLATEAU_CHECK(workers >= 1 && window >= 1);
  }
  ~OrderedWorkers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  OrderedWorkers(const OrderedWorkers&) = delete;
  OrderedWorkers& operator=(const OrderedWorkers&) = delete;

  // The next result in sequence order, waiting for it if it is still being made; nullopt once every
  // task's result has been handed out. The result handed out before this one stops counting now.
  std::optional<Result> Next() {
    std::unique_lock<std::mutex> lock(mu_);
    if (threads_.empty()) {
      for (size_t w = 0; w < workers_; ++w) threads_.emplace_back([this, w] { Run(w); });
    }
    if (caller_holds_) {
      slots_.pop_front();
      ++released_;
      caller_holds_ = false;
      cv_.notify_all();  // a place in the window is free
    }
    cv_.wait(lock, [&] {
      return (!slots_.empty() && slots_.front().has_value()) || (exhausted_ && slots_.empty());
    });
    if (slots_.empty()) return std::nullopt;
    caller_holds_ = true;
    std::optional<Result> out = std::move(slots_.front());
    slots_.front().reset();
    return out;
  }

  // The most results held at once so far (for tests of the bound).
  size_t max_held() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_held_;
  }

 private:
  void Run(size_t worker) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || exhausted_ || slots_.size() < window_; });
      if (stopping_ || exhausted_) return;
      std::optional<Task> task = source_();
      if (!task) {
        exhausted_ = true;
        cv_.notify_all();
        return;
      }
      // The slot is taken now, in sequence order; its place from the front is fixed until the caller
      // releases the results before it, so it is found again by counting releases.
      slots_.emplace_back();
      const size_t seq = released_ + slots_.size() - 1;
      if (slots_.size() > max_held_) max_held_ = slots_.size();
      lock.unlock();
      Result result = (*task)(worker);
      task.reset();  // what the task captured goes before the result is published
      lock.lock();
      slots_[seq - released_] = std::move(result);
      cv_.notify_all();
    }
  }

  const size_t workers_;
  const size_t window_;
  const Source source_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // One per result held, in sequence order: empty while its task runs (or once handed out, for the
  // caller's one at the front). The front is result number released_.
  std::deque<std::optional<Result>> slots_;
  size_t released_ = 0;
  bool caller_holds_ = false;  // the front slot is the result Next last returned
  bool exhausted_ = false;     // the source said the sequence ended
  bool stopping_ = false;
  size_t max_held_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace plateau::ocr
