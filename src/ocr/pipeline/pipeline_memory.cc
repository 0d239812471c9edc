// The memory side of OcrPipeline: statistics, trimming (docs/MEMORY.md).
#include <malloc.h>

#include "common/process_memory.h"
#include "ocr/pipeline/stages.h"
#include "plateau/ocr.h"

namespace plateau {
namespace {

ModelMemoryStats StatsOf(const char* name, const Session& session) {
  ModelMemoryStats m;
  m.name = name;
  m.model_path = session.model().path();
  m.weights_bytes = session.model().weights_bytes();
  const SessionStats s = session.stats();
  m.arena_bytes = s.arena_bytes;
  m.plans_cached = s.plans_cached;
  m.plan_cache_capacity = s.plan_cache_capacity;
  m.plan_hits = s.plan_hits;
  m.plan_misses = s.plan_misses;
  m.plan_evictions = s.plan_evictions;
  return m;
}

}  // namespace

MemoryStats OcrPipeline::memory_stats() const {
  MemoryStats stats;
  const ProcessMemory os = ReadProcessMemory();
  stats.rss_bytes = os.rss_bytes;
  stats.peak_rss_bytes = os.peak_rss_bytes;
  stats.models.push_back(StatsOf("det", stages_->det->session()));
  stats.models.push_back(StatsOf("cls", stages_->cls->session()));
  stats.models.push_back(StatsOf("rec", stages_->rec->session()));
  if (stages_->doc) stats.models.push_back(StatsOf("doc", stages_->doc->session()));
  return stats;
}

void OcrPipeline::Trim() {
  stages_->det->session().Trim();
  stages_->cls->session().Trim();
  stages_->rec->session().Trim();
  if (stages_->doc) stages_->doc->session().Trim();
  ReleaseCachedPrimitives();
  // Freed arenas above the mmap threshold are already gone; plans are many small blocks whose pages
  // glibc keeps until asked.
  malloc_trim(0);
  stages_->trimmed_since_use = true;
}

bool OcrPipeline::TrimIfIdle(std::chrono::steady_clock::time_point now) {
  if (options_.idle_trim_seconds <= 0 || stages_->trimmed_since_use) return false;
  if (now - stages_->last_use < std::chrono::seconds(options_.idle_trim_seconds)) return false;
  Trim();
  return true;
}

}  // namespace plateau
