// plateau memcheck: leak or warm-up, answered from the operating system's own RSS figures.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "charts/rss_plot.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/ocr_flags.h"
#include "common/process_memory.h"
#include "common/rss_series.h"
#include "io/image.h"
#include "plateau/engine.h"
#include "plateau/memory.h"
#include "plateau/ocr.h"

namespace plateau::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int kExitError = 2;
constexpr double kMiB = 1024.0 * 1024.0;

// memcheck's own flags; the pipeline's follow them (cli/ocr_flags.h).
const std::vector<FlagSpec> kMemcheckSpecs = {
    {"input",
     "image, PDF or directory of them (repeatable); one pipeline run per file per iteration, "
     "files taken in turn",
     true,
     false,
     {"i"}},
    {"iterations", "pipeline runs (default 100)", false, false, {}},
    {"vary_sizes", "rescale each run's image by a seeded pseudo-random factor", false, true, {}},
    {"seed", "seed of --vary_sizes and of --order shuffled (default 1)", false, false, {}},
    {"order",
     "order of the run's pages: given (default), sorted (by page area, ascending), reversed "
     "(descending), shuffled (seeded), or all (sorted, reversed and shuffled); several separated by "
     "commas, each run in a fresh pipeline and compared",
     true,
     false,
     {}},
    {"min_scale", "smallest --vary_sizes factor (default 0.5)", false, false, {}},
    {"max_scale", "largest --vary_sizes factor (default 1.0)", false, false, {}},
    {"plot", "write RSS over iterations to this PNG file", false, false, {}},
    {"json", "print the series and the figures as one JSON object", false, true, {}},
    {"name", "label of this run in the JSON and the plot (default plateau)", false, false, {}},
    {"growth_threshold",
     "bytes of growth after warm-up still called stable (default 2000000)",
     false,
     false,
     {}},
    {"plateau_tolerance",
     "bytes below the trend that count as on the plateau (default 1048576)",
     false,
     false,
     {}},
    {"series",
     "analyse a recorded series (JSON: name, baseline_rss_bytes, rss_bytes, peak_rss_bytes) "
     "instead of running the pipeline (repeatable)",
     true,
     false,
     {}},
    {"warmup",
     "build every plan the pipeline can use before the first page (WarmupEveryShape) (the default)",
     false,
     true,
     {}},
    NoWarmupSpec(),
};

int Fail(const Status& s) {
  std::cerr << "plateau memcheck: " << s.ToString() << "\n";
  return kExitError;
}

// One recorded or measured series and what it was measured on.
struct Series {
  std::string name;
  double baseline = 0;
  std::vector<double> rss;
  double peak = 0;
  Json extra = Json::object();  // run details copied into the JSON output as they are
};

// One iteration's input: a file, the factor it is rescaled by (1 without --vary_sizes) and its area in
// pixels after rescaling (0 when not known: a PDF in the given order).
struct Page {
  size_t file = 0;
  double factor = 1;
  double area = 0;
};

struct RunSettings {
  std::vector<std::string> files;
  long long iterations = 100;
  bool vary_sizes = false;
  uint64_t seed = 1;
  double min_scale = 0.5, max_scale = 1.0;
  bool warmup = false;  // OcrPipeline::WarmupEveryShape before the first page (and before the baseline)
};

StatusOr<double> GetBytes(const Flags& flags, const std::string& name, double dflt) {
  PLATEAU_ASSIGN_OR_RETURN(double v, flags.GetDouble(name, dflt));
  if (!std::isfinite(v) || v < 0) {
    return Status::InvalidArgument("flag --" + name + ": expected a number of bytes >= 0");
  }
  return v;
}

// The files the inputs stand for, directories listed (not recursively) in name order. Checked before the
// models are loaded, so that a typo costs nothing.
StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      auto listed = ListOcrInputFiles(in);
      if (!listed.ok()) return listed.status().WithContext("flag --input");
      if (listed->empty()) {
        return Status::NotFound("flag --input: directory '" + in +
                                "' holds no image or PDF files (jpg, jpeg, png, bmp, tif, tiff, webp, pdf)");
      }
      files.insert(files.end(), listed->begin(), listed->end());
    } else if (fs::is_regular_file(in, ec)) {
      files.push_back(in);
    } else {
      return Status::NotFound("flag --input: no such file or directory: '" + in + "'");
    }
  }
  return files;
}

// splitmix64: a fixed, portable generator, so a seed names the same sizes on every machine and compiler
// (std::uniform_real_distribution is not specified bit for bit).
uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The factor of iteration i: uniform in [min, max], rounded to 1/1000 so that it prints exactly.
double ScaleOf(const RunSettings& s, long long i) {
  const double u =
      static_cast<double>(SplitMix64(s.seed * 0x100000001b3ull + static_cast<uint64_t>(i)) >> 11) /
      9007199254740992.0;
  return std::round((s.min_scale + (s.max_scale - s.min_scale) * u) * 1000) / 1000;
}

cv::Size ScaledSize(cv::Size size, double f) {
  if (f == 1.0) return size;
  return cv::Size(std::max(1, static_cast<int>(std::lround(size.width * f))),
                  std::max(1, static_cast<int>(std::lround(size.height * f))));
}

// One pipeline run on `page` (rescaled when varying sizes). Fails on the first result with an error: a
// run that fails measures nothing.
Status RunOnce(OcrPipeline& pipeline, const RunSettings& settings, const Page& page,
               std::set<std::pair<int, int>>* sizes, size_t* lines) {
  const std::string& path = settings.files[page.file];
  std::vector<OcrInput> in;
  if (settings.vary_sizes) {
    PLATEAU_ASSIGN_OR_RETURN(cv::Mat image, io::ReadImage(path));
    const double f = page.factor;
    const cv::Size size = ScaledSize(image.size(), f);
    cv::Mat scaled;
    cv::resize(image, scaled, size, 0, 0, f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    sizes->insert({size.width, size.height});
    in.push_back(OcrInput::Image(std::move(scaled), path));
  } else {
    in.push_back(OcrInput::Path(path));
  }
  PLATEAU_ASSIGN_OR_RETURN(OcrRange range, pipeline.Predict(std::move(in)));
  for (const OcrResult& r : range) {
    if (!r.error.ok()) return r.error;
    *lines += r.rec_texts.size();
  }
  return Status::Ok();
}

// One pass of the run's pages in the given order, which the iterations take in turn: the files, or with
// --vary_sizes one page per iteration (each file at its iteration's factor). With `areas`, each page's area
// is read from its image (PDFs refused: their pages have no single size).
StatusOr<std::vector<Page>> GivenPass(const RunSettings& settings, bool areas) {
  std::vector<cv::Size> file_size(settings.files.size());
  if (areas) {
    for (size_t k = 0; k < settings.files.size(); ++k) {
      std::string ext = fs::path(settings.files[k]).extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
      if (ext == ".pdf") {
        return Status::InvalidArgument("flag --order: '" + settings.files[k] +
                                       "' is a PDF; ordering by page area needs images");
      }
      PLATEAU_ASSIGN_OR_RETURN(cv::Mat image, io::ReadImage(settings.files[k]));
      file_size[k] = image.size();
    }
  }
  const long long pass =
      settings.vary_sizes ? settings.iterations : static_cast<long long>(settings.files.size());
  std::vector<Page> pages;
  for (long long i = 0; i < pass; ++i) {
    Page p;
    p.file = static_cast<size_t>(i) % settings.files.size();
    p.factor = settings.vary_sizes ? ScaleOf(settings, i) : 1.0;
    const cv::Size size = ScaledSize(file_size[p.file], p.factor);
    p.area = static_cast<double>(size.width) * static_cast<double>(size.height);
    pages.push_back(p);
  }
  return pages;
}

// The same pages in `order`: sorted by area ascending or descending (equal areas keep their given
// order), or shuffled with the run's seed.
std::vector<Page> InOrder(std::vector<Page> pages, const std::string& order, uint64_t seed) {
  if (order == "sorted") {
    std::stable_sort(pages.begin(), pages.end(),
                     [](const Page& a, const Page& b) { return a.area < b.area; });
  } else if (order == "reversed") {
    std::stable_sort(pages.begin(), pages.end(),
                     [](const Page& a, const Page& b) { return a.area > b.area; });
  } else if (order == "shuffled") {
    // Fisher-Yates over splitmix64, so that a seed names the same order everywhere.
    for (size_t i = pages.size(); i > 1; --i) {
      const uint64_t r = SplitMix64(seed * 0x9e3779b97f4a7c15ull + 0x5bd1e995ull + i);
      std::swap(pages[i - 1], pages[static_cast<size_t>(r % i)]);
    }
  }
  return pages;
}

// --order's values, split at commas, "all" expanded, duplicates dropped; {"given"} when absent.
StatusOr<std::vector<std::string>> ParseOrders(const Flags& flags) {
  std::vector<std::string> orders;
  auto add = [&](const std::string& o) {
    if (std::find(orders.begin(), orders.end(), o) == orders.end()) orders.push_back(o);
  };
  for (const std::string& value : flags.GetAll("order")) {
    std::stringstream list(value);
    std::string o;
    while (std::getline(list, o, ',')) {
      if (o == "all") {
        for (const char* each : {"sorted", "reversed", "shuffled"}) add(each);
      } else if (o == "given" || o == "sorted" || o == "reversed" || o == "shuffled") {
        add(o);
      } else {
        return Status::InvalidArgument("flag --order: '" + o +
                                       "' is not an order; expected given, sorted, reversed, shuffled or "
                                       "all (several separated by commas)");
      }
    }
  }
  if (orders.empty()) orders.push_back("given");
  return orders;
}

StatusOr<Series> Measure(const OcrOptions& options, const RunSettings& settings,
                         const std::vector<Page>& pages, const std::string& name) {
  StatusOr<std::unique_ptr<OcrPipeline>> created = OcrPipeline::Create(options);
  if (!created.ok()) return AsFlagError(created.status());
  std::unique_ptr<OcrPipeline> pipeline = std::move(created).value();
  if (settings.warmup) PLATEAU_RETURN_IF_ERROR(WarmUpToCeiling({pipeline.get()}));
  Series s;
  s.name = name;
  s.baseline = static_cast<double>(ReadProcessMemory().rss_bytes);
  if (s.baseline <= 0) {
    return Status::Unimplemented("cannot read this process's RSS from /proc/self/status (Linux only)");
  }
  const bool progress = isatty(STDERR_FILENO);
  std::set<std::pair<int, int>> sizes;
  size_t lines = 0;
  // plateau's own accounting beside the OS figure: when RSS grows, these tell whether it is the arenas or
  // the plan caches (or neither, i.e. something outside the sessions).
  Json arena = Json::array(), plans = Json::array();
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < pages.size(); ++i) {
    const std::string& path = settings.files[pages[i].file];
    Status st = RunOnce(*pipeline, settings, pages[i], &sizes, &lines);
    if (!st.ok()) return st.WithContext("iteration " + std::to_string(i + 1) + ", " + path);
    s.rss.push_back(static_cast<double>(ReadProcessMemory().rss_bytes));
    const MemoryStats stats = pipeline->memory_stats();
    size_t cached = 0;
    for (const ModelMemoryStats& m : stats.models) cached += m.plans_cached;
    arena.push_back(stats.arena_bytes());
    plans.push_back(cached);
    if (progress) {
      std::fprintf(stderr, "\r%s: %zu/%zu runs, RSS %.1f MiB", name.c_str(), i + 1, pages.size(),
                   s.rss.back() / kMiB);
    }
  }
  if (progress) std::fprintf(stderr, "\n");
  s.peak = static_cast<double>(ReadProcessMemory().peak_rss_bytes);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.extra["inputs"] = settings.files.size();
  s.extra["vary_sizes"] = settings.vary_sizes;
  if (settings.vary_sizes) {
    s.extra["seed"] = settings.seed;
    s.extra["min_scale"] = settings.min_scale;
    s.extra["max_scale"] = settings.max_scale;
    s.extra["distinct_sizes"] = sizes.size();
  }
  s.extra["threads"] = options.threads;
  s.extra["use_textline_orientation"] = options.use_textline_orientation;
  s.extra["text_det_tiled"] = options.text_det_tiled;
  s.extra["lines_recognised"] = lines;
  s.extra["seconds"] = seconds;
  s.extra["memory_stats"] = Json::parse(plateau::ToJson(pipeline->memory_stats()), nullptr, false);
  s.extra["arena_bytes"] = std::move(arena);
  s.extra["plans_cached"] = std::move(plans);
  return s;
}

StatusOr<Series> ReadSeries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("flag --series: cannot open '" + path + "'");
  Json j = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument("flag --series: '" + path + "': " + what +
                                   "; expected a JSON object with name, baseline_rss_bytes, rss_bytes "
                                   "(array of numbers) and optionally peak_rss_bytes");
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  Series s;
  s.name = j.value("name", fs::path(path).stem().string());
  if (!j.contains("baseline_rss_bytes") || !j["baseline_rss_bytes"].is_number()) {
    return bad("baseline_rss_bytes missing or not a number");
  }
  s.baseline = j["baseline_rss_bytes"].get<double>();
  if (!j.contains("rss_bytes") || !j["rss_bytes"].is_array()) return bad("rss_bytes missing or not an array");
  for (const Json& v : j["rss_bytes"]) {
    if (!v.is_number()) return bad("rss_bytes holds a value that is not a number");
    s.rss.push_back(v.get<double>());
  }
  if (j.contains("peak_rss_bytes") && j["peak_rss_bytes"].is_number())
    s.peak = j["peak_rss_bytes"].get<double>();
  for (const char* key : {"engine", "threads", "inputs", "lines_recognised", "seconds", "partial"}) {
    if (j.contains(key)) s.extra[key] = j[key];
  }
  return s;
}

Json ToJson(const Series& s, const RssAnalysis& a) {
  Json j;
  j["name"] = s.name;
  j["iterations"] = a.iterations;
  j["baseline_rss_bytes"] = s.baseline;
  j["peak_rss_bytes"] = s.peak;
  j["warmup_iterations"] = a.warmup_iterations;
  j["warmup_bytes"] = a.warmup_bytes;
  j["plateau_rss_bytes"] = a.plateau_rss_bytes;
  j["slope_bytes_per_iteration"] = a.slope_bytes_per_iteration;
  j["noise_bytes"] = a.noise_bytes;
  j["growth_after_warmup_bytes"] = a.growth_after_warmup_bytes;
  j["projected_growth_bytes"] = a.projected_growth_bytes;
  j["max_rss_bytes"] = a.max_rss_bytes;
  j["growth_threshold_bytes"] = a.growth_threshold_bytes;
  j["verdict"] = RssVerdictName(a.verdict);
  j["reason"] = a.reason;
  for (const auto& [k, v] : s.extra.items()) j[k] = v;
  j["rss_bytes"] = s.rss;
  return j;
}

void PrintReport(const Series& s, const RssAnalysis& a) {
  auto mib = [](double bytes) {
    char t[48];
    std::snprintf(t, sizeof(t), "%.1f MiB", bytes / kMiB);
    return std::string(t);
  };
  auto row = [](const std::string& label, const std::string& value) {
    std::printf("  %-32s %s\n", label.c_str(), value.c_str());
  };
  char slope[64], growth[64];
  std::snprintf(slope, sizeof(slope), "%+.0f bytes/iteration", a.slope_bytes_per_iteration);
  std::snprintf(growth, sizeof(growth), "%+.3f MB (trend %+.3f MB)", a.growth_after_warmup_bytes / 1e6,
                a.projected_growth_bytes / 1e6);
  std::printf("%s: %zu iterations\n", s.name.c_str(), a.iterations);
  row("RSS before the first iteration", mib(s.baseline));
  row("warm-up", std::to_string(a.warmup_iterations) + " iterations, " + (a.warmup_bytes >= 0 ? "+" : "") +
                     mib(a.warmup_bytes));
  row("plateau RSS (median)", mib(a.plateau_rss_bytes));
  row("slope over the second half", slope);
  row("growth after warm-up", growth);
  if (s.peak > 0) row("peak RSS (VmHWM)", mib(s.peak));
  row("verdict", std::string(RssVerdictName(a.verdict)) + ": " + a.reason);
}

// The orders side by side and their joint verdict.
void PrintComparison(const std::vector<OrderedRss>& runs, const OrderComparison& c) {
  std::printf("orders compared (the same pages over %zu iterations, each order in a fresh pipeline):\n",
              runs.empty() ? size_t{0} : runs[0].page_areas.size());
  for (size_t k = 0; k < runs.size(); ++k) {
    const RssAnalysis& a = runs[k].analysis;
    const std::vector<double>& areas = runs[k].page_areas;
    const size_t largest =
        static_cast<size_t>(std::max_element(areas.begin(), areas.end()) - areas.begin()) + 1;
    std::string ended =
        c.warmup_record_iteration[k] > 0
            ? ", ended at a new largest page (iteration " + std::to_string(c.warmup_record_iteration[k]) + ")"
            : "";
    std::printf("  %-10s warm-up %zu iterations%s; largest page at iteration %zu; plateau %.1f MiB; %s\n",
                runs[k].order.c_str(), a.warmup_iterations, ended.c_str(), largest,
                a.plateau_rss_bytes / kMiB, RssVerdictName(a.verdict));
  }
  std::printf("  %-32s %s: %s\n", "verdict", RssVerdictName(c.verdict), c.reason.c_str());
}

}  // namespace

int MemcheckCommand(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout
          << "usage: plateau memcheck -i INPUT [-i ...] [--iterations N] [--vary_sizes] [--plot FILE.png] "
             "[--json]\n"
             "       plateau memcheck --series FILE.json [--series ...] [--plot FILE.png] [--json]\n"
             "Runs the OCR pipeline repeatedly, reads the process's RSS after every run, and tells warm-up\n"
             "from growth: warm-up cost, plateau level, slope over the second half (least squares), growth\n"
             "after warm-up, and a verdict (the rule is in src/common/rss_series.h).\n"
             "Exit code: 0 stable, 1 growing, 2 error.\n"
          << FlagsHelp(WithOcrOptionFlags(kMemcheckSpecs));
      return 0;
    }
  }
  auto flags = Flags::Parse(WithOcrOptionFlags(kMemcheckSpecs), args, 2);
  if (!flags.ok()) return Fail(flags.status());
  RssSeriesOptions rule;
  auto threshold = GetBytes(*flags, "growth_threshold", rule.growth_threshold_bytes);
  if (!threshold.ok()) return Fail(threshold.status());
  rule.growth_threshold_bytes = *threshold;
  auto tolerance = GetBytes(*flags, "plateau_tolerance", rule.plateau_tolerance_bytes);
  if (!tolerance.ok()) return Fail(tolerance.status());
  rule.plateau_tolerance_bytes = *tolerance;
  const bool json = flags->Has("json");
  const std::string plot = flags->Get("plot");
  if (!plot.empty()) {
    std::string ext = fs::path(plot).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext != ".png") return Fail(Status::InvalidArgument("flag --plot: '" + plot + "' must end in .png"));
  }

  std::vector<Series> all;
  std::vector<std::string> orders;              // of the measured series, one per series
  std::vector<std::vector<double>> page_areas;  // the same
  const std::vector<std::string>& recorded = flags->GetAll("series");
  if (!recorded.empty()) {
    if (flags->Has("order")) {
      return Fail(Status::InvalidArgument(
          "flag --order orders the pages of a run and needs --input; --series analyses recorded series"));
    }
    if (flags->Has("input")) {
      return Fail(
          Status::InvalidArgument("flags --series and --input exclude each other: --series analyses "
                                  "recorded series, --input runs the pipeline"));
    }
    for (const std::string& path : recorded) {
      auto s = ReadSeries(path);
      if (!s.ok()) return Fail(s.status());
      all.push_back(std::move(s).value());
    }
  } else {
    if (flags->GetAll("input").empty()) {
      return Fail(
          Status::InvalidArgument("flag --input (-i) is required (or --series to analyse a recording)"));
    }
    RunSettings settings;
    auto files = ExpandInputs(flags->GetAll("input"));
    if (!files.ok()) return Fail(files.status());
    settings.files = std::move(files).value();
    auto iterations = flags->GetInt("iterations", 100, 1, 10'000'000);
    if (!iterations.ok()) return Fail(iterations.status());
    settings.iterations = *iterations;
    settings.vary_sizes = flags->Has("vary_sizes");
    auto seed = flags->GetInt("seed", 1, 0, std::numeric_limits<long long>::max());
    if (!seed.ok()) return Fail(seed.status());
    settings.seed = static_cast<uint64_t>(*seed);
    auto min_scale = flags->GetDouble("min_scale", 0.5);
    auto max_scale = flags->GetDouble("max_scale", 1.0);
    if (!min_scale.ok()) return Fail(min_scale.status());
    if (!max_scale.ok()) return Fail(max_scale.status());
    if (!(*min_scale >= 0.01 && *max_scale >= *min_scale && *max_scale <= 8)) {
      return Fail(
          Status::InvalidArgument("flags --min_scale / --max_scale: expected 0.01 <= min <= max <= 8"));
    }
    settings.min_scale = *min_scale;
    settings.max_scale = *max_scale;
    if (settings.vary_sizes) {
      for (const std::string& f : settings.files) {
        std::string ext = fs::path(f).extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        if (ext == ".pdf") {
          return Fail(
              Status::InvalidArgument("flag --vary_sizes: '" + f + "' is a PDF; only images are rescaled"));
        }
      }
    }
    OcrOptions options;
    if (Status st = ApplyOcrOptionFlags(*flags, kMemcheckSpecs, &options); !st.ok()) return Fail(st);
    auto warmup = WarmupFromFlags(*flags, options.text_det_tiled);
    if (!warmup.ok()) return Fail(warmup.status());
    settings.warmup = *warmup;
    auto parsed_orders = ParseOrders(*flags);
    if (!parsed_orders.ok()) return Fail(parsed_orders.status());
    orders = std::move(parsed_orders).value();
    const bool ordered = orders.size() > 1 || orders[0] != "given";
    auto pass = GivenPass(settings, ordered);
    if (!pass.ok()) return Fail(pass.status());
    const std::string name = flags->Get("name", "plateau");
    for (const std::string& order : orders) {
      // Each order in a fresh pipeline, in a process handed back to its state before the previous one:
      // its primitives, free heap and code pages released, so that no order inherits another's warm-up.
      ReleaseCachedPrimitives();
      malloc_trim(0);
      DropCodePagesFromRss();
      // Peak RSS (VmHWM) starts again from the current RSS (Linux >= 4.0), so that each order's peak is
      // its own; where the kernel refuses, the peak stays the process's.
      std::ofstream("/proc/self/clear_refs") << "5";
      const std::vector<Page> ordered_pass = InOrder(*pass, order, settings.seed);
      std::vector<Page> run;
      for (long long i = 0; i < settings.iterations; ++i) {
        run.push_back(ordered_pass[static_cast<size_t>(i) % ordered_pass.size()]);
      }
      auto s = Measure(options, settings, run, orders.size() > 1 ? name + " " + order : name);
      if (!s.ok()) return Fail(s.status().WithContext("order " + order));
      if (ordered) {
        Json areas = Json::array();
        for (const Page& p : run) areas.push_back(p.area);
        s->extra["order"] = order;
        s->extra["page_areas"] = std::move(areas);
      }
      all.push_back(std::move(s).value());
      page_areas.emplace_back();
      for (const Page& p : run) page_areas.back().push_back(p.area);
    }
  }

  std::vector<charts::RssPlotSeries> drawn;
  Json out = Json::array();
  bool any_growing = false;
  std::vector<OrderedRss> compared;
  for (size_t k = 0; k < all.size(); ++k) {
    Series& s = all[k];
    auto a = AnalyzeRss(s.baseline, s.rss, rule);
    if (!a.ok()) return Fail(a.status().WithContext(s.name));
    any_growing = any_growing || a->verdict == RssVerdict::kGrowing;
    if (k < page_areas.size() && orders.size() > 1) {
      compared.push_back({orders[k], *a, page_areas[k]});
    }
    drawn.push_back({s.name, s.baseline, s.rss, s.peak, *a});
  }
  std::optional<OrderComparison> comparison;
  if (compared.size() > 1) {
    auto c = CompareOrders(compared, rule);
    if (!c.ok()) return Fail(c.status());
    comparison = std::move(c).value();
    for (size_t k = 0; k < all.size(); ++k) {
      all[k].extra["warmup_record_iteration"] = comparison->warmup_record_iteration[k];
    }
  }
  for (size_t k = 0; k < all.size(); ++k) {
    if (json) {
      out.push_back(ToJson(all[k], drawn[k].analysis));
    } else {
      PrintReport(all[k], drawn[k].analysis);
    }
  }
  if (comparison && !json) PrintComparison(compared, *comparison);
  if (!plot.empty()) {
    std::string title = "RSS after each pipeline run";
    Status st = charts::WriteRssPlot(drawn, title, plot);
    if (!st.ok()) return Fail(st);
    if (!json) std::printf("plot written to %s\n", plot.c_str());
  }
  if (json) {
    Json doc;
    if (!recorded.empty()) {
      doc = Json{{"series", out}};
    } else if (comparison) {
      doc["verdict"] = RssVerdictName(comparison->verdict);
      doc["reason"] = comparison->reason;
      doc["plateau_spread_bytes"] = comparison->plateau_spread_bytes;
      doc["warmup_spread_iterations"] = comparison->warmup_spread_iterations;
      doc["warmup_slack_iterations"] = comparison->warmup_slack_iterations;
      doc["orders"] = out;
    } else {
      doc = out[0];
    }
    std::cout << doc.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  }
  if (comparison) return comparison->verdict == RssVerdict::kStable ? 0 : 1;
  return any_growing ? 1 : 0;
}

}  // namespace plateau::cli
