#include "server/metrics.h"

#include <sstream>

namespace plateau::server {

void ServerMetrics::CountResponse(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++responses_[status];
}

void ServerMetrics::ObserveOcrSeconds(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  ++bucket_counts_[i];
  latency_sum_ += seconds;
  ++latency_count_;
}

void ServerMetrics::CountRejected() {
  std::lock_guard<std::mutex> lock(mu_);
  ++rejected_;
}

void ServerMetrics::CountDropped() {
  std::lock_guard<std::mutex> lock(mu_);
  ++dropped_;
}

void ServerMetrics::CountMemoryRefused() {
  std::lock_guard<std::mutex> lock(mu_);
  ++memory_refused_;
}

std::string ServerMetrics::Render(const MetricsSnapshot& s) const {
  std::ostringstream os;
  auto gauge = [&os](const char* name, const char* help, uint64_t value) {
    os << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n"
       << name << " " << value << "\n";
  };
  std::lock_guard<std::mutex> lock(mu_);
  os << "# HELP plateau_http_responses_total HTTP responses sent, by status code.\n"
        "# TYPE plateau_http_responses_total counter\n";
  for (const auto& [code, n] : responses_)
    os << "plateau_http_responses_total{code=\"" << code << "\"} " << n << "\n";

  os << "# HELP plateau_ocr_request_duration_seconds Time from receiving an /ocr request to its response.\n"
        "# TYPE plateau_ocr_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += bucket_counts_[i];
    os << "plateau_ocr_request_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cumulative << "\n";
  }
  cumulative += bucket_counts_[kBuckets.size()];
  os << "plateau_ocr_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
     << "plateau_ocr_request_duration_seconds_sum " << latency_sum_ << "\n"
     << "plateau_ocr_request_duration_seconds_count " << latency_count_ << "\n";

  os << "# HELP plateau_ocr_rejected_total /ocr requests refused with 503 because the queue was full.\n"
        "# TYPE plateau_ocr_rejected_total counter\nplateau_ocr_rejected_total "
     << rejected_ << "\n";
  os << "# HELP plateau_ocr_dropped_total /ocr requests whose client went away before the body arrived.\n"
        "# TYPE plateau_ocr_dropped_total counter\nplateau_ocr_dropped_total "
     << dropped_ << "\n";
  os << "# HELP plateau_ocr_memory_refused_total /ocr requests refused because a page would not fit "
        "under the memory limit.\n"
        "# TYPE plateau_ocr_memory_refused_total counter\nplateau_ocr_memory_refused_total "
     << memory_refused_ << "\n";

  gauge("plateau_queue_depth", "Accepted /ocr requests waiting for a worker.",
        static_cast<uint64_t>(s.queue_depth));
  gauge("plateau_workers_busy", "Workers running a request now.", static_cast<uint64_t>(s.busy_workers));
  gauge("plateau_workers", "Workers (each with its own sessions).", static_cast<uint64_t>(s.workers));
  gauge("plateau_process_resident_memory_bytes", "Resident set size of the process (VmRSS).",
        static_cast<uint64_t>(s.rss_bytes));
  gauge("plateau_process_peak_resident_memory_bytes", "Highest resident set size so far (VmHWM).",
        static_cast<uint64_t>(s.peak_rss_bytes));
  gauge("plateau_memory_limit_bytes", "The server's --memory_limit in bytes (0: none).",
        static_cast<uint64_t>(s.memory_limit_bytes));
  if (s.have_engine_stats) {
    gauge("plateau_arena_bytes", "Activation memory held by the workers' sessions.",
          static_cast<uint64_t>(s.arena_bytes));
    gauge("plateau_plans_cached", "Execution plans cached by the workers' sessions.",
          static_cast<uint64_t>(s.plans_cached));
  }
  return os.str();
}

}  // namespace plateau::server
