// plateau_eval: how well the OCR pipeline reads real receipts, measured against their labels, side by side
// with the ONNX Runtime OCR pipeline (@gutenye/ocr-node) and Tesseract 5 in the same run; why plateau's
// misread lines were misread; and how well each engine finds the orientation of rotated pages.
//
//   plateau_eval [--eval ../shared/eval] [--model_dir models] [--threads 2] [--limit 100] [--psm 4]
//                [--min_iou 0.5] [--skip_ocr] [--skip_orientation] [--json FILE] [--per_page]
//                [--passes LIST] [--skip_pipelines] [--pass_dir DIR] [--categories FILE]
//
// Pipelines (first): each engine reads the receipts alone, in a process of its own, one engine after
// another, with --threads threads (see "Pipelines" below); scored by line accuracy (metrics.h), error
// categories (line_errors.h), seconds per receipt and the process's peak RSS.
// Text: the receipts sroie/img/NNN.jpg against sroie/box/NNN.csv (metrics.h defines every figure).
// Orientation: each receipt turned by 0/90/180/270 degrees clockwise (cv::rotate, in memory), plus
// pages/phototest* and simple/simple*.jpg whose names say how they are turned. Truth and answers are the
// clockwise rotation of the page content, the convention of PaddleX's doc_preprocessor_res.angle (the
// correction turns the page back by that much) and of Tesseract's orient_deg.
//
// In the text and orientation parts both engines get the same number of worker threads (--threads); each
// worker owns one instance of each engine, running single-threaded, and takes the next page from a shared
// counter. For every page a worker runs both engines (alternating which goes first), so that machine load
// falls on both alike. Speed is pages / (summed engine time / workers); model loading is excluded, first
// runs of new shapes are not.
#include <leptonica/allheaders.h>
#include <spawn.h>
#include <sys/wait.h>
#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/process_memory.h"
#include "line_errors.h"
#include "metrics.h"
#include "plateau/ocr.h"
#include "plateau/status.h"

#ifndef PLATEAU_SOURCE_DIR
#define PLATEAU_SOURCE_DIR "."
#endif

namespace plateau::eval {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Wall time, and CPU time of the calling thread. Each engine runs single-threaded on the worker's own
// thread, so its CPU time is what the page costs on an idle core, whatever else the machine is doing.
struct Cost {
  double wall_ms = 0;
  double cpu_ms = 0;
  Cost& operator+=(const Cost& o) {
    wall_ms += o.wall_ms;
    cpu_ms += o.cpu_ms;
    return *this;
  }
};

class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(ThreadCpuMs()) {}
  Cost Elapsed() const { return {MsSince(wall_), ThreadCpuMs() - cpu_}; }

 private:
  Clock::time_point wall_;
  double cpu_;
};

// --- Options ------------------------------------------------------------------------------------------

struct Options {
  std::string eval_dir = PLATEAU_SOURCE_DIR "/../shared/eval";
  std::string model_dir = PLATEAU_SOURCE_DIR "/models";
  std::string tessdata;  // empty: Tesseract's compiled-in default
  int threads = 2;
  int limit = 100;  // receipts, also the source of the rotated pages
  int psm = tesseract::PSM_SINGLE_COLUMN;
  double min_iou = kDefaultMinIou;
  bool ocr = true;
  bool orientation = true;
  bool per_page = false;
  int show = -1;  // receipt whose line pairs are printed
  std::string json_path;
  // plateau's textline orientation in the text part; unset: the pipeline's default.
  std::optional<bool> use_textline_orientation;
  bool pipelines = true;  // the engines one after another, each in its own process
  std::vector<std::string> passes = {"plateau", "plateau-no-cls", "ort", "tesseract"};
  std::string node = "node";
  std::string pass_dir;         // where the passes write their results; empty: a temporary directory
  std::string categories_path;  // per-line diagnoses of every pass, tab-separated
  // Internal: run one engine's pass in this process and write it to pass_out (see RunEnginePass).
  std::string engine_pass;
  std::string pass_out;
};

constexpr const char* kUsage = R"(usage: plateau_eval [flags]
  --eval DIR          evaluation data (default: <source>/../shared/eval)
  --model_dir DIR     plateau's models (default: <source>/models)
  --tessdata DIR      Tesseract's tessdata (default: Tesseract's own)
  --threads N         worker threads, the same for both engines (default 2)
  --limit N           receipts to use, 1..100 (default 100); also limits the rotated receipts
  --psm N             Tesseract page segmentation mode for the text (default 4: single column)
  --min_iou X         IoU a predicted line needs to match a label line, (0, 1] (default 0.5)
  --skip_ocr          leave out the text part (plateau and Tesseract side by side per worker)
  --skip_orientation  only the text part
  --per_page          also print one line per receipt
  --show N            print receipt N's label lines beside what each engine read there
  --json FILE         also write every figure as JSON
  --use_textline_orientation true|false
                      plateau's textline orientation in the text part (default: the pipeline's, on)
  --skip_pipelines    leave out the pipelines part (the engines one after another, at --threads each)
  --passes LIST       the pipelines part's engines, comma-separated, in this order (default:
                      plateau,plateau-no-cls,ort,tesseract; plateau-no-cls: without textline orientation;
                      also plateau-whole-page: detection on the whole page, not in windows)
  --node PATH         Node.js for the ONNX Runtime pipeline (default: node)
  --pass_dir DIR      keep each pass's results (JSON) there (default: a temporary directory)
  --categories FILE   write every label line's error category, label and reading (tab-separated)
)";

StatusOr<long> ParseLong(const std::string& flag, const std::string& value, long lo, long hi) {
  try {
    size_t used = 0;
    const long v = std::stol(value, &used);
    if (used == value.size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  return Status::InvalidArgument("flag " + flag + ": '" + value + "'; expected an integer in [" +
                                 std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

StatusOr<Options> ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> StatusOr<std::string> {
      if (i + 1 >= argc) return Status::InvalidArgument("flag " + flag + " needs a value");
      return std::string(argv[++i]);
    };
    if (flag == "--skip_ocr") {
      o.ocr = false;
    } else if (flag == "--skip_orientation") {
      o.orientation = false;
    } else if (flag == "--per_page") {
      o.per_page = true;
    } else if (flag == "--skip_pipelines") {
      o.pipelines = false;
    } else if (flag == "--passes") {
      PLATEAU_ASSIGN_OR_RETURN(std::string v, value());
      o.passes.clear();
      std::stringstream list(v);
      for (std::string name; std::getline(list, name, ',');) {
        if (name != "plateau" && name != "plateau-no-cls" && name != "plateau-whole-page" && name != "ort" &&
            name != "tesseract") {
          return Status::InvalidArgument(
              "flag --passes: unknown engine '" + name +
              "'; expected plateau, plateau-no-cls, plateau-whole-page, ort or tesseract");
        }
        o.passes.push_back(name);
      }
      if (o.passes.empty())
        return Status::InvalidArgument("flag --passes: empty list (use --skip_pipelines)");
    } else if (flag == "--node") {
      PLATEAU_ASSIGN_OR_RETURN(o.node, value());
    } else if (flag == "--pass_dir") {
      PLATEAU_ASSIGN_OR_RETURN(o.pass_dir, value());
    } else if (flag == "--categories") {
      PLATEAU_ASSIGN_OR_RETURN(o.categories_path, value());
    } else if (flag == "--engine_pass") {
      PLATEAU_ASSIGN_OR_RETURN(o.engine_pass, value());
    } else if (flag == "--pass_out") {
      PLATEAU_ASSIGN_OR_RETURN(o.pass_out, value());
    } else if (flag == "--use_textline_orientation") {
      PLATEAU_ASSIGN_OR_RETURN(std::string v, value());
      if (v == "true" || v == "True" || v == "1") {
        o.use_textline_orientation = true;
      } else if (v == "false" || v == "False" || v == "0") {
        o.use_textline_orientation = false;
      } else {
        return Status::InvalidArgument("flag --use_textline_orientation: '" + v +
                                       "'; expected true or false");
      }
    } else if (flag == "--eval") {
      PLATEAU_ASSIGN_OR_RETURN(o.eval_dir, value());
    } else if (flag == "--model_dir") {
      PLATEAU_ASSIGN_OR_RETURN(o.model_dir, value());
    } else if (flag == "--tessdata") {
      PLATEAU_ASSIGN_OR_RETURN(o.tessdata, value());
    } else if (flag == "--json") {
      PLATEAU_ASSIGN_OR_RETURN(o.json_path, value());
    } else if (flag == "--show") {
      PLATEAU_ASSIGN_OR_RETURN(std::string v, value());
      PLATEAU_ASSIGN_OR_RETURN(long n, ParseLong(flag, v, 0, 99));
      o.show = static_cast<int>(n);
    } else if (flag == "--threads" || flag == "--limit" || flag == "--psm") {
      PLATEAU_ASSIGN_OR_RETURN(std::string v, value());
      const long hi = flag == "--threads" ? 64 : flag == "--limit" ? 100 : 13;
      PLATEAU_ASSIGN_OR_RETURN(long n, ParseLong(flag, v, 1, hi));
      (flag == "--threads" ? o.threads : flag == "--limit" ? o.limit : o.psm) = static_cast<int>(n);
    } else if (flag == "--min_iou") {
      PLATEAU_ASSIGN_OR_RETURN(std::string v, value());
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(x > 0 && x <= 1)) {
        return Status::InvalidArgument("flag --min_iou: '" + v + "'; expected a number in (0, 1]");
      }
      o.min_iou = x;
    } else {
      return Status::InvalidArgument("unknown flag '" + flag + "'");
    }
  }
  if (!o.ocr && !o.orientation && !o.pipelines) {
    return Status::InvalidArgument(
        "--skip_pipelines, --skip_ocr and --skip_orientation together leave nothing to do");
  }
  if (!o.engine_pass.empty() && o.pass_out.empty()) {
    return Status::InvalidArgument("--engine_pass needs --pass_out FILE");
  }
  return o;
}

// --- Engines ------------------------------------------------------------------------------------------

// Tesseract wants RGB (or grey) rows; plateau's images are BGR.
struct TessImage {
  cv::Mat rgb;
  explicit TessImage(const cv::Mat& bgr) { cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB); }
};

class TesseractEngine {
 public:
  // `language` "eng" for text (LSTM engine), "osd" for orientation only.
  static StatusOr<std::unique_ptr<TesseractEngine>> Create(const std::string& tessdata,
                                                           const std::string& language, int psm) {
    auto engine = std::unique_ptr<TesseractEngine>(new TesseractEngine());
    const char* path = tessdata.empty() ? nullptr : tessdata.c_str();
    // osd.traineddata holds only the legacy engine's orientation data, which the default mode loads.
    const tesseract::OcrEngineMode mode =
        language == "osd" ? tesseract::OEM_DEFAULT : tesseract::OEM_LSTM_ONLY;
    if (engine->api_.Init(path, language.c_str(), mode) != 0) {
      return Status::NotFound("Tesseract could not load language '" + language + "' from " +
                              (tessdata.empty() ? std::string("its default tessdata") : tessdata) +
                              "; install tesseract-ocr-eng and tesseract-ocr-osd (scripts/install-deps.sh)");
    }
    engine->api_.SetPageSegMode(static_cast<tesseract::PageSegMode>(psm));
    // Tesseract reports "estimating resolution" and similar notes on stderr for every page.
    engine->api_.SetVariable("debug_file", "/dev/null");
    return engine;
  }

  std::vector<TextLine> ReadLines(const cv::Mat& bgr) {
    const TessImage image(bgr);
    api_.SetImage(image.rgb.data, image.rgb.cols, image.rgb.rows, 3, static_cast<int>(image.rgb.step));
    std::vector<TextLine> lines;
    if (api_.Recognize(nullptr) != 0) return lines;
    std::unique_ptr<tesseract::ResultIterator> it(api_.GetIterator());
    if (it != nullptr) {
      do {
        if (it->Empty(tesseract::RIL_TEXTLINE)) continue;
        std::unique_ptr<char[]> text(it->GetUTF8Text(tesseract::RIL_TEXTLINE));
        int left = 0, top = 0, right = 0, bottom = 0;
        if (text == nullptr || !it->BoundingBox(tesseract::RIL_TEXTLINE, &left, &top, &right, &bottom)) {
          continue;
        }
        const std::string_view trimmed = Trim(text.get());
        if (trimmed.empty()) continue;
        lines.push_back({{double(left), double(top), double(right), double(bottom)}, std::string(trimmed)});
      } while (it->Next(tesseract::RIL_TEXTLINE));
    }
    api_.Clear();
    return lines;
  }

  // Clockwise rotation of the page content in degrees, or nullopt when OSD gives no answer (too little
  // text); `orient_confidence` receives Tesseract's orient_conf.
  std::optional<int> Orientation(const cv::Mat& bgr, float* orient_confidence) {
    const TessImage image(bgr);
    api_.SetImage(image.rgb.data, image.rgb.cols, image.rgb.rows, 3, static_cast<int>(image.rgb.step));
    int degrees = 0;
    float confidence = 0, script_confidence = 0;
    const char* script = nullptr;
    const bool found = api_.DetectOrientationScript(&degrees, &confidence, &script, &script_confidence);
    api_.Clear();
    if (!found) return std::nullopt;
    *orient_confidence = confidence;
    return degrees;
  }

  ~TesseractEngine() { api_.End(); }

 private:
  TesseractEngine() = default;
  tesseract::TessBaseAPI api_;
};

StatusOr<OcrResult> RunPlateau(OcrPipeline& pipeline, const cv::Mat& bgr, const std::string& label,
                               const OcrOverrides& overrides = {}) {
  PLATEAU_ASSIGN_OR_RETURN(OcrRange range, pipeline.Predict({OcrInput::Image(bgr, label)}, overrides));
  auto it = range.begin();
  if (it == range.end()) return Status::Internal(label + ": the pipeline gave no result");
  if (!it->error.ok()) return it->error.WithContext(label);
  return *it;
}

std::vector<TextLine> PlateauLines(const OcrResult& r) {
  std::vector<TextLine> lines;
  for (size_t i = 0; i < r.rec_texts.size() && i < r.rec_boxes.size(); ++i) {
    const auto& b = r.rec_boxes[i];
    lines.push_back({{double(b[0]), double(b[1]), double(b[2]), double(b[3])}, r.rec_texts[i]});
  }
  return lines;
}

// doc_preprocessor_res.angle in degrees; the pipeline may report an index 0..3 or degrees, and 1..3 are not
// valid degrees, so both read the same.
int AngleDegrees(int angle) { return angle >= 1 && angle <= 3 ? angle * 90 : angle; }

// Runs `work(worker, page)` for pages [0, pages) on `threads` workers, each set up once by `make_worker`.
template <typename Worker, typename MakeWorker, typename Work>
Status RunParallel(int threads, int pages, MakeWorker make_worker, Work work) {
  std::atomic<int> next{0};
  std::mutex mu;
  Status first_error;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      StatusOr<std::unique_ptr<Worker>> worker = make_worker();
      if (!worker.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = worker.status();
        return;
      }
      for (int page = next++; page < pages; page = next++) work(**worker, page);
    });
  }
  for (std::thread& t : pool) t.join();
  return first_error;
}

OcrOptions PlateauOptions(const Options& o, bool doc_orientation) {
  OcrOptions options;
  options.model_dir = o.model_dir;
  options.threads = 1;
  options.use_doc_orientation_classify = doc_orientation;
  return options;
}

std::string ReceiptName(int i) {
  char name[16];
  std::snprintf(name, sizeof(name), "%03d", i);
  return name;
}

cv::Mat ReadImage(const std::string& path, bool honour_exif) {
  return cv::imread(path, honour_exif ? cv::IMREAD_COLOR : cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
}

// --- Text ---------------------------------------------------------------------------------------------

struct EngineText {
  PageScore score;
  Cost cost;  // summed over pages
  int failed_pages = 0;
  std::string first_error;
};

struct PageText {
  PageScore plateau, tesseract;
  Cost plateau_cost, tesseract_cost;
  std::string plateau_error, tesseract_error;
  std::vector<TextLine> labels, plateau_lines, tesseract_lines;  // kept for --show only
};

struct TextReport {
  int pages = 0;
  EngineText plateau, tesseract;
  std::vector<PageText> per_page;
  double wall_ms = 0;
};

struct TextWorker {
  std::unique_ptr<OcrPipeline> pipeline;
  std::unique_ptr<TesseractEngine> tesseract;
};

StatusOr<TextReport> EvaluateText(const Options& o) {
  TextReport report;
  report.pages = o.limit;
  report.per_page.resize(o.limit);
  const std::string sroie = o.eval_dir + "/sroie";
  const Clock::time_point start = Clock::now();
  PLATEAU_RETURN_IF_ERROR(RunParallel<TextWorker>(
      o.threads, o.limit,
      [&]() -> StatusOr<std::unique_ptr<TextWorker>> {
        auto w = std::make_unique<TextWorker>();
        PLATEAU_ASSIGN_OR_RETURN(w->pipeline, OcrPipeline::Create(PlateauOptions(o, false)));
        PLATEAU_ASSIGN_OR_RETURN(w->tesseract, TesseractEngine::Create(o.tessdata, "eng", o.psm));
        return w;
      },
      [&](TextWorker& w, int i) {
        PageText& page = report.per_page[i];
        const std::string image_path = sroie + "/img/" + ReceiptName(i) + ".jpg";
        const cv::Mat image = ReadImage(image_path, true);
        StatusOr<std::vector<TextLine>> labels = ReadLabelFile(sroie + "/box/" + ReceiptName(i) + ".csv");
        if (image.empty() || !labels.ok()) {
          const std::string error =
              image.empty() ? image_path + ": cannot read the image" : labels.status().ToString();
          page.plateau_error = page.tesseract_error = error;
          return;
        }
        auto run_plateau = [&] {
          const Stopwatch watch;
          OcrOverrides overrides;
          overrides.use_textline_orientation = o.use_textline_orientation;
          StatusOr<OcrResult> result = RunPlateau(*w.pipeline, image, image_path, overrides);
          page.plateau_cost = watch.Elapsed();
          if (!result.ok()) {
            page.plateau_error = result.status().ToString();
            return;
          }
          std::vector<TextLine> lines = PlateauLines(*result);
          page.plateau = ScorePage(*labels, lines, o.min_iou);
          if (i == o.show) page.plateau_lines = std::move(lines);
        };
        auto run_tesseract = [&] {
          const Stopwatch watch;
          std::vector<TextLine> lines = w.tesseract->ReadLines(image);
          page.tesseract_cost = watch.Elapsed();
          page.tesseract = ScorePage(*labels, lines, o.min_iou);
          if (i == o.show) page.tesseract_lines = std::move(lines);
        };
        if (i % 2 == 0) {
          run_plateau();
          run_tesseract();
        } else {
          run_tesseract();
          run_plateau();
        }
        if (i == o.show) page.labels = std::move(*labels);
      }));
  report.wall_ms = MsSince(start);
  for (const PageText& p : report.per_page) {
    for (auto [engine, score, cost, error] :
         {std::tuple{&report.plateau, &p.plateau, p.plateau_cost, &p.plateau_error},
          std::tuple{&report.tesseract, &p.tesseract, p.tesseract_cost, &p.tesseract_error}}) {
      engine->cost += cost;
      if (!error->empty()) {
        if (engine->failed_pages++ == 0) engine->first_error = *error;
        continue;
      }
      engine->score += *score;
    }
  }
  return report;
}

// --- Orientation --------------------------------------------------------------------------------------

struct OrientationPage {
  std::string name;
  std::string path;
  int rotate = 0;  // clockwise turn applied in memory before the engines see the page
  bool honour_exif = true;
  int truth = 0;  // clockwise rotation of the content
  int source_receipt = -1;
};

struct OrientationAnswer {
  std::optional<int> degrees;  // nullopt: no answer
  float confidence = 0;        // Tesseract's orient_conf
  Cost cost;
  std::string error;
};

struct EngineOrientation {
  bool available = true;
  std::string unavailable_reason;
  int pages = 0, correct = 0, no_answer = 0, errors = 0;
  Cost cost;
  std::map<int, std::map<std::string, int>> confusion;      // truth -> answer ("none", "error") -> count
  std::vector<std::string> wrong;                           // names of pages answered wrongly
  std::map<std::string, std::pair<int, int>> by_set;        // set -> correct, pages
  std::vector<float> right_confidences, wrong_confidences;  // of the answers given
};

struct OrientationReport {
  std::vector<OrientationPage> pages;
  EngineOrientation plateau, tesseract;
  std::vector<Cost> plateau_costs;  // per page
  double wall_ms = 0;
};

std::vector<OrientationPage> OrientationPages(const Options& o) {
  std::vector<OrientationPage> pages;
  for (int i = 0; i < o.limit; ++i) {
    for (int rotate : {0, 90, 180, 270}) {
      pages.push_back({"sroie/" + ReceiptName(i) + "@" + std::to_string(rotate),
                       o.eval_dir + "/sroie/img/" + ReceiptName(i) + ".jpg", rotate, true, rotate, i});
    }
  }
  // The pixels of these files are turned as their names say; "-L" is a quarter turn anticlockwise (270
  // clockwise). simple-N.jpg hold the picture turned N degrees anticlockwise with an EXIF tag that undoes
  // it, so they are read without applying EXIF (a reader applying it sees four upright pages).
  const struct {
    const char* file;
    int truth;
    bool honour_exif;
  } kFixed[] = {
      {"pages/phototest.tif", 0, true},
      {"pages/phototest-rotated-R.png", 90, true},
      {"pages/phototest-rotated-180.png", 180, true},
      {"pages/phototest-rotated-L.png", 270, true},
      {"pages/phototestrot.tif", 270, true},
      {"simple/simple.jpg", 0, false},
      {"simple/simple-270.jpg", 90, false},
      {"simple/simple-180.jpg", 180, false},
      {"simple/simple-90.jpg", 270, false},
  };
  for (const auto& f : kFixed)
    pages.push_back({f.file, o.eval_dir + "/" + f.file, 0, f.honour_exif, f.truth});
  return pages;
}

std::string SetOf(const OrientationPage& p) { return p.name.substr(0, p.name.find('/')); }

struct OrientationWorker {
  std::unique_ptr<OcrPipeline> pipeline;  // null when plateau's orientation is not available
  std::unique_ptr<TesseractEngine> osd;
};

StatusOr<OrientationReport> EvaluateOrientation(const Options& o) {
  OrientationReport report;
  report.pages = OrientationPages(o);

  // A pipeline without document orientation refuses the option (Unimplemented): reported, not fatal.
  // Each worker makes its own pipeline below; this one only asks.
  {
    StatusOr<std::unique_ptr<OcrPipeline>> probe = OcrPipeline::Create(PlateauOptions(o, true));
    if (!probe.ok()) {
      if (probe.status().code() != StatusCode::kUnimplemented) return probe.status();
      report.plateau.available = false;
      report.plateau.unavailable_reason = probe.status().ToString();
    }
  }

  std::vector<OrientationAnswer> plateau_answers(report.pages.size()), tess_answers(report.pages.size());
  const Clock::time_point start = Clock::now();
  PLATEAU_RETURN_IF_ERROR(RunParallel<OrientationWorker>(
      o.threads, static_cast<int>(report.pages.size()),
      [&]() -> StatusOr<std::unique_ptr<OrientationWorker>> {
        auto w = std::make_unique<OrientationWorker>();
        if (report.plateau.available) {
          PLATEAU_ASSIGN_OR_RETURN(w->pipeline, OcrPipeline::Create(PlateauOptions(o, true)));
        }
        PLATEAU_ASSIGN_OR_RETURN(w->osd, TesseractEngine::Create(o.tessdata, "osd", tesseract::PSM_OSD_ONLY));
        return w;
      },
      [&](OrientationWorker& w, int i) {
        const OrientationPage& page = report.pages[i];
        cv::Mat image = ReadImage(page.path, page.honour_exif);
        if (image.empty()) {
          plateau_answers[i].error = tess_answers[i].error = page.path + ": cannot read the image";
          return;
        }
        if (page.rotate == 90) cv::rotate(image, image, cv::ROTATE_90_CLOCKWISE);
        if (page.rotate == 180) cv::rotate(image, image, cv::ROTATE_180);
        if (page.rotate == 270) cv::rotate(image, image, cv::ROTATE_90_COUNTERCLOCKWISE);
        auto run_plateau = [&] {
          if (w.pipeline == nullptr) return;
          const Stopwatch watch;
          StatusOr<OcrResult> result = RunPlateau(*w.pipeline, image, page.name);
          plateau_answers[i].cost = watch.Elapsed();
          if (!result.ok()) {
            plateau_answers[i].error = result.status().ToString();
          } else if (result->doc_preprocessor_res.angle >= 0) {
            plateau_answers[i].degrees = AngleDegrees(result->doc_preprocessor_res.angle);
          }
        };
        auto run_tesseract = [&] {
          const Stopwatch watch;
          tess_answers[i].degrees = w.osd->Orientation(image, &tess_answers[i].confidence);
          tess_answers[i].cost = watch.Elapsed();
        };
        if (i % 2 == 0) {
          run_plateau();
          run_tesseract();
        } else {
          run_tesseract();
          run_plateau();
        }
      }));
  report.wall_ms = MsSince(start);
  for (const OrientationAnswer& a : plateau_answers) report.plateau_costs.push_back(a.cost);

  for (auto [engine, answers] :
       {std::pair{&report.plateau, &plateau_answers}, std::pair{&report.tesseract, &tess_answers}}) {
    if (!engine->available) continue;
    for (size_t i = 0; i < report.pages.size(); ++i) {
      const OrientationPage& page = report.pages[i];
      const OrientationAnswer& a = (*answers)[i];
      ++engine->pages;
      engine->cost += a.cost;
      auto& set = engine->by_set[SetOf(page)];
      ++set.second;
      std::string answer;
      if (!a.error.empty()) {
        ++engine->errors;
        answer = "error";
      } else if (!a.degrees) {
        ++engine->no_answer;
        answer = "none";
      } else {
        answer = std::to_string(*a.degrees);
      }
      ++engine->confusion[page.truth][answer];
      if (a.error.empty() && a.degrees && *a.degrees == page.truth) {
        ++engine->correct;
        engine->right_confidences.push_back(a.confidence);
        ++set.first;
      } else {
        engine->wrong.push_back(page.name + "->" + answer);
        if (a.error.empty() && a.degrees) engine->wrong_confidences.push_back(a.confidence);
      }
    }
  }
  return report;
}

// --- Pipelines: one engine at a time, each in its own process ------------------------------------------
//
// Each engine reads the receipts in a process of its own (plateau_eval itself with --engine_pass, or the
// ONNX Runtime pipeline's Node.js script), one after another, so that one engine's timings are not
// disturbed by another's work in this run and each process's peak RSS (VmHWM) is that engine's alone.
// plateau runs one pipeline with `threads` intra-op threads, ONNX Runtime one session per model with
// `threads` intra-op threads, Tesseract `threads` workers of one thread each (it has no intra-op
// threading to ask for). Every pass writes the same JSON format (tools/eval/ort_ocr_eval.mjs describes
// it); this process scores them with the same code.

struct PassReceipt {
  std::string name;
  double seconds = 0;
  std::string error;
  std::vector<RecognisedLine> lines;
  std::vector<Box> detected;  // every detected box (plateau's dt_polys); the lines' boxes otherwise
};

struct PassResult {
  std::string name;    // plateau, plateau-no-cls, plateau-whole-page, ort, tesseract
  std::string title;   // column heading
  std::string engine;  // what ran, with versions
  int threads = 0;
  double load_seconds = 0;
  double seconds = 0;  // wall time of all receipts, loading excluded
  size_t peak_rss_bytes = 0;
  std::vector<PassReceipt> receipts;
};

nlohmann::json QuadJson(const Quad& q) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : q) points.push_back({p[0], p[1]});
  return points;
}

Quad QuadFromPoly(const OcrPoly& poly) {
  Quad q{};
  for (int i = 0; i < 4; ++i) q[i] = {double(poly[i][0]), double(poly[i][1])};
  return q;
}

// The child side: runs `o.engine_pass` over the receipts and writes the pass to o.pass_out.
Status RunEnginePass(const Options& o) {
  const std::string sroie = o.eval_dir + "/sroie";
  nlohmann::json receipts = nlohmann::json::array();
  nlohmann::json out;
  out["threads"] = o.threads;
  if (o.engine_pass == "plateau" || o.engine_pass == "plateau-no-cls" ||
      o.engine_pass == "plateau-whole-page") {
    OcrOptions options = PlateauOptions(o, false);
    options.threads = o.threads;
    options.use_textline_orientation = o.engine_pass != "plateau-no-cls";
    options.text_det_tiled = o.engine_pass != "plateau-whole-page";
    const Clock::time_point load_start = Clock::now();
    PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<OcrPipeline> pipeline, OcrPipeline::Create(options));
    out["load_seconds"] = MsSince(load_start) / 1000;
    out["engine"] = std::string("plateau, one OcrPipeline, threads ") + std::to_string(o.threads) +
                    ", use_textline_orientation " + (options.use_textline_orientation ? "true" : "false") +
                    ", text_det_tiled " + (options.text_det_tiled ? "true" : "false");
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < o.limit; ++i) {
      const std::string path = sroie + "/img/" + ReceiptName(i) + ".jpg";
      nlohmann::json r = {{"name", ReceiptName(i)}, {"error", ""}};
      const Clock::time_point page_start = Clock::now();
      const cv::Mat image = ReadImage(path, true);
      StatusOr<OcrResult> result =
          image.empty() ? StatusOr<OcrResult>(Status::NotFound(path + ": cannot read the image"))
                        : RunPlateau(*pipeline, image, path);
      r["seconds"] = MsSince(page_start) / 1000;
      if (!result.ok()) {
        r["error"] = result.status().ToString();
      } else {
        // rec_polys are the dt_polys kept, in the same order: walk both to find each line's angle.
        nlohmann::json lines = nlohmann::json::array(), detected = nlohmann::json::array();
        size_t d = 0;
        for (size_t k = 0; k < result->rec_polys.size() && k < result->rec_texts.size(); ++k) {
          while (d < result->dt_polys.size() && result->dt_polys[d] != result->rec_polys[k]) ++d;
          const int angle =
              d < result->textline_orientation_angles.size() ? result->textline_orientation_angles[d] : -1;
          lines.push_back({{"text", result->rec_texts[k]},
                           {"quad", QuadJson(QuadFromPoly(result->rec_polys[k]))},
                           {"angle", angle}});
        }
        for (const OcrPoly& poly : result->dt_polys) detected.push_back(QuadJson(QuadFromPoly(poly)));
        r["lines"] = std::move(lines);
        r["detected"] = std::move(detected);
      }
      receipts.push_back(std::move(r));
      if ((i + 1) % 10 == 0 || i + 1 == o.limit) {
        std::cerr << "plateau_eval " << o.engine_pass << ": " << i + 1 << "/" << o.limit << " receipts\n";
      }
    }
    out["seconds"] = MsSince(start) / 1000;
  } else if (o.engine_pass == "tesseract") {
    const Clock::time_point load_start = Clock::now();
    std::vector<std::unique_ptr<TesseractEngine>> engines;
    for (int t = 0; t < o.threads; ++t) {
      PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<TesseractEngine> engine,
                               TesseractEngine::Create(o.tessdata, "eng", o.psm));
      engines.push_back(std::move(engine));
    }
    out["load_seconds"] = MsSince(load_start) / 1000;
    out["engine"] = std::string("Tesseract ") + tesseract::TessBaseAPI::Version() + ", eng, LSTM, psm " +
                    std::to_string(o.psm) + ", " + std::to_string(o.threads) + " workers of one thread";
    std::vector<nlohmann::json> results(o.limit);
    std::atomic<int> next{0};
    const Clock::time_point start = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < o.threads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = next++; i < o.limit; i = next++) {
          const std::string path = sroie + "/img/" + ReceiptName(i) + ".jpg";
          nlohmann::json r = {{"name", ReceiptName(i)}, {"error", ""}};
          const Clock::time_point page_start = Clock::now();
          const cv::Mat image = ReadImage(path, true);
          if (image.empty()) {
            r["error"] = path + ": cannot read the image";
          } else {
            nlohmann::json lines = nlohmann::json::array();
            for (const TextLine& l : engines[t]->ReadLines(image)) {
              const Box& b = l.box;
              lines.push_back({{"text", l.text},
                               {"quad", QuadJson({{{b.x_min, b.y_min},
                                                   {b.x_max, b.y_min},
                                                   {b.x_max, b.y_max},
                                                   {b.x_min, b.y_max}}})}});
            }
            r["lines"] = std::move(lines);
          }
          r["seconds"] = MsSince(page_start) / 1000;
          results[i] = std::move(r);
        }
      });
    }
    for (std::thread& t : pool) t.join();
    out["seconds"] = MsSince(start) / 1000;
    for (nlohmann::json& r : results) receipts.push_back(std::move(r));
  } else {
    return Status::InvalidArgument("--engine_pass: '" + o.engine_pass +
                                   "'; expected plateau, plateau-no-cls, plateau-whole-page or tesseract");
  }
  out["peak_rss_bytes"] = ReadProcessMemory().peak_rss_bytes;
  out["receipts"] = std::move(receipts);
  std::ofstream file(o.pass_out);
  file << out.dump() << "\n";
  if (!file.flush()) return Status::Internal(o.pass_out + ": cannot write the pass's results");
  return Status::Ok();
}

// Runs `argv` with `omp_thread_limit` in its environment (unless empty) and waits for it.
Status RunChild(const std::vector<std::string>& argv, const std::string& omp_thread_limit) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("OMP_THREAD_LIMIT=", 0) == 0) continue;
    env_strings.emplace_back(*e);
  }
  if (!omp_thread_limit.empty()) env_strings.push_back("OMP_THREAD_LIMIT=" + omp_thread_limit);
  std::vector<char*> env, args;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<std::string> arg_strings = argv;
  for (std::string& a : arg_strings) args.push_back(a.data());
  args.push_back(nullptr);
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), env.data()) != 0) {
    return Status::NotFound("cannot start '" + command + "'");
  }
  int wstatus = 0;
  if (waitpid(pid, &wstatus, 0) != pid) return Status::Internal("lost the child '" + command + "'");
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::Internal("'" + command + "' failed (" +
                            (WIFEXITED(wstatus) ? "exit code " + std::to_string(WEXITSTATUS(wstatus))
                                                : std::string("killed by a signal")) +
                            ")");
  }
  return Status::Ok();
}

StatusOr<PassResult> ReadPass(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": no pass results");
  nlohmann::json j;
  try {
    in >> j;
    PassResult pass;
    pass.engine = j.at("engine").get<std::string>();
    pass.threads = j.at("threads").get<int>();
    pass.load_seconds = j.at("load_seconds").get<double>();
    pass.seconds = j.at("seconds").get<double>();
    pass.peak_rss_bytes = j.at("peak_rss_bytes").get<size_t>();
    auto quad = [](const nlohmann::json& points) {
      Quad q{};
      for (int i = 0; i < 4; ++i) q[i] = {points.at(i).at(0).get<double>(), points.at(i).at(1).get<double>()};
      return q;
    };
    for (const nlohmann::json& r : j.at("receipts")) {
      PassReceipt receipt;
      receipt.name = r.at("name").get<std::string>();
      receipt.seconds = r.value("seconds", 0.0);
      receipt.error = r.value("error", "");
      if (r.contains("lines")) {
        for (const nlohmann::json& l : r.at("lines")) {
          receipt.lines.push_back(
              {l.at("text").get<std::string>(), quad(l.at("quad")), l.value("angle", -1)});
        }
      }
      if (r.contains("detected")) {
        for (const nlohmann::json& q : r.at("detected")) receipt.detected.push_back(BoundingBox(quad(q)));
      } else {
        for (const RecognisedLine& l : receipt.lines) receipt.detected.push_back(BoundingBox(l.quad));
      }
      pass.receipts.push_back(std::move(receipt));
    }
    return pass;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(path + ": not a pass's results: " + e.what());
  }
}

struct PassSpec {
  std::string name, title;
};

std::vector<PassSpec> PassSpecs(const Options& o) {
  const std::map<std::string, std::string> titles = {{"plateau", "plateau"},
                                                     {"plateau-no-cls", "plateau, no textline orientation"},
                                                     {"plateau-whole-page", "plateau, whole-page detection"},
                                                     {"ort", "ONNX Runtime pipeline (@gutenye/ocr-node)"},
                                                     {"tesseract", "Tesseract 5"}};
  std::vector<PassSpec> specs;
  for (const std::string& name : o.passes) specs.push_back({name, titles.at(name)});
  return specs;
}

StatusOr<PassResult> RunPass(const Options& o, const PassSpec& spec, const std::string& dir) {
  const std::string out = dir + "/" + spec.name + ".json";
  std::error_code ignored;
  fs::remove(out, ignored);
  const std::string threads = std::to_string(o.threads);
  std::cerr << "plateau_eval: pipelines: " << spec.title << " ...\n";
  if (spec.name == "ort") {
    PLATEAU_RETURN_IF_ERROR(
        RunChild({o.node, std::string(PLATEAU_SOURCE_DIR) + "/tools/eval/ort_ocr_eval.mjs", "--images",
                  o.eval_dir + "/sroie/img", "--models", o.model_dir, "--limit", std::to_string(o.limit),
                  "--threads", threads, "--out", out},
                 ""));
  } else {
    std::vector<std::string> argv = {"/proc/self/exe",
                                     "--engine_pass",
                                     spec.name,
                                     "--pass_out",
                                     out,
                                     "--eval",
                                     o.eval_dir,
                                     "--model_dir",
                                     o.model_dir,
                                     "--threads",
                                     threads,
                                     "--limit",
                                     std::to_string(o.limit),
                                     "--psm",
                                     std::to_string(o.psm)};
    if (!o.tessdata.empty()) argv.insert(argv.end(), {"--tessdata", o.tessdata});
    // plateau's intra-op threads are OpenMP threads, which the limit this process runs under would cap.
    PLATEAU_RETURN_IF_ERROR(RunChild(argv, spec.name == "tesseract" ? "1" : threads));
  }
  PLATEAU_ASSIGN_OR_RETURN(PassResult pass, ReadPass(out));
  pass.name = spec.name;
  pass.title = spec.title;
  if (static_cast<int>(pass.receipts.size()) != o.limit) {
    return Status::Internal(out + ": " + std::to_string(pass.receipts.size()) + " receipts, expected " +
                            std::to_string(o.limit));
  }
  return pass;
}

struct PassScore {
  PageScore score;
  LineCategoryCounts categories;
  int failed = 0;
  std::string first_error;
  std::vector<std::vector<LineDiagnosis>> diagnoses;  // per receipt
};

struct PipelinesReport {
  std::vector<PassResult> passes;
  std::vector<PassScore> scores;
  std::vector<std::string> unavailable;  // passes that could not run, with the reason
  std::vector<std::vector<TextLine>> labels;
  double wall_ms = 0;
};

StatusOr<PipelinesReport> EvaluatePipelines(const Options& o) {
  PipelinesReport report;
  const std::string sroie = o.eval_dir + "/sroie";
  for (int i = 0; i < o.limit; ++i) {
    PLATEAU_ASSIGN_OR_RETURN(std::vector<TextLine> labels,
                             ReadLabelFile(sroie + "/box/" + ReceiptName(i) + ".csv"));
    report.labels.push_back(std::move(labels));
  }
  std::string dir = o.pass_dir;
  if (dir.empty()) dir = (fs::temp_directory_path() / ("plateau_eval." + std::to_string(getpid()))).string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::NotFound("--pass_dir: cannot create " + dir + ": " + ec.message());
  const Clock::time_point start = Clock::now();
  for (const PassSpec& spec : PassSpecs(o)) {
    StatusOr<PassResult> pass = RunPass(o, spec, dir);
    if (!pass.ok()) {
      // The ONNX Runtime pipeline needs Node.js and its package (tools/bench_memory/setup.sh); without them
      // the other columns still mean something.
      if (spec.name != "ort") return pass.status().WithContext(spec.title);
      report.unavailable.push_back(spec.title + ": " + pass.status().ToString() +
                                   " (install: tools/bench_memory/setup.sh)");
      continue;
    }
    PassScore score;
    for (int i = 0; i < o.limit; ++i) {
      const PassReceipt& r = pass->receipts[i];
      if (!r.error.empty()) {
        if (score.failed++ == 0) score.first_error = r.error;
        score.diagnoses.emplace_back();
        continue;
      }
      std::vector<TextLine> predicted;
      for (const RecognisedLine& l : r.lines) predicted.push_back({BoundingBox(l.quad), l.text});
      score.score += ScorePage(report.labels[i], predicted, o.min_iou);
      score.diagnoses.push_back(DiagnoseLines(report.labels[i], r.lines, r.detected));
      score.categories.Add(report.labels[i], score.diagnoses.back());
    }
    report.passes.push_back(std::move(*pass));
    report.scores.push_back(std::move(score));
  }
  report.wall_ms = MsSince(start);
  if (o.pass_dir.empty()) fs::remove_all(dir, ec);
  return report;
}

// --- Output -------------------------------------------------------------------------------------------

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Percent(double v) { return Fixed(100.0 * v, 1) + "%"; }

double PagesPerSecond(int pages, double summed_ms, int threads) {
  return summed_ms <= 0 ? 0.0 : pages / (summed_ms / threads / 1000.0);
}

void PrintText(const Options& o, const TextReport& r) {
  const EngineText& p = r.plateau;
  const EngineText& t = r.tesseract;
  std::cout << "\n## Text: " << r.pages << " SROIE receipts (" << p.score.label_lines
            << " label lines), matching IoU >= " << o.min_iou << ", " << o.threads
            << " worker threads per engine, each engine single-threaded per worker\n\n";
  std::cout << "| measure | plateau (PP-OCRv4) | Tesseract 5 (eng, LSTM, psm " << o.psm << ") |\n";
  std::cout << "|---|---:|---:|\n";
  auto row = [](const std::string& name, const std::string& a, const std::string& b) {
    std::cout << "| " << name << " | " << a << " | " << b << " |\n";
  };
  row("label lines found (matched / label lines)", Percent(p.score.LineRecall()),
      Percent(t.score.LineRecall()));
  row("predicted lines matched (matched / predicted)", Percent(p.score.LinePrecision()),
      Percent(t.score.LinePrecision()));
  row("predicted lines", std::to_string(p.score.predicted_lines), std::to_string(t.score.predicted_lines));
  row("exact matched lines", Percent(p.score.ExactRate()), Percent(t.score.ExactRate()));
  row("exact matched lines, ignoring case and space", Percent(p.score.ExactNormalizedRate()),
      Percent(t.score.ExactNormalizedRate()));
  row("1 - CER over matched lines", Percent(p.score.MatchedCharAccuracy()),
      Percent(t.score.MatchedCharAccuracy()));
  row("1 - CER over matched lines, ignoring case and space", Percent(p.score.MatchedCharAccuracyNormalized()),
      Percent(t.score.MatchedCharAccuracyNormalized()));
  row("page CER (all text, reading order)", Percent(p.score.PageCer()), Percent(t.score.PageCer()));
  row("page CER, ignoring case and space", Percent(p.score.PageCerNormalized()),
      Percent(t.score.PageCerNormalized()));
  row("CPU ms per page (one thread)", Fixed(p.cost.cpu_ms / r.pages, 1), Fixed(t.cost.cpu_ms / r.pages, 1));
  row("wall ms per page (one thread)", Fixed(p.cost.wall_ms / r.pages, 1),
      Fixed(t.cost.wall_ms / r.pages, 1));
  const std::string workers = std::to_string(o.threads) + " workers";
  row("pages per second, " + workers + ", from CPU time",
      Fixed(PagesPerSecond(r.pages, p.cost.cpu_ms, o.threads), 2),
      Fixed(PagesPerSecond(r.pages, t.cost.cpu_ms, o.threads), 2));
  row("pages per second, " + workers + ", from wall time",
      Fixed(PagesPerSecond(r.pages, p.cost.wall_ms, o.threads), 2),
      Fixed(PagesPerSecond(r.pages, t.cost.wall_ms, o.threads), 2));
  row("failed pages", std::to_string(p.failed_pages), std::to_string(t.failed_pages));
  for (const EngineText* e : {&p, &t}) {
    if (e->failed_pages > 0) std::cout << "first failure: " << e->first_error << "\n";
  }
  if (o.per_page) {
    std::cout << "\n| receipt | plateau found | plateau 1-CER | plateau page CER (case, space ignored) | "
                 "plateau CPU ms | Tesseract found "
                 "| Tesseract 1-CER | Tesseract page CER (case, space ignored) | Tesseract CPU ms "
                 "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (int i = 0; i < r.pages; ++i) {
      const PageText& pg = r.per_page[i];
      std::cout << "| " << ReceiptName(i) << " | " << Percent(pg.plateau.LineRecall()) << " | "
                << Percent(pg.plateau.MatchedCharAccuracy()) << " | "
                << Percent(pg.plateau.PageCerNormalized()) << " | " << Fixed(pg.plateau_cost.cpu_ms, 0)
                << " | " << Percent(pg.tesseract.LineRecall()) << " | "
                << Percent(pg.tesseract.MatchedCharAccuracy()) << " | "
                << Percent(pg.tesseract.PageCerNormalized()) << " | " << Fixed(pg.tesseract_cost.cpu_ms, 0)
                << " |\n";
    }
  }
}

std::string Mib(size_t bytes) { return Fixed(bytes / 1048576.0, 0) + " MiB"; }

void PrintPipelines(const Options& o, const PipelinesReport& r) {
  const size_t n = r.passes.size();
  std::cout << "\n## Pipelines: " << o.limit << " SROIE receipts at full size, " << o.threads
            << " threads per engine, one engine at a time (each in its own process, none running "
               "alongside another)\n\n";
  std::cout << "| measure |";
  for (const PassResult& p : r.passes) std::cout << " " << p.title << " |";
  std::cout << "\n|---|";
  for (size_t i = 0; i < n; ++i) std::cout << "---:|";
  std::cout << "\n";
  auto row = [&](const std::string& name, auto cell) {
    std::cout << "| " << name << " |";
    for (size_t i = 0; i < n; ++i) std::cout << " " << cell(r.passes[i], r.scores[i]) << " |";
    std::cout << "\n";
  };
  row("line accuracy (mean best 1 - NED; case, spaces ignored)",
      [](const PassResult&, const PassScore& s) { return Percent(s.score.line_accuracy.Mean()); });
  row("label lines read exactly (case, spaces ignored)",
      [](const PassResult&, const PassScore& s) { return Percent(s.score.line_accuracy.ExactRate()); });
  row("... and with the label's spaces", [](const PassResult&, const PassScore& s) {
    const size_t exact = s.categories.count[static_cast<int>(LineCategory::kExact)];
    return Percent(s.categories.label_lines ? double(exact) / s.categories.label_lines : 0.0);
  });
  row("label lines found (IoU >= " + Fixed(o.min_iou, 2) + ")",
      [](const PassResult&, const PassScore& s) { return Percent(s.score.LineRecall()); });
  row("predicted lines",
      [](const PassResult&, const PassScore& s) { return std::to_string(s.score.predicted_lines); });
  row("s / receipt (wall)",
      [&](const PassResult& p, const PassScore&) { return Fixed(p.seconds / o.limit, 2); });
  row("peak RSS (VmHWM of its process)",
      [](const PassResult& p, const PassScore&) { return Mib(p.peak_rss_bytes); });
  row("model loading, s", [](const PassResult& p, const PassScore&) { return Fixed(p.load_seconds, 2); });
  row("failed receipts", [](const PassResult&, const PassScore& s) { return std::to_string(s.failed); });
  std::cout << "\nEngines:";
  for (const PassResult& p : r.passes) std::cout << "\n- " << p.title << ": " << p.engine;
  std::cout
      << "\nThe ONNX Runtime pipeline has no textline orientation stage: compare it with plateau's column "
         "without one. It joins the lines of a row into one line (words kept apart by spaces); "
         "line accuracy reads runs of words inside a line, so that costs it nothing there, unlike "
         "the IoU-matched figures.\n";
  for (size_t i = 0; i < n; ++i) {
    if (r.scores[i].failed > 0)
      std::cout << r.passes[i].title << ": first failure: " << r.scores[i].first_error << "\n";
  }
  for (const std::string& u : r.unavailable) std::cout << "not available: " << u << "\n";

  std::cout << "\n### Why label lines were not read exactly (one category per label line, in the order "
               "listed; tools/eval/line_errors.h)\n\n| category | meaning |";
  for (const PassResult& p : r.passes) std::cout << " " << p.title << " |";
  std::cout << "\n|---|---|";
  for (size_t i = 0; i < n; ++i) std::cout << "---:|";
  std::cout << "\n";
  for (int c = 0; c < kLineCategoryCount; ++c) {
    const auto category = static_cast<LineCategory>(c);
    std::cout << "| " << CategoryName(category) << " | " << CategoryDescription(category) << " |";
    for (size_t i = 0; i < n; ++i) {
      const LineCategoryCounts& counts = r.scores[i].categories;
      const size_t k = counts.count[c];
      std::cout << " " << k << " (" << Percent(counts.label_lines ? double(k) / counts.label_lines : 0.0)
                << ") |";
    }
    std::cout << "\n";
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& subs = r.scores[i].categories.substitutions;
    if (subs.empty() || r.passes[i].name != "plateau") continue;
    std::vector<std::pair<size_t, std::pair<char32_t, char32_t>>> sorted;
    for (const auto& [pair, count] : subs) sorted.push_back({count, pair});
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::cout << "\n" << r.passes[i].title << ", substituted characters (label -> read, case folded):";
    auto utf8 = [](char32_t c) {
      std::string s;
      if (c < 0x80) {
        s += static_cast<char>(c);
      } else if (c < 0x800) {
        s += static_cast<char>(0xC0 | (c >> 6));
        s += static_cast<char>(0x80 | (c & 0x3F));
      } else if (c < 0x10000) {
        s += static_cast<char>(0xE0 | (c >> 12));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        s += static_cast<char>(0xF0 | (c >> 18));
        s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
      }
      return s;
    };
    for (size_t k = 0; k < sorted.size() && k < 15; ++k) {
      std::cout << " " << utf8(sorted[k].second.first) << "->" << utf8(sorted[k].second.second) << ":"
                << sorted[k].first;
    }
    std::cout << "\n";
  }
}

// One row per label line and pass: receipt, pass, category, score, label, best reading, its own line.
Status WriteCategories(const std::string& path, const PipelinesReport& r) {
  std::ofstream out(path);
  if (!out) return Status::NotFound("--categories: cannot write " + path);
  auto clean = [](std::string s) {
    std::replace(s.begin(), s.end(), '\t', ' ');
    return s;
  };
  out << "receipt\tpass\tcategory\tscore\tlabel\tread\town_line\theight_ratio\ttextline_angle\n";
  for (size_t p = 0; p < r.passes.size(); ++p) {
    for (size_t i = 0; i < r.scores[p].diagnoses.size(); ++i) {
      const std::vector<LineDiagnosis>& d = r.scores[p].diagnoses[i];
      const PassReceipt& receipt = r.passes[p].receipts[i];
      for (size_t l = 0; l < d.size() && l < r.labels[i].size(); ++l) {
        if (NormalizeCaseSpace(r.labels[i][l].text).empty()) continue;
        const RecognisedLine* own = d[l].own_line >= 0 ? &receipt.lines[d[l].own_line] : nullptr;
        out << receipt.name << "\t" << r.passes[p].name << "\t" << CategoryName(d[l].category) << "\t"
            << Fixed(d[l].reading.score, 3) << "\t" << clean(r.labels[i][l].text) << "\t"
            << clean(d[l].reading.candidate) << "\t" << (own ? clean(own->text) : "") << "\t"
            << Fixed(d[l].height_ratio, 2) << "\t" << (own ? own->textline_angle : -1) << "\n";
      }
    }
  }
  if (!out.flush()) return Status::Internal("--categories: cannot write " + path);
  return Status::Ok();
}

nlohmann::json PipelinesJson(const Options& o, const PipelinesReport& r) {
  nlohmann::json passes = nlohmann::json::object();
  for (size_t i = 0; i < r.passes.size(); ++i) {
    const PassResult& p = r.passes[i];
    const PassScore& s = r.scores[i];
    nlohmann::json categories = nlohmann::json::object();
    for (int c = 0; c < kLineCategoryCount; ++c) {
      categories[CategoryName(static_cast<LineCategory>(c))] = s.categories.count[c];
    }
    passes[p.name] = {{"title", p.title},
                      {"engine", p.engine},
                      {"threads", p.threads},
                      {"line_accuracy", s.score.line_accuracy.Mean()},
                      {"exact_rate", s.score.line_accuracy.ExactRate()},
                      {"label_lines", s.score.line_accuracy.label_lines},
                      {"line_recall", s.score.LineRecall()},
                      {"predicted_lines", s.score.predicted_lines},
                      {"seconds_per_receipt", p.seconds / o.limit},
                      {"load_seconds", p.load_seconds},
                      {"peak_rss_bytes", p.peak_rss_bytes},
                      {"failed_receipts", s.failed},
                      {"categories", categories}};
  }
  return {{"receipts", o.limit},
          {"threads", o.threads},
          {"wall_seconds", r.wall_ms / 1000},
          {"passes", passes},
          {"unavailable", r.unavailable}};
}

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// Each label line with the line each engine matched to it (or "-"), then the unmatched predictions.
void PrintLinePairs(const Options& o, const PageText& page) {
  std::cout << "\n## Receipt " << ReceiptName(o.show) << ": label | plateau | Tesseract (IoU)\n";
  std::vector<Box> label_boxes;
  for (const TextLine& l : page.labels) label_boxes.push_back(l.box);
  std::vector<std::vector<std::string>> cells(page.labels.size(), std::vector<std::string>(2, "-"));
  std::vector<std::vector<std::string>> unmatched(2);
  for (int e = 0; e < 2; ++e) {
    const std::vector<TextLine>& lines = e == 0 ? page.plateau_lines : page.tesseract_lines;
    std::vector<Box> boxes;
    for (const TextLine& l : lines) boxes.push_back(l.box);
    std::vector<bool> used(lines.size());
    for (const LineMatch& m : MatchLines(label_boxes, boxes, o.min_iou)) {
      cells[m.label][e] = Quoted(lines[m.predicted].text) + " (" + Fixed(m.iou, 2) + ")";
      used[m.predicted] = true;
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!used[i]) unmatched[e].push_back(Quoted(lines[i].text));
    }
  }
  for (size_t i = 0; i < page.labels.size(); ++i) {
    std::cout << Quoted(page.labels[i].text) << " | " << cells[i][0] << " | " << cells[i][1] << "\n";
  }
  for (int e = 0; e < 2; ++e) {
    std::cout << (e == 0 ? "plateau" : "Tesseract") << " unmatched:";
    for (const std::string& t : unmatched[e]) std::cout << " " << t;
    std::cout << "\n";
  }
}

void PrintOrientation(const Options& o, const OrientationReport& r) {
  std::cout << "\n## Orientation: " << r.pages.size() << " pages (SROIE receipts turned 0/90/180/270, "
            << "pages/phototest*, simple/simple*.jpg), " << o.threads << " worker threads per engine\n\n";
  std::cout
      << "| set | plateau (use_doc_orientation_classify) | Tesseract 5 OSD (psm 0) |\n|---|---:|---:|\n";
  auto cell = [](const EngineOrientation& e, const std::string& set) -> std::string {
    if (!e.available) return "not available";
    if (set.empty())
      return std::to_string(e.correct) + "/" + std::to_string(e.pages) + " (" +
             Percent(e.pages ? double(e.correct) / e.pages : 0) + ")";
    auto it = e.by_set.find(set);
    if (it == e.by_set.end()) return "-";
    return std::to_string(it->second.first) + "/" + std::to_string(it->second.second);
  };
  for (const std::string set : {"sroie", "pages", "simple"}) {
    std::cout << "| " << set << " | " << cell(r.plateau, set) << " | " << cell(r.tesseract, set) << " |\n";
  }
  std::cout << "| all | " << cell(r.plateau, "") << " | " << cell(r.tesseract, "") << " |\n";
  auto ms = [](const EngineOrientation& e) -> std::string {
    if (!e.available) return "not available";
    return Fixed(e.pages ? e.cost.cpu_ms / e.pages : 0, 1) + " / " +
           Fixed(e.pages ? e.cost.wall_ms / e.pages : 0, 1);
  };
  std::cout << "| CPU / wall ms per page (one thread) | " << ms(r.plateau)
            << (r.plateau.available ? " (whole pipeline)" : "") << " | " << ms(r.tesseract) << " |\n";
  auto extra = [](const EngineOrientation& e) -> std::string {
    if (!e.available) return "not available";
    return std::to_string(e.no_answer) + " / " + std::to_string(e.errors);
  };
  std::cout << "| no answer / errors | " << extra(r.plateau) << " | " << extra(r.tesseract) << " |\n";
  auto median = [](std::vector<float> v) {
    if (v.empty()) return std::string("-");
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return Fixed(v[v.size() / 2], 2);
  };
  std::cout << "\nTesseract orient_conf, median: " << median(r.tesseract.right_confidences) << " over its "
            << r.tesseract.right_confidences.size() << " right answers, "
            << median(r.tesseract.wrong_confidences) << " over its " << r.tesseract.wrong_confidences.size()
            << " wrong ones\n";
  for (const auto& [name, e] : {std::pair{"plateau", &r.plateau}, std::pair{"Tesseract", &r.tesseract}}) {
    if (!e->available) {
      std::cout << "\n" << name << ": not available (" << e->unavailable_reason << ")\n";
      continue;
    }
    std::cout << "\n" << name << " answers by true clockwise rotation:";
    for (const auto& [truth, answers] : e->confusion) {
      std::cout << "  " << truth << " ->";
      for (const auto& [answer, count] : answers) std::cout << " " << answer << ":" << count;
      std::cout << ";";
    }
    std::cout << "\n";
    if (!e->wrong.empty()) {
      std::cout << name << " wrong (" << e->wrong.size() << "):";
      for (size_t i = 0; i < e->wrong.size() && i < 30; ++i) std::cout << " " << e->wrong[i];
      if (e->wrong.size() > 30) std::cout << " ...";
      std::cout << "\n";
    }
  }
}

nlohmann::json ScoreJson(const EngineText& e, int pages, int threads) {
  const PageScore& s = e.score;
  return {{"label_lines", s.label_lines},
          {"predicted_lines", s.predicted_lines},
          {"matched_lines", s.matched_lines},
          {"line_recall", s.LineRecall()},
          {"line_precision", s.LinePrecision()},
          {"exact_rate", s.ExactRate()},
          {"exact_rate_ignoring_case_space", s.ExactNormalizedRate()},
          {"matched_char_accuracy", s.MatchedCharAccuracy()},
          {"matched_char_accuracy_ignoring_case_space", s.MatchedCharAccuracyNormalized()},
          {"page_cer", s.PageCer()},
          {"page_cer_ignoring_case_space", s.PageCerNormalized()},
          {"cpu_ms_per_page", e.cost.cpu_ms / pages},
          {"wall_ms_per_page", e.cost.wall_ms / pages},
          {"pages_per_second_cpu", PagesPerSecond(pages, e.cost.cpu_ms, threads)},
          {"pages_per_second_wall", PagesPerSecond(pages, e.cost.wall_ms, threads)},
          {"failed_pages", e.failed_pages}};
}

// plateau answers orientation only through its whole pipeline. Upright receipts (turned by 0) are the
// same pixels the text part ran without orientation, so the difference in CPU time per page is what the
// orientation step adds. nullopt when either side is missing.
std::optional<double> PlateauOrientationAddedCpuMs(const OrientationReport& orientation,
                                                   const TextReport* text) {
  if (text == nullptr || !orientation.plateau.available) return std::nullopt;
  double added = 0;
  int pages = 0;
  for (size_t i = 0; i < orientation.pages.size(); ++i) {
    const OrientationPage& page = orientation.pages[i];
    if (page.source_receipt < 0 || page.rotate != 0 || page.source_receipt >= text->pages) continue;
    const PageText& baseline = text->per_page[page.source_receipt];
    if (!baseline.plateau_error.empty()) continue;
    added += orientation.plateau_costs[i].cpu_ms - baseline.plateau_cost.cpu_ms;
    ++pages;
  }
  if (pages == 0) return std::nullopt;
  return added / pages;
}

nlohmann::json OrientationJson(const EngineOrientation& e) {
  if (!e.available) return {{"available", false}, {"reason", e.unavailable_reason}};
  nlohmann::json sets = nlohmann::json::object();
  for (const auto& [set, counts] : e.by_set)
    sets[set] = {{"correct", counts.first}, {"pages", counts.second}};
  return {{"available", true},
          {"pages", e.pages},
          {"correct", e.correct},
          {"accuracy", e.pages ? double(e.correct) / e.pages : 0.0},
          {"no_answer", e.no_answer},
          {"errors", e.errors},
          {"cpu_ms_per_page", e.pages ? e.cost.cpu_ms / e.pages : 0.0},
          {"wall_ms_per_page", e.pages ? e.cost.wall_ms / e.pages : 0.0},
          {"by_set", sets},
          {"wrong", e.wrong}};
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

int Run(int argc, char** argv) {
  StatusOr<Options> options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "plateau_eval: " << options.status().ToString() << "\n" << kUsage;
    return 2;
  }
  const Options& o = *options;
  if (!o.engine_pass.empty()) {
    const Status pass = RunEnginePass(o);
    if (!pass.ok()) {
      std::cerr << "plateau_eval --engine_pass " << o.engine_pass << ": " << pass.ToString() << "\n";
      return 1;
    }
    return 0;
  }
  // Opened before the work so that a bad path costs nothing.
  std::ofstream json_out;
  if (!o.json_path.empty()) {
    json_out.open(o.json_path);
    if (!json_out) {
      std::cerr << "plateau_eval: --json: cannot write " << o.json_path << "\n";
      return 1;
    }
  }
  if (!fs::is_directory(o.eval_dir + "/sroie/img")) {
    std::cerr << "plateau_eval: " << o.eval_dir << "/sroie/img not found; pass --eval DIR\n";
    return 1;
  }
  std::cout << "# plateau_eval " << UtcNow() << ": " << o.limit << " receipts, " << o.threads
            << " workers, tesseract " << tesseract::TessBaseAPI::Version()
            << ", OMP_THREAD_LIMIT=" << std::getenv("OMP_THREAD_LIMIT") << "\n";
  nlohmann::json json = {{"date", UtcNow()},       {"threads", o.threads},
                         {"limit", o.limit},       {"tesseract_version", tesseract::TessBaseAPI::Version()},
                         {"tesseract_psm", o.psm}, {"min_iou", o.min_iou}};
  int status = 0;
  if (o.pipelines) {
    StatusOr<PipelinesReport> pipelines = EvaluatePipelines(o);
    if (!pipelines.ok()) {
      std::cerr << "plateau_eval: pipelines: " << pipelines.status().ToString() << "\n";
      return 1;
    }
    PrintPipelines(o, *pipelines);
    std::cout << "(pipelines part: " << Fixed(pipelines->wall_ms / 1000, 1) << " s wall)\n";
    json["pipelines"] = PipelinesJson(o, *pipelines);
    if (!o.categories_path.empty()) {
      const Status written = WriteCategories(o.categories_path, *pipelines);
      if (!written.ok()) {
        std::cerr << "plateau_eval: " << written.ToString() << "\n";
        return 1;
      }
      std::cout << "(every label line's category: " << o.categories_path << ")\n";
    }
  }
  std::optional<TextReport> text_report;
  if (o.ocr) {
    StatusOr<TextReport> text = EvaluateText(o);
    if (!text.ok()) {
      std::cerr << "plateau_eval: text: " << text.status().ToString() << "\n";
      return 1;
    }
    PrintText(o, *text);
    if (o.show >= 0 && o.show < text->pages) PrintLinePairs(o, text->per_page[o.show]);
    json["text"] = {{"pages", text->pages},
                    {"wall_seconds", text->wall_ms / 1000},
                    {"plateau", ScoreJson(text->plateau, text->pages, o.threads)},
                    {"tesseract", ScoreJson(text->tesseract, text->pages, o.threads)}};
    const ProcessMemory memory = ReadProcessMemory();
    std::cout << "(text part: " << Fixed(text->wall_ms / 1000, 1) << " s wall; process peak RSS "
              << memory.peak_rss_bytes / (1 << 20) << " MiB, both engines, all workers)\n";
    json["text"]["peak_rss_bytes"] = memory.peak_rss_bytes;
    if (text->plateau.failed_pages > 0 || text->tesseract.failed_pages > 0) status = 1;
    text_report = std::move(*text);
  }
  if (o.orientation) {
    StatusOr<OrientationReport> orientation = EvaluateOrientation(o);
    if (!orientation.ok()) {
      std::cerr << "plateau_eval: orientation: " << orientation.status().ToString() << "\n";
      return 1;
    }
    PrintOrientation(o, *orientation);
    json["orientation"] = {{"pages", orientation->pages.size()},
                           {"wall_seconds", orientation->wall_ms / 1000},
                           {"plateau", OrientationJson(orientation->plateau)},
                           {"tesseract", OrientationJson(orientation->tesseract)}};
    const std::optional<double> added =
        PlateauOrientationAddedCpuMs(*orientation, text_report ? &*text_report : nullptr);
    if (added) {
      std::cout << "plateau: the orientation step adds " << Fixed(*added, 1)
                << " CPU ms per upright receipt (pipeline with it minus the text part's run without it)\n";
      json["orientation"]["plateau"]["added_cpu_ms_per_upright_receipt"] = *added;
    }
    std::cout << "(orientation part: " << Fixed(orientation->wall_ms / 1000, 1) << " s wall)\n";
  }
  if (!o.json_path.empty()) {
    json_out << json.dump(2) << "\n";
    if (!json_out.flush()) {
      std::cerr << "plateau_eval: cannot write " << o.json_path << "\n";
      return 1;
    }
  }
  return status;
}

}  // namespace
}  // namespace plateau::eval

// A tool: an exception it does not catch ends it with the exception's message (std::terminate).
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  // Tesseract's LSTM opens OpenMP teams of a fixed size whatever omp_set_num_threads says; only the
  // thread limit, which libgomp reads from the environment when it loads, caps it. Each worker must run
  // each engine on one thread, so the program restarts itself once with the limit set.
  if (std::getenv("OMP_THREAD_LIMIT") == nullptr) {
    setenv("OMP_THREAD_LIMIT", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("plateau_eval: restarting with OMP_THREAD_LIMIT=1");
    return 1;
  }
  // Leptonica reports recoverable trouble inside Tesseract's page analysis (e.g. "box outside rectangle")
  // on stderr, hundreds of times on a full run; Tesseract carries on, and the results count what it read.
  setMsgSeverity(L_SEVERITY_NONE);
  return plateau::eval::Run(argc, argv);
}
