#include "ocr/det/text_detector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ocr/common/resize_region.h"

namespace plateau::ocr {
namespace {

constexpr char kStage[] = "text detection";

struct EffectiveParams {
  DetResizeOptions resize;
  DbOptions db;
  bool tiled = true;
};

Status CheckUnitInterval(const char* name, double value) {
  if (!(value >= 0.0 && value <= 1.0)) {
    return Status::InvalidArgument(std::string("text detection: ") + name + " is " + std::to_string(value) +
                                   "; expected a probability in [0, 1]");
  }
  return Status::Ok();
}

StatusOr<EffectiveParams> Resolve(const TextDetectorOptions& options, const DetOverrides& overrides) {
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
  p.tiled = overrides.tiled.value_or(options.tiled);
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
  PLATEAU_RETURN_IF_ERROR(CheckDetTileOptions(options.tiles));
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

std::string SizeText(int rows, int cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

}  // namespace

struct TextDetector::PageMap {
  // Whole-page detection: the page's probability map, a view into the session's arena, valid until the
  // session's next run.
  cv::Mat map;
  // Tiled detection: the stitched map in two parts (DbPostprocessSplit), the thresholded bitmap and the
  // 8-bit score, 2 bytes a pixel where a float map and its bitmap take 5.
  cv::Mat bitmap;
  cv::Mat score;
  int source_height = 0;
  int source_width = 0;
  DbOptions db;
};

StatusOr<DetTilePlan> PlanDetection(int rows, int cols, const DetResizeOptions& resize, bool tiled,
                                    const DetTileOptions& tiles) {
  // As ResizeForDet: a tiny image is padded to 32x32 before it is resized.
  if (rows > 0 && cols > 0 && rows + cols < 64) {
    rows = std::max(rows, 32);
    cols = std::max(cols, 32);
  }
  PLATEAU_ASSIGN_OR_RETURN(SizeHw page, DetTargetSize(rows, cols, resize));
  if (tiled) return PlanDetTiles(page, tiles);
  DetTilePlan whole;
  whole.page = page;
  whole.tile = page;
  const cv::Rect all(0, 0, page.width, page.height);
  whole.tiles.push_back(DetTile{all, all});
  return whole;
}

StatusOr<LimitType> ParseLimitType(const std::string& text) {
  if (text == "min") return LimitType::kMin;
  if (text == "max") return LimitType::kMax;
  if (text == "resize_long") return LimitType::kResizeLong;
  return Status::InvalidArgument("text detection: limit_type '" + text +
                                 "' is not one of \"min\", \"max\", \"resize_long\"");
}

StatusOr<std::unique_ptr<TextDetector>> TextDetector::Create(const TextDetectorOptions& options) {
  PLATEAU_RETURN_IF_ERROR(Resolve(options, {}).status());
  PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadStageModel(kStage, options.session));
  return Create(std::move(model), options);
}

StatusOr<std::unique_ptr<TextDetector>> TextDetector::Create(std::shared_ptr<const Model> model,
                                                             const TextDetectorOptions& options) {
  if (model == nullptr) return Status::InvalidArgument("text detection: the model is null");
  // Options are checked now so that a typo fails at construction rather than on the first image.
  PLATEAU_RETURN_IF_ERROR(Resolve(options, {}).status());
  PLATEAU_RETURN_IF_ERROR(CheckDetModel(*model));
  // Every tile shape keeps its plan: tiled detection then builds each plan once, whatever the pages.
  PLATEAU_ASSIGN_OR_RETURN(
      std::unique_ptr<Session> session,
      OpenStageSession(kStage, model, options.session, DetTileShapes(options.tiles).size()));
  return std::unique_ptr<TextDetector>(new TextDetector(options, std::move(model), std::move(session)));
}

StatusOr<TextDetector::PageMap> TextDetector::RunModel(const cv::Mat& bgr, const DetOverrides& overrides) {
  if (bgr.empty()) return Status::InvalidArgument("text detection: the image is empty");
  if (bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("text detection: the image has OpenCV type " + std::to_string(bgr.type()) +
                                   " with " + std::to_string(bgr.channels()) +
                                   " channels; expected 8-bit BGR (CV_8UC3)");
  }
  PLATEAU_ASSIGN_OR_RETURN(EffectiveParams params, Resolve(options_, overrides));
  PageMap result;
  result.source_height = bgr.rows;
  result.source_width = bgr.cols;
  result.db = params.db;
  std::vector<TensorView> outputs;
  auto check_output = [&](int64_t height, int64_t width) -> Status {
    if (outputs.size() != 1) {
      return Status::Internal("text detection: the model returned " + std::to_string(outputs.size()) +
                              " outputs; expected 1");
    }
    const Shape& s = outputs[0].shape;
    if (outputs[0].dtype != DType::kFloat32 || s.rank() != 4 || s[0] != 1 || s[1] != 1 || s[2] != height ||
        s[3] != width) {
      return Status::Internal("text detection: the model's map has shape " + s.ToString() +
                              "; expected float32 1x1x" + std::to_string(height) + "x" +
                              std::to_string(width));
    }
    return Status::Ok();
  };

  if (!params.tiled) {
    PLATEAU_ASSIGN_OR_RETURN(DetInput input, PrepareDetInput(bgr, params.resize));
    Status run = session_->Run({input.tensor.view()}, &outputs);
    if (!run.ok()) {
      return run.WithContext("text detection on a " + SizeText(bgr.rows, bgr.cols) + " image (input " +
                             input.tensor.shape().ToString() + ")");
    }
    const Shape& in = input.tensor.shape();
    PLATEAU_RETURN_IF_ERROR(check_output(in[2], in[3]));
    result.map = cv::Mat(static_cast<int>(in[2]), static_cast<int>(in[3]), CV_32FC1, outputs[0].data);
    return result;
  }

  // The page is resized window by window (ResizeLinearRegion gives exactly the whole resize's pixels), so
  // no resized copy of the page is held beside the decoded one.
  const cv::Mat source = PadTinyForDet(bgr);
  PLATEAU_ASSIGN_OR_RETURN(SizeHw target, DetTargetSize(source.rows, source.cols, params.resize));
  const bool resized = target.height != source.rows || target.width != source.cols;
  PLATEAU_ASSIGN_OR_RETURN(DetTilePlan plan, PlanDetTiles(target, options_.tiles));
  result.bitmap =
      NewBorderedBitmap(plan.page.height, plan.page.width);  // traced in place (DbPostprocessSplit)
  result.score.create(plan.page.height, plan.page.width, CV_8UC1);
  // Compared in float32, as the float map's post-processing does.
  const float thresh = static_cast<float>(params.db.thresh);
  // Each window is normalised straight into the arena's slot for the model's input: no tile-sized float
  // buffer of our own.
  const Shape tile_shape({1, 3, plan.tile.height, plan.tile.width});
  StatusOr<TensorView> slot = session_->InputBuffer({tile_shape}, 0);
  if (!slot.ok()) {
    return slot.status().WithContext("text detection on a " + SizeText(bgr.rows, bgr.cols) +
                                     " image (input " + tile_shape.ToString() + ")");
  }
  const TensorView input = *slot;
  const cv::Rect page_rect(0, 0, plan.page.width, plan.page.height);
  const int border =
      options_.tiles.padding == DetTilePadding::kReplicate ? cv::BORDER_REPLICATE : cv::BORDER_CONSTANT;
  cv::Mat window;
  cv::Mat padded;
  for (size_t i = 0; i < plan.tiles.size(); ++i) {
    const DetTile& tile = plan.tiles[i];
    const cv::Rect inside = tile.window & page_rect;
    cv::Mat pixels;
    if (resized) {
      ResizeLinearRegion(source, cv::Size(target.width, target.height), inside, &window);
      pixels = window;
    } else {
      pixels = source(inside);
    }
    if (inside.size() != tile.window.size()) {
      cv::copyMakeBorder(pixels, padded, 0, tile.window.height - inside.height, 0,
                         tile.window.width - inside.width, border, cv::Scalar(0, 0, 0));
      pixels = padded;
    }
    NormalizeDetChw(pixels, input.as<float>());
    Status run = session_->Run({input}, &outputs);
    if (!run.ok()) {
      return run.WithContext("text detection on a " + SizeText(bgr.rows, bgr.cols) + " image, tile " +
                             std::to_string(i + 1) + " of " + std::to_string(plan.tiles.size()) + " (input " +
                             input.shape.ToString() + " at row " + std::to_string(tile.window.y) +
                             ", column " + std::to_string(tile.window.x) + ")");
    }
    PLATEAU_RETURN_IF_ERROR(check_output(plan.tile.height, plan.tile.width));
    // Only the core is kept: its margins saw the neighbouring pixels the whole page would have given it.
    const float* out = outputs[0].as<float>();
    for (int y = tile.core.y; y < tile.core.y + tile.core.height; ++y) {
      const float* from =
          out + static_cast<size_t>(y - tile.window.y) * plan.tile.width + (tile.core.x - tile.window.x);
      uint8_t* bits = result.bitmap.ptr<uint8_t>(y) + tile.core.x;
      uint8_t* score = result.score.ptr<uint8_t>(y) + tile.core.x;
      for (int x = 0; x < tile.core.width; ++x) {
        bits[x] = from[x] > thresh ? 255 : 0;
        score[x] = cv::saturate_cast<uint8_t>(from[x] * static_cast<float>(kScoreMapScale));
      }
    }
  }
  return result;
}

StatusOr<DetBoxes> TextDetector::Detect(const cv::Mat& bgr, const DetOverrides& overrides) {
  PLATEAU_ASSIGN_OR_RETURN(PageMap page, RunModel(bgr, overrides));
  if (!page.bitmap.empty()) {
    return DbPostprocessSplit(std::move(page.bitmap), page.score, page.source_height, page.source_width,
                              page.db);
  }
  // A whole-page map is a view into the session's arena: post-processing reads it before the next run.
  return DbPostprocess(page.map, page.source_height, page.source_width, page.db);
}

StatusOr<cv::Mat> TextDetector::ProbabilityMap(const cv::Mat& bgr, const DetOverrides& overrides) {
  PLATEAU_ASSIGN_OR_RETURN(PageMap page, RunModel(bgr, overrides));
  if (!page.score.empty()) {
    cv::Mat map;
    page.score.convertTo(map, CV_32F, 1.0 / kScoreMapScale);
    return map;
  }
  // A view into the arena would change with the next run; the caller gets its own copy.
  return page.map.isContinuous() && page.map.u != nullptr ? page.map : page.map.clone();
}

}  // namespace plateau::ocr
