#include <nlohmann/json.hpp>

#include "plateau/memory.h"

namespace plateau {

size_t MemoryStats::weights_bytes() const {
  size_t total = 0;
  for (const ModelMemoryStats& m : models) total += m.weights_bytes;
  return total;
}

size_t MemoryStats::arena_bytes() const {
  size_t total = shared_arena_bytes;
  for (const ModelMemoryStats& m : models) total += m.arena_bytes;
  return total;
}

std::string ToJson(const MemoryStats& stats, int indent) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const ModelMemoryStats& m : stats.models) {
    models.push_back({{"name", m.name},
                      {"model_path", m.model_path},
                      {"weights_bytes", m.weights_bytes},
                      {"arena_bytes", m.arena_bytes},
                      {"plans_cached", m.plans_cached},
                      {"plan_cache_capacity", m.plan_cache_capacity},
                      {"plan_hits", m.plan_hits},
                      {"plan_misses", m.plan_misses},
                      {"plan_evictions", m.plan_evictions}});
  }
  nlohmann::ordered_json out = {{"rss_bytes", stats.rss_bytes},
                                {"peak_rss_bytes", stats.peak_rss_bytes},
                                {"ceiling_bytes", stats.ceiling_bytes},
                                {"workers", stats.workers},
                                {"weights_bytes", stats.weights_bytes()},
                                {"arena_bytes", stats.arena_bytes()},
                                {"shared_arena_bytes", stats.shared_arena_bytes},
                                {"models", std::move(models)}};
  return out.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string ToJson(const MemoryCeiling& c, int indent) {
  const nlohmann::ordered_json out = {{"ceiling_bytes", c.ceiling_bytes},
                                      {"resident_bytes", c.resident_bytes},
                                      {"page_side", c.page_side},
                                      {"page_bytes", c.page_bytes},
                                      {"pages_in_flight", c.pages_in_flight},
                                      {"results_waiting", c.results_waiting},
                                      {"result_bytes", c.result_bytes}};
  return out.dump(indent);
}

}  // namespace plateau
