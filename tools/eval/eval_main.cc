// plateau_eval: how well the OCR pipeline reads real receipts, measured against their labels, side by side
// with Tesseract 5 in the same run; and how well each engine finds the orientation of rotated pages.
//
//   plateau_eval [--eval ../shared/eval] [--model_dir models] [--threads 2] [--limit 100] [--psm 4]
//                [--min_iou 0.5] [--skip_ocr] [--skip_orientation] [--json FILE] [--per_page]
//
// Text: the receipts sroie/img/NNN.jpg against sroie/box/NNN.csv (metrics.h defines every figure).
// Orientation: each receipt turned by 0/90/180/270 degrees clockwise (cv::rotate, in memory), plus
// pages/phototest* and simple/simple*.jpg whose names say how they are turned. Truth and answers are the
// clockwise rotation of the page content, the convention of PaddleX's doc_preprocessor_res.angle (the
// correction turns the page back by that much) and of Tesseract's orient_deg.
//
// Both engines get the same number of worker threads (--threads); each worker owns one instance of each
// engine, running single-threaded, and takes the next page from a shared counter. For every page a worker
// runs both engines (alternating which goes first), so that machine load falls on both alike. Speed is
// pages / (summed engine time / workers); model loading is excluded, first runs of new shapes are not.
#include <leptonica/allheaders.h>
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
};

constexpr const char* kUsage = R"(usage: plateau_eval [flags]
  --eval DIR          evaluation data (default: <source>/../shared/eval)
  --model_dir DIR     plateau's models (default: <source>/models)
  --tessdata DIR      Tesseract's tessdata (default: Tesseract's own)
  --threads N         worker threads, the same for both engines (default 2)
  --limit N           receipts to use, 1..100 (default 100); also limits the rotated receipts
  --psm N             Tesseract page segmentation mode for the text (default 4: single column)
  --min_iou X         IoU a predicted line needs to match a label line, (0, 1] (default 0.5)
  --skip_ocr          only the orientation part
  --skip_orientation  only the text part
  --per_page          also print one line per receipt
  --show N            print receipt N's label lines beside what each engine read there
  --json FILE         also write every figure as JSON
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
  if (!o.ocr && !o.orientation) {
    return Status::InvalidArgument("--skip_ocr and --skip_orientation together leave nothing to do");
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

StatusOr<OcrResult> RunPlateau(OcrPipeline& pipeline, const cv::Mat& bgr, const std::string& label) {
  PLATEAU_ASSIGN_OR_RETURN(OcrRange range, pipeline.Predict({OcrInput::Image(bgr, label)}));
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
          StatusOr<OcrResult> result = RunPlateau(*w.pipeline, image, image_path);
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

int main(int argc, char** argv) {
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
