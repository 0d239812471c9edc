#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/ocr_flags.h"
#include "io/image.h"
#include "ocr/cls/textline_classifier.h"
#include "ocr/common/stage_session.h"
#include "ocr/det/text_detector.h"
#include "ocr/doc/doc_orientation.h"
#include "ocr/rec/text_recognizer.h"
#include "plateau/model_dir.h"
#include "plateau/ocr.h"

namespace plateau::cli {
namespace {

int Fail(const Status& s) {
  std::cerr << "plateau: " << s.ToString() << "\n";
  return 1;
}

// The ocr command's own flags; the pipeline's follow them (cli/ocr_flags.h).
const std::vector<FlagSpec> kOcrOwnSpecs = {
    {"input", "image, PDF or directory of them", true, false, {"i"}},
    {"save_path", "directory to write {stem}_res.json and {stem}_ocr_res_img.png to", false, false, {}},
    {"memory_stats", "print the memory statistics (JSON) on stderr at the end", false, true, {}},
    {"warmup",
     "build every plan the pipeline can use before the first page (on every worker), so memory is flat "
     "from it; prints the memory ceiling (the default)",
     false,
     true,
     {}},
    NoWarmupSpec(),
    {"workers",
     "pages read at once, each by a worker with its own sessions over one copy of the models; output is "
     "the same and in the same order as with 1; at most 2 x N pages are held at once (N being read, the "
     "others finished and waiting their turn) (default 1, 1..256)",
     false,
     false,
     {}},
    {"threads",
     "intra-op threads per worker, so N workers run N x T threads (0 = all cores; default 0 with one "
     "worker, cores / N, at least 1, with more)",
     false,
     false,
     {}},
};

// The most --workers accepts: each worker holds its own arenas and plans (docs/MEMORY.md), and pages are
// no faster once the workers outnumber the cores.
constexpr long long kMaxWorkers = 256;

// "[#####.....] 3 results (8 input files)" redrawn in place on stderr at each step; a message printed
// through it replaces the bar's line, which the next step draws again below it. Draws nothing when
// disabled (messages are still printed).
class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled) : total_(total), enabled_(enabled) {}
  void Message(const std::string& line) {
    if (enabled_ && drawn_) std::cerr << "\r\033[K";
    std::cerr << line << "\n";
  }
  void Step() {
    ++done_;
    Draw();
  }
  void Finish() {
    if (enabled_ && drawn_) std::cerr << "\n";
  }

 private:
  void Draw() {
    if (!enabled_ || done_ == 0) return;
    // PDF pages count as results too, so the count can pass the number of files.
    const size_t shown = std::min(done_, total_);
    const int width = 30;
    const int filled = static_cast<int>(width * shown / total_);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done_
              << " result" << (done_ == 1 ? "" : "s") << " (" << total_ << " input files)" << std::flush;
    drawn_ = true;
  }
  size_t total_;
  bool enabled_;
  size_t done_ = 0;
  bool drawn_ = false;
};

// Counts the files the inputs stand for (a directory's as the pipeline will list them), for the
// progress bar.
size_t CountInputs(const std::vector<std::string>& inputs) {
  size_t n = 0;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(in, ec)) {
      ++n;
      continue;
    }
    const StatusOr<std::vector<std::string>> listed = ListOcrInputFiles(in);
    if (listed.ok()) n += listed->size();
  }
  return n;
}

// Per-stage totals over a run's results, printed like PaddleX's benchmark table: a stage counts a call
// for each page on which it ran.
class StageTimesSummary {
 public:
  void Add(const OcrStageTimes& t) {
    const double values[kStages] = {
        t.decode, t.doc_orientation, t.detection, t.crop, t.textline_orientation, t.recognition, t.total};
    for (int i = 0; i < kStages; ++i) {
      if (!(values[i] > 0)) continue;
      ++count_[i];
      total_ms_[i] += values[i];
    }
  }
  // `wall_ms`: the whole run, from the first page taken to the last printed. With several workers the
  // stage totals add up every worker's time, so they exceed the wall time; the last line says so.
  std::string Table(double wall_ms, long long workers) const {
    static const char* kNames[kStages] = {
        "decode", "doc_orientation", "detection", "crop", "textline_orientation", "recognition", "total"};
    std::ostringstream os;
    os << "| stage | count | total ms | mean ms |\n|---|---|---|---|\n";
    for (int i = 0; i < kStages; ++i) {
      char row[128];
      std::snprintf(row, sizeof(row), "| %s | %zu | %.1f | %.2f |\n", kNames[i], count_[i], total_ms_[i],
                    count_[i] == 0 ? 0.0 : total_ms_[i] / static_cast<double>(count_[i]));
      os << row;
    }
    char wall[192];
    std::snprintf(wall, sizeof(wall), "wall ms for the run: %.1f (%lld worker%s%s)\n", wall_ms, workers,
                  workers == 1 ? "" : "s", workers == 1 ? "" : "; the stage totals add up all workers' time");
    os << wall;
    return os.str();
  }

 private:
  static constexpr int kStages = 7;
  size_t count_[kStages] = {};
  double total_ms_[kStages] = {};
};

}  // namespace

Status WarmUpToCeiling(const std::vector<OcrPipeline*>& workers) {
  // PredictParallel holds up to one finished result per worker beside the pages being read; a single
  // pipeline hands each result out before it reads the next page.
  const int n = static_cast<int>(workers.size());
  PLATEAU_ASSIGN_OR_RETURN(MemoryCeiling c, OcrPipeline::ComputeMemoryCeiling(workers, n > 1 ? n : 0));
  const auto mib = [](size_t bytes) { return std::to_string((bytes + (1u << 19)) >> 20) + " MiB"; };
  const std::string side = std::to_string(c.page_side) + "x" + std::to_string(c.page_side);
  if (n == 1) {
    std::cerr << "plateau: memory ceiling " << mib(c.ceiling_bytes) << " (" << mib(c.resident_bytes)
              << " resident with every plan built, " << mib(c.page_bytes) << " for a " << side << " page)\n";
  } else {
    std::cerr << "plateau: memory ceiling " << mib(c.ceiling_bytes) << " (" << mib(c.resident_bytes)
              << " resident with every plan of " << n << " workers built, " << n << " x " << mib(c.page_bytes)
              << " for " << side << " pages being read, " << c.results_waiting << " x " << mib(c.result_bytes)
              << " for finished pages waiting their turn)\n";
  }
  const size_t limit = workers.front()->options().memory_limit;
  if (limit > 0 && limit < c.ceiling_bytes) {
    return Status::InvalidArgument(
        "flag --memory_limit: " + std::to_string(limit) + " bytes (" + mib(limit) + ") is below " +
        (n == 1 ? std::string("this pipeline's") : "the " + std::to_string(n) + " workers'") +
        " memory ceiling of " + std::to_string(c.ceiling_bytes) + " bytes (" + mib(c.ceiling_bytes) +
        "); raise it, or lower --text_det_max_side_limit or the batch sizes" +
        (n == 1 ? "" : " or --workers"));
  }
  return Status::Ok();
}

int OcrCommand(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout
          << "usage: plateau ocr -i INPUT [-i INPUT ...] [--save_path DIR] [--workers N] [--name value ...]\n"
             "Prints one JSON object per image / PDF page per line on stdout, in input order; an input\n"
             "that fails gives a line with \"error\" (also on stderr) and the run goes on; exit code 1\n"
             "if any failed. Booleans are True or False. --workers N reads N pages at once (N x\n"
             "--threads threads) with the same output, holding at most 2 x N pages.\n"
          << FlagsHelp(WithOcrOptionFlags(kOcrOwnSpecs));
      return 0;
    }
  }
  auto flags = Flags::Parse(WithOcrOptionFlags(kOcrOwnSpecs), args, 2);
  if (!flags.ok()) return Fail(flags.status());
  const std::vector<std::string>& inputs = flags->GetAll("input");
  if (inputs.empty()) return Fail(Status::InvalidArgument("flag --input (-i) is required"));
  OcrOptions options;
  if (Status st = ApplyOcrOptionFlags(*flags, kOcrOwnSpecs, &options); !st.ok()) return Fail(st);
  const std::string save_path = flags->Get("save_path");
  auto workers = flags->GetInt("workers", 1, 1, kMaxWorkers);
  if (!workers.ok()) return Fail(workers.status());
  // Workers run side by side; giving each all the cores would only make them fight over them.
  const long long fair =
      *workers == 1 ? 0
                    : std::max(1ll, static_cast<long long>(std::thread::hardware_concurrency()) / *workers);
  auto threads = flags->GetInt("threads", fair, 0, 1024);
  if (!threads.ok()) return Fail(threads.status());
  options.threads = static_cast<int>(*threads);
  auto warmup = WarmupFromFlags(*flags, options.text_det_tiled);
  if (!warmup.ok()) return Fail(warmup.status());

  auto created = OcrPipeline::Create(options);
  if (!created.ok()) return Fail(AsFlagError(created.status()));
  // The first pipeline loads the models; the others share them, each with sessions of its own.
  std::vector<std::unique_ptr<OcrPipeline>> pipelines;
  pipelines.push_back(std::move(created).value());
  for (long long i = 1; i < *workers; ++i) {
    auto fork = pipelines.front()->Fork();
    if (!fork.ok()) return Fail(fork.status().WithContext("starting worker " + std::to_string(i + 1)));
    pipelines.push_back(std::move(fork).value());
  }
  std::vector<OcrPipeline*> pool;
  for (const auto& p : pipelines) pool.push_back(p.get());
  if (*warmup) {
    if (Status st = WarmUpToCeiling(pool); !st.ok()) return Fail(st);
  }
  // Made here, once every value has been accepted, so that a refused command leaves nothing behind.
  if (!save_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(save_path, ec);
    if (ec || !std::filesystem::is_directory(save_path)) {
      return Fail(Status::InvalidArgument("flag --save_path: cannot create directory '" + save_path + "'" +
                                          (ec ? ": " + ec.message() : std::string())));
    }
  }
  std::vector<OcrInput> in;
  for (const std::string& path : inputs) in.push_back(OcrInput::Path(path));
  const auto started = std::chrono::steady_clock::now();
  auto range = OcrPipeline::PredictParallel(pool, std::move(in));
  if (!range.ok()) return Fail(AsFlagError(range.status()));

  const size_t total = CountInputs(inputs);
  ProgressBar bar(total, total > 1 && isatty(STDERR_FILENO));
  bool any_failed = false;
  StageTimesSummary times;
  for (const OcrResult& r : *range) {
    std::cout << ToJson(r) << "\n" << std::flush;
    if (r.stage_times) times.Add(*r.stage_times);
    if (!r.error.ok()) {
      any_failed = true;
      const std::string& m = r.error.message();
      bar.Message("plateau: " + (m.find(r.input_path) == std::string::npos ? r.input_path + ": " : "") +
                  r.error.ToString());
    } else if (!save_path.empty()) {
      for (const Status& st : {SaveJson(r, save_path), SaveImage(r, save_path)}) {
        if (st.ok()) continue;
        bar.Message("plateau: " + st.ToString());
        any_failed = true;
      }
    }
    bar.Step();
  }
  bar.Finish();
  if (flags->Has("memory_stats")) {
    std::cerr << ToJson(OcrPipeline::CombinedMemoryStats(
                     std::vector<const OcrPipeline*>(pool.begin(), pool.end())))
              << "\n";
  }
  if (options.timing) {
    const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - started;
    std::cerr << times.Table(wall.count(), *workers);
  }
  return any_failed ? 1 : 0;
}

namespace {

const std::vector<FlagSpec> kModuleSpecs = {
    {"input", "image file (repeatable)", true, false, {"i"}},
    {"model_dir", "directory of the models (default: as plateau ocr finds them)", false, false, {}},
    {"threads", "intra-op threads (0 = all cores)", false, false, {}},
};

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

// The -i inputs with each directory replaced by its image files (as plateau ocr lists a directory, less
// PDFs), in name order; a directory without images stays, so that it is reported.
std::vector<std::string> ExpandImageInputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(in, ec)) {
      out.push_back(in);
      continue;
    }
    std::vector<std::string> files;
    if (const StatusOr<std::vector<std::string>> listed = ListOcrInputFiles(in); listed.ok()) {
      for (const std::string& p : *listed) {
        std::string ext = std::filesystem::path(p).extension().string();
        for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (ext != ".pdf") files.push_back(p);
      }
    }
    if (files.empty()) files.push_back(in);
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

// What a module command does for one image: fills `res` with its fields.
using ImageFn = std::function<Status(const cv::Mat& image, nlohmann::ordered_json* res)>;

// Runs `one` on each image of --input, printing one JSON line per image (an "error" field for an image
// that fails); 1 if any failed.
int ForEachImage(const Flags& flags, const ImageFn& one) {
  bool any_failed = false;
  for (const std::string& path : ExpandImageInputs(flags.GetAll("input"))) {
    nlohmann::ordered_json res;
    res["input_path"] = path;
    res["page_index"] = nullptr;
    auto image = io::ReadImage(path);
    Status st = image.ok() ? one(*image, &res) : image.status();
    if (!st.ok()) {
      res["error"] = st.ToString();
      any_failed = true;
    }
    std::cout << nlohmann::ordered_json{{"res", res}}.dump(-1, ' ', false,
                                                           nlohmann::json::error_handler_t::replace)
              << "\n"
              << std::flush;
  }
  return any_failed ? 1 : 0;
}

// What a module command reads before it opens its model: its flags and --threads.
struct ModuleFlags {
  Flags flags;
  int threads = 0;

  // The session options of one of plateau ocr's model files (OcrOptions' det_model, rec_model, ...),
  // found as plateau ocr finds the model directory (--model_dir, else $PLATEAU_MODEL_DIR, the installed
  // share directory, ./models).
  StatusOr<ocr::StageSessionOptions> Session(const std::string& model_file) const {
    PLATEAU_ASSIGN_OR_RETURN(std::string path, ModelFile(model_file));
    ocr::StageSessionOptions session;
    session.model_path = std::move(path);
    session.threads = threads;
    return session;
  }
  StatusOr<std::string> ModelFile(const std::string& file) const {
    if (model_dir.empty()) {
      PLATEAU_ASSIGN_OR_RETURN(model_dir, FindModelDir(flags.Get("model_dir")));
    }
    return (std::filesystem::path(model_dir) / file).string();
  }

 private:
  mutable std::string model_dir;  // found on the first ModelFile call, for the command's other models
};

// The one way a module command runs: --help prints `usage` and the flags; otherwise the flags are parsed,
// `open` checks the command's own flags and opens its model(s) (the model directory is looked for only
// then, so that a bad flag is named first), and the function it returns runs on each image.
int RunModuleCommand(const std::vector<std::string>& args, const std::string& usage,
                     const std::vector<FlagSpec>& specs,
                     const std::function<StatusOr<ImageFn>(const ModuleFlags&)>& open) {
  if (WantsHelp(args)) {
    std::cout << usage << "\n" << FlagsHelp(specs);
    return 0;
  }
  ModuleFlags module;
  auto flags = Flags::Parse(specs, args, 2);
  if (!flags.ok()) return Fail(flags.status());
  module.flags = std::move(flags).value();
  if (module.flags.GetAll("input").empty())
    return Fail(Status::InvalidArgument("flag --input (-i) is required"));
  auto threads = module.flags.GetInt("threads", 0, 0, 1024);
  if (!threads.ok()) return Fail(threads.status());
  module.threads = static_cast<int>(*threads);
  StatusOr<ImageFn> one = open(module);
  if (!one.ok()) return Fail(one.status());
  return ForEachImage(module.flags, *one);
}

// Reads the detection flags of plateau text_detection into `options`, ranges checked before the model
// loads so that a bad value is refused naming its flag.
Status ReadDetectionFlags(const Flags& flags, ocr::TextDetectorOptions* options) {
  PLATEAU_ASSIGN_OR_RETURN(long long limit,
                           flags.GetInt("limit_side_len", options->limit_side_len, 1, 100000));
  options->limit_side_len = static_cast<int>(limit);
  PLATEAU_ASSIGN_OR_RETURN(long long side,
                           flags.GetInt("max_side_limit", options->max_side_limit, 1, 100000));
  options->max_side_limit = static_cast<int>(side);
  options->limit_type = flags.Get("limit_type", options->limit_type);
  PLATEAU_ASSIGN_OR_RETURN(std::optional<bool> tiled, GetBool(flags, "tiled"));
  options->tiled = tiled.value_or(options->tiled);
  if (auto t = ocr::ParseLimitType(options->limit_type); !t.ok())
    return t.status().WithContext("flag --limit_type");
  struct Bounded {
    const char* name;
    double* field;
    double lo, hi;
  };
  for (const Bounded& b :
       {Bounded{"thresh", &options->thresh, 0.0, 1.0}, Bounded{"box_thresh", &options->box_thresh, 0.0, 1.0},
        Bounded{"unclip_ratio", &options->unclip_ratio, 1e-6, 100.0}}) {
    PLATEAU_ASSIGN_OR_RETURN(double v, flags.GetDouble(b.name, *b.field));
    if (!(v >= b.lo && v <= b.hi)) {
      std::ostringstream os;
      os << "flag --" << b.name << " = " << v << " is out of range; expected [" << b.lo << ", " << b.hi
         << "]";
      return Status::InvalidArgument(os.str());
    }
    *b.field = v;
  }
  return Status::Ok();
}

}  // namespace

int TextDetectionCommand(const std::vector<std::string>& args) {
  std::vector<FlagSpec> specs = kModuleSpecs;
  for (const char* name :
       {"limit_side_len", "limit_type", "thresh", "box_thresh", "unclip_ratio", "max_side_limit", "tiled"}) {
    specs.push_back({name, "as text_det_* of plateau ocr", false, false, {}});
  }
  return RunModuleCommand(
      args, "usage: plateau text_detection -i IMAGE [-i ...]: dt_polys and dt_scores as JSON Lines", specs,
      [](const ModuleFlags& m) -> StatusOr<ImageFn> {
        ocr::TextDetectorOptions options;
        PLATEAU_RETURN_IF_ERROR(ReadDetectionFlags(m.flags, &options));
        PLATEAU_ASSIGN_OR_RETURN(options.session, m.Session(OcrOptions().det_model));
        PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<ocr::TextDetector> detector,
                                 ocr::TextDetector::Create(options));
        return ImageFn([detector](const cv::Mat& image, nlohmann::ordered_json* res) -> Status {
          PLATEAU_ASSIGN_OR_RETURN(ocr::DetBoxes boxes, detector->Detect(image));
          nlohmann::ordered_json polys = nlohmann::ordered_json::array();
          for (const ocr::Quad& q : boxes.quads) {
            nlohmann::ordered_json poly = nlohmann::ordered_json::array();
            for (const cv::Point2f& p : q) poly.push_back({std::lround(p.x), std::lround(p.y)});
            polys.push_back(std::move(poly));
          }
          (*res)["dt_polys"] = std::move(polys);
          (*res)["dt_scores"] = boxes.scores;
          return Status::Ok();
        });
      });
}

int TextRecognitionCommand(const std::vector<std::string>& args) {
  return RunModuleCommand(
      args, "usage: plateau text_recognition -i LINE_IMAGE [-i ...]: rec_text and rec_score as JSON Lines",
      kModuleSpecs, [](const ModuleFlags& m) -> StatusOr<ImageFn> {
        ocr::TextRecognizerOptions options;
        PLATEAU_ASSIGN_OR_RETURN(options.session, m.Session(OcrOptions().rec_model));
        PLATEAU_ASSIGN_OR_RETURN(options.dict_path, m.ModelFile(OcrOptions().rec_dict));
        PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<ocr::TextRecognizer> recognizer,
                                 ocr::TextRecognizer::Create(options));
        return ImageFn([recognizer](const cv::Mat& image, nlohmann::ordered_json* res) -> Status {
          PLATEAU_ASSIGN_OR_RETURN(auto lines, recognizer->Recognize({image}));
          (*res)["rec_text"] = lines[0].text;
          (*res)["rec_score"] = lines[0].score;
          return Status::Ok();
        });
      });
}

int TextlineOrientationCommand(const std::vector<std::string>& args) {
  return RunModuleCommand(
      args,
      "usage: plateau textline_orientation_classification -i LINE_IMAGE [-i ...]: class_ids, scores, "
      "label_names as JSON Lines",
      kModuleSpecs, [](const ModuleFlags& m) -> StatusOr<ImageFn> {
        ocr::TextlineClassifierOptions options;
        PLATEAU_ASSIGN_OR_RETURN(options.session, m.Session(OcrOptions().cls_model));
        PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<ocr::TextlineClassifier> classifier,
                                 ocr::TextlineClassifier::Create(options));
        return ImageFn([classifier](const cv::Mat& image, nlohmann::ordered_json* res) -> Status {
          PLATEAU_ASSIGN_OR_RETURN(auto orientations, classifier->Classify({image}));
          const ocr::TextlineOrientation& o = orientations[0];
          (*res)["class_ids"] = {o.label};
          (*res)["scores"] = {o.score};
          (*res)["label_names"] = {ocr::kTextlineLabelNames[o.label]};
          return Status::Ok();
        });
      });
}

int DocOrientationCommand(const std::vector<std::string>& args) {
  std::vector<FlagSpec> specs = kModuleSpecs;
  specs.push_back({"model",
                   "4-class orientation model (ONNX file, or directory holding inference.onnx); default: "
                   "estimated from the text lines found by the detection and textline models of --model_dir",
                   false,
                   false,
                   {}});
  return RunModuleCommand(
      args,
      "usage: plateau doc_img_orientation_classification -i IMAGE [-i ...] [--model FILE]: class_ids, "
      "scores, label_names (degrees to turn the page counter-clockwise) as JSON Lines",
      specs, [](const ModuleFlags& m) -> StatusOr<ImageFn> {
        auto answer = [](const ocr::DocOrientation& o, nlohmann::ordered_json* res) {
          (*res)["class_ids"] = {o.class_id};
          (*res)["scores"] = {o.score};
          (*res)["label_names"] = {ocr::kDocOrientationLabelNames[o.class_id]};
        };
        if (m.flags.Has("model")) {
          ocr::DocOrientationClassifierOptions options;
          std::filesystem::path path(m.flags.Get("model"));
          std::error_code ec;
          if (std::filesystem::is_directory(path, ec)) path /= "inference.onnx";
          options.session.model_path = path.string();
          options.session.threads = m.threads;
          auto created = ocr::DocOrientationClassifier::Create(options);
          if (!created.ok()) return created.status().WithContext("flag --model");
          std::shared_ptr<ocr::DocOrientationClassifier> model = std::move(created).value();
          return ImageFn([model, answer](const cv::Mat& image, nlohmann::ordered_json* res) -> Status {
            PLATEAU_ASSIGN_OR_RETURN(ocr::DocOrientation o, model->Classify(image));
            answer(o, res);
            return Status::Ok();
          });
        }
        // The pipeline's own detection settings, so the answer is the one plateau ocr would act on.
        ocr::TextDetectorOptions det;
        PLATEAU_ASSIGN_OR_RETURN(det.session, m.Session(OcrOptions().det_model));
        PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<ocr::TextDetector> detector, ocr::TextDetector::Create(det));
        ocr::TextlineClassifierOptions cls;
        PLATEAU_ASSIGN_OR_RETURN(cls.session, m.Session(OcrOptions().cls_model));
        PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<ocr::TextlineClassifier> lines,
                                 ocr::TextlineClassifier::Create(cls));
        return ImageFn([detector, lines, answer](const cv::Mat& image,
                                                 nlohmann::ordered_json* res) -> Status {
          PLATEAU_ASSIGN_OR_RETURN(ocr::DetBoxes boxes, detector->Detect(image));
          PLATEAU_ASSIGN_OR_RETURN(ocr::DocOrientation o, ocr::EstimateDocOrientation(image, boxes, *lines));
          answer(o, res);
          return Status::Ok();
        });
      });
}

}  // namespace plateau::cli
