// The server's counters, rendered in the Prometheus text exposition format (version 0.0.4) for
// GET /metrics. Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace plateau::server {

// Values read at scrape time.
struct MetricsSnapshot {
  size_t queue_depth = 0;  // accepted requests waiting for a worker
  size_t busy_workers = 0;
  size_t workers = 0;
  size_t rss_bytes = 0;  // operating system's figure for the whole process
  size_t peak_rss_bytes = 0;
  size_t memory_limit_bytes = 0;   // ServerOptions::memory_limit; 0: none
  bool have_engine_stats = false;  // the fields below are meaningful
  size_t arena_bytes = 0;          // activation memory held by all workers' sessions
  size_t plans_cached = 0;         // execution plans cached by all workers' sessions
};

class ServerMetrics {
 public:
  // One response sent (any path), by HTTP status.
  void CountResponse(int status);
  // Time from the start of an /ocr request to its response being ready.
  void ObserveOcrSeconds(double seconds);
  // Requests refused because the queue was full (also counted as 503 responses).
  void CountRejected();
  // Requests whose client went away before the body was read.
  void CountDropped();
  // Pages the pipeline refused because they would not fit under the memory limit (also counted as
  // 503 or 422 responses).
  void CountMemoryRefused();

  std::string Render(const MetricsSnapshot& snapshot) const;

  // Upper bounds of the latency histogram, in seconds (+Inf is implied).
  static constexpr std::array<double, 12> kBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,    2.5,   5,    10,  30,   60};

 private:
  mutable std::mutex mu_;
  std::map<int, uint64_t> responses_;
  std::array<uint64_t, kBuckets.size() + 1> bucket_counts_{};
  double latency_sum_ = 0;
  uint64_t latency_count_ = 0;
  uint64_t rejected_ = 0;
  uint64_t dropped_ = 0;
  uint64_t memory_refused_ = 0;
};

}  // namespace plateau::server
