// How every stage of the OCR pipeline (document orientation, text detection, text line orientation, text
// recognition) opens its model's Session: one options struct, embedded in each stage's options as
// `session`, and one way to load the model and create the session from it, so that the stages cannot
// drift apart in what they accept or pass on to the engine.
//
//   plateau::ocr::TextRecognizerOptions options;
//   options.session.model_path = "models/ch_PP-OCRv4_rec_infer.onnx";
//   options.session.threads = 2;
//   // In a stage's Create:
//   PLATEAU_ASSIGN_OR_RETURN(auto model, LoadStageModel("text recognition", options.session));
//   PLATEAU_ASSIGN_OR_RETURN(auto session, OpenStageSession("text recognition", model, options.session,
//                                                           /*min_plan_cache_capacity=*/shapes));
//
// A stage adds what is its own: the plans its schedule needs (min_plan_cache_capacity), its model's
// expected inputs and outputs (CheckSingleOutput for the shape it runs), its own options.
// Errors name the stage; nothing here throws, prints or keeps state.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "plateau/engine.h"
#include "plateau/status.h"

namespace plateau::ocr {

// What a stage's session needs, the same for every stage.
struct StageSessionOptions {
  // The model file (ONNX). Read by the stage's Create that loads the model; the Create that takes an
  // already loaded Model ignores it.
  std::string model_path;
  // Intra-op threads of the session; 0 means all cores.
  int threads = 0;
  // Execution plans the session keeps, one per input shape (SessionOptions::plan_cache_capacity); at
  // least 1. A stage whose schedule has a known set of shapes raises it to their number.
  size_t plan_cache_capacity = SessionOptions{}.plan_cache_capacity;
  // Run the naive reference kernels instead of oneDNN (slow; for tests and debugging).
  bool reference_kernels = false;
  // The activation block shared with the other stages of a pipeline, which run one after another
  // (SessionOptions::shared_arena); null: an arena of the stage's own.
  std::shared_ptr<SharedArena> shared_arena = nullptr;
};

// InvalidArgument naming `stage` when threads < 0 or plan_cache_capacity is 0.
Status CheckStageSessionOptions(std::string_view stage, const StageSessionOptions& options);

// Checks the options, then loads options.model_path. An empty path is InvalidArgument naming the stage;
// a missing or invalid file gives Model::Load's error (NotFound / InvalidArgument naming the file).
StatusOr<std::shared_ptr<const Model>> LoadStageModel(std::string_view stage,
                                                      const StageSessionOptions& options);

// Creates the stage's session over `model` (shared, read-only) with the options' threads and kernels,
// keeping max(options.plan_cache_capacity, min_plan_cache_capacity) plans. Fails with InvalidArgument,
// naming the stage, on a null model or bad options.
StatusOr<std::unique_ptr<Session>> OpenStageSession(std::string_view stage,
                                                    std::shared_ptr<const Model> model,
                                                    const StageSessionOptions& options,
                                                    size_t min_plan_cache_capacity = 0);

// Plans (without running) `input`, the one input shape the stage will run, and returns the shape of the
// model's single output for it. Fails, naming the stage, the model and `what` the input is (e.g. "text
// line"), when the model cannot take that input or has another number of outputs than one.
StatusOr<Shape> CheckSingleOutput(std::string_view stage, Session& session, const Shape& input,
                                  std::string_view what);

}  // namespace plateau::ocr
