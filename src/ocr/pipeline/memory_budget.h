// OcrOptions::memory_limit applied to one page (docs/MEMORY.md, "Budget"). Used by the pipeline only.
//
// The limit is a ceiling on the process's RSS. Before each stage the budget reads RSS from the OS and
// splits it into what this pipeline holds (its sessions' arenas, an estimate per cached plan) and the
// rest (models, library code, the heap's free pages, other pipelines); the stage may use what the rest
// leaves under the limit. When the stage does not fit, smaller batches are tried, then the sessions the
// stage does not use are emptied (Session::Trim) and the heap is trimmed; a stage that does not fit even
// then refuses the page with RESOURCE_EXHAUSTED, naming what it needed and what the limit left.
#pragma once

#include <cstddef>
#include <opencv2/core.hpp>
#include <vector>

#include "ocr/det/det_tiles.h"
#include "ocr/pipeline/state.h"
#include "plateau/status.h"

namespace plateau {

// Memory a cached plan keeps (kernels, oneDNN primitives, generated code), as an average over the plans
// of a receipt as PredictMemory measures them (docs/MEMORY.md, "Predicted").
inline constexpr size_t kPlanHeapEstimateBytes = 4608u << 10;

class MemoryBudget {
 public:
  // limit == 0: no budget, every call admits at once.
  MemoryBudget(OcrPipeline::State& state, size_t limit) : state_(state), limit_(limit) {}

  // Detection of a page of `page` pixels (decoded, BGR) following `plan` (its tile shape is what the
  // model runs on; whole-page detection is one tile of the page's size).
  Status AdmitDetection(cv::Size page, const ocr::DetTilePlan& plan);
  // Lines per orientation batch (<= batch) for `crops`; the page's decoded pixels are `page_bytes`.
  StatusOr<int> ChooseClsBatch(int batch, const std::vector<cv::Mat>& crops, size_t page_bytes);
  // Lines per recognition batch (<= batch) for `crops`.
  StatusOr<int> ChooseRecBatch(int batch, const std::vector<cv::Mat>& crops, size_t page_bytes);

 private:
  enum Stage { kDet = 0, kCls = 1, kRec = 2 };
  // Bytes this pipeline holds now: arenas and cached plans.
  size_t Held() const;
  // Whether `stage` fits: its session growing to `arena` bytes (plus a plan when `new_plan`) and
  // `working` bytes of buffers, on top of the process as it is.
  bool Fits(Stage stage, size_t arena, bool new_plan, size_t working, size_t* total) const;
  // Empties the sessions other than `stage`'s (and so the arena they share with it, which `stage` then
  // takes again at its own size) and trims the heap.
  void TrimOthers(Stage stage);
  Status Refuse(const std::string& what, size_t total) const;
  Status Ran(Stage stage) {
    state_.budget_stage_ran[stage] = true;
    return Status::Ok();
  }

  OcrPipeline::State& state_;
  size_t limit_;
};

}  // namespace plateau
