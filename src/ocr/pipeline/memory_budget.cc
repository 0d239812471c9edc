#include "ocr/pipeline/memory_budget.h"

#include <malloc.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <utility>

#include "common/process_memory.h"
#include "ocr/common/preprocess.h"
#include "ocr/rec/rec_batch.h"

namespace plateau {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
// What a stage's first run adds besides its arena, plans and buffers: library code paged in for its
// kernels (file-backed) and weights re-laid out on first use. An allowance a little above the largest
// such first-run growth measured (docs/MEMORY.md, "Budget").
constexpr size_t kFirstRunBytes = 20u << 20;
// Stages are admitted up to the limit less 1/32 of it (3%): a stage's transient heap (temporaries inside
// the kernels and the post-processing) is not in the estimate, and without a margin peak RSS (VmHWM) was
// seen to pass the limit (docs/MEMORY.md, "Budget", has the run).
constexpr size_t kMarginDivisor = 32;

std::string MiB(size_t bytes) {
  std::ostringstream os;
  os.precision(1);
  os << std::fixed << static_cast<double>(bytes) / kMiB << " MiB";
  return os.str();
}

// A session's plans and its own arena; a shared arena is counted once by Held.
size_t HeldBy(const Session& s) {
  const SessionStats st = s.stats();
  return (st.arena_shared ? 0 : st.arena_bytes) + st.plans_cached * kPlanHeapEstimateBytes;
}

size_t CropBytes(const std::vector<cv::Mat>& crops) {
  size_t bytes = 0;
  for (const cv::Mat& c : crops) bytes += c.total() * c.elemSize();
  return bytes;
}

}  // namespace

size_t MemoryBudget::Held() const {
  size_t held = HeldBy(state_.det->session()) + HeldBy(state_.cls->session()) + HeldBy(state_.rec->session());
  if (state_.doc) held += HeldBy(state_.doc->session());
  return held + (state_.arena ? state_.arena->bytes() : 0);
}

bool MemoryBudget::Fits(Stage stage, size_t arena, bool new_plan, size_t working, size_t* total) const {
  Session* sessions[3] = {&state_.det->session(), &state_.cls->session(), &state_.rec->session()};
  const size_t held = Held();
  const size_t rss = ReadProcessMemory().rss_bytes;
  // What the process holds besides this pipeline's sessions: models, code, free heap, other pipelines.
  const size_t rest = rss > held ? rss - held : 0;
  const size_t arena_now = sessions[stage]->stats().arena_bytes;
  *total = rest + held + (arena > arena_now ? arena - arena_now : 0) +
           (new_plan ? kPlanHeapEstimateBytes : 0) + working +
           (state_.budget_stage_ran[stage] ? 0 : kFirstRunBytes);
  return *total <= limit_ - limit_ / kMarginDivisor;
}

void MemoryBudget::TrimOthers(Stage stage) {
  Session* sessions[3] = {&state_.det->session(), &state_.cls->session(), &state_.rec->session()};
  for (int i = 0; i < 3; ++i) {
    if (i != stage) sessions[i]->Trim();
  }
  if (state_.doc) state_.doc->session().Trim();
  // The plans' blocks and freed buffers go back to the OS only when asked.
  malloc_trim(0);
}

Status MemoryBudget::Refuse(const std::string& what, size_t total) const {
  const size_t rss = ReadProcessMemory().rss_bytes;
  return Status::ResourceExhausted(what + " would bring the process to " + MiB(total) +
                                   " of RSS, over memory_limit " + std::to_string(limit_) + " bytes (" +
                                   MiB(limit_) + ", less a " + MiB(limit_ / kMarginDivisor) +
                                   " margin); with its sessions emptied the process holds " + MiB(rss) +
                                   " (models, code, heap); raise memory_limit or lower "
                                   "text_det_max_side_limit");
}

Status MemoryBudget::AdmitDetection(cv::Size page, const ocr::DetTilePlan& plan) {
  if (limit_ == 0) return Status::Ok();
  Session& det = state_.det->session();
  const Shape input({1, 3, plan.tile.height, plan.tile.width});
  PLATEAU_ASSIGN_OR_RETURN(PlanSummary summary, det.Plan({input}));
  const size_t working = ocr::DetWorkingBytes(page.height, page.width, plan);
  size_t total = 0;
  if (Fits(kDet, summary.arena_bytes, false, working, &total)) return Ran(kDet);
  TrimOthers(kDet);
  if (Fits(kDet, summary.arena_bytes, false, working, &total)) return Ran(kDet);
  // The detection session's own arena may be larger than this page needs (its high-water mark).
  det.Trim();
  malloc_trim(0);
  PLATEAU_ASSIGN_OR_RETURN(summary, det.Plan({input}));
  if (Fits(kDet, summary.arena_bytes, false, working, &total)) return Ran(kDet);
  det.Trim();
  malloc_trim(0);
  return Refuse("detecting text on a " + std::to_string(page.width) + "x" + std::to_string(page.height) +
                    " page at " + std::to_string(plan.page.width) + "x" + std::to_string(plan.page.height) +
                    (plan.tiles.size() > 1 || plan.tile != plan.page
                         ? " in " + std::to_string(plan.tiles.size()) + " tiles of " +
                               std::to_string(plan.tile.width) + "x" + std::to_string(plan.tile.height)
                         : std::string()) +
                    " (arena " + MiB(summary.arena_bytes) + ", buffers " + MiB(working) + ")",
                total);
}

StatusOr<int> MemoryBudget::ChooseClsBatch(int batch, const std::vector<cv::Mat>& crops, size_t page_bytes) {
  if (limit_ == 0 || crops.empty()) return batch;
  Session& cls = state_.cls->session();
  // Activations grow with the lines of a batch: a batch of b costs at most b times a batch of one.
  PLATEAU_ASSIGN_OR_RETURN(PlanSummary one, cls.Plan({Shape({1, 3, ocr::kLineHeight, ocr::kClsWidth})}));
  const int most = std::min<int>(batch, static_cast<int>(crops.size()));
  const size_t line_bytes = size_t{3} * ocr::kLineHeight * ocr::kClsWidth * sizeof(float);
  size_t total = 0;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) TrimOthers(kCls);
    for (int b = most; b >= 1; b = b == 1 ? 0 : (b + 1) / 2) {
      const size_t working = page_bytes + CropBytes(crops) + static_cast<size_t>(b) * line_bytes;
      if (Fits(kCls, one.arena_bytes * static_cast<size_t>(b), b > 1, working, &total)) {
        state_.budget_stage_ran[kCls] = true;
        return b;
      }
    }
  }
  return Refuse("classifying the orientation of " + std::to_string(crops.size()) +
                    " lines one at a time (arena " + MiB(one.arena_bytes) + ")",
                total);
}

StatusOr<int> MemoryBudget::ChooseRecBatch(int batch, const std::vector<cv::Mat>& crops, size_t page_bytes) {
  if (limit_ == 0 || crops.empty()) return batch;
  Session& rec = state_.rec->session();
  std::vector<cv::Size> sizes;
  sizes.reserve(crops.size());
  for (const cv::Mat& c : crops) sizes.push_back(c.size());
  // The page's widest bucket; its one-line arena, per column, bounds the arena of every batch (activations
  // grow with lines x columns, and faster than that with a line's width: attention spans the row).
  int widest = 0;
  for (cv::Size s : sizes) widest = std::max(widest, ocr::RecBucketWidth(ocr::RecLineWidth(s)));
  PLATEAU_ASSIGN_OR_RETURN(PlanSummary one, rec.Plan({Shape({1, 3, ocr::kLineHeight, widest})}));
  const int most = std::min<int>(batch, static_cast<int>(crops.size()));
  size_t total = 0;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) TrimOthers(kRec);
    for (int b = most; b >= 1; b = b == 1 ? 0 : (b + 1) / 2) {
      // The batches Recognize will run at this batch size (the same schedule): their distinct shapes (new
      // plans, at most) and the largest batch in columns.
      ocr::RecScheduleOptions schedule;
      schedule.batch_size = b;
      std::set<std::pair<int, int>> shapes;
      size_t columns = 0;
      for (const ocr::LineBatch& lb : ocr::ScheduleRecBatches(sizes, schedule)) {
        shapes.insert({lb.rows, lb.width});
        columns = std::max(columns, static_cast<size_t>(lb.rows) * static_cast<size_t>(lb.width));
      }
      const size_t arena = one.arena_bytes * columns / static_cast<size_t>(widest);
      const size_t plans = std::min(shapes.size(), rec.stats().plan_cache_capacity);
      const size_t batch_bytes = columns * 3 * ocr::kLineHeight * sizeof(float);
      const size_t working = page_bytes + CropBytes(crops) + batch_bytes +
                             (plans > 1 ? (plans - 1) * kPlanHeapEstimateBytes : 0);
      if (Fits(kRec, arena, plans > 0, working, &total)) {
        state_.budget_stage_ran[kRec] = true;
        // Planned ahead, the batches' shapes let the arena grow once, to the largest of them, rather than
        // batch by batch: each outgrown block would stay in the heap (glibc keeps it) beside the new one.
        if (shapes.size() <= rec.stats().plan_cache_capacity) {
          for (const auto& [lines, width] : shapes) {
            PLATEAU_RETURN_IF_ERROR(rec.Plan({Shape({lines, 3, ocr::kLineHeight, width})}).status());
          }
        }
        return b;
      }
    }
  }
  return Refuse("recognising " + std::to_string(crops.size()) + " lines one at a time (widest " +
                    std::to_string(widest) + " columns, arena " + MiB(one.arena_bytes) + ")",
                total);
}

}  // namespace plateau
