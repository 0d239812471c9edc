// The memory side of OcrPipeline: statistics, trimming (docs/MEMORY.md).
#include <malloc.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/check.h"
#include "common/process_memory.h"
#include "ocr/common/preprocess.h"
#include "ocr/det/text_detector.h"
#include "ocr/pipeline/state.h"
#include "ocr/rec/rec_batch.h"
#include "plateau/ocr.h"

namespace plateau {
namespace {

ModelMemoryStats StatsOf(const char* name, const Session& session) {
  ModelMemoryStats m;
  m.name = name;
  m.model_path = session.model().path();
  m.weights_bytes = session.model().weights_bytes();
  const SessionStats s = session.stats();
  m.arena_bytes = s.arena_shared ? 0 : s.arena_bytes;  // a shared block is counted once, by the pipeline
  m.plans_cached = s.plans_cached;
  m.plan_cache_capacity = s.plan_cache_capacity;
  m.plan_hits = s.plan_hits;
  m.plan_misses = s.plan_misses;
  m.plan_evictions = s.plan_evictions;
  return m;
}

// The input shapes one page uses in each session, and the working buffers it needs outside them.
struct PageShapes {
  Shape det;
  std::vector<Shape> cls;
  std::vector<Shape> rec;
  size_t working_bytes = 0;
  size_t det_working_bytes = 0;  // detection's part of working_bytes (DetWorkingBytes)
};

size_t FloatBytes(const Shape& s) { return static_cast<size_t>(s.num_elements()) * sizeof(float); }

// Mirrors what RunPage does with a page and its lines: detection following the detector's tile plan for
// the page (PlanDetection); orientation and recognition batches from the schedules the classifier and the
// recogniser run (rec_batch.h).
StatusOr<PageShapes> ShapesForPage(const OcrOptions& o, const OcrOverrides& v, cv::Size page,
                                   const std::vector<cv::Size>& lines, const ocr::DetTileOptions& tiles) {
  if (page.width <= 0 || page.height <= 0) {
    return Status::InvalidArgument("page size " + std::to_string(page.width) + "x" +
                                   std::to_string(page.height) + " must be positive");
  }
  ocr::DetResizeOptions resize;
  resize.limit_side_len = v.text_det_limit_side_len.value_or(o.text_det_limit_side_len);
  PLATEAU_ASSIGN_OR_RETURN(resize.limit_type,
                           ocr::ParseLimitType(v.text_det_limit_type.value_or(o.text_det_limit_type)));
  resize.max_side_limit = v.text_det_max_side_limit.value_or(o.text_det_max_side_limit);
  const bool tiled = v.text_det_tiled.value_or(o.text_det_tiled);
  PLATEAU_ASSIGN_OR_RETURN(ocr::DetTilePlan det,
                           ocr::PlanDetection(page.height, page.width, resize, tiled, tiles));
  const int rec_batch = v.text_recognition_batch_size.value_or(o.text_recognition_batch_size);
  const int cls_batch = v.textline_orientation_batch_size.value_or(o.textline_orientation_batch_size);
  if (rec_batch < 1 || cls_batch < 1) return Status::InvalidArgument("batch sizes must be at least 1");
  const bool use_cls = v.use_textline_orientation.value_or(o.use_textline_orientation);

  PageShapes shapes;
  // Every tile of the page has this one shape.
  shapes.det = Shape({1, 3, det.tile.height, det.tile.width});
  shapes.det_working_bytes = ocr::DetWorkingBytes(page.height, page.width, det);
  shapes.working_bytes = shapes.det_working_bytes;
  if (lines.empty()) {
    // Unknown lines: a full orientation batch, and the recognition shapes of the most pixels (the
    // schedule's bound), the worst case.
    if (use_cls) shapes.cls.push_back(ocr::ClsScheduleShapes(cls_batch).back());
    const std::vector<Shape> all = ocr::RecScheduleShapes(rec_batch);
    int64_t most = 0;
    for (const Shape& s : all) most = std::max(most, s[0] * s[3]);
    for (const Shape& s : all) {
      if (s[0] * s[3] == most) shapes.rec.push_back(s);
    }
  } else {
    for (cv::Size l : lines) shapes.working_bytes += static_cast<size_t>(std::max(0, l.area())) * 3;
    if (use_cls) {
      for (const ocr::LineBatch& b : ocr::ScheduleClsBatches(lines.size(), cls_batch)) {
        shapes.cls.push_back(b.shape());
      }
    }
    ocr::RecScheduleOptions schedule;
    schedule.batch_size = rec_batch;
    for (const ocr::LineBatch& b : ocr::ScheduleRecBatches(lines, schedule)) shapes.rec.push_back(b.shape());
  }
  size_t largest_batch = 0;
  for (const Shape& s : shapes.cls) largest_batch = std::max(largest_batch, FloatBytes(s));
  for (const Shape& s : shapes.rec) largest_batch = std::max(largest_batch, FloatBytes(s));
  shapes.working_bytes += largest_batch;
  return shapes;
}

// Heap in use (small blocks and mmapped ones), from glibc.
size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

}  // namespace

StatusOr<MemoryPrediction> OcrPipeline::PredictMemory(cv::Size page, const std::vector<cv::Size>& text_lines,
                                                      const OcrOverrides& overrides) {
  PLATEAU_ASSIGN_OR_RETURN(
      PageShapes shapes, ShapesForPage(options_, overrides, page, text_lines, state_->det->options().tiles));
  Session* sessions[3] = {&state_->det->session(), &state_->cls->session(), &state_->rec->session()};
  size_t held[3], misses[3];
  size_t weights_before = 0;
  for (int i = 0; i < 3; ++i) {
    held[i] = sessions[i]->stats().arena_bytes;
    misses[i] = sessions[i]->stats().plan_misses;
    weights_before += sessions[i]->model().weights_bytes();
  }
  const size_t heap_before = HeapInUse();
  const size_t rss_before = ReadProcessMemory().rss_bytes;

  MemoryPrediction p;
  size_t need[3] = {0, 0, 0};
  const std::vector<Shape>* per_session[3] = {nullptr, &shapes.cls, &shapes.rec};
  std::vector<Shape> det_only = {shapes.det};
  per_session[0] = &det_only;
  for (int i = 0; i < 3; ++i) {
    for (const Shape& shape : *per_session[i]) {
      PLATEAU_ASSIGN_OR_RETURN(PlanSummary plan, sessions[i]->Plan({shape}));
      need[i] = std::max(need[i], plan.arena_bytes);
    }
  }
  size_t weights_after = 0;
  for (int i = 0; i < 3; ++i) {
    weights_after += sessions[i]->model().weights_bytes();
    p.new_plans += sessions[i]->stats().plan_misses - misses[i];
  }
  // The stages share one block (SharedArena): it grows to the largest need, where arenas of their own
  // would each grow to theirs.
  const bool shared = sessions[0]->stats().arena_shared;
  const size_t need_shared = std::max({need[0], need[1], need[2]});
  if (shared) {
    p.new_arena_bytes = need_shared > held[0] ? need_shared - held[0] : 0;
  } else {
    for (int i = 0; i < 3; ++i) p.new_arena_bytes += need[i] > held[i] ? need[i] - held[i] : 0;
  }
  const size_t heap_after = HeapInUse();
  p.det_arena_bytes = need[0];
  p.cls_arena_bytes = need[1];
  p.rec_arena_bytes = need[2];
  p.new_packed_weights_bytes = weights_after - weights_before;
  const size_t rss_after = ReadProcessMemory().rss_bytes;
  // The heap's count misses what plans hold outside malloc (oneDNN's generated code is mapped by itself)
  // and the pages planning's freed temporaries leave resident; the RSS the building added sees both.
  // The larger of the two is taken, so that a process shrinking meanwhile cannot hide the plans' heap.
  const size_t heap_grown = heap_after > heap_before ? heap_after - heap_before : 0;
  const size_t rss_grown = rss_after > rss_before ? rss_after - rss_before : 0;
  const size_t grown = std::max(heap_grown, rss_grown);
  p.new_plan_bytes = grown > p.new_packed_weights_bytes ? grown - p.new_packed_weights_bytes : 0;
  p.working_bytes = shapes.working_bytes;
  // The working buffers are not counted as added: with the stitched map split (3 bytes a pixel) the page's
  // large buffers go back to the OS when freed, and only a small part of them stays resident
  // (docs/MEMORY.md, "Predicted").
  p.total_new_bytes = p.new_arena_bytes + p.new_plan_bytes + p.new_packed_weights_bytes;
  p.peak_bytes = (shared ? need_shared : need[0] + need[1] + need[2]) + p.working_bytes;
  p.ceiling_bytes = state_->ceiling_bytes;
  return p;
}

// The page's many small allocations beside its large buffers (contours, boxes, texts, the result), the
// heap pages they leave partly used and the code a real page runs first (decoding, post-processing): an
// allowance of a fixed part and half a byte per page pixel (in halves), above what pages of 1600x1600
// (two workers), 2400x2400 and 4000x4000 were measured to add (docs/MEMORY.md, "Ceiling").
constexpr size_t kPageSmallBytes = 8u << 20;
constexpr size_t kPageSmallHalfBytesPerPixel = 1;

namespace {

Status CheckCeilingIsBounded(const OcrOptions& options, const OcrOverrides& overrides) {
  if (!overrides.text_det_tiled.value_or(options.text_det_tiled)) {
    return Status::FailedPrecondition(
        "the memory ceiling needs tiled detection (text_det_tiled True): on the whole page, detection's "
        "plan and arena follow each page's size");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<MemoryCeiling> OcrPipeline::ComputeMemoryCeiling(const OcrOverrides& overrides) {
  PLATEAU_RETURN_IF_ERROR(CheckCeilingIsBounded(options_, overrides));
  PLATEAU_RETURN_IF_ERROR(WarmupEveryShape(overrides));
  // What building left freed in the heap is not part of the ceiling: the pages go back first.
  malloc_trim(0);
  MemoryCeiling c;
  c.resident_bytes = ReadProcessMemory().rss_bytes;
  c.page_side = overrides.text_det_max_side_limit.value_or(options_.text_det_max_side_limit);
  const cv::Size page(c.page_side, c.page_side);
  PLATEAU_ASSIGN_OR_RETURN(PageShapes shapes,
                           ShapesForPage(options_, overrides, page, {}, state_->det->options().tiles));
  // Detection's buffers and recognition's never coexist: the map and bitmap are gone before the lines are
  // cut out. Both phases hold the decoded page; the crops of a page's lines cover at most the page.
  const size_t decoded = static_cast<size_t>(page.area()) * 3;
  const size_t largest_batch =
      shapes.working_bytes - std::min(shapes.working_bytes, shapes.det_working_bytes);
  c.page_bytes = std::max(shapes.det_working_bytes, decoded + decoded + largest_batch) + kPageSmallBytes +
                 static_cast<size_t>(page.area()) * kPageSmallHalfBytesPerPixel / 2;
  c.result_bytes = decoded;
  c.ceiling_bytes = c.resident_bytes + c.page_bytes;
  state_->ceiling_bytes = c.ceiling_bytes;
  return c;
}

StatusOr<MemoryCeiling> OcrPipeline::ComputeMemoryCeiling(const std::vector<OcrPipeline*>& workers,
                                                          int results_waiting,
                                                          const OcrOverrides& overrides) {
  if (workers.empty()) return Status::InvalidArgument("ComputeMemoryCeiling needs at least one pipeline");
  if (results_waiting < 0) {
    return Status::InvalidArgument("results_waiting = " + std::to_string(results_waiting) +
                                   "; expected >= 0");
  }
  PLATEAU_RETURN_IF_ERROR(CheckCeilingIsBounded(workers.front()->options_, overrides));
  for (size_t i = 0; i + 1 < workers.size(); ++i) {
    PLATEAU_RETURN_IF_ERROR(
        workers[i]->WarmupEveryShape(overrides).WithContext("warming up worker " + std::to_string(i + 1)));
  }
  // The last one's reading of RSS sees the others warm; each of them may hold a largest page at once.
  StatusOr<MemoryCeiling> last = workers.back()->ComputeMemoryCeiling(overrides);
  if (!last.ok()) return last.status().WithContext("warming up worker " + std::to_string(workers.size()));
  MemoryCeiling c = *last;
  c.pages_in_flight = static_cast<int>(workers.size());
  c.results_waiting = results_waiting;
  c.ceiling_bytes = c.resident_bytes + workers.size() * c.page_bytes +
                    static_cast<size_t>(results_waiting) * c.result_bytes;
  for (OcrPipeline* w : workers) w->state_->ceiling_bytes = c.ceiling_bytes;
  return c;
}

Status OcrPipeline::WarmupEveryShape(const OcrOverrides& overrides) {
  const int rec_batch = overrides.text_recognition_batch_size.value_or(options_.text_recognition_batch_size);
  const int cls_batch =
      overrides.textline_orientation_batch_size.value_or(options_.textline_orientation_batch_size);
  if (rec_batch < 1 || cls_batch < 1) return Status::InvalidArgument("batch sizes must be at least 1");
  std::vector<Shape> det;
  if (overrides.text_det_tiled.value_or(options_.text_det_tiled)) {
    for (const ocr::SizeHw& t : ocr::DetTileShapes(state_->det->options().tiles)) {
      det.push_back(Shape({1, 3, t.height, t.width}));
    }
  }
  std::vector<Shape> cls;
  if (overrides.use_textline_orientation.value_or(options_.use_textline_orientation)) {
    cls = ocr::ClsScheduleShapes(cls_batch);
  }
  const std::vector<Shape> rec = ocr::RecScheduleShapes(rec_batch);
  Session* sessions[3] = {&state_->det->session(), &state_->cls->session(), &state_->rec->session()};
  const std::vector<Shape>* per_session[3] = {&det, &cls, &rec};
  std::vector<TensorView> outputs;
  for (int i = 0; i < 3; ++i) {
    // Largest first: the arena reaches its final size at once instead of growing step by step.
    std::vector<Shape> shapes = *per_session[i];
    std::sort(shapes.begin(), shapes.end(),
              [](const Shape& a, const Shape& b) { return a.num_elements() > b.num_elements(); });
    for (const Shape& shape : shapes) {
      PLATEAU_ASSIGN_OR_RETURN(Tensor zeros, Tensor::Zeros(DType::kFloat32, shape));
      Status run = sessions[i]->Run({zeros.view()}, &outputs);
      if (!run.ok()) return run.WithContext("warming up shape " + shape.ToString());
    }
  }
  return Status::Ok();
}

Status OcrPipeline::Warmup(const std::vector<cv::Size>& pages, const std::vector<cv::Size>& text_lines,
                           const OcrOverrides& overrides) {
  Session* sessions[3] = {&state_->det->session(), &state_->cls->session(), &state_->rec->session()};
  std::vector<TensorView> outputs;
  for (cv::Size page : pages) {
    PLATEAU_ASSIGN_OR_RETURN(PageShapes shapes, ShapesForPage(options_, overrides, page, text_lines,
                                                              state_->det->options().tiles));
    const std::vector<Shape> det_only = {shapes.det};
    const std::vector<Shape>* per_session[3] = {&det_only, &shapes.cls, &shapes.rec};
    for (int i = 0; i < 3; ++i) {
      for (const Shape& shape : *per_session[i]) {
        PLATEAU_ASSIGN_OR_RETURN(Tensor zeros, Tensor::Zeros(DType::kFloat32, shape));
        Status run = sessions[i]->Run({zeros.view()}, &outputs);
        if (!run.ok())
          return run.WithContext("warming up for a " + std::to_string(page.width) + "x" +
                                 std::to_string(page.height) + " page");
      }
    }
  }
  return Status::Ok();
}

MemoryStats OcrPipeline::memory_stats() const {
  MemoryStats stats;
  const ProcessMemory os = ReadProcessMemory();
  stats.rss_bytes = os.rss_bytes;
  stats.peak_rss_bytes = os.peak_rss_bytes;
  stats.ceiling_bytes = state_->ceiling_bytes;
  stats.shared_arena_bytes = state_->arena->bytes();
  stats.models.push_back(StatsOf("det", state_->det->session()));
  stats.models.push_back(StatsOf("cls", state_->cls->session()));
  stats.models.push_back(StatsOf("rec", state_->rec->session()));
  if (state_->doc) stats.models.push_back(StatsOf("doc", state_->doc->session()));
  return stats;
}

MemoryStats OcrPipeline::CombinedMemoryStats(const std::vector<const OcrPipeline*>& workers) {
  if (workers.empty()) return MemoryStats();
  MemoryStats out = workers.front()->memory_stats();
  for (size_t i = 1; i < workers.size(); ++i) {
    const MemoryStats one = workers[i]->memory_stats();
    PLATEAU_CHECK(one.models.size() == out.models.size());
    out.shared_arena_bytes += one.shared_arena_bytes;
    for (size_t m = 0; m < one.models.size(); ++m) {
      ModelMemoryStats& sum = out.models[m];
      const ModelMemoryStats& add = one.models[m];
      // The weights are the model's, shared by every session: counted once.
      sum.arena_bytes += add.arena_bytes;
      sum.plans_cached += add.plans_cached;
      sum.plan_cache_capacity += add.plan_cache_capacity;
      sum.plan_hits += add.plan_hits;
      sum.plan_misses += add.plan_misses;
      sum.plan_evictions += add.plan_evictions;
    }
  }
  // Read last, so that RSS is not older than the sessions' figures.
  const ProcessMemory os = ReadProcessMemory();
  out.rss_bytes = os.rss_bytes;
  out.peak_rss_bytes = os.peak_rss_bytes;
  out.workers = static_cast<int>(workers.size());
  return out;
}

void OcrPipeline::Trim(const OcrTrimOptions& trim) {
  state_->det->session().Trim();
  state_->cls->session().Trim();
  state_->rec->session().Trim();
  if (state_->doc) state_->doc->session().Trim();
  ReleaseCachedPrimitives();
  // Freed arenas above the mmap threshold are already gone; plans are many small blocks whose pages
  // glibc keeps until asked.
  malloc_trim(0);
  // Library code run since loading (oneDNN's kernels, the image codecs) is file-backed and clean; when
  // asked, it is dropped from RSS too, and faults back in from the page cache when next run
  // (docs/MEMORY.md). Every mapping of the process is advised, not only plateau's: hence only when asked.
  if (trim.drop_code_pages) DropCodePagesFromRss();
  state_->trimmed_since_use = true;
}

bool OcrPipeline::TrimIfIdle(std::chrono::steady_clock::time_point now, const OcrTrimOptions& trim) {
  if (options_.idle_trim_seconds <= 0 || state_->trimmed_since_use) return false;
  if (now - state_->last_use < std::chrono::seconds(options_.idle_trim_seconds)) return false;
  Trim(trim);
  return true;
}

}  // namespace plateau
