#include "ocr/cls/textline_classifier.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <utility>

#include "ocr/common/preprocess.h"
#include "ocr/rec/rec_batch.h"

namespace plateau::ocr {
namespace {

constexpr char kStage[] = "textline orientation";

Status CheckBatchSize(int batch_size) {
  if (batch_size >= 1) return Status::Ok();
  return Status::InvalidArgument("textline orientation batch_size is " + std::to_string(batch_size) +
                                 "; expected at least 1");
}

Status CheckOutput(const Shape& shape, int64_t n, const Model& model) {
  if (shape.rank() == 2 && shape[0] == n && shape[1] == 2) return Status::Ok();
  return Status::InvalidArgument("textline orientation model " + model.path() + " outputs " +
                                 shape.ToString() + " for " + std::to_string(n) + " lines; expected " +
                                 std::to_string(n) + "x2 (labels \"0\" and \"180\")");
}

}  // namespace

StatusOr<std::unique_ptr<TextlineClassifier>> TextlineClassifier::Create(
    const TextlineClassifierOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckBatchSize(options.batch_size));
  PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadStageModel(kStage, options.session));
  return Create(std::move(model), options);
}

StatusOr<std::unique_ptr<TextlineClassifier>> TextlineClassifier::Create(
    std::shared_ptr<const Model> model, const TextlineClassifierOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckBatchSize(options.batch_size));
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                           OpenStageSession(kStage, model, options.session));
  PLATEAU_ASSIGN_OR_RETURN(
      Shape output, CheckSingleOutput(kStage, *session, Shape({1, 3, kLineHeight, kClsWidth}), "text line"));
  PLATEAU_RETURN_IF_ERROR(CheckOutput(output, 1, *model));
  std::unique_ptr<TextlineClassifier> classifier(new TextlineClassifier());
  classifier->options_ = options;
  classifier->model_ = std::move(model);
  classifier->session_ = std::move(session);
  return classifier;
}

StatusOr<std::vector<TextlineOrientation>> TextlineClassifier::Classify(const std::vector<cv::Mat>& crops,
                                                                        std::optional<int> batch_size) {
  const int size = batch_size.value_or(options_.batch_size);
  PLATEAU_RETURN_IF_ERROR(CheckBatchSize(size));
  std::vector<TextlineOrientation> result(crops.size());
  std::vector<cv::Mat> batch;
  std::vector<TensorView> outputs;
  for (const LineBatch& planned : ScheduleClsBatches(crops.size(), size)) {
    const size_t begin = planned.lines.front();
    const size_t end = begin + planned.lines.size();
    batch.assign(crops.begin() + static_cast<std::ptrdiff_t>(begin),
                 crops.begin() + static_cast<std::ptrdiff_t>(end));
    StatusOr<Tensor> input = PrepareClsBatch(batch);
    if (!input.ok()) {
      // PrepareClsBatch numbers lines within the batch; say which crop of the caller's list it was.
      for (size_t i = begin; i < end; ++i) {
        if (crops[i].empty() || crops[i].type() != CV_8UC3) {
          return Status::InvalidArgument("text line " + std::to_string(i) +
                                         " is empty or not 8-bit BGR (CV_8UC3): " + input.status().message());
        }
      }
      return input.status();
    }
    PLATEAU_RETURN_IF_ERROR(session_->Run({input->view()}, &outputs));
    const int64_t n = static_cast<int64_t>(batch.size());
    if (outputs.size() != 1 || outputs[0].dtype != DType::kFloat32) {
      return Status::Internal("textline orientation model " + model_->path() +
                              " did not return one float32 output");
    }
    PLATEAU_RETURN_IF_ERROR(CheckOutput(outputs[0].shape, n, *model_));
    const float* probs = outputs[0].as<const float>();
    for (int64_t j = 0; j < n; ++j) {
      const float p0 = probs[2 * j];
      const float p180 = probs[2 * j + 1];
      TextlineOrientation& o = result[begin + static_cast<size_t>(j)];
      // argmax keeps the first class on a tie.
      o.label = p180 > p0 ? kTextline180 : kTextline0;
      o.score = o.label == kTextline180 ? p180 : p0;
    }
  }
  return result;
}

StatusOr<std::vector<bool>> TextlineClassifier::OrientLines(std::vector<cv::Mat>* crops,
                                                            const TextlineTurnOptions& rule,
                                                            std::optional<int> batch_size) {
  if (crops == nullptr) return Status::InvalidArgument("text line orientation: no crops given (null)");
  PLATEAU_ASSIGN_OR_RETURN(const std::vector<TextlineOrientation> orientations, Classify(*crops, batch_size));
  std::vector<int> widths;
  widths.reserve(crops->size());
  for (const cv::Mat& crop : *crops) widths.push_back(crop.cols);
  std::vector<bool> turn = DecideTextlineTurns(orientations, widths, rule);
  for (size_t i = 0; i < crops->size(); ++i) {
    if (!turn[i]) continue;
    cv::Mat flipped;
    cv::rotate((*crops)[i], flipped, cv::ROTATE_180);
    (*crops)[i] = std::move(flipped);
  }
  return turn;
}

std::vector<bool> DecideTextlineTurns(const std::vector<TextlineOrientation>& orientations,
                                      const std::vector<int>& widths, const TextlineTurnOptions& options) {
  const size_t n = orientations.size();
  auto weight = [&](size_t i) {
    return i < widths.size() ? static_cast<double>(std::max(widths[i], 1)) : 1.0;
  };
  auto votes180 = [&](size_t i) { return orientations[i].label == kTextline180; };
  double total = 0, total180 = 0;
  for (size_t i = 0; i < n; ++i) {
    total += weight(i);
    if (votes180(i)) total180 += weight(i);
  }
  std::vector<bool> turn(n, false);
  for (size_t i = 0; i < n; ++i) {
    const TextlineOrientation& o = orientations[i];
    const float p180 = o.label == kTextline180 ? o.score : 1.0f - o.score;
    // Leave-one-out: a line's own vote would otherwise count as evidence for itself.
    const double others = total - weight(i);
    const double others180 = total180 - (votes180(i) ? weight(i) : 0.0);
    if (others > 0 && others180 < 0.5 * others) {
      turn[i] = p180 > options.page_thresh;
    } else if (others > 0 && others180 > 0.5 * others) {
      turn[i] = !(1.0f - p180 > options.page_thresh);
    } else {
      turn[i] = p180 > options.thresh;
    }
  }
  return turn;
}

StatusOr<size_t> RotateUpsideDownLines(const std::vector<TextlineOrientation>& orientations,
                                       std::vector<cv::Mat>* crops, float min_score) {
  if (crops == nullptr || crops->size() != orientations.size()) {
    return Status::InvalidArgument("rotating text lines: " + std::to_string(orientations.size()) +
                                   " orientations for " +
                                   (crops == nullptr ? std::string("no") : std::to_string(crops->size())) +
                                   " crops; expected one per crop");
  }
  size_t turned = 0;
  for (size_t i = 0; i < orientations.size(); ++i) {
    if (orientations[i].label != kTextline180 || !(orientations[i].score > min_score)) continue;
    cv::Mat flipped;
    cv::rotate((*crops)[i], flipped, cv::ROTATE_180);
    (*crops)[i] = std::move(flipped);
    ++turned;
  }
  return turned;
}

}  // namespace plateau::ocr
