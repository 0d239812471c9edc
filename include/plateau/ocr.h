// The OCR pipeline: images and PDF pages in, text lines with their boxes out, with the parameters and
// the result fields of the PaddleX / PaddleOCR 3.x "OCR" pipeline (PP-OCRv4 models).
//
//   PLATEAU_ASSIGN_OR_RETURN(auto pipeline, plateau::OcrPipeline::Create(plateau::OcrOptions{}));
//   PLATEAU_ASSIGN_OR_RETURN(plateau::OcrRange results,
//                            pipeline->Predict({plateau::OcrInput::Path("scans/")}));
//   for (const plateau::OcrResult& r : results) {
//     if (!r.error.ok()) { /* r.input_path failed; the others still come */ continue; }
//     std::cout << plateau::ToJson(r) << "\n";
//   }
//
// Per page: (optional) document orientation, turning the page upright -> text detection (quads in reading
// order) -> one straightened crop per quad -> (optional) text line orientation, turning upside-down lines ->
// recognition -> lines scoring below text_rec_score_thresh are dropped from rec_* (dt_polys keeps every
// detected box).
//
// Predict is lazy: the returned range decodes one input (one PDF page) per step and runs the stages on
// it, so memory depends on the largest page, not on the number of inputs. Directories are listed when
// iteration reaches them. An input that cannot be read or processed gives a result whose `error` is set
// and iteration goes on.
//
// Threads: an OcrPipeline owns one session per model and is not thread-safe; iterate one range at a
// time. A range refers to its pipeline, which must outlive it. To read several pages at once, Fork the
// pipeline (one copy of the weights, sessions of its own) and give the forks to PredictParallel: one
// thread per pipeline, the results still in input order.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plateau/memory.h"
#include "plateau/status.h"

namespace plateau {

// The text detection defaults of PaddleX's OCR pipeline with PP-OCRv4 (meaning and origin: the text
// detector, src/ocr/det/text_detector.h). OcrOptions and the detector's own options both start from these.
namespace text_det_defaults {
inline constexpr int kLimitSideLen = 64;
inline constexpr char kLimitType[] = "min";
inline constexpr double kThresh = 0.3;
inline constexpr double kBoxThresh = 0.6;
inline constexpr double kUnclipRatio = 1.5;
inline constexpr int kMaxSideLimit = 4000;
}  // namespace text_det_defaults

struct OcrOptions {
  // Directory holding the models and the dictionary under the names below. Empty: found as
  // plateau/model_dir.h says ($PLATEAU_MODEL_DIR, the installed share directory, ./models).
  std::string model_dir;
  std::string det_model = "ch_PP-OCRv4_det_infer.onnx";
  std::string rec_model = "ch_PP-OCRv4_rec_infer.onnx";
  std::string cls_model = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
  std::string rec_dict = "ppocr_keys_v1.txt";

  // Document orientation (PaddleX's doc preprocessor): find whether the page is turned by 0, 90, 180 or
  // 270 degrees and turn it upright before detection (ocr/doc/doc_orientation.h). The polys of the result
  // are then in the pixels of the turned page (page_image), as in PaddleX. Off by default here, unlike
  // PaddleX (see docs/BENCHMARKS.md, "Document orientation").
  bool use_doc_orientation_classify = false;
  // A 4-class orientation model (ONNX, e.g. PP-LCNet_x1_0_doc_ori with PaddleX's preprocessing): the file,
  // or a directory holding inference.onnx (PaddleX's layout). Used as given, not under model_dir. Empty:
  // the orientation is estimated from the detected lines and the textline model (no extra model; an
  // upright or upside-down page is detected once, a sideways one again once turned).
  std::string doc_orientation_model;
  // Classify each text line as 0 / 180 degrees and turn the upside-down ones before recognition.
  bool use_textline_orientation = true;
  // Which lines are turned (the rule and why: ocr/cls/textline_classifier.h, DecideTextlineTurns). Each
  // line is judged against the vote of the page's other lines: a line that goes against it is turned (or
  // left upright) only when the classifier's probability for it exceeds textline_orientation_page_thresh;
  // a line with nothing to go by (alone on its page) is turned when its "180" probability exceeds
  // textline_orientation_thresh (PaddleOCR 2.x's cls_thresh). Both in [0, 1]; defaults chosen by
  // measurement (docs/BENCHMARKS.md, "Text line orientation").
  double textline_orientation_thresh = 0.9;
  double textline_orientation_page_thresh = 0.999;

  // Text detection; defaults (text_det_defaults above) and their meaning as in ocr/det/text_detector.h.
  int text_det_limit_side_len = text_det_defaults::kLimitSideLen;   // >= 1
  std::string text_det_limit_type = text_det_defaults::kLimitType;  // "min", "max" or "resize_long"
  double text_det_thresh = text_det_defaults::kThresh;              // [0, 1]
  double text_det_box_thresh = text_det_defaults::kBoxThresh;       // [0, 1]
  double text_det_unclip_ratio = text_det_defaults::kUnclipRatio;   // > 0
  int text_det_max_side_limit = text_det_defaults::kMaxSideLimit;   // >= 1
  // Run the detection model on tiles of a few fixed shapes (1024x1024 at most; ocr/det/det_tiles.h)
  // rather than on the whole resized page: its memory and plans then no longer follow the page size, at
  // the price of overlapping work and a map slightly different from the whole page's (docs/BENCHMARKS.md,
  // "Tiled detection"). false: the whole page at once, as PaddleX does.
  bool text_det_tiled = true;

  // Recognised lines whose score is below this are left out of rec_* ([0, 1]).
  double text_rec_score_thresh = 0.0;
  // What the pipeline does to the text of a recognised line without CJK characters (ocr/rec/line_text.h;
  // measured in docs/BENCHMARKS.md, "Spaces at wide gaps, full-width forms"). PaddleX does neither (false).
  // text_rec_space_gaps: a space where the recogniser's output shows a gap wider than its character pitch
  // but emitted no space ("1X19.00" -> "1 X 19.00"). text_rec_fold_fullwidth: full-width forms ('（' '：'
  // '，', U+FF01..U+FF5E) read as their ASCII characters.
  bool text_rec_space_gaps = true;
  bool text_rec_fold_fullwidth = true;
  // Lines per recognition run. PaddleX's default is 6; plateau's is 1: a line's reading does not depend
  // on its batch (rec_batch.h), batches are no faster per line on CPU (docs/BENCHMARKS.md, "Recognition
  // batches"), and every batch shape is one more plan of the recognition model held in memory (19 shapes
  // at 6, 11 at 1).
  int text_recognition_batch_size = 1;      // >= 1
  int textline_orientation_batch_size = 6;  // >= 1

  int threads = 0;  // intra-op threads per model session; 0: all cores

  // Memory (docs/MEMORY.md). idle_trim_seconds: TrimIfIdle trims once no page has run for this long
  // (0: never).
  int idle_trim_seconds = 0;
  // memory_limit: ceiling on the process's RSS in bytes (0: none). Before each stage of a page the
  // pipeline compares what the stage needs (arena, plans, buffers; known before it runs) with what the
  // process holds; it then chooses smaller orientation / recognition batches, empties the sessions the
  // stage does not use, or refuses the page (RESOURCE_EXHAUSTED naming both figures; the next page runs).
  // Forks share the ceiling: each sees the others' memory in RSS. See docs/MEMORY.md, "Budget".
  size_t memory_limit = 0;
  // Create fixes glibc's mmap threshold at 256 KiB for the process (docs/MEMORY.md, "Allocator"), so the
  // page's large buffers go back to the OS when freed rather than leave holes in the heap that RSS keeps.
  // false: the process's allocator settings are left as they are.
  bool fix_mmap_threshold = true;

  // Inputs declaring more pixels than this are refused before they are decoded (images: from the size in
  // their header; PDF pages: from the page size at the rendering resolution), with an error naming the
  // size and the limit. The default, 2^27 (about 11600 x 11600; an A4 page scanned at 600 dpi is 35
  // million), keeps a decoded page under 400 MB.
  int64_t max_image_pixels = int64_t{1} << 27;

  // Measure each stage of every page into OcrResult::stage_times (a few clock reads per page).
  bool timing = false;
};

// Per-call values of the parameters; unset ones keep the pipeline's options.
struct OcrOverrides {
  std::optional<bool> use_doc_orientation_classify;
  std::optional<bool> use_textline_orientation;
  std::optional<double> textline_orientation_thresh;
  std::optional<double> textline_orientation_page_thresh;
  std::optional<int> text_det_limit_side_len;
  std::optional<std::string> text_det_limit_type;
  std::optional<double> text_det_thresh;
  std::optional<double> text_det_box_thresh;
  std::optional<double> text_det_unclip_ratio;
  std::optional<int> text_det_max_side_limit;
  std::optional<bool> text_det_tiled;
  std::optional<double> text_rec_score_thresh;
  std::optional<bool> text_rec_space_gaps;
  std::optional<bool> text_rec_fold_fullwidth;
  std::optional<int> text_recognition_batch_size;
  std::optional<int> textline_orientation_batch_size;
  std::optional<bool> timing;
};

// One input of Predict.
struct OcrInput {
  enum class Kind { kPath, kBytes, kImage };

  // A file (image or PDF, told apart by its first bytes) or a directory: its images and PDFs (by file
  // extension: jpg, jpeg, png, bmp, tif, tiff, webp, pdf; not recursive) in sorted name order.
  static OcrInput Path(std::string path);
  // Encoded image or PDF bytes; `label` is reported as input_path.
  static OcrInput Bytes(std::string bytes, std::string label);
  // A decoded image (1-4 channels, 8 or 16 bit; converted to BGR as io/image.h does).
  static OcrInput Image(cv::Mat image, std::string label);

  Kind kind = Kind::kPath;
  std::string path;   // kPath
  std::string bytes;  // kBytes
  cv::Mat image;      // kImage
  std::string label;  // kBytes, kImage
};

using OcrPoint = std::array<int, 2>;      // x, y in page pixels
using OcrPoly = std::array<OcrPoint, 4>;  // top-left, top-right, bottom-right, bottom-left

// Wall time of the stages of one page, in milliseconds.
struct OcrStageTimes {
  double decode = 0;                // reading and decoding the input, or rendering the PDF page
  double doc_orientation = 0;       // finding the page's orientation and turning it (when on)
  double detection = 0;             // text detection, a second one of a page turned sideways included
  double crop = 0;                  // cutting out the line crops
  double textline_orientation = 0;  // classifying and turning the lines (when on)
  double recognition = 0;
  double total = 0;  // the whole page, decode included
};

struct OcrResult {
  std::string input_path;  // the file, or the label of bytes / an image
  int page_index = -1;     // 0-based page of a PDF; -1 for an image (JSON null)

  // Not OK when this input (page) failed; then only input_path and page_index are meaningful.
  Status error;
  // What went wrong without stopping the page, each naming the input: an image that ends early (its
  // missing part decodes as filler), poppler's messages about a damaged PDF. Written to JSON as
  // "warnings" only when there are any (not a PaddleX field).
  std::vector<std::string> warnings;

  struct ModelSettings {
    bool use_doc_preprocessor = false;
    bool use_textline_orientation = true;
  } model_settings;
  // Written to JSON only when model_settings.use_doc_preprocessor, as PaddleX does.
  struct DocPreprocessorRes {
    struct ModelSettings {
      bool use_doc_orientation_classify = false;
      bool use_doc_unwarping = false;
    } model_settings;
    // Degrees the page was turned counter-clockwise to stand upright, as PaddleX reports it (its label
    // name, not the class index): 0, 90, 180 or 270; -1 when orientation was not classified.
    int angle = -1;
  } doc_preprocessor_res;

  std::vector<OcrPoly> dt_polys;  // every detected box, reading order
  std::vector<float> dt_scores;
  struct TextDetParams {
    int limit_side_len = 0;
    std::string limit_type;
    double thresh = 0;
    int max_side_limit = 0;
    double box_thresh = 0;
    double unclip_ratio = 0;
  } text_det_params;
  std::string text_type = "general";
  // Per dt_polys entry: 180 when the line was turned before recognition, else 0; -1 when not run.
  std::vector<int> textline_orientation_angles;
  double text_rec_score_thresh = 0.0;

  // The lines kept (score >= text_rec_score_thresh), in reading order.
  std::vector<std::string> rec_texts;  // UTF-8
  std::vector<float> rec_scores;
  std::vector<OcrPoly> rec_polys;
  std::vector<std::array<int, 4>> rec_boxes;  // x_min, y_min, x_max, y_max of each rec_polys entry

  // With OcrOptions::timing; written to JSON as "stage_times_ms" when set (not a PaddleX field).
  std::optional<OcrStageTimes> stage_times;

  // The page as the stages saw it (after any page rotation), 8-bit BGR; the polys are in its pixels.
  // Shares its pixels with the decoded page (no copy); empty in a failed result. Not part of the JSON.
  cv::Mat page_image;
};

// Whether a directory given to OcrInput::Path contributes this file: its extension (any case) is one of
// those listed there.
bool IsOcrInputFile(const std::string& path);
// The files a directory given to OcrInput::Path contributes, as Predict reads them: its regular files
// that IsOcrInputFile accepts, not recursive, in sorted name order; empty when it holds none. Fails
// (NotFound, naming the directory) when it cannot be listed.
StatusOr<std::vector<std::string>> ListOcrInputFiles(const std::string& directory);

// {"res": {...}} with the PaddleX field names; text is written as UTF-8 (not \u escaped). A failed result
// gives {"res": {"input_path": ..., "page_index": ..., "error": "CODE: message"}}.
std::string ToJson(const OcrResult& result, int indent = -1);
// Writes ToJson(result, 4) to dir/{stem}_res.json (dir/{stem}_{page}_res.json for a PDF page), where
// stem is the input's file name without extension; creates dir if needed.
Status SaveJson(const OcrResult& result, const std::string& dir);

// How the result picture is drawn.
struct OcrImageOptions {
  // A font with CJK glyphs (TrueType / OpenType, or a collection and the face in it); the default is
  // Noto Sans CJK SC from the Debian package fonts-noto-cjk. A single-face font file needs font_index 0.
  std::string font_path = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
  int font_index = 2;
  // A page whose longer side exceeds this is scaled down to it first, which bounds the picture at
  // 2 * max_side by max_side pixels.
  int max_side = 4000;
};

// The result as a picture, as PaddleX's save_to_img draws it: the page with each kept line's box
// (rec_polys) outlined and lightly filled, a colour per box, beside a white page of the same size with
// each line's text drawn in its box (sized to fit it; text along the long side of tall boxes). 8-bit
// BGR, (2 * width) x height of the (possibly scaled) page. Fails on a failed result, a result without
// page_image, and a font that cannot be loaded (naming the path and the package that provides it).
StatusOr<cv::Mat> RenderResult(const OcrResult& result, const OcrImageOptions& options = {});
// Writes RenderResult(result) as PNG to dir/{stem}_ocr_res_img.png (dir/{stem}_{page}_ocr_res_img.png
// for a PDF page), named like SaveJson's file; creates dir if needed.
Status SaveImage(const OcrResult& result, const std::string& dir, const OcrImageOptions& options = {});
// Writes an 8-bit picture of 1 (grey), 3 (BGR) or 4 (BGRA) channels, such as RenderResult's, as PNG to
// `path`, which must end in ".png".
Status WritePng(const cv::Mat& picture, const std::string& path);

// What OcrPipeline::Trim hands back beyond the pipeline's own memory.
struct OcrTrimOptions {
  // Also drop the resident pages of every executable file mapping of the process from its RSS (the
  // code of plateau and of every library loaded, the host program's own included; they fault back in
  // from the page cache when next run; docs/MEMORY.md). It acts on the whole process, so only a
  // program that owns its process should ask (plateau serve and worker do); off, the process's
  // mappings are left alone.
  bool drop_code_pages = false;
};

class OcrPipeline;

// The lazy sequence of results of one Predict call: an input range, walked once.
class OcrRange {
 public:
  struct State;

  class Iterator {
   public:
    using value_type = OcrResult;
    using difference_type = std::ptrdiff_t;
    using reference = const OcrResult&;
    using pointer = const OcrResult*;
    using iterator_category = std::input_iterator_tag;

    Iterator() = default;
    const OcrResult& operator*() const;
    const OcrResult* operator->() const { return &**this; }
    // Processes the next input (or PDF page).
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator& other) const;

   private:
    friend class OcrRange;
    explicit Iterator(State* state) : state_(state) {}
    State* state_ = nullptr;  // nullptr: the end
  };

  OcrRange(OcrRange&&) noexcept;
  OcrRange& operator=(OcrRange&&) noexcept;
  ~OcrRange();

  // The first call processes the first input. A range is walked once: a second begin() continues where
  // the iteration stands.
  Iterator begin();
  Iterator end() { return Iterator(); }

 private:
  friend class OcrPipeline;
  explicit OcrRange(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class OcrPipeline {
 public:
  // Loads the three models and the dictionary from options.model_dir (found by FindModelDir when empty),
  // and doc_orientation_model if set. Fails on options out of range (naming the parameter) and on missing
  // or invalid models (when searched for: naming every place looked at).
  static StatusOr<std::unique_ptr<OcrPipeline>> Create(const OcrOptions& options);
  ~OcrPipeline();

  // Checks the overrides (InvalidArgument naming the parameter) before any work, then returns the lazy
  // range of results: one per image, one per PDF page, one error result per input that failed.
  StatusOr<OcrRange> Predict(std::vector<OcrInput> inputs, const OcrOverrides& overrides = {});

  // Predict on several pipelines at once (typically one and its Forks), one thread per pipeline, each
  // page run by one of them with its own sessions. The range gives exactly what Predict on one of them
  // gives, in the same order (results and error results alike; a failed input stops nothing); the
  // options of workers[0] apply, with the overrides. Lazy and bounded: the threads start at begin(), and
  // at most 2 x workers.size() results exist at once, counting the pages being read, the finished ones
  // waiting for their turn and the one the caller holds (until it steps on); each holds its decoded
  // page. Reading a file, listing a directory and opening a PDF happen in input order, one at a time;
  // decoding, rendering a PDF page (one at a time per document) and the stages run in parallel.
  // Every pipeline must outlive the range and run nothing else meanwhile; each is used by one thread at
  // a time. One pipeline: the same as its Predict. Fails as Predict does, and on no pipeline or one given
  // twice. Destroying the range before its end lets the pages being read finish and joins the threads.
  static StatusOr<OcrRange> PredictParallel(const std::vector<OcrPipeline*>& workers,
                                            std::vector<OcrInput> inputs, const OcrOverrides& overrides = {});

  // A sibling pipeline with the same options that shares this one's models and dictionary (loaded
  // once, read-only) but has its own sessions, for another thread: N workers cost one copy of the
  // weights plus N sets of activation memory. Safe to call while this pipeline runs in another
  // thread; the models live as long as any pipeline using them.
  StatusOr<std::unique_ptr<OcrPipeline>> Fork() const;

  const OcrOptions& options() const { return options_; }

  // RSS from the OS and, per model (det, cls, rec, and doc when loaded), weights, arena held and plan
  // cache figures.
  MemoryStats memory_stats() const;
  // What processing one page of `page` pixels is expected to add to the process (docs/MEMORY.md). The
  // shapes are those the page will use: detection at the resized size, orientation batches and
  // recognition batches (at their width and line-count buckets) for `text_lines`, the sizes of the
  // line crops; without them, one full batch of the widest recognition bucket (the worst case). Plans
  // the shapes (so they are cached afterwards, as a warm-up would) and reports the figures relative to
  // the state before the call. Fails on a non-positive size or overrides out of range.
  StatusOr<MemoryPrediction> PredictMemory(cv::Size page, const std::vector<cv::Size>& text_lines = {},
                                           const OcrOverrides& overrides = {});
  // Plans every shape a page of each size in `pages` uses (with `text_lines`, as PredictMemory) and runs
  // each plan once on zeros, so that the arenas are allocated and the first real page of those sizes
  // builds no plan and grows no arena. Plans beyond a session's capacity evict the oldest.
  Status Warmup(const std::vector<cv::Size>& pages, const std::vector<cv::Size>& text_lines = {},
                const OcrOverrides& overrides = {});
  // Plans and runs once on zeros every shape the pipeline can use with these options, whatever the page:
  // the detection tile shapes (with tiled detection; whole-page detection has a shape per page size and
  // is left to Warmup above), every orientation batch shape and every recognition batch shape of the
  // schedules. Afterwards no page builds a plan or grows an arena (each session's plan cache holds all
  // of its shapes), so memory is flat from the first page.
  Status WarmupEveryShape(const OcrOverrides& overrides = {});
  // The pipeline's memory ceiling for any page with these options (plateau/memory.h, MemoryCeiling):
  // warms every shape (WarmupEveryShape), reads RSS from the OS and adds the largest page's buffers.
  // Afterwards memory_stats() and PredictMemory report it. Fails with FailedPrecondition under
  // whole-page detection (text_det_tiled False), whose shapes follow each page's size and have no bound.
  StatusOr<MemoryCeiling> ComputeMemoryCeiling(const OcrOverrides& overrides = {});
  // The memory ceiling of several pipelines of one process working at once (one and its Forks, as
  // PredictParallel or a server's workers run them): warms every shape on each of them, reads RSS with
  // all of them warm, and adds a largest page per pipeline and `results_waiting` finished results, each
  // holding its decoded page (MemoryCeiling: pages_in_flight, results_waiting). PredictParallel holds
  // up to workers.size() results beside the pages being read; a caller that hands each result out as it
  // finishes, 0. Each pipeline's memory_stats() then reports this ceiling. Fails as the single form,
  // naming the worker whose warm-up failed.
  static StatusOr<MemoryCeiling> ComputeMemoryCeiling(const std::vector<OcrPipeline*>& workers,
                                                      int results_waiting,
                                                      const OcrOverrides& overrides = {});
  // The memory figures of pipelines that share their models (one and its Forks), as one: the process's
  // RSS and ceiling once; per model, the weights once (they are shared) and the sessions' arenas, plans
  // and plan counts added up; `workers` says how many pipelines were added.
  static MemoryStats CombinedMemoryStats(const std::vector<const OcrPipeline*>& workers);
  // Drops every session's cached plans and arena, empties oneDNN's primitive cache and returns freed
  // heap to the OS (malloc_trim); and the code pages when asked. Weights stay. The next page plans
  // again. Never fails.
  void Trim(const OcrTrimOptions& trim = {});
  // Trims (as Trim(trim)) when options().idle_trim_seconds > 0, no page has finished for that long before
  // `now`, and nothing ran since the last trim; returns whether it trimmed. For a long-running process:
  // call it from a timer (it is cheap when there is nothing to do) on the thread that owns the pipeline.
  bool TrimIfIdle(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now(),
                  const OcrTrimOptions& trim = {});

  struct State;  // models, sessions and what is kept about their use (defined in the implementation)

 private:
  OcrPipeline() = default;
  StatusOr<OcrRange> PredictUnguarded(std::vector<OcrInput> inputs, const OcrOverrides& overrides);
  OcrOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace plateau
