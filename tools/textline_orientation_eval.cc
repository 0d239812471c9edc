// plateau_textline_orientation_eval: how often the text line orientation step turns upright lines, and
// how often it turns back lines that really are upside down, on the SROIE receipts (all upright).
//
//   plateau_textline_orientation_eval [--eval_dir ../shared/eval] [--model_dir models] [--receipts 100]
//                                     [--threads 2]
//
// Per receipt: the pipeline detects the lines (no line orientation), the detected boxes that match a label
// line (IoU >= 0.5 of the bounding rectangles) are the "label-matched" lines, and each crop is classified
// upright and turned by 180 degrees. Then, for each decision rule:
//   upright turned   share of label-matched lines the rule turns on the receipt as it is;
//   page turned back share of label-matched lines turned back when every line of the receipt is upside
//                    down (a page scanned upside down, document orientation off);
//   lone turned back share turned back when only that line is upside down and the others upright.
// The rules are the pipeline's (ocr/cls/textline_classifier.h, DecideTextlineTurns) at several thresholds,
// PaddleX 3.x's argmax, and PaddleOCR 2.x's cls_thresh alone.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "ocr/cls/textline_classifier.h"
#include "ocr/common/crop.h"
#include "plateau/ocr.h"

namespace {

using namespace plateau;

struct Args {
  std::string eval_dir = "../shared/eval";
  std::string model_dir = "models";
  int receipts = 100;
  int threads = 2;
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") return false;
    if (i + 1 >= argc) {
      std::cerr << "flag " << k << " needs a value\n";
      return false;
    }
    const std::string v = argv[++i];
    try {
      if (k == "--eval_dir") {
        a->eval_dir = v;
      } else if (k == "--model_dir") {
        a->model_dir = v;
      } else if (k == "--receipts") {
        a->receipts = std::stoi(v);
      } else if (k == "--threads") {
        a->threads = std::stoi(v);
      } else {
        std::cerr << "unknown flag " << k << "\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "flag " << k << ": '" << v << "' is not a number\n";
      return false;
    }
  }
  if (a->receipts < 1 || a->receipts > 100 || a->threads < 0) {
    std::cerr << "--receipts must be in [1, 100] and --threads >= 0\n";
    return false;
  }
  return true;
}

// One detected line of a receipt: its classification upright and turned, its crop width, and whether it
// matched a label line.
struct Line {
  ocr::TextlineOrientation upright, turned;
  int width = 0;
  bool matched = false;
};

using Rule =
    std::function<std::vector<bool>(const std::vector<ocr::TextlineOrientation>&, const std::vector<int>&)>;

struct Tally {
  size_t upright = 0, upright_turned = 0;
  size_t page = 0, page_back = 0;
  size_t lone = 0, lone_back = 0;
};

void Score(const std::vector<std::vector<Line>>& pages, const Rule& rule, Tally* t) {
  for (const std::vector<Line>& lines : pages) {
    std::vector<ocr::TextlineOrientation> up, down;
    std::vector<int> widths;
    for (const Line& l : lines) {
      up.push_back(l.upright);
      down.push_back(l.turned);
      widths.push_back(l.width);
    }
    const std::vector<bool> turn_up = rule(up, widths);
    const std::vector<bool> turn_down = rule(down, widths);
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!lines[i].matched) continue;
      ++t->upright;
      t->upright_turned += turn_up[i];
      ++t->page;
      t->page_back += turn_down[i];
      std::vector<ocr::TextlineOrientation> lone = up;
      lone[i] = lines[i].turned;
      ++t->lone;
      t->lone_back += rule(lone, widths)[i];
    }
  }
}

double Pct(size_t a, size_t b) { return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / b; }

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::cerr << "usage: plateau_textline_orientation_eval [--eval_dir DIR] [--model_dir DIR] "
                 "[--receipts N] [--threads N]\n";
    return 2;
  }
  OcrOptions options;
  options.model_dir = args.model_dir;
  options.threads = args.threads;
  options.use_textline_orientation = false;
  auto pipeline = OcrPipeline::Create(options);
  if (!pipeline.ok()) {
    std::cerr << pipeline.status().ToString() << "\n";
    return 2;
  }
  ocr::TextlineClassifierOptions cls_options;
  cls_options.session.model_path = args.model_dir + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
  cls_options.session.threads = args.threads;
  auto classifier = ocr::TextlineClassifier::Create(cls_options);
  if (!classifier.ok()) {
    std::cerr << classifier.status().ToString() << "\n";
    return 2;
  }

  std::vector<std::vector<Line>> pages;
  for (int r = 0; r < args.receipts; ++r) {
    char name[32];
    std::snprintf(name, sizeof(name), "%03d", r);
    const std::string image_path = args.eval_dir + "/sroie/img/" + name + ".jpg";
    const cv::Mat page = cv::imread(image_path, cv::IMREAD_COLOR);
    auto labels = eval::ReadLabelFile(args.eval_dir + "/sroie/box/" + name + ".csv");
    if (page.empty() || !labels.ok()) {
      std::cerr << "cannot read receipt " << name << "\n";
      return 2;
    }
    auto range = (*pipeline)->Predict({OcrInput::Image(page, image_path)});
    if (!range.ok()) {
      std::cerr << range.status().ToString() << "\n";
      return 2;
    }
    for (const OcrResult& result : *range) {
      if (!result.error.ok()) {
        std::cerr << result.error.ToString() << "\n";
        return 2;
      }
      std::vector<eval::Box> label_boxes, boxes;
      for (const eval::TextLine& l : *labels) label_boxes.push_back(l.box);
      std::vector<cv::Mat> crops, turned;
      for (const OcrPoly& poly : result.dt_polys) {
        eval::Box b{1e9, 1e9, -1e9, -1e9};
        ocr::Quad quad;
        for (int k = 0; k < 4; ++k) {
          b.x_min = std::min<double>(b.x_min, poly[k][0]);
          b.y_min = std::min<double>(b.y_min, poly[k][1]);
          b.x_max = std::max<double>(b.x_max, poly[k][0]);
          b.y_max = std::max<double>(b.y_max, poly[k][1]);
          quad[k] = cv::Point2f(static_cast<float>(poly[k][0]), static_cast<float>(poly[k][1]));
        }
        boxes.push_back(b);
        auto crop = ocr::CropTextLine(page, quad);
        if (!crop.ok()) {
          std::cerr << crop.status().ToString() << "\n";
          return 2;
        }
        cv::Mat flipped;
        cv::rotate(*crop, flipped, cv::ROTATE_180);
        crops.push_back(*crop);
        turned.push_back(flipped);
      }
      auto up = (*classifier)->Classify(crops);
      auto down = (*classifier)->Classify(turned);
      if (!up.ok() || !down.ok()) {
        std::cerr << (up.ok() ? down.status() : up.status()).ToString() << "\n";
        return 2;
      }
      std::vector<Line> lines(crops.size());
      for (size_t i = 0; i < crops.size(); ++i) {
        lines[i].upright = (*up)[i];
        lines[i].turned = (*down)[i];
        lines[i].width = crops[i].cols;
      }
      for (const eval::LineMatch& m : eval::MatchLines(label_boxes, boxes, eval::kDefaultMinIou)) {
        lines[m.predicted].matched = true;
      }
      pages.push_back(std::move(lines));
    }
  }

  struct Named {
    std::string name;
    Rule rule;
  };
  std::vector<Named> rules;
  auto p180 = [](const ocr::TextlineOrientation& o) {
    return o.label == ocr::kTextline180 ? o.score : 1.0f - o.score;
  };
  rules.push_back({"argmax (PaddleX 3.x)", [&](const auto& o, const auto&) {
                     std::vector<bool> t(o.size());
                     for (size_t i = 0; i < o.size(); ++i) t[i] = p180(o[i]) > 0.5f;
                     return t;
                   }});
  for (float th : {0.9f, 0.95f, 0.99f, 0.999f}) {
    char label[64];
    std::snprintf(label, sizeof(label), "p180 > %g (cls_thresh)", th);
    rules.push_back({label, [&, th](const auto& o, const auto&) {
                       std::vector<bool> t(o.size());
                       for (size_t i = 0; i < o.size(); ++i) t[i] = p180(o[i]) > th;
                       return t;
                     }});
  }
  for (float page : {0.99f, 0.999f, 0.9999f}) {
    char label[96];
    std::snprintf(label, sizeof(label), "page vote, against it above %g", page);
    ocr::TextlineTurnOptions o;
    o.page_thresh = page;
    rules.push_back({label, [o](const auto& orientations, const auto& widths) {
                       return ocr::DecideTextlineTurns(orientations, widths, o);
                     }});
  }

  std::printf(
      "| rule | upright lines turned | page upside down: turned back | lone line upside down: "
      "turned back |\n|---|---|---|---|\n");
  for (const Named& r : rules) {
    Tally t;
    Score(pages, r.rule, &t);
    std::printf("| %s | %.2f%% (%zu / %zu) | %.2f%% | %.2f%% |\n", r.name.c_str(),
                Pct(t.upright_turned, t.upright), t.upright_turned, t.upright, Pct(t.page_back, t.page),
                Pct(t.lone_back, t.lone));
  }
  return 0;
}
