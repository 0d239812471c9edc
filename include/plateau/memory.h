// What plateau's memory is made of, as figures a program can read and print.
//
//   plateau::MemoryStats stats = pipeline->memory_stats();
//   std::cerr << plateau::ToJson(stats) << "\n";
//   // {"rss_bytes":..., "peak_rss_bytes":..., "models":[{"name":"det", "weights_bytes":..., ...}, ...]}
//
// rss_bytes and peak_rss_bytes come from the operating system (Linux /proc/self/status: VmRSS, VmHWM) and
// cover the whole process; the per-model figures are plateau's own accounting of the memory it holds.
// See docs/MEMORY.md for what each cache holds and how it is bounded.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace plateau {

// One model and the session that runs it.
struct ModelMemoryStats {
  // The pipeline's name for the stage: "det", "cls", "rec", then "doc" when a document orientation model
  // is loaded.
  std::string name;
  std::string model_path;  // as loaded
  // Weights as loaded plus weights re-laid out for the kernels (shared by every session of the model).
  size_t weights_bytes = 0;
  // The session's own arena (activations and scratch of one run), as currently held; 0 after Trim, and 0
  // when the session runs in the pipeline's shared block (MemoryStats::shared_arena_bytes).
  size_t arena_bytes = 0;
  // Execution plans cached by the session (one per distinct input shape) and the cache's capacity.
  size_t plans_cached = 0;
  size_t plan_cache_capacity = 0;
  size_t plan_hits = 0;
  size_t plan_misses = 0;
  size_t plan_evictions = 0;
};

struct MemoryStats {
  size_t rss_bytes = 0;       // resident now (whole process, from the OS; 0 if unreadable)
  size_t peak_rss_bytes = 0;  // highest resident so far (whole process, from the OS)
  // The pipeline's memory ceiling (MemoryCeiling::ceiling_bytes) once OcrPipeline::ComputeMemoryCeiling
  // has run, else 0.
  size_t ceiling_bytes = 0;
  // Pipelines whose sessions the model figures add up (OcrPipeline::CombinedMemoryStats); 1 for one.
  int workers = 1;
  std::vector<ModelMemoryStats> models;
  // The one activation block the pipeline's stages run in, one after another (SharedArena), as currently
  // held; 0 after Trim. Summed over the pipelines of CombinedMemoryStats.
  size_t shared_arena_bytes = 0;

  size_t weights_bytes() const;  // sum over models
  size_t arena_bytes() const;    // the shared block plus the models' own arenas
};

// What processing one page is expected to add to the process (OcrPipeline::PredictMemory). Every figure is
// in bytes; see docs/MEMORY.md for how each is obtained.
struct MemoryPrediction {
  // Arena each session needs: the largest plan among the shapes the page uses.
  size_t det_arena_bytes = 0;
  size_t cls_arena_bytes = 0;
  size_t rec_arena_bytes = 0;
  // Plans (kernels, oneDNN primitives and their generated code) the page needs that were not cached:
  // the memory they took while PredictMemory built them (the larger of the heap's growth, glibc's count of
  // bytes in use, and the process's RSS growth, which also sees generated code; less the packed
  // weights).
  size_t new_plan_bytes = 0;
  size_t new_plans = 0;
  // Weights re-laid out for kernels that a new plan would create (0 once they exist).
  size_t new_packed_weights_bytes = 0;
  // Working buffers outside the sessions: decoded page, detection input and map, crops, batches.
  size_t working_bytes = 0;
  // Arena bytes the sessions would have to add to what they hold now.
  size_t new_arena_bytes = 0;
  // What the page leaves added to RSS from the state before PredictMemory: new_arena_bytes +
  // new_plan_bytes + new_packed_weights_bytes. The working buffers are freed after the page and are not
  // counted (their large blocks go back to the OS; see docs/MEMORY.md); peak_bytes has them.
  size_t total_new_bytes = 0;
  // What the page holds while it runs, cached or not: the three arenas + working buffers.
  size_t peak_bytes = 0;
  // The pipeline's memory ceiling for any page (MemoryCeiling::ceiling_bytes) once
  // OcrPipeline::ComputeMemoryCeiling has run, else 0.
  size_t ceiling_bytes = 0;
};

// The most the process holds while one pipeline reads any page, or several pipelines one page each
// (OcrPipeline::ComputeMemoryCeiling). With tiled detection the shapes the models run on are a fixed set,
// so this is a constant of the options: every plan and every arena those shapes need, built, and the
// buffers of the largest page (of each page read at once).
struct MemoryCeiling {
  // RSS with every plan built and every arena at its largest (WarmupEveryShape), from the OS: the
  // process's code, the weights, the plans and the arenas.
  size_t resident_bytes = 0;
  // The largest page: page_side x page_side decoded pixels, page_side = text_det_max_side_limit, the
  // largest page detection runs on at its own resolution. A larger decoded image is resized down to it
  // and adds 3 bytes per extra decoded pixel while it is held.
  int page_side = 0;
  // That page's buffers outside the sessions at their most: the decoded image with either detection's
  // (tile input, stitched map, bitmap) or recognition's (line crops, covering at most the page, and the
  // largest batch), plus an allowance for its small allocations (contours, boxes, texts).
  size_t page_bytes = 0;
  // Pages read at once: one per pipeline working (1 for a single pipeline).
  int pages_in_flight = 1;
  // Finished results held beside them while they wait to be handed out in order (0 for a single
  // pipeline; OcrPipeline::PredictParallel holds up to one per worker), and what each holds: its decoded
  // page (page_image), 3 x page_side^2.
  int results_waiting = 0;
  size_t result_bytes = 0;
  // resident_bytes + pages_in_flight x page_bytes + results_waiting x result_bytes
  size_t ceiling_bytes = 0;
};

// One JSON object with the fields above.
std::string ToJson(const MemoryCeiling& ceiling, int indent = -1);

// One JSON object with the fields above (models as an array); indent < 0 gives one line.
std::string ToJson(const MemoryStats& stats, int indent = -1);

}  // namespace plateau
