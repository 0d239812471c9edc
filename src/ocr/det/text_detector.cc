#include "ocr/det/text_detector.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace plateau::ocr {
namespace {

struct EffectiveParams {
  DetResizeOptions resize;
  DbOptions db;
};

Status CheckUnitInterval(const char* name, double value) {
  if (!(value >= 0.0 && value <= 1.0)) {
    return Status::InvalidArgument(std::string("text detection: ") + name + " is " + std::to_string(value) +
                                   "; expected a probability in [0, 1]");
  }
  return Status::Ok();
}

StatusOr<EffectiveParams> Resolve(const TextDetectorOptions& options, const DetParams& overrides) {
  EffectiveParams p;
  p.resize.limit_side_len = overrides.limit_side_len.value_or(options.limit_side_len);
  PLATEAU_ASSIGN_OR_RETURN(p.resize.limit_type,
                           ParseLimitType(overrides.limit_type.value_or(options.limit_type)));
  p.resize.max_side_limit = overrides.max_side_limit.value_or(options.max_side_limit);
  if (p.resize.limit_side_len <= 0) {
    return Status::InvalidArgument("text detection: limit_side_len is " +
                                   std::to_string(p.resize.limit_side_len) + "; expected > 0");
  }
  if (p.resize.max_side_limit < 32) {
    return Status::InvalidArgument("text detection: max_side_limit is " +
                                   std::to_string(p.resize.max_side_limit) +
                                   "; expected >= 32 (the network's stride)");
  }
  p.db.thresh = overrides.thresh.value_or(options.thresh);
  p.db.box_thresh = overrides.box_thresh.value_or(options.box_thresh);
  p.db.unclip_ratio = overrides.unclip_ratio.value_or(options.unclip_ratio);
  p.db.max_candidates = options.max_candidates;
  p.db.use_dilation = options.use_dilation;
  PLATEAU_RETURN_IF_ERROR(CheckUnitInterval("thresh", p.db.thresh));
  PLATEAU_RETURN_IF_ERROR(CheckUnitInterval("box_thresh", p.db.box_thresh));
  if (!(p.db.unclip_ratio > 0.0) || !std::isfinite(p.db.unclip_ratio)) {
    return Status::InvalidArgument("text detection: unclip_ratio is " + std::to_string(p.db.unclip_ratio) +
                                   "; expected a positive number");
  }
  if (options.max_candidates < 0) {
    return Status::InvalidArgument("text detection: max_candidates is " +
                                   std::to_string(options.max_candidates) + "; expected >= 0");
  }
  return p;
}

Status CheckDetModel(const Model& model) {
  const std::vector<std::string> inputs = model.input_names();
  const std::vector<std::string> outputs = model.output_names();
  if (inputs.size() != 1 || outputs.size() != 1) {
    return Status::InvalidArgument("text detection model " + model.path() + " has " +
                                   std::to_string(inputs.size()) + " inputs and " +
                                   std::to_string(outputs.size()) +
                                   " outputs; expected a DB detector with one image input and one "
                                   "probability map output");
  }
  const Shape in = model.input_shape(0);
  if (in.rank() != 4 || (in[1] != 3 && in[1] != -1)) {
    return Status::InvalidArgument("text detection model " + model.path() + " input '" + inputs[0] +
                                   "' has shape " + in.ToString() + "; expected Nx3xHxW");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<LimitType> ParseLimitType(const std::string& text) {
  if (text == "min") return LimitType::kMin;
  if (text == "max") return LimitType::kMax;
  if (text == "resize_long") return LimitType::kResizeLong;
  return Status::InvalidArgument("text detection: limit_type '" + text +
                                 "' is not one of \"min\", \"max\", \"resize_long\"");
}

StatusOr<std::unique_ptr<TextDetector>> TextDetector::Create(const TextDetectorOptions& options) {
  if (options.model_path.empty()) {
    return Status::InvalidArgument(
        "text detection: options.model_path is empty; expected the path of "
        "a DB detection model such as ch_PP-OCRv4_det_infer.onnx");
  }
  PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::Load(options.model_path));
  return Create(std::move(model), options);
}

StatusOr<std::unique_ptr<TextDetector>> TextDetector::Create(std::shared_ptr<const Model> model,
                                                             const TextDetectorOptions& options) {
  if (model == nullptr) return Status::InvalidArgument("text detection: the model is null");
  // Options are checked now so that a typo fails at construction rather than on the first image.
  PLATEAU_RETURN_IF_ERROR(Resolve(options, {}).status());
  PLATEAU_RETURN_IF_ERROR(CheckDetModel(*model));
  SessionOptions session_options;
  session_options.threads = options.threads;
  session_options.plan_cache_capacity = options.plan_cache_capacity;
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model, session_options));
  return std::unique_ptr<TextDetector>(new TextDetector(options, std::move(model), std::move(session)));
}

StatusOr<DetBoxes> TextDetector::Detect(const cv::Mat& bgr, const DetParams& overrides) {
  if (bgr.empty()) return Status::InvalidArgument("text detection: the image is empty");
  if (bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("text detection: the image has OpenCV type " + std::to_string(bgr.type()) +
                                   " with " + std::to_string(bgr.channels()) +
                                   " channels; expected 8-bit BGR (CV_8UC3)");
  }
  PLATEAU_ASSIGN_OR_RETURN(EffectiveParams params, Resolve(options_, overrides));
  PLATEAU_ASSIGN_OR_RETURN(DetInput input, PrepareDetInput(bgr, params.resize));
  std::vector<TensorView> outputs;
  Status run = session_->Run({input.tensor.view()}, &outputs);
  if (!run.ok()) {
    return run.WithContext("text detection on a " + std::to_string(bgr.rows) + "x" +
                           std::to_string(bgr.cols) + " image (input " + input.tensor.shape().ToString() +
                           ")");
  }
  if (outputs.size() != 1) {
    return Status::Internal("text detection: the model returned " + std::to_string(outputs.size()) +
                            " outputs; expected 1");
  }
  // The output is a view into the session's arena: post-processing reads it before the next Run.
  return DbPostprocess(outputs[0], input.source_height, input.source_width, params.db);
}

}  // namespace plateau::ocr
