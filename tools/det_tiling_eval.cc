// plateau_det_tiling_eval: text detection on fixed-shape tiles against detection on the whole page, on
// the evaluation images (SROIE receipts with their label lines, the A4 pages, the simple images).
//
//   build/plateau_det_tiling_eval --model_dir models --eval ../shared/eval --threads 2
//       [--limit N] [--sets sroie,pages,simple] [--shapes 768x768,1024x512,...] [--margin 96]
//       [--padding replicate|black] [--verbose]
//
// Per set it prints: label-line recall of both modes (SROIE only: a label line is found when some detected
// box's bounding rectangle has IoU >= 0.5 with the label's), boxes found, the fraction of whole-page boxes
// that a tiled box matches with IoU >= 0.5 (and the reverse), the probability maps' max and mean |diff|,
// and seconds per page of each mode (map and post-processing), run alternately on each page so that the
// machine's load falls on both alike.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "ocr/det/db_postprocess.h"
#include "ocr/det/text_detector.h"
#include "plateau/engine.h"
#include "tools/eval/metrics.h"

namespace fs = std::filesystem;
using plateau::Status;
using plateau::StatusOr;
namespace ocr = plateau::ocr;
namespace eval = plateau::eval;

namespace {

struct Args {
  std::string model_dir = "models";
  std::string eval_dir = "../shared/eval";
  int threads = 0;
  int limit = 100;
  std::vector<std::string> sets = {"sroie", "pages", "simple"};
  ocr::DetTileOptions tiles;
  bool verbose = false;
};

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string::npos ? text.size() : comma;
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

StatusOr<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--verbose") {
      a.verbose = true;
      continue;
    }
    if (i + 1 >= argc) return Status::InvalidArgument("flag " + flag + " needs a value");
    const std::string v = argv[++i];
    try {
      if (flag == "--model_dir")
        a.model_dir = v;
      else if (flag == "--eval")
        a.eval_dir = v;
      else if (flag == "--threads")
        a.threads = std::stoi(v);
      else if (flag == "--limit")
        a.limit = std::stoi(v);
      else if (flag == "--sets")
        a.sets = Split(v);
      else if (flag == "--margin")
        a.tiles.margin = std::stoi(v);
      else if (flag == "--shapes") {
        a.tiles.shapes.clear();
        for (const std::string& s : Split(v)) {
          const size_t x = s.find('x');
          if (x == std::string::npos)
            return Status::InvalidArgument("--shapes " + s + ": expected HEIGHTxWIDTH");
          a.tiles.shapes.push_back(ocr::SizeHw{std::stoi(s.substr(0, x)), std::stoi(s.substr(x + 1))});
        }
      } else if (flag == "--padding") {
        if (v == "replicate")
          a.tiles.padding = ocr::DetTilePadding::kReplicate;
        else if (v == "black")
          a.tiles.padding = ocr::DetTilePadding::kBlack;
        else
          return Status::InvalidArgument("--padding " + v + ": expected replicate or black");
      } else {
        return Status::InvalidArgument("unknown flag " + flag);
      }
    } catch (const std::exception&) {
      return Status::InvalidArgument("flag " + flag + ": '" + v + "' is not a number");
    }
  }
  PLATEAU_RETURN_IF_ERROR(ocr::CheckDetTileOptions(a.tiles));
  return a;
}

struct Page {
  std::string path;
  std::string labels;  // SROIE box file, or empty
};

std::vector<Page> ListSet(const Args& a, const std::string& set) {
  std::vector<Page> pages;
  if (set == "sroie") {
    for (int i = 0; i < a.limit; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "%03d", i);
      const std::string img = a.eval_dir + "/sroie/img/" + name + ".jpg";
      if (fs::exists(img)) pages.push_back({img, a.eval_dir + "/sroie/box/" + name + ".csv"});
    }
    return pages;
  }
  const fs::path dir = fs::path(a.eval_dir) / set;
  if (!fs::is_directory(dir)) return pages;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".png" || ext == ".jpg" || ext == ".tif" || ext == ".tiff")
      pages.push_back({e.path().string(), {}});
  }
  std::sort(pages.begin(), pages.end(), [](const Page& x, const Page& y) { return x.path < y.path; });
  return pages;
}

eval::Box BoxOf(const ocr::Quad& q) {
  float x0 = q[0].x, x1 = q[0].x, y0 = q[0].y, y1 = q[0].y;
  for (const cv::Point2f& p : q) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  return eval::Box{x0, y0, x1, y1};
}

std::vector<eval::Box> BoxesOf(const ocr::DetBoxes& d) {
  std::vector<eval::Box> boxes;
  for (const ocr::Quad& q : d.quads) boxes.push_back(BoxOf(q));
  return boxes;
}

// How many of `wanted` some box of `found` overlaps with IoU >= 0.5 (not one-to-one: a label line is
// found when any box covers it).
size_t Covered(const std::vector<eval::Box>& wanted, const std::vector<eval::Box>& found) {
  size_t n = 0;
  for (const eval::Box& w : wanted) {
    for (const eval::Box& f : found) {
      if (eval::Iou(w, f) >= 0.5) {
        ++n;
        break;
      }
    }
  }
  return n;
}

struct Totals {
  size_t pages = 0, labels = 0, found_whole = 0, found_tiled = 0;
  size_t boxes_whole = 0, boxes_tiled = 0, whole_matched = 0, tiled_matched = 0;
  double max_diff = 0, sum_diff = 0, pixels = 0;
  double seconds_whole = 0, seconds_tiled = 0;
  size_t tiles = 0;
};

struct Run {
  cv::Mat map;
  ocr::DetBoxes boxes;
  double seconds = 0;
};

StatusOr<Run> Detect(ocr::TextDetector& detector, const cv::Mat& bgr) {
  const auto start = std::chrono::steady_clock::now();
  Run r;
  PLATEAU_ASSIGN_OR_RETURN(r.map, detector.ProbabilityMap(bgr));
  const ocr::TextDetectorOptions& o = detector.options();
  ocr::DbOptions db;
  db.thresh = o.thresh, db.box_thresh = o.box_thresh, db.unclip_ratio = o.unclip_ratio;
  db.max_candidates = o.max_candidates, db.use_dilation = o.use_dilation;
  PLATEAU_ASSIGN_OR_RETURN(r.boxes, ocr::DbPostprocess(r.map, bgr.rows, bgr.cols, db));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

Status EvalSet(const Args& a, const std::string& set, ocr::TextDetector& whole, ocr::TextDetector& tiled) {
  const std::vector<Page> pages = ListSet(a, set);
  Totals t;
  for (size_t i = 0; i < pages.size(); ++i) {
    PLATEAU_ASSIGN_OR_RETURN(cv::Mat bgr, plateau::io::ReadImage(pages[i].path));
    Run w, ti;
    // Alternating which mode goes first spreads the machine's load and the caches' warmth over both.
    if (i % 2 == 0) {
      PLATEAU_ASSIGN_OR_RETURN(w, Detect(whole, bgr));
      PLATEAU_ASSIGN_OR_RETURN(ti, Detect(tiled, bgr));
    } else {
      PLATEAU_ASSIGN_OR_RETURN(ti, Detect(tiled, bgr));
      PLATEAU_ASSIGN_OR_RETURN(w, Detect(whole, bgr));
    }
    cv::Mat diff;
    cv::absdiff(w.map, ti.map, diff);
    double max_diff = 0;
    cv::minMaxLoc(diff, nullptr, &max_diff);
    t.max_diff = std::max(t.max_diff, max_diff);
    t.sum_diff += cv::sum(diff)[0];
    t.pixels += static_cast<double>(diff.total());
    const std::vector<eval::Box> bw = BoxesOf(w.boxes), bt = BoxesOf(ti.boxes);
    t.boxes_whole += bw.size(), t.boxes_tiled += bt.size();
    const size_t wm = Covered(bw, bt), tm = Covered(bt, bw);
    t.whole_matched += wm, t.tiled_matched += tm;
    t.seconds_whole += w.seconds, t.seconds_tiled += ti.seconds;
    PLATEAU_ASSIGN_OR_RETURN(
        ocr::DetTilePlan plan,
        ocr::PlanDetection(bgr.rows, bgr.cols, {64, ocr::LimitType::kMin, 4000}, true, a.tiles));
    t.tiles += plan.tiles.size();
    size_t labels = 0, fw = 0, ft = 0;
    if (!pages[i].labels.empty()) {
      PLATEAU_ASSIGN_OR_RETURN(std::vector<eval::TextLine> lines, eval::ReadLabelFile(pages[i].labels));
      std::vector<eval::Box> lb;
      for (const eval::TextLine& l : lines) lb.push_back(l.box);
      labels = lb.size(), fw = Covered(lb, bw), ft = Covered(lb, bt);
      t.labels += labels, t.found_whole += fw, t.found_tiled += ft;
    }
    ++t.pages;
    if (a.verbose) {
      std::printf(
          "  %s %dx%d tiles %zu of %dx%d: boxes %zu/%zu matched %zu/%zu labels %zu found %zu/%zu "
          "max|d| %.3f  %.3fs/%.3fs\n",
          fs::path(pages[i].path).filename().c_str(), bgr.cols, bgr.rows, plan.tiles.size(), plan.tile.width,
          plan.tile.height, bw.size(), bt.size(), wm, tm, labels, fw, ft, max_diff, w.seconds, ti.seconds);
      std::fflush(stdout);
    }
  }
  if (t.pages == 0) return Status::Ok();
  auto pct = [](size_t n, size_t d) { return d == 0 ? 0.0 : 100.0 * static_cast<double>(n) / d; };
  std::printf("%-7s pages %3zu tiles/page %.2f | ", set.c_str(), t.pages,
              static_cast<double>(t.tiles) / t.pages);
  if (t.labels > 0) {
    std::printf("label recall whole %.2f%% tiled %.2f%% (%zu lines) | ", pct(t.found_whole, t.labels),
                pct(t.found_tiled, t.labels), t.labels);
  }
  std::printf(
      "boxes whole %zu tiled %zu | whole matched by tiled %.2f%%, tiled by whole %.2f%% | "
      "map |diff| max %.3f mean %.5f | s/page whole %.3f tiled %.3f\n",
      t.boxes_whole, t.boxes_tiled, pct(t.whole_matched, t.boxes_whole), pct(t.tiled_matched, t.boxes_tiled),
      t.max_diff, t.sum_diff / t.pixels, t.seconds_whole / t.pages, t.seconds_tiled / t.pages);
  std::fflush(stdout);
  return Status::Ok();
}

Status Main(int argc, char** argv) {
  PLATEAU_ASSIGN_OR_RETURN(Args a, ParseArgs(argc, argv));
  PLATEAU_ASSIGN_OR_RETURN(std::shared_ptr<const plateau::Model> model,
                           plateau::Model::Load(a.model_dir + "/ch_PP-OCRv4_det_infer.onnx"));
  ocr::TextDetectorOptions o;
  o.session.threads = a.threads;
  o.tiled = false;
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<ocr::TextDetector> whole, ocr::TextDetector::Create(model, o));
  o.tiled = true;
  o.tiles = a.tiles;
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<ocr::TextDetector> tiled, ocr::TextDetector::Create(model, o));
  std::string shapes;
  for (const ocr::SizeHw& t : a.tiles.shapes) {
    shapes += (shapes.empty() ? "" : ",") + std::to_string(t.height) + "x" + std::to_string(t.width);
  }
  std::printf("window shapes (HxW) {%s} margin %d padding %s, threads %d\n", shapes.c_str(), a.tiles.margin,
              a.tiles.padding == ocr::DetTilePadding::kReplicate ? "replicate" : "black", a.threads);
  for (const ocr::SizeHw& shape : ocr::DetTileShapes(a.tiles)) {
    PLATEAU_ASSIGN_OR_RETURN(plateau::PlanSummary plan,
                             tiled->session().Plan({plateau::Shape({1, 3, shape.height, shape.width})}));
    std::printf("tile shape %dx%d: arena %.1f MiB\n", shape.height, shape.width,
                static_cast<double>(plan.arena_bytes) / (1 << 20));
  }
  for (const std::string& set : a.sets) {
    Status s = EvalSet(a, set, *whole, *tiled);
    if (!s.ok()) return s.WithContext("set " + set);
    // Each mode's session keeps only its own plans; whole-page plans follow the page sizes, so they are
    // dropped between sets to keep the process's memory in check.
    whole->session().Trim();
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Status s = Main(argc, argv);
  if (!s.ok()) {
    std::cerr << "plateau_det_tiling_eval: " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
