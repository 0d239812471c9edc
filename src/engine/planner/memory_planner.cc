#include "engine/planner/memory_planner.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace plateau::planner {
namespace {

size_t AlignUp(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

bool LifetimesOverlap(const UsageRecord& a, const UsageRecord& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

size_t PlanMemory(std::vector<UsageRecord>& records) {
  std::vector<size_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first: big buffers shape the arena, small ones fill the gaps they leave. Ties by earlier
  // first use, then index, so the result is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (records[a].size != records[b].size) return records[a].size > records[b].size;
    return records[a].first_step < records[b].first_step;
  });

  std::vector<size_t> placed;
  size_t arena = 0;
  struct Span {
    size_t begin, end;
  };
  std::vector<Span> busy;
  for (size_t idx : order) {
    UsageRecord& r = records[idx];
    if (r.size == 0) {
      r.offset = 0;
      continue;
    }
    size_t need = AlignUp(r.size);
    busy.clear();
    for (size_t p : placed) {
      const UsageRecord& o = records[p];
      if (LifetimesOverlap(o, r)) busy.push_back({o.offset, o.offset + AlignUp(o.size)});
    }
    std::sort(busy.begin(), busy.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    // Scan the gaps between busy spans for the smallest one that fits.
    size_t best_offset = 0;
    size_t best_gap = SIZE_MAX;
    size_t cursor = 0;
    for (const Span& s : busy) {
      if (s.begin > cursor) {
        size_t gap = s.begin - cursor;
        if (gap >= need && gap < best_gap) {
          best_gap = gap;
          best_offset = cursor;
        }
      }
      cursor = std::max(cursor, s.end);
    }
    if (best_gap == SIZE_MAX) best_offset = cursor;
    r.offset = best_offset;
    arena = std::max(arena, best_offset + need);
    placed.push_back(idx);
  }
  return arena;
}

std::string FindOverlap(const std::vector<UsageRecord>& records) {
  for (size_t i = 0; i < records.size(); ++i) {
    for (size_t j = i + 1; j < records.size(); ++j) {
      const UsageRecord& a = records[i];
      const UsageRecord& b = records[j];
      if (a.size == 0 || b.size == 0 || !LifetimesOverlap(a, b)) continue;
      bool bytes_overlap = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
      if (bytes_overlap) {
        return "records " + std::to_string(i) + " [" + std::to_string(a.offset) + ", +" +
               std::to_string(a.size) + ") and " + std::to_string(j) + " [" + std::to_string(b.offset) +
               ", +" + std::to_string(b.size) + ") overlap";
      }
    }
  }
  return "";
}

}  // namespace plateau::planner
