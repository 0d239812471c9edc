#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/process_memory.h"
#include "io/image.h"
#include "io/pdf.h"
#include "ocr/cls/textline_classifier.h"
#include "ocr/common/crop.h"
#include "ocr/common/preprocess.h"
#include "ocr/common/stage_session.h"
#include "ocr/det/text_detector.h"
#include "ocr/doc/doc_orientation.h"
#include "ocr/pipeline/memory_budget.h"
#include "ocr/pipeline/result_files.h"
#include "ocr/pipeline/result_json.h"
#include "ocr/pipeline/stages.h"
#include "ocr/rec/line_text.h"
#include "ocr/rec/text_recognizer.h"
#include "plateau/model_dir.h"
#include "plateau/ocr.h"

namespace plateau {
namespace fs = std::filesystem;

OcrInput OcrInput::Path(std::string path) {
  OcrInput in;
  in.kind = Kind::kPath;
  in.path = std::move(path);
  return in;
}

OcrInput OcrInput::Bytes(std::string bytes, std::string label) {
  OcrInput in;
  in.kind = Kind::kBytes;
  in.bytes = std::move(bytes);
  in.label = std::move(label);
  return in;
}

OcrInput OcrInput::Image(cv::Mat image, std::string label) {
  OcrInput in;
  in.kind = Kind::kImage;
  in.image = std::move(image);
  in.label = std::move(label);
  return in;
}

namespace {

// The parameters of one Predict call, options and overrides merged.
struct Params {
  bool use_doc_orientation_classify = false;
  bool use_textline_orientation = true;
  double cls_thresh = 0, cls_page_thresh = 0;
  int limit_side_len = 0;
  std::string limit_type;
  double thresh = 0, box_thresh = 0, unclip_ratio = 0;
  int max_side_limit = 0;
  bool det_tiled = true;
  double score_thresh = 0;
  bool space_gaps = true;
  bool fold_fullwidth = true;
  int rec_batch = 1, cls_batch = 1;
  size_t memory_limit = 0;
  int64_t max_image_pixels = 0;
  bool timing = false;
};

Status CheckParams(const Params& p) {
  auto range = [](const char* name, double v, double lo, double hi) -> Status {
    if (!(v >= lo && v <= hi)) {
      std::ostringstream os;
      os << name << " = " << v << " is out of range; expected [" << lo << ", " << hi << "]";
      return Status::InvalidArgument(os.str());
    }
    return Status::Ok();
  };
  PLATEAU_RETURN_IF_ERROR(range("text_det_limit_side_len", p.limit_side_len, 1, 100000));
  auto type = ocr::ParseLimitType(p.limit_type);
  if (!type.ok()) return type.status().WithContext("text_det_limit_type");
  PLATEAU_RETURN_IF_ERROR(range("text_det_thresh", p.thresh, 0, 1));
  PLATEAU_RETURN_IF_ERROR(range("text_det_box_thresh", p.box_thresh, 0, 1));
  if (!(p.unclip_ratio > 0 && p.unclip_ratio <= 100)) {
    return Status::InvalidArgument("text_det_unclip_ratio = " + std::to_string(p.unclip_ratio) +
                                   " is out of range; expected > 0 (and at most 100)");
  }
  PLATEAU_RETURN_IF_ERROR(range("text_det_max_side_limit", p.max_side_limit, 1, 100000));
  PLATEAU_RETURN_IF_ERROR(range("text_rec_score_thresh", p.score_thresh, 0, 1));
  PLATEAU_RETURN_IF_ERROR(range("textline_orientation_thresh", p.cls_thresh, 0, 1));
  PLATEAU_RETURN_IF_ERROR(range("textline_orientation_page_thresh", p.cls_page_thresh, 0, 1));
  PLATEAU_RETURN_IF_ERROR(range("text_recognition_batch_size", p.rec_batch, 1, 4096));
  PLATEAU_RETURN_IF_ERROR(range("textline_orientation_batch_size", p.cls_batch, 1, 4096));
  return Status::Ok();
}

Params Merge(const OcrOptions& o, const OcrOverrides& v) {
  Params p;
  p.use_doc_orientation_classify = v.use_doc_orientation_classify.value_or(o.use_doc_orientation_classify);
  p.use_textline_orientation = v.use_textline_orientation.value_or(o.use_textline_orientation);
  p.cls_thresh = v.textline_orientation_thresh.value_or(o.textline_orientation_thresh);
  p.cls_page_thresh = v.textline_orientation_page_thresh.value_or(o.textline_orientation_page_thresh);
  p.limit_side_len = v.text_det_limit_side_len.value_or(o.text_det_limit_side_len);
  p.limit_type = v.text_det_limit_type.value_or(o.text_det_limit_type);
  p.thresh = v.text_det_thresh.value_or(o.text_det_thresh);
  p.box_thresh = v.text_det_box_thresh.value_or(o.text_det_box_thresh);
  p.unclip_ratio = v.text_det_unclip_ratio.value_or(o.text_det_unclip_ratio);
  p.max_side_limit = v.text_det_max_side_limit.value_or(o.text_det_max_side_limit);
  p.det_tiled = v.text_det_tiled.value_or(o.text_det_tiled);
  p.score_thresh = v.text_rec_score_thresh.value_or(o.text_rec_score_thresh);
  p.space_gaps = v.text_rec_space_gaps.value_or(o.text_rec_space_gaps);
  p.fold_fullwidth = v.text_rec_fold_fullwidth.value_or(o.text_rec_fold_fullwidth);
  p.rec_batch = v.text_recognition_batch_size.value_or(o.text_recognition_batch_size);
  p.cls_batch = v.textline_orientation_batch_size.value_or(o.textline_orientation_batch_size);
  p.memory_limit = o.memory_limit;
  p.max_image_pixels = o.max_image_pixels;
  p.timing = v.timing.value_or(o.timing);
  return p;
}

OcrPoly ToPoly(const ocr::Quad& q) {
  OcrPoly poly;
  for (int i = 0; i < 4; ++i) {
    poly[i] = {static_cast<int>(std::lround(q[i].x)), static_cast<int>(std::lround(q[i].y))};
  }
  return poly;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsSupportedFile(const fs::path& p) {
  static const char* kExts[] = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pdf"};
  std::string ext = Lower(p.extension().string());
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open '" + path + "'");
  std::ostringstream os;
  os << in.rdbuf();
  if (in.bad()) return Status::DataLoss("error reading '" + path + "'");
  return os.str();
}

}  // namespace

bool IsOcrInputFile(const std::string& path) { return IsSupportedFile(path); }

StatusOr<std::vector<std::string>> ListOcrInputFiles(const std::string& directory) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && IsSupportedFile(it->path())) files.push_back(it->path().string());
  }
  if (ec) return Status::NotFound("cannot list directory '" + directory + "': " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Status OcrPipeline::Stages::OpenSessions(const OcrOptions& options) {
  // What every stage's session shares; the models are already loaded, so no path is needed.
  ocr::StageSessionOptions session;
  session.threads = options.threads;

  if (doc_model) {
    ocr::DocOrientationClassifierOptions doc_options;
    doc_options.session = session;
    auto classifier = ocr::DocOrientationClassifier::Create(doc_model, doc_options);
    if (!classifier.ok()) return classifier.status().WithContext("doc_orientation_model");
    doc = std::move(classifier).value();
  }

  // Every Detect call passes all six detection parameters (the page's Params), so the detector's own
  // defaults for them are never used.
  ocr::TextDetectorOptions det_options;
  det_options.session = session;
  PLATEAU_ASSIGN_OR_RETURN(det, ocr::TextDetector::Create(det_model, det_options));

  // The classifier is loaded even when off by default, so that a call can switch it on.
  ocr::TextlineClassifierOptions cls_options;
  cls_options.session = session;
  cls_options.batch_size = options.textline_orientation_batch_size;
  PLATEAU_ASSIGN_OR_RETURN(cls, ocr::TextlineClassifier::Create(cls_model, cls_options));

  ocr::TextRecognizerOptions rec_options;
  rec_options.session = session;
  rec_options.batch_size = options.text_recognition_batch_size;
  rec_options.score_thresh = static_cast<float>(options.text_rec_score_thresh);
  PLATEAU_ASSIGN_OR_RETURN(rec, ocr::TextRecognizer::Create(rec_model, decoder, rec_options));
  return Status::Ok();
}

OcrPipeline::~OcrPipeline() = default;

StatusOr<std::unique_ptr<OcrPipeline>> OcrPipeline::Create(const OcrOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckParams(Merge(options, {})));
  if (options.threads < 0) {
    return Status::InvalidArgument("threads = " + std::to_string(options.threads) + "; expected >= 0");
  }
  if (options.max_image_pixels < 1) {
    return Status::InvalidArgument("max_image_pixels = " + std::to_string(options.max_image_pixels) +
                                   "; expected >= 1");
  }
  if (options.idle_trim_seconds < 0) {
    return Status::InvalidArgument("idle_trim_seconds = " + std::to_string(options.idle_trim_seconds) +
                                   "; expected >= 0 (0: never)");
  }
  std::unique_ptr<OcrPipeline> p(new OcrPipeline());
  p->options_ = options;
  p->stages_ = std::make_unique<Stages>();
  if (options.fix_mmap_threshold) FixMmapThreshold();
  Stages& s = *p->stages_;
  if (!options.doc_orientation_model.empty()) {
    // PaddleX's ONNX model directories hold the model as inference.onnx.
    fs::path doc_path(options.doc_orientation_model);
    std::error_code ec;
    if (fs::is_directory(doc_path, ec)) doc_path /= "inference.onnx";
    auto doc_model = Model::Load(doc_path.string());
    if (!doc_model.ok()) return doc_model.status().WithContext("doc_orientation_model");
    s.doc_model = std::move(doc_model).value();
  }
  if (p->options_.model_dir.empty()) {
    PLATEAU_ASSIGN_OR_RETURN(p->options_.model_dir, FindModelDir());
  }
  const fs::path dir(p->options_.model_dir);
  PLATEAU_ASSIGN_OR_RETURN(s.det_model, Model::Load((dir / options.det_model).string()));
  PLATEAU_ASSIGN_OR_RETURN(s.cls_model, Model::Load((dir / options.cls_model).string()));
  PLATEAU_ASSIGN_OR_RETURN(s.rec_model, Model::Load((dir / options.rec_model).string()));
  PLATEAU_ASSIGN_OR_RETURN(ocr::CtcDecoder decoder,
                           ocr::CtcDecoder::FromFile((dir / options.rec_dict).string()));
  s.decoder = std::make_shared<const ocr::CtcDecoder>(std::move(decoder));
  PLATEAU_RETURN_IF_ERROR(s.OpenSessions(options));
  // Loading parsed each file whole (its bytes, the protobuf, the decoded tensors); the freed pages go
  // back to the OS now rather than sit in the heap for the pipeline's lifetime.
  malloc_trim(0);
  return p;
}

StatusOr<std::unique_ptr<OcrPipeline>> OcrPipeline::Fork() const {
  std::unique_ptr<OcrPipeline> p(new OcrPipeline());
  p->options_ = options_;
  p->stages_ = std::make_unique<Stages>();
  p->stages_->doc_model = stages_->doc_model;
  p->stages_->det_model = stages_->det_model;
  p->stages_->cls_model = stages_->cls_model;
  p->stages_->rec_model = stages_->rec_model;
  p->stages_->decoder = stages_->decoder;
  PLATEAU_RETURN_IF_ERROR(p->stages_->OpenSessions(options_));
  return p;
}

namespace {

using Clock = std::chrono::steady_clock;

// Adds the time since the previous lap to a stage's figure; does nothing without a figure to add to.
class StageClock {
 public:
  explicit StageClock(OcrStageTimes* times) : times_(times), last_(Clock::now()) {}
  void Lap(double OcrStageTimes::*stage) {
    if (times_ == nullptr) return;
    const Clock::time_point now = Clock::now();
    times_->*stage += std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
  }

 private:
  OcrStageTimes* times_;
  Clock::time_point last_;
};

// Runs the stages on one decoded page and fills the result's OCR fields (and the stage times when the
// result carries them).
Status RunPage(OcrPipeline::Stages& stages, const Params& p, const cv::Mat& bgr, OcrResult* r) {
  StageClock clock(r->stage_times ? &*r->stage_times : nullptr);
  r->model_settings.use_doc_preprocessor = p.use_doc_orientation_classify;
  r->model_settings.use_textline_orientation = p.use_textline_orientation;
  r->doc_preprocessor_res.model_settings.use_doc_orientation_classify = p.use_doc_orientation_classify;
  r->doc_preprocessor_res.model_settings.use_doc_unwarping = false;
  r->doc_preprocessor_res.angle = -1;
  r->text_det_params = {p.limit_side_len, p.limit_type, p.thresh,
                        p.max_side_limit, p.box_thresh, p.unclip_ratio};
  r->text_rec_score_thresh = p.score_thresh;

  ocr::DetParams det;
  det.limit_side_len = p.limit_side_len;
  det.limit_type = p.limit_type;
  det.max_side_limit = p.max_side_limit;
  det.thresh = p.thresh;
  det.box_thresh = p.box_thresh;
  det.unclip_ratio = p.unclip_ratio;
  det.tiled = p.det_tiled;
  // With a model the page is turned before detection. Without one the orientation is read off the
  // detected lines; an upright page (most pages) then costs no second detection, nor does one upside
  // down, whose boxes are turned with the page (docs/BENCHMARKS.md compares this with detecting again).
  cv::Mat page = bgr;
  if (p.use_doc_orientation_classify && stages.doc != nullptr) {
    auto o = stages.doc->Classify(bgr);
    if (!o.ok()) return o.status().WithContext("document orientation");
    r->doc_preprocessor_res.angle = o->angle();
    page = ocr::TurnPage(bgr, o->angle());
    clock.Lap(&OcrStageTimes::doc_orientation);
  }
  MemoryBudget budget(stages, p.memory_limit);
  if (p.memory_limit > 0) {
    ocr::DetResizeOptions resize{p.limit_side_len, ocr::LimitType::kMin, p.max_side_limit};
    PLATEAU_ASSIGN_OR_RETURN(resize.limit_type, ocr::ParseLimitType(p.limit_type));
    PLATEAU_ASSIGN_OR_RETURN(
        ocr::DetTilePlan plan,
        ocr::PlanDetection(page.rows, page.cols, resize, p.det_tiled, stages.det->options().tiles));
    PLATEAU_RETURN_IF_ERROR(budget.AdmitDetection(page.size(), plan));
  }
  const size_t page_bytes = page.total() * page.elemSize();
  auto boxes = stages.det->Detect(page, det);
  if (!boxes.ok()) return boxes.status().WithContext("text detection");
  clock.Lap(&OcrStageTimes::detection);
  if (p.use_doc_orientation_classify && stages.doc == nullptr) {
    ocr::DocOrientationVoteOptions vote;
    vote.batch_size = p.cls_batch;
    auto o = ocr::EstimateDocOrientation(bgr, *boxes, *stages.cls, vote);
    if (!o.ok()) return o.status().WithContext("document orientation");
    const int angle = o->angle();
    r->doc_preprocessor_res.angle = angle;
    page = ocr::TurnPage(bgr, angle);
    clock.Lap(&OcrStageTimes::doc_orientation);
    if (angle == 180) {
      ocr::TurnBoxes(&*boxes, angle, bgr.cols, bgr.rows);
    } else if (angle != 0) {
      // The detector misses and merges lines that run vertically (a sideways phototest page: 5 boxes
      // instead of 8), so turning its boxes would lose text: the turned page is detected again.
      boxes = stages.det->Detect(page, det);
      if (!boxes.ok()) return boxes.status().WithContext("text detection of the turned page");
      clock.Lap(&OcrStageTimes::detection);
    }
  }
  r->page_image = page;

  std::vector<cv::Mat> crops;
  crops.reserve(boxes->quads.size());
  for (size_t i = 0; i < boxes->quads.size(); ++i) {
    auto crop = ocr::CropTextLine(page, boxes->quads[i]);
    if (!crop.ok()) return crop.status().WithContext("crop of text box " + std::to_string(i));
    crops.push_back(std::move(crop).value());
    r->dt_polys.push_back(ToPoly(boxes->quads[i]));
  }
  r->dt_scores = boxes->scores;
  clock.Lap(&OcrStageTimes::crop);

  r->textline_orientation_angles.assign(crops.size(), -1);
  if (p.use_textline_orientation && !crops.empty()) {
    PLATEAU_ASSIGN_OR_RETURN(const int cls_batch, budget.ChooseClsBatch(p.cls_batch, crops, page_bytes));
    const ocr::TextlineTurnOptions rule{static_cast<float>(p.cls_thresh),
                                        static_cast<float>(p.cls_page_thresh)};
    auto turned = stages.cls->OrientLines(&crops, rule, cls_batch);
    if (!turned.ok()) return turned.status().WithContext("text line orientation");
    for (size_t i = 0; i < turned->size(); ++i) r->textline_orientation_angles[i] = (*turned)[i] ? 180 : 0;
    clock.Lap(&OcrStageTimes::textline_orientation);
  }

  ocr::RecognizeOverrides rec;
  PLATEAU_ASSIGN_OR_RETURN(rec.batch_size, budget.ChooseRecBatch(p.rec_batch, crops, page_bytes));
  rec.score_thresh = static_cast<float>(p.score_thresh);
  auto lines = stages.rec->Recognize(crops, rec);
  if (!lines.ok()) return lines.status().WithContext("text recognition");
  clock.Lap(&OcrStageTimes::recognition);
  for (size_t i = 0; i < lines->size(); ++i) {
    const ocr::RecognizedLine& line = (*lines)[i];
    // Compared here rather than trusting `accepted` alone, so the rule is the pipeline's own.
    if (!(line.score >= static_cast<float>(p.score_thresh))) continue;
    r->rec_texts.push_back(p.space_gaps ? ocr::SpaceWideGaps(line) : line.text);
    if (p.fold_fullwidth) ocr::FoldFullwidth(&r->rec_texts.back());
    r->rec_scores.push_back(line.score);
    const OcrPoly& poly = r->dt_polys[i];
    r->rec_polys.push_back(poly);
    std::array<int, 4> box = {poly[0][0], poly[0][1], poly[0][0], poly[0][1]};
    for (const OcrPoint& pt : poly) {
      box[0] = std::min(box[0], pt[0]);
      box[1] = std::min(box[1], pt[1]);
      box[2] = std::max(box[2], pt[0]);
      box[3] = std::max(box[3], pt[1]);
    }
    r->rec_boxes.push_back(box);
  }
  return Status::Ok();
}

}  // namespace

// What a range needs between steps: the inputs not yet started, the files of a directory being walked,
// the PDF being paged through, and the result of the last step.
struct OcrRange::State {
  OcrPipeline::Stages* stages = nullptr;
  Params params;
  std::deque<OcrInput> inputs;
  std::deque<std::string> pending_files;  // from a directory, sorted
  std::unique_ptr<io::PdfDocument> pdf;
  int next_page = 0;
  bool started = false;
  bool done = false;
  OcrResult current;
  // When the step (reading the input included) began, for OcrStageTimes.
  Clock::time_point step_start;

  void Advance();
  // Advance, with an allocation failure outside the stages (decoding, listing) turned into an error
  // result.
  void GuardedAdvance() {
    step_start = Clock::now();
    try {
      Advance();
    } catch (const std::bad_alloc&) {
      Fail("(input being read)", -1, Status::ResourceExhausted("out of memory while reading the input"));
    }
  }
  void ProcessImage(StatusOr<cv::Mat> image, std::string label, int page,
                    std::vector<std::string> warnings = {});
  void OpenPdf(StatusOr<std::unique_ptr<io::PdfDocument>> doc, const std::string& label);
  void ProcessFile(const std::string& path);
  void Fail(std::string label, int page, Status error) {
    current = OcrResult();
    current.input_path = std::move(label);
    current.page_index = page;
    current.error = std::move(error);
  }
};

void OcrRange::State::ProcessImage(StatusOr<cv::Mat> image, std::string label, int page,
                                   std::vector<std::string> warnings) {
  if (!image.ok()) return Fail(std::move(label), page, image.status());
  current = OcrResult();
  current.input_path = std::move(label);
  current.page_index = page;
  current.warnings = std::move(warnings);
  if (params.timing) {
    current.stage_times.emplace();
    current.stage_times->decode =
        std::chrono::duration<double, std::milli>(Clock::now() - step_start).count();
  }
  Status st;
  // An allocation that fails inside the stages ends this page only; sessions stay usable (their plans
  // and arenas are replaced only once complete), so the next input runs normally.
  try {
    st = RunPage(*stages, params, *image, &current);
  } catch (const std::bad_alloc&) {
    st = Status::ResourceExhausted("out of memory while processing the page");
  } catch (const std::exception& e) {
    st = Status::Internal(std::string("unexpected exception while processing the page: ") + e.what());
  }
  stages->MarkUsed();
  if (current.stage_times) {
    current.stage_times->total = std::chrono::duration<double, std::milli>(Clock::now() - step_start).count();
  }
  if (!st.ok()) Fail(current.input_path, page, st.WithContext(current.input_path));
}

void OcrRange::State::OpenPdf(StatusOr<std::unique_ptr<io::PdfDocument>> doc, const std::string& label) {
  if (!doc.ok()) return Fail(label, -1, doc.status());
  if ((*doc)->num_pages() <= 0)
    return Fail(label, -1, Status::InvalidArgument(label + ": the PDF has no pages"));
  pdf = std::move(doc).value();
  next_page = 0;
  Advance();
}

void OcrRange::State::ProcessFile(const std::string& path) {
  std::error_code ec;
  if (Lower(fs::path(path).extension().string()) == ".pdf") {
    return OpenPdf(io::PdfDocument::OpenFile(path), path);
  }
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return Fail(path, -1, bytes.status());
  if (io::LooksLikePdf(*bytes)) return OpenPdf(io::PdfDocument::Open(std::move(bytes).value(), path), path);
  std::vector<std::string> warnings;
  auto image = io::DecodeImage(*bytes, path, params.max_image_pixels, &warnings);
  ProcessImage(std::move(image), path, -1, std::move(warnings));
}

void OcrRange::State::Advance() {
  if (pdf) {
    const int page = next_page++;
    const std::string label = pdf->label();
    // What poppler said while opening the document goes with its first page.
    std::vector<std::string> warnings;
    if (page == 0) warnings = pdf->open_warnings();
    auto image = pdf->RenderPage(page, io::kDefaultPdfDpi, params.max_image_pixels, &warnings);
    if (next_page >= pdf->num_pages()) pdf.reset();
    return ProcessImage(std::move(image), label, page, std::move(warnings));
  }
  if (!pending_files.empty()) {
    std::string path = std::move(pending_files.front());
    pending_files.pop_front();
    return ProcessFile(path);
  }
  if (inputs.empty()) {
    done = true;
    current = OcrResult();
    return;
  }
  OcrInput in = std::move(inputs.front());
  inputs.pop_front();
  switch (in.kind) {
    case OcrInput::Kind::kImage:
      return ProcessImage(io::ToBgr8(in.image, in.label, params.max_image_pixels), in.label, -1);
    case OcrInput::Kind::kBytes: {
      if (io::LooksLikePdf(in.bytes))
        return OpenPdf(io::PdfDocument::Open(std::move(in.bytes), in.label), in.label);
      std::vector<std::string> warnings;
      auto image = io::DecodeImage(in.bytes, in.label, params.max_image_pixels, &warnings);
      return ProcessImage(std::move(image), in.label, -1, std::move(warnings));
    }
    case OcrInput::Kind::kPath:
      break;
  }
  std::error_code ec;
  if (!fs::is_directory(in.path, ec)) {
    if (!fs::exists(in.path, ec))
      return Fail(in.path, -1, Status::NotFound("no such file or directory: '" + in.path + "'"));
    return ProcessFile(in.path);
  }
  StatusOr<std::vector<std::string>> files = ListOcrInputFiles(in.path);
  if (!files.ok()) return Fail(in.path, -1, files.status());
  if (files->empty()) {
    return Fail(in.path, -1,
                Status::NotFound("directory '" + in.path + "' holds no image or PDF files (" +
                                 "jpg, jpeg, png, bmp, tif, tiff, webp, pdf)"));
  }
  pending_files.assign(files->begin(), files->end());
  Advance();
}

const OcrResult& OcrRange::Iterator::operator*() const { return state_->current; }

OcrRange::Iterator& OcrRange::Iterator::operator++() {
  state_->GuardedAdvance();
  if (state_->done) state_ = nullptr;
  return *this;
}

bool OcrRange::Iterator::operator==(const Iterator& other) const { return state_ == other.state_; }

OcrRange::OcrRange(std::unique_ptr<State> state) : state_(std::move(state)) {}
OcrRange::OcrRange(OcrRange&&) noexcept = default;
OcrRange& OcrRange::operator=(OcrRange&&) noexcept = default;
OcrRange::~OcrRange() = default;

OcrRange::Iterator OcrRange::begin() {
  if (!state_->started) {
    state_->started = true;
    state_->GuardedAdvance();
  }
  return state_->done ? Iterator() : Iterator(state_.get());
}

StatusOr<OcrRange> OcrPipeline::Predict(std::vector<OcrInput> inputs, const OcrOverrides& overrides) {
  try {
    return PredictUnguarded(std::move(inputs), overrides);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory while starting Predict");
  }
}

StatusOr<OcrRange> OcrPipeline::PredictUnguarded(std::vector<OcrInput> inputs,
                                                 const OcrOverrides& overrides) {
  Params params = Merge(options_, overrides);
  PLATEAU_RETURN_IF_ERROR(CheckParams(params));
  auto state = std::make_unique<OcrRange::State>();
  state->stages = stages_.get();
  state->params = std::move(params);
  for (OcrInput& in : inputs) state->inputs.push_back(std::move(in));
  return OcrRange(std::move(state));
}

namespace {

nlohmann::ordered_json PolysJson(const std::vector<OcrPoly>& polys) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const OcrPoly& poly : polys) {
    nlohmann::ordered_json q = nlohmann::ordered_json::array();
    for (const OcrPoint& pt : poly) q.push_back({pt[0], pt[1]});
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace

nlohmann::ordered_json ocr::ResultJson(const OcrResult& r) {
  nlohmann::ordered_json res = nlohmann::ordered_json::object();
  res["input_path"] = r.input_path;
  res["page_index"] =
      r.page_index < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.page_index);
  if (!r.error.ok()) {
    res["error"] = r.error.ToString();
  } else {
    res["model_settings"] = {{"use_doc_preprocessor", r.model_settings.use_doc_preprocessor},
                             {"use_textline_orientation", r.model_settings.use_textline_orientation}};
    if (r.model_settings.use_doc_preprocessor) {
      const auto& doc = r.doc_preprocessor_res;
      res["doc_preprocessor_res"] = {
          {"input_path", r.input_path},
          {"page_index",
           r.page_index < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.page_index)},
          {"model_settings",
           {{"use_doc_orientation_classify", doc.model_settings.use_doc_orientation_classify},
            {"use_doc_unwarping", doc.model_settings.use_doc_unwarping}}},
          {"angle", doc.angle}};
    }
    res["dt_polys"] = PolysJson(r.dt_polys);
    res["dt_scores"] = r.dt_scores;
    const auto& d = r.text_det_params;
    res["text_det_params"] = {
        {"limit_side_len", d.limit_side_len}, {"limit_type", d.limit_type}, {"thresh", d.thresh},
        {"max_side_limit", d.max_side_limit}, {"box_thresh", d.box_thresh}, {"unclip_ratio", d.unclip_ratio}};
    res["text_type"] = r.text_type;
    res["textline_orientation_angles"] = r.textline_orientation_angles;
    res["text_rec_score_thresh"] = r.text_rec_score_thresh;
    res["rec_texts"] = r.rec_texts;
    res["rec_scores"] = r.rec_scores;
    res["rec_polys"] = PolysJson(r.rec_polys);
    res["rec_boxes"] = r.rec_boxes;
    if (r.stage_times) {
      const OcrStageTimes& t = *r.stage_times;
      res["stage_times_ms"] = {{"decode", t.decode},
                               {"doc_orientation", t.doc_orientation},
                               {"detection", t.detection},
                               {"crop", t.crop},
                               {"textline_orientation", t.textline_orientation},
                               {"recognition", t.recognition},
                               {"total", t.total}};
    }
    if (!r.warnings.empty()) res["warnings"] = r.warnings;
  }
  return res;
}

std::string ToJson(const OcrResult& r, int indent) {
  // Invalid UTF-8 (which the decoder should never emit) is replaced rather than thrown on.
  return nlohmann::ordered_json{{"res", ocr::ResultJson(r)}}.dump(
      indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Status SaveJson(const OcrResult& result, const std::string& dir) {
  PLATEAU_ASSIGN_OR_RETURN(const std::string path, ocr::ResultFilePath(result, dir, "_res.json"));
  std::ofstream out(path, std::ios::binary);
  if (!out) return Status::NotFound("cannot write '" + path + "'");
  out << ToJson(result, 4) << "\n";
  out.close();
  if (!out) return Status::DataLoss("error writing '" + path + "'");
  return Status::Ok();
}

}  // namespace plateau
