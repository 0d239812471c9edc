#include "ocr/common/stage_session.h"

#include <algorithm>
#include <utility>

namespace plateau::ocr {

Status CheckStageSessionOptions(std::string_view stage, const StageSessionOptions& options) {
  // Checked here rather than left to Session::Create so that the message says which stage's options
  // were wrong, and so that a bad option fails before a model file is parsed.
  if (options.threads < 0) {
    return Status::InvalidArgument(std::string(stage) + ": threads is " + std::to_string(options.threads) +
                                   "; expected 0 (all cores) or more");
  }
  if (options.plan_cache_capacity == 0) {
    return Status::InvalidArgument(std::string(stage) + ": plan_cache_capacity is 0; expected at least 1");
  }
  return Status::Ok();
}

StatusOr<std::shared_ptr<const Model>> LoadStageModel(std::string_view stage,
                                                      const StageSessionOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckStageSessionOptions(stage, options));
  if (options.model_path.empty()) {
    return Status::InvalidArgument(std::string(stage) +
                                   ": options.session.model_path is empty; expected the path of the "
                                   "stage's ONNX model");
  }
  return Model::Load(options.model_path);
}

StatusOr<std::unique_ptr<Session>> OpenStageSession(std::string_view stage,
                                                    std::shared_ptr<const Model> model,
                                                    const StageSessionOptions& options,
                                                    size_t min_plan_cache_capacity) {
  if (model == nullptr) return Status::InvalidArgument(std::string(stage) + ": the model is null");
  PLATEAU_RETURN_IF_ERROR(CheckStageSessionOptions(stage, options));
  SessionOptions session_options;
  session_options.threads = options.threads;
  session_options.plan_cache_capacity = std::max(options.plan_cache_capacity, min_plan_cache_capacity);
  session_options.reference_kernels = options.reference_kernels;
  session_options.shared_arena = options.shared_arena;
  return Session::Create(std::move(model), session_options);
}

StatusOr<Shape> CheckSingleOutput(std::string_view stage, Session& session, const Shape& input,
                                  std::string_view what) {
  const std::string model = std::string(stage) + " model " + session.model().path();
  StatusOr<PlanSummary> plan = session.Plan({input});
  if (!plan.ok()) {
    return plan.status().WithContext(model + " cannot take a " + input.ToString() + " " + std::string(what));
  }
  if (plan->output_shapes.size() != 1) {
    return Status::InvalidArgument(model + " has " + std::to_string(plan->output_shapes.size()) +
                                   " outputs; expected 1");
  }
  return plan->output_shapes[0];
}

}  // namespace plateau::ocr
