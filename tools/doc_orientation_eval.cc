// Accuracy and cost of document orientation (src/ocr/doc/doc_orientation.h) on the evaluation images:
//
//   build/plateau_doc_orientation_eval [--eval_dir ../shared/eval] [--model_dir models] [--threads 2]
//       [--receipts 100] [--turns 0,90,180,270] [--named 1] [--doc_orientation_model FILE]
//       [--compare_receipts N] [--compare_angles 180]
//
// 1. pages/ and simple/: each file's expected angle (by looking at it; simple-N.jpg also with its EXIF
//    orientation ignored) against the answer.
// 2. The first --receipts SROIE receipts, each as it is and turned by cv::rotate (ROTATE_90_CLOCKWISE is
//    PaddleX's "90", ROTATE_180 "180", ROTATE_90_COUNTERCLOCKWISE "270"): accuracy per angle, the
//    confusion matrix, the pages got wrong, and milliseconds per page of detection (which the pipeline
//    runs anyway) and of the orientation step itself (the vote, or the model, plus turning the page and
//    its boxes).
//    Without a model, also: the boxes detected on each turned page, turned back with it, against those
//    detected on the upright page (which is what detecting again on the page turned upright gives: the
//    same pixels): upright boxes matched with IoU >= 0.5 and the mean best IoU.
// 3. With --compare_receipts N > 0: the whole pipeline on the first N receipts turned by each of
//    --compare_angles (default 180) with orientation on, against the pipeline on the upright receipt.
//    Reported: the share of label lines (box/NNN.csv, spaces ignored) read exactly.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "ocr/cls/textline_classifier.h"
#include "ocr/det/text_detector.h"
#include "ocr/doc/doc_orientation.h"
#include "plateau/ocr.h"

namespace {

using namespace plateau;
using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Args {
  std::string eval_dir = "../shared/eval";
  std::string model_dir = "models";
  std::string doc_model;
  int threads = 2;
  int receipts = 100;
  int compare_receipts = 0;
  std::vector<int> compare_angles = {180};
  std::vector<int> turns = {0, 90, 180, 270};
  bool named = true;
};

std::vector<int> IntList(const std::string& v) {
  std::vector<int> out;
  for (size_t at = 0; at < v.size();) {
    const size_t comma = std::min(v.find(',', at), v.size());
    out.push_back(std::stoi(v.substr(at, comma - at)));
    at = comma + 1;
  }
  return out;
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "flag " << k << " needs a value\n";
      return false;
    }
    const std::string v = argv[++i];
    if (k == "--eval_dir")
      a->eval_dir = v;
    else if (k == "--model_dir")
      a->model_dir = v;
    else if (k == "--doc_orientation_model")
      a->doc_model = v;
    else if (k == "--threads")
      a->threads = std::stoi(v);
    else if (k == "--receipts")
      a->receipts = std::stoi(v);
    else if (k == "--compare_receipts")
      a->compare_receipts = std::stoi(v);
    else if (k == "--compare_angles")
      a->compare_angles = IntList(v);
    else if (k == "--turns")
      a->turns = IntList(v);
    else if (k == "--named")
      a->named = v != "0";
    else {
      std::cerr << "unknown flag " << k << "\n";
      return false;
    }
  }
  return true;
}

std::string Receipt(const Args& a, int i, const char* sub, const char* ext) {
  char name[16];
  std::snprintf(name, sizeof(name), "%03d", i);
  return a.eval_dir + "/sroie/" + sub + "/" + name + ext;
}

// The text after the 8th comma of each row, spaces removed.
std::vector<std::string> LabelLines(const std::string& csv) {
  std::vector<std::string> out;
  std::ifstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t at = 0;
    for (int c = 0; c < 8 && at != std::string::npos; ++c) {
      at = line.find(',', at);
      if (at != std::string::npos) ++at;
    }
    if (at == std::string::npos) continue;
    std::string text;
    for (char ch : line.substr(at)) {
      if (ch != ' ') text += ch;
    }
    if (!text.empty()) out.push_back(text);
  }
  return out;
}

// Label lines read exactly (each recognised line used once), and the number of label lines.
std::pair<int, int> LinesFound(const std::vector<std::string>& labels,
                               const std::vector<std::string>& texts) {
  std::map<std::string, int> have;
  for (const std::string& t : texts) {
    std::string s;
    for (char ch : t) {
      if (ch != ' ') s += ch;
    }
    ++have[s];
  }
  int found = 0;
  for (const std::string& l : labels) {
    auto it = have.find(l);
    if (it != have.end() && it->second > 0) {
      --it->second;
      ++found;
    }
  }
  return {found, static_cast<int>(labels.size())};
}

class Orienter {
 public:
  static StatusOr<Orienter> Create(const Args& a) {
    Orienter o;
    ocr::TextDetectorOptions det;
    det.session.model_path = a.model_dir + "/" + OcrOptions().det_model;
    det.session.threads = a.threads;
    PLATEAU_ASSIGN_OR_RETURN(o.det_, ocr::TextDetector::Create(det));
    ocr::TextlineClassifierOptions cls;
    cls.session.model_path = a.model_dir + "/" + OcrOptions().cls_model;
    cls.session.threads = a.threads;
    PLATEAU_ASSIGN_OR_RETURN(o.cls_, ocr::TextlineClassifier::Create(cls));
    if (!a.doc_model.empty()) {
      ocr::DocOrientationClassifierOptions doc;
      doc.session.model_path = a.doc_model;
      doc.session.threads = a.threads;
      PLATEAU_ASSIGN_OR_RETURN(o.doc_, ocr::DocOrientationClassifier::Create(doc));
    }
    return o;
  }

  // The angle, with the time of detection and of the orientation step (incl. turning page and boxes).
  // Without a model, `boxes` receives the boxes detected on `page` turned with it by the angle found.
  StatusOr<int> Angle(const cv::Mat& page, double* det_ms, double* step_ms, ocr::DetBoxes* turned_boxes) {
    const auto t0 = Clock::now();
    int angle = 0;
    if (doc_) {
      PLATEAU_ASSIGN_OR_RETURN(ocr::DocOrientation o, doc_->Classify(page));
      angle = o.angle();
      cv::Mat turned = ocr::TurnPage(page, angle);
      *step_ms += Ms(t0, Clock::now());
      const auto t1 = Clock::now();
      PLATEAU_ASSIGN_OR_RETURN(ocr::DetBoxes boxes, det_->Detect(turned));
      *det_ms += Ms(t1, Clock::now());
      return angle;
    }
    PLATEAU_ASSIGN_OR_RETURN(ocr::DetBoxes boxes, det_->Detect(page));
    const auto t1 = Clock::now();
    *det_ms += Ms(t0, t1);
    PLATEAU_ASSIGN_OR_RETURN(ocr::DocOrientation o, ocr::EstimateDocOrientation(page, boxes, *cls_));
    angle = o.angle();
    cv::Mat turned = ocr::TurnPage(page, angle);
    ocr::TurnBoxes(&boxes, angle, page.cols, page.rows);
    *step_ms += Ms(t1, Clock::now());
    *turned_boxes = std::move(boxes);
    return angle;
  }

 private:
  std::unique_ptr<ocr::TextDetector> det_;
  std::unique_ptr<ocr::TextlineClassifier> cls_;
  std::unique_ptr<ocr::DocOrientationClassifier> doc_;
};

int AngleIndex(int angle) { return angle / 90; }

double Iou(const ocr::Quad& a, const ocr::Quad& b) {
  std::vector<cv::Point2f> pa(a.begin(), a.end()), pb(b.begin(), b.end()), inter;
  const double i = cv::intersectConvexConvex(pa, pb, inter, true);
  const double u = cv::contourArea(pa) + cv::contourArea(pb) - i;
  return u > 0 ? i / u : 0.0;
}

// How well one set of boxes reproduces a reference set: reference boxes with a box of IoU >= 0.5 in the
// other set, and the mean best IoU over the reference boxes.
struct BoxStats {
  int pages = 0, reference = 0, other = 0, matched = 0, pages_all_matched = 0;
  double iou_sum = 0;
  void Add(const ocr::DetBoxes& ref, const ocr::DetBoxes& got) {
    ++pages;
    reference += static_cast<int>(ref.quads.size());
    other += static_cast<int>(got.quads.size());
    int page_matched = 0;
    for (const ocr::Quad& r : ref.quads) {
      double best = 0;
      for (const ocr::Quad& g : got.quads) best = std::max(best, Iou(r, g));
      iou_sum += best;
      page_matched += best >= 0.5;
    }
    matched += page_matched;
    pages_all_matched += page_matched == static_cast<int>(ref.quads.size());
  }
  void Print(int angle) const {
    std::printf(
        "  turned %3d: %d pages, %d upright boxes, %d turned back; upright boxes matched (IoU >= 0.5) "
        "%.1f%%, mean best IoU %.3f, pages with every box matched %d\n",
        angle, pages, reference, other, reference ? 100.0 * matched / reference : 0.0,
        reference ? iou_sum / reference : 0.0, pages_all_matched);
  }
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  auto orienter = Orienter::Create(args);
  if (!orienter.ok()) {
    std::cerr << orienter.status().ToString() << "\n";
    return 1;
  }
  std::printf("document orientation: %s, threads %d\n",
              args.doc_model.empty() ? "estimate from det + textline models" : args.doc_model.c_str(),
              args.threads);
  int failures = 0;

  // 1. Named pages.
  struct Named {
    std::string file;
    int angle;
    bool ignore_exif;
  };
  const std::vector<Named> named = {
      {"pages/phototest.tif", 0, false},
      {"pages/phototest-rotated-180.png", 180, false},
      {"pages/phototest-rotated-L.png", 270, false},
      {"pages/phototest-rotated-R.png", 90, false},
      {"pages/phototestrot.tif", 270, false},
      {"pages/eurotext.tif", 0, false},
      {"pages/8071_093.3B.tif", 0, false},
      {"pages/8087_054.3B.tif", 0, false},
      {"simple/simple.jpg", 0, false},
      {"simple/simple-90.jpg", 0, false},
      {"simple/simple-180.jpg", 0, false},
      {"simple/simple-270.jpg", 0, false},
      {"simple/simple-90.jpg", 270, true},
      {"simple/simple-180.jpg", 180, true},
      {"simple/simple-270.jpg", 90, true},
      {"simple/simple.png", 0, false},
      {"simple/testocr.png", 0, false},
      {"simple/bill.png", 0, false},
      {"simple/cosmic.png", 0, false},
      {"simple/chinese.png", 0, false},
  };
  int named_right = 0;
  const size_t named_count = args.named ? named.size() : 0;
  std::printf("\n%-34s %-12s %8s %6s\n", "file", "decoded", "expected", "got");
  for (size_t ni = 0; ni < named_count; ++ni) {
    const Named& n = named[ni];
    const std::string path = args.eval_dir + "/" + n.file;
    StatusOr<cv::Mat> page =
        n.ignore_exif ? StatusOr<cv::Mat>(cv::imread(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION))
                      : io::ReadImage(path);
    if (!page.ok() || page->empty()) {
      std::printf("%-34s cannot read\n", n.file.c_str());
      ++failures;
      continue;
    }
    double det_ms = 0, step_ms = 0;
    ocr::DetBoxes boxes;
    auto angle = orienter->Angle(*page, &det_ms, &step_ms, &boxes);
    const int got = angle.ok() ? *angle : -1;
    named_right += got == n.angle;
    std::printf("%-34s %-12s %8d %6d%s\n", n.file.c_str(), n.ignore_exif ? "EXIF ignored" : "as decoded",
                n.angle, got, got == n.angle ? "" : "   WRONG");
  }
  std::printf("named pages: %d of %zu right\n", named_right, named_count);
  failures += static_cast<int>(named_count) - named_right;

  // 2. Receipts x 4 turns.
  const std::pair<int, int> turns[] = {
      {-1, 0}, {cv::ROTATE_90_CLOCKWISE, 90}, {cv::ROTATE_180, 180}, {cv::ROTATE_90_COUNTERCLOCKWISE, 270}};
  int confusion[4][4] = {};
  BoxStats box_stats[4];
  double det_ms = 0, step_ms = 0;
  int pages = 0;
  std::vector<std::string> wrong;
  for (int i = 0; i < args.receipts; ++i) {
    auto upright = io::ReadImage(Receipt(args, i, "img", ".jpg"));
    if (!upright.ok()) {
      std::cerr << upright.status().ToString() << "\n";
      return 1;
    }
    ocr::DetBoxes upright_boxes;
    for (const auto& [flag, expected] : turns) {
      if (std::find(args.turns.begin(), args.turns.end(), expected) == args.turns.end()) continue;
      // A fresh buffer: rotating into one that shares the upright pixels would turn those in place.
      cv::Mat page;
      if (flag >= 0) {
        cv::rotate(*upright, page, flag);
      } else {
        page = *upright;
      }
      ocr::DetBoxes boxes;
      auto angle = orienter->Angle(page, &det_ms, &step_ms, &boxes);
      if (expected == 0) upright_boxes = boxes;
      if (expected != 0 && angle.ok() && *angle == expected && args.doc_model.empty()) {
        box_stats[AngleIndex(expected)].Add(upright_boxes, boxes);
      }
      ++pages;
      const int got = angle.ok() ? *angle : 0;
      if (!angle.ok()) std::cerr << angle.status().ToString() << "\n";
      ++confusion[AngleIndex(expected)][AngleIndex(got)];
      if (got != expected || !angle.ok()) {
        wrong.push_back(Receipt(args, i, "img", ".jpg") + " turned " + std::to_string(expected) + ": got " +
                        std::to_string(got));
      }
    }
    std::fprintf(stderr, "\r%d / %d receipts", i + 1, args.receipts);
  }
  std::fprintf(stderr, "\n");
  int right = 0;
  std::printf("\nSROIE receipts x 4 turns (%d pages): rows expected, columns got\n", pages);
  std::printf("%8s %6s %6s %6s %6s %9s\n", "", "0", "90", "180", "270", "accuracy");
  for (int e = 0; e < 4; ++e) {
    int row = 0;
    for (int g = 0; g < 4; ++g) row += confusion[e][g];
    right += confusion[e][e];
    std::printf("%8d %6d %6d %6d %6d %8.1f%%\n", e * 90, confusion[e][0], confusion[e][1], confusion[e][2],
                confusion[e][3], row ? 100.0 * confusion[e][e] / row : 0.0);
  }
  std::printf("all: %d of %d right (%.2f%%)\n", right, pages, pages ? 100.0 * right / pages : 0.0);
  std::printf("ms per page: detection %.1f (run by the pipeline anyway), orientation step %.1f\n",
              pages ? det_ms / pages : 0.0, pages ? step_ms / pages : 0.0);
  for (const std::string& w : wrong) std::printf("  wrong: %s\n", w.c_str());
  failures += pages - right;
  if (args.doc_model.empty()) {
    std::printf(
        "\nboxes detected on the turned page and turned back, against those detected upright "
        "(pages whose angle was right):\n");
    for (int k = 1; k < 4; ++k) box_stats[k].Print(k * 90);
  }

  // 3. Turned boxes against detecting the upright page.
  if (args.compare_receipts > 0) {
    OcrOptions options;
    options.model_dir = args.model_dir;
    options.threads = args.threads;
    options.doc_orientation_model = args.doc_model;
    auto pipeline = OcrPipeline::Create(options);
    if (!pipeline.ok()) {
      std::cerr << pipeline.status().ToString() << "\n";
      return 1;
    }
    auto run = [&](const cv::Mat& page, bool doc, OcrResult* out) {
      OcrOverrides o;
      o.use_doc_orientation_classify = doc;
      auto range = (*pipeline)->Predict({OcrInput::Image(page, "page")}, o);
      if (!range.ok()) return;
      for (const OcrResult& r : *range) *out = r;
    };
    int upright_found = 0, labels_total = 0;
    int turned_found[4] = {}, turned_angle_right[4] = {};
    int better = 0, worse = 0;
    for (int i = 0; i < args.compare_receipts; ++i) {
      auto upright = io::ReadImage(Receipt(args, i, "img", ".jpg"));
      if (!upright.ok()) return 1;
      const std::vector<std::string> labels = LabelLines(Receipt(args, i, "box", ".csv"));
      OcrResult base;
      run(*upright, false, &base);
      const auto [uf, total] = LinesFound(labels, base.rec_texts);
      upright_found += uf;
      labels_total += total;
      for (int k = 1; k < 4; ++k) {
        if (std::find(args.compare_angles.begin(), args.compare_angles.end(), turns[k].second) ==
            args.compare_angles.end()) {
          continue;
        }
        cv::Mat page;
        cv::rotate(*upright, page, turns[k].first);
        OcrResult r;
        run(page, true, &r);
        turned_angle_right[k] += r.doc_preprocessor_res.angle == turns[k].second;
        const int f = LinesFound(labels, r.rec_texts).first;
        turned_found[k] += f;
        better += f > uf;
        worse += f < uf;
      }
      std::fprintf(stderr, "\r%d / %d receipts compared", i + 1, args.compare_receipts);
    }
    std::fprintf(stderr, "\n");
    std::printf("\nlabel lines read exactly, first %d receipts (%d label lines):\n", args.compare_receipts,
                labels_total);
    std::printf("  upright page (= detecting again on the turned page): %d (%.1f%%)\n", upright_found,
                100.0 * upright_found / std::max(1, labels_total));
    for (int k = 1; k < 4; ++k) {
      if (std::find(args.compare_angles.begin(), args.compare_angles.end(), turns[k].second) ==
          args.compare_angles.end()) {
        continue;
      }
      std::printf("  turned %3d, through the pipeline with orientation on: %d (%.1f%%), angle right on %d\n",
                  turns[k].second, turned_found[k], 100.0 * turned_found[k] / std::max(1, labels_total),
                  turned_angle_right[k]);
    }
    std::printf("  turned pages reading more / fewer label lines than upright: %d / %d of %d\n", better,
                worse, static_cast<int>(args.compare_angles.size()) * args.compare_receipts);
  }
  return failures == 0 ? 0 : 1;
}
