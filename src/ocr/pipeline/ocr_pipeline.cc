#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "common/check.h"
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
#include "ocr/pipeline/ordered_workers.h"
#include "ocr/pipeline/result_files.h"
#include "ocr/pipeline/result_json.h"
#include "ocr/pipeline/state.h"
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
struct PredictParams {
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

Status CheckPredictParams(const PredictParams& p) {
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

PredictParams Merge(const OcrOptions& o, const OcrOverrides& v) {
  PredictParams p;
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

Status OcrPipeline::State::OpenSessions(const OcrOptions& options) {
  // What every stage's session shares; the models are already loaded, so no path is needed. The stages
  // run one after another, so one activation block serves them all: it is as large as detection's
  // alone, where arenas of their own would add recognition's and classification's to it.
  ocr::StageSessionOptions session;
  session.threads = options.threads;
  arena = SharedArena::Create();
  session.shared_arena = arena;

  if (doc_model) {
    ocr::DocOrientationClassifierOptions doc_options;
    doc_options.session = session;
    auto classifier = ocr::DocOrientationClassifier::Create(doc_model, doc_options);
    if (!classifier.ok()) return classifier.status().WithContext("doc_orientation_model");
    doc = std::move(classifier).value();
  }

  // Every Detect call passes all six detection parameters (the page's PredictParams), so the detector's own
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
  PLATEAU_RETURN_IF_ERROR(CheckPredictParams(Merge(options, {})));
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
  p->state_ = std::make_unique<State>();
  if (options.fix_mmap_threshold) FixMmapThreshold();
  State& s = *p->state_;
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
  p->state_ = std::make_unique<State>();
  p->state_->doc_model = state_->doc_model;
  p->state_->det_model = state_->det_model;
  p->state_->cls_model = state_->cls_model;
  p->state_->rec_model = state_->rec_model;
  p->state_->decoder = state_->decoder;
  PLATEAU_RETURN_IF_ERROR(p->state_->OpenSessions(options_));
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
Status RunPage(OcrPipeline::State& state, const PredictParams& p, const cv::Mat& bgr, OcrResult* r) {
  StageClock clock(r->stage_times ? &*r->stage_times : nullptr);
  r->model_settings.use_doc_preprocessor = p.use_doc_orientation_classify;
  r->model_settings.use_textline_orientation = p.use_textline_orientation;
  r->doc_preprocessor_res.model_settings.use_doc_orientation_classify = p.use_doc_orientation_classify;
  r->doc_preprocessor_res.model_settings.use_doc_unwarping = false;
  r->doc_preprocessor_res.angle = -1;
  r->text_det_params = {p.limit_side_len, p.limit_type, p.thresh,
                        p.max_side_limit, p.box_thresh, p.unclip_ratio};
  r->text_rec_score_thresh = p.score_thresh;

  ocr::DetOverrides det;
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
  if (p.use_doc_orientation_classify && state.doc != nullptr) {
    auto o = state.doc->Classify(bgr);
    if (!o.ok()) return o.status().WithContext("document orientation");
    r->doc_preprocessor_res.angle = o->angle();
    page = ocr::TurnPage(bgr, o->angle());
    clock.Lap(&OcrStageTimes::doc_orientation);
  }
  MemoryBudget budget(state, p.memory_limit);
  if (p.memory_limit > 0) {
    ocr::DetResizeOptions resize{p.limit_side_len, ocr::LimitType::kMin, p.max_side_limit};
    PLATEAU_ASSIGN_OR_RETURN(resize.limit_type, ocr::ParseLimitType(p.limit_type));
    PLATEAU_ASSIGN_OR_RETURN(
        ocr::DetTilePlan plan,
        ocr::PlanDetection(page.rows, page.cols, resize, p.det_tiled, state.det->options().tiles));
    PLATEAU_RETURN_IF_ERROR(budget.AdmitDetection(page.size(), plan));
  }
  const size_t page_bytes = page.total() * page.elemSize();
  auto boxes = state.det->Detect(page, det);
  if (!boxes.ok()) return boxes.status().WithContext("text detection");
  clock.Lap(&OcrStageTimes::detection);
  if (p.use_doc_orientation_classify && state.doc == nullptr) {
    ocr::DocOrientationVoteOptions vote;
    vote.batch_size = p.cls_batch;
    auto o = ocr::EstimateDocOrientation(bgr, *boxes, *state.cls, vote);
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
      boxes = state.det->Detect(page, det);
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
    auto turned = state.cls->OrientLines(&crops, rule, cls_batch);
    if (!turned.ok()) return turned.status().WithContext("text line orientation");
    for (size_t i = 0; i < turned->size(); ++i) r->textline_orientation_angles[i] = (*turned)[i] ? 180 : 0;
    clock.Lap(&OcrStageTimes::textline_orientation);
  }

  ocr::RecOverrides rec;
  PLATEAU_ASSIGN_OR_RETURN(rec.batch_size, budget.ChooseRecBatch(p.rec_batch, crops, page_bytes));
  rec.score_thresh = static_cast<float>(p.score_thresh);
  auto lines = state.rec->Recognize(crops, rec);
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

// A PDF whose pages are handed to workers one by one: poppler's document is used by one thread at a time.
struct SharedPdf {
  std::mutex mu;
  std::unique_ptr<io::PdfDocument> doc;
};

// One result's worth of work, as InputCursor takes it from the inputs: what is cheap and must happen in
// input order (listing a directory, reading a file, opening a PDF) is done; decoding or rendering the
// page and the stages are left to RunJob, which may run on another thread.
struct PageJob {
  enum class Kind { kFailed, kEncoded, kImage, kPdfPage };
  Kind kind = Kind::kFailed;
  std::string label;
  int page = -1;
  Status error;                       // kFailed
  std::string bytes;                  // kEncoded: an image file's bytes
  cv::Mat image;                      // kImage: as given (converted by RunJob)
  std::shared_ptr<SharedPdf> pdf;     // kPdfPage
  std::vector<std::string> warnings;  // kPdfPage: what poppler said opening it (first page only)
  Clock::time_point start;            // when taking it began, for OcrStageTimes::decode

  static PageJob Failed(std::string label, int page, Status error) {
    PageJob job;
    job.label = std::move(label);
    job.page = page;
    job.error = std::move(error);
    return job;
  }
};

// The inputs of a Predict call as a sequence of PageJobs, one per result, in the order the results come.
class InputCursor {
 public:
  explicit InputCursor(std::vector<OcrInput> inputs)
      : inputs_(std::make_move_iterator(inputs.begin()), std::make_move_iterator(inputs.end())) {}

  // The next job; nullopt once every input has given its results.
  std::optional<PageJob> Next() {
    const Clock::time_point start = Clock::now();
    std::optional<PageJob> job;
    try {
      job = NextUnguarded();
    } catch (const std::bad_alloc&) {
      job = PageJob::Failed("(input being read)", -1,
                            Status::ResourceExhausted("out of memory while reading the input"));
    }
    if (job) job->start = start;
    return job;
  }

 private:
  std::optional<PageJob> NextUnguarded() {
    if (pdf_) {
      PageJob job;
      job.kind = PageJob::Kind::kPdfPage;
      job.label = pdf_->doc->label();
      job.page = next_page_++;
      // What poppler said while opening the document goes with its first page.
      if (job.page == 0) job.warnings = pdf_->doc->open_warnings();
      job.pdf = pdf_;
      if (next_page_ >= pdf_->doc->num_pages()) pdf_.reset();
      return job;
    }
    if (!pending_files_.empty()) {
      std::string path = std::move(pending_files_.front());
      pending_files_.pop_front();
      return File(path);
    }
    if (inputs_.empty()) return std::nullopt;
    OcrInput in = std::move(inputs_.front());
    inputs_.pop_front();
    switch (in.kind) {
      case OcrInput::Kind::kImage: {
        PageJob job;
        job.kind = PageJob::Kind::kImage;
        job.label = std::move(in.label);
        job.image = std::move(in.image);
        return job;
      }
      case OcrInput::Kind::kBytes:
        if (io::LooksLikePdf(in.bytes))
          return OpenPdf(io::PdfDocument::Open(std::move(in.bytes), in.label), in.label);
        return Encoded(std::move(in.bytes), std::move(in.label));
      case OcrInput::Kind::kPath:
        break;
    }
    std::error_code ec;
    if (!fs::is_directory(in.path, ec)) {
      if (!fs::exists(in.path, ec))
        return PageJob::Failed(in.path, -1, Status::NotFound("no such file or directory: '" + in.path + "'"));
      return File(in.path);
    }
    StatusOr<std::vector<std::string>> files = ListOcrInputFiles(in.path);
    if (!files.ok()) return PageJob::Failed(in.path, -1, files.status());
    if (files->empty()) {
      return PageJob::Failed(in.path, -1,
                             Status::NotFound("directory '" + in.path + "' holds no image or PDF files (" +
                                              "jpg, jpeg, png, bmp, tif, tiff, webp, pdf)"));
    }
    pending_files_.assign(files->begin(), files->end());
    return NextUnguarded();
  }

  std::optional<PageJob> File(const std::string& path) {
    if (Lower(fs::path(path).extension().string()) == ".pdf")
      return OpenPdf(io::PdfDocument::OpenFile(path), path);
    auto bytes = ReadFileBytes(path);
    if (!bytes.ok()) return PageJob::Failed(path, -1, bytes.status());
    if (io::LooksLikePdf(*bytes)) return OpenPdf(io::PdfDocument::Open(std::move(bytes).value(), path), path);
    return Encoded(std::move(bytes).value(), path);
  }

  static PageJob Encoded(std::string bytes, std::string label) {
    PageJob job;
    job.kind = PageJob::Kind::kEncoded;
    job.label = std::move(label);
    job.bytes = std::move(bytes);
    return job;
  }

  std::optional<PageJob> OpenPdf(StatusOr<std::unique_ptr<io::PdfDocument>> doc, const std::string& label) {
    if (!doc.ok()) return PageJob::Failed(label, -1, doc.status());
    if ((*doc)->num_pages() <= 0)
      return PageJob::Failed(label, -1, Status::InvalidArgument(label + ": the PDF has no pages"));
    pdf_ = std::make_shared<SharedPdf>();
    pdf_->doc = std::move(doc).value();
    next_page_ = 0;
    return NextUnguarded();
  }

  std::deque<OcrInput> inputs_;
  std::deque<std::string> pending_files_;  // from a directory, sorted
  std::shared_ptr<SharedPdf> pdf_;         // the PDF being paged through
  int next_page_ = 0;
};

OcrResult FailedResult(std::string label, int page, Status error) {
  OcrResult r;
  r.input_path = std::move(label);
  r.page_index = page;
  r.error = std::move(error);
  return r;
}

// Decodes (or renders) the job's page and runs the stages on it; every failure, an allocation that fails
// included, becomes the result's error, so that the next job runs normally.
OcrResult RunJob(OcrPipeline::State& state, const PredictParams& params, PageJob job) {
  if (job.kind == PageJob::Kind::kFailed)
    return FailedResult(std::move(job.label), job.page, std::move(job.error));
  std::vector<std::string> warnings = std::move(job.warnings);
  StatusOr<cv::Mat> image = Status::Internal("page not decoded");
  try {
    switch (job.kind) {
      case PageJob::Kind::kEncoded:
        image = io::DecodeImage(job.bytes, job.label, params.max_image_pixels, &warnings);
        job.bytes = std::string();
        break;
      case PageJob::Kind::kImage:
        image = io::ToBgr8(job.image, job.label, params.max_image_pixels);
        job.image.release();
        break;
      case PageJob::Kind::kPdfPage: {
        std::lock_guard<std::mutex> lock(job.pdf->mu);
        image = job.pdf->doc->RenderPage(job.page, io::kDefaultPdfDpi, params.max_image_pixels, &warnings);
        break;
      }
      case PageJob::Kind::kFailed:
        break;
    }
  } catch (const std::bad_alloc&) {
    image = Status::ResourceExhausted("out of memory while reading the input");
  }
  job.pdf.reset();  // the document closes with its last page's job
  if (!image.ok()) return FailedResult(std::move(job.label), job.page, image.status());

  OcrResult r;
  r.input_path = std::move(job.label);
  r.page_index = job.page;
  r.warnings = std::move(warnings);
  if (params.timing) {
    r.stage_times.emplace();
    r.stage_times->decode = std::chrono::duration<double, std::milli>(Clock::now() - job.start).count();
  }
  Status st;
  // An allocation that fails inside the stages ends this page only; sessions stay usable (their plans
  // and arenas are replaced only once complete), so the next input runs normally.
  try {
    st = RunPage(state, params, *image, &r);
  } catch (const std::bad_alloc&) {
    st = Status::ResourceExhausted("out of memory while processing the page");
  } catch (const std::exception& e) {
    st = Status::Internal(std::string("unexpected exception while processing the page: ") + e.what());
  }
  state.MarkUsed();
  if (r.stage_times) {
    r.stage_times->total = std::chrono::duration<double, std::milli>(Clock::now() - job.start).count();
  }
  if (!st.ok()) return FailedResult(r.input_path, r.page_index, st.WithContext(r.input_path));
  return r;
}

}  // namespace

// What a range needs between steps: where it stands in the inputs and the result of the last step.
struct OcrRange::State {
  virtual ~State() = default;
  // Makes `current` the next result, or sets `done`.
  virtual void Advance() = 0;
  bool started = false;
  bool done = false;
  OcrResult current;
};

namespace {

// Predict's range: one job at a time on the calling thread.
struct SequentialState : OcrRange::State {
  SequentialState(OcrPipeline::State* state, PredictParams params, std::vector<OcrInput> inputs)
      : state(state), params(std::move(params)), cursor(std::move(inputs)) {}
  void Advance() override {
    current = OcrResult();  // the last page's memory goes before the next page is read
    std::optional<PageJob> job = cursor.Next();
    if (!job) {
      done = true;
      return;
    }
    current = RunJob(*state, params, std::move(job).value());
  }
  OcrPipeline::State* state;
  PredictParams params;
  InputCursor cursor;
};

// PredictParallel's range: the jobs taken in input order, run by one thread per pipeline, the results
// handed out in the same order (ordered_workers.h).
struct ParallelState : OcrRange::State {
  ParallelState(std::vector<OcrPipeline::State*> states, PredictParams params, std::vector<OcrInput> inputs)
      : states(std::move(states)),
        params(std::move(params)),
        cursor(std::move(inputs)),
        // Taking a job reads its file and opens a PDF under the workers' lock; that is a small part of a
        // page's time, and it keeps the order of the results that of the inputs.
        workers(this->states.size(), 2 * this->states.size(),
                [this]() -> std::optional<ocr::OrderedWorkers<OcrResult>::Task> {
                  std::optional<PageJob> job = cursor.Next();
                  if (!job) return std::nullopt;
                  return [this, job = std::move(job).value()](size_t worker) mutable {
                    return RunJob(*this->states[worker], this->params, std::move(job));
                  };
                }) {}
  void Advance() override {
    current = OcrResult();  // counted in the window until the next result is asked for
    std::optional<OcrResult> next = workers.Next();
    if (!next) {
      done = true;
      return;
    }
    current = std::move(next).value();
  }
  std::vector<OcrPipeline::State*> states;
  const PredictParams params;
  InputCursor cursor;                      // used by the source only, under the workers' lock
  ocr::OrderedWorkers<OcrResult> workers;  // last: its threads stop before the rest goes
};

}  // namespace

const OcrResult& OcrRange::Iterator::operator*() const { return state_->current; }

OcrRange::Iterator& OcrRange::Iterator::operator++() {
  state_->Advance();
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
    state_->Advance();
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
  PredictParams params = Merge(options_, overrides);
  PLATEAU_RETURN_IF_ERROR(CheckPredictParams(params));
  return OcrRange(std::make_unique<SequentialState>(state_.get(), std::move(params), std::move(inputs)));
}

StatusOr<OcrRange> OcrPipeline::PredictParallel(const std::vector<OcrPipeline*>& workers,
                                                std::vector<OcrInput> inputs, const OcrOverrides& overrides) {
  if (workers.empty()) return Status::InvalidArgument("PredictParallel needs at least one pipeline");
  for (size_t i = 0; i < workers.size(); ++i) {
    PLATEAU_CHECK(workers[i] != nullptr);
    for (size_t j = 0; j < i; ++j) {
      if (workers[j] == workers[i]) {
        return Status::InvalidArgument("PredictParallel: pipeline " + std::to_string(j) +
                                       " is given twice (" + std::to_string(i) +
                                       "); each worker needs a pipeline of its own (Fork)");
      }
    }
  }
  if (workers.size() == 1) return workers[0]->Predict(std::move(inputs), overrides);
  try {
    PredictParams params = Merge(workers[0]->options_, overrides);
    PLATEAU_RETURN_IF_ERROR(CheckPredictParams(params));
    std::vector<State*> states;
    for (OcrPipeline* w : workers) states.push_back(w->state_.get());
    return OcrRange(std::make_unique<ParallelState>(std::move(states), std::move(params), std::move(inputs)));
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory while starting PredictParallel");
  }
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
