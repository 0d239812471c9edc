#include "ocr/rec/text_recognizer.h"

#include <algorithm>
#include <span>
#include <utility>

#include "common/check.h"
#include "ocr/common/preprocess.h"
#include "ocr/rec/rec_batch.h"

namespace plateau::ocr {
namespace {

constexpr char kStage[] = "text recognition";

Status CheckOptions(const TextRecognizerOptions& options) {
  if (options.batch_size < 1) {
    return Status::InvalidArgument("text recognition batch_size is " + std::to_string(options.batch_size) +
                                   "; expected at least 1");
  }
  return CheckStageSessionOptions(kStage, options.session);
}

Status CheckOutputWidth(int64_t width, const Model& model, const CtcDecoder& decoder) {
  if (width == decoder.num_classes()) return Status::Ok();
  return Status::InvalidArgument("recognition model " + model.path() + " outputs " + std::to_string(width) +
                                 " classes but dictionary " + decoder.origin() + " gives " +
                                 std::to_string(decoder.num_classes()) + " (1 blank + " +
                                 std::to_string(decoder.num_classes() - 2) +
                                 " lines + 1 space); use the dictionary the model was " + "trained with");
}

}  // namespace

StatusOr<std::unique_ptr<TextRecognizer>> TextRecognizer::Create(const TextRecognizerOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckOptions(options));
  PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadStageModel(kStage, options.session));
  PLATEAU_ASSIGN_OR_RETURN(CtcDecoder decoder, CtcDecoder::FromFile(options.dict_path));
  return Create(std::move(model), std::make_shared<const CtcDecoder>(std::move(decoder)), options);
}

StatusOr<std::unique_ptr<TextRecognizer>> TextRecognizer::Create(std::shared_ptr<const Model> model,
                                                                 std::shared_ptr<const CtcDecoder> decoder,
                                                                 const TextRecognizerOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckOptions(options));
  if (model == nullptr || decoder == nullptr) {
    return Status::InvalidArgument("text recognizer needs a model and a decoder, got a null pointer");
  }
  // At least every shape the schedule can produce at this batch size, so that pages never rebuild a plan.
  PLATEAU_ASSIGN_OR_RETURN(
      std::unique_ptr<Session> session,
      OpenStageSession(kStage, model, options.session, RecScheduleShapes(options.batch_size).size()));
  // The output width is only known from a plan; the default line shape is the one most batches of
  // short lines use, so the plan built here is rarely wasted.
  PLATEAU_ASSIGN_OR_RETURN(
      Shape output,
      CheckSingleOutput(kStage, *session, Shape({1, 3, kLineHeight, kRecDefaultWidth}), "text line"));
  if (output.rank() != 3) {
    return Status::InvalidArgument("text recognition model " + model->path() +
                                   " should have one output of rank 3 (N x T x classes), got " +
                                   output.ToString());
  }
  PLATEAU_RETURN_IF_ERROR(CheckOutputWidth(output[2], *model, *decoder));
  std::unique_ptr<TextRecognizer> recognizer(new TextRecognizer());
  recognizer->options_ = options;
  recognizer->model_ = std::move(model);
  recognizer->decoder_ = std::move(decoder);
  recognizer->session_ = std::move(session);
  return recognizer;
}

StatusOr<std::vector<RecognizedLine>> TextRecognizer::Recognize(const std::vector<cv::Mat>& crops,
                                                                const RecOverrides& overrides) {
  const int batch_size = overrides.batch_size.value_or(options_.batch_size);
  const float score_thresh = overrides.score_thresh.value_or(options_.score_thresh);
  if (batch_size < 1) {
    return Status::InvalidArgument("text recognition batch_size is " + std::to_string(batch_size) +
                                   "; expected at least 1");
  }
  // Checked here, before sorting, so that an error names the crop as the caller numbers it.
  for (size_t i = 0; i < crops.size(); ++i) {
    if (crops[i].empty() || crops[i].type() != CV_8UC3) {
      return Status::InvalidArgument(
          "text line " + std::to_string(i) + " is " +
          (crops[i].empty() ? std::string("empty") : "of OpenCV type " + std::to_string(crops[i].type())) +
          "; expected a non-empty 8-bit BGR image (CV_8UC3)");
    }
  }
  std::vector<RecognizedLine> lines(crops.size());
  std::vector<cv::Size> sizes;
  sizes.reserve(crops.size());
  for (const cv::Mat& crop : crops) sizes.push_back(crop.size());
  RecScheduleOptions schedule;
  schedule.batch_size = batch_size;
  schedule.bucket_shapes = options_.bucket_shapes;
  std::vector<cv::Mat> batch;
  std::vector<TensorView> outputs;
  for (const LineBatch& planned : ScheduleRecBatches(sizes, schedule)) {
    batch.clear();
    for (size_t index : planned.lines) batch.push_back(crops[index]);
    const int64_t n = static_cast<int64_t>(batch.size());
    PLATEAU_ASSIGN_OR_RETURN(Tensor input, PrepareRecBatchPerLine(batch, planned.width, planned.rows));
    // The schedule is what the memory prediction planned; a tensor of another shape would be a bug.
    PLATEAU_CHECK(input.shape() == planned.shape());
    PLATEAU_RETURN_IF_ERROR(session_->Run({input.view()}, &outputs));
    if (outputs.size() != 1 || outputs[0].dtype != DType::kFloat32 || outputs[0].shape.rank() != 3 ||
        outputs[0].shape[0] != input.shape()[0]) {
      return Status::Internal("recognition model " + model_->path() + " returned " +
                              (outputs.empty() ? std::string("no output") : outputs[0].shape.ToString()) +
                              " for input " + input.shape().ToString() + "; expected float32 " +
                              std::to_string(input.shape()[0]) + " x T x " +
                              std::to_string(decoder_->num_classes()));
    }
    PLATEAU_RETURN_IF_ERROR(CheckOutputWidth(outputs[0].shape[2], *model_, *decoder_));
    const int64_t steps = outputs[0].shape[1];
    const size_t per_line = static_cast<size_t>(steps * decoder_->num_classes());
    const float* probs = outputs[0].as<const float>();
    for (int64_t j = 0; j < n; ++j) {
      DecodedText decoded = decoder_->Decode(std::span<const float>(probs + j * per_line, per_line), steps);
      RecognizedLine& line = lines[planned.lines[static_cast<size_t>(j)]];
      line.text = std::move(decoded.text);
      line.labels = std::move(decoded.labels);
      line.steps = steps;
      line.score = decoded.score;
      line.accepted = decoded.score >= score_thresh;
    }
  }
  return lines;
}

}  // namespace plateau::ocr
