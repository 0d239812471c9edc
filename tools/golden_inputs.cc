// plateau_golden_inputs: writes the model inputs the golden tests run through both plateau and ONNX
// Runtime, made from real evaluation images with the OCR pipeline's own preprocessing.
//
//   plateau_golden_inputs --out build/goldens/inputs [--eval ../shared/eval]
//     det_<H>x<W>.npy    1x3xHxW detection inputs (exact sizes, aspect ratio not kept)
//     rec_b<N>_w<W>.npy  Nx3x48xW text line batches cropped from a SROIE receipt
//     cls_b<N>.npy       Nx3x48x192 text line orientation batches
//
//   plateau_golden_inputs --det-image IMG --out FILE.npy [--limit-side-len 960]
//     one detection input prepared as the pipeline does (limit type max), for demos.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/npy.h"
#include "ocr/common/preprocess.h"
#include "plateau/status.h"

namespace {

using plateau::Status;
using plateau::StatusOr;

#ifndef PLATEAU_SOURCE_DIR
#define PLATEAU_SOURCE_DIR "."
#endif

StatusOr<cv::Mat> LoadBgr(const std::string& path) {
  cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
  if (image.empty()) return Status::NotFound(path + ": cannot read the image");
  return image;
}

// Axis-aligned bounding rectangles of the text lines in a SROIE box file (x1,y1,...,x4,y4,TEXT per row),
// clipped to the image; degenerate boxes are skipped.
StatusOr<std::vector<cv::Rect>> ReadLineBoxes(const std::string& path, const cv::Size& image_size) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open the box file");
  std::vector<cv::Rect> boxes;
  std::string line;
  int row = 0;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty() || line == "\r") continue;
    std::stringstream fields(line);
    std::string field;
    double xs[4], ys[4];
    for (int i = 0; i < 8; ++i) {
      if (!std::getline(fields, field, ',')) {
        return Status::InvalidArgument(path + ":" + std::to_string(row) + ": expected 8 coordinates");
      }
      try {
        (i % 2 == 0 ? xs : ys)[i / 2] = std::stod(field);
      } catch (const std::exception&) {
        return Status::InvalidArgument(path + ":" + std::to_string(row) + ": '" + field +
                                       "' is not a coordinate");
      }
    }
    const int x0 = std::max(0, static_cast<int>(*std::min_element(xs, xs + 4)));
    const int y0 = std::max(0, static_cast<int>(*std::min_element(ys, ys + 4)));
    const int x1 = std::min(image_size.width, static_cast<int>(*std::max_element(xs, xs + 4)) + 1);
    const int y1 = std::min(image_size.height, static_cast<int>(*std::max_element(ys, ys + 4)) + 1);
    if (x1 - x0 >= 4 && y1 - y0 >= 4) boxes.emplace_back(x0, y0, x1 - x0, y1 - y0);
  }
  return boxes;
}

Status Write(const std::filesystem::path& dir, const std::string& name, const plateau::Tensor& tensor) {
  const std::string path = (dir / name).string();
  PLATEAU_RETURN_IF_ERROR(plateau::io::WriteNpy(path, tensor.view()));
  std::printf("%s %s\n", path.c_str(), tensor.shape().ToString().c_str());
  return Status::Ok();
}

Status WriteGoldenInputs(const std::filesystem::path& eval, const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Status::NotFound(out.string() + ": cannot create the directory: " + ec.message());

  struct DetCase {
    int height, width;
    const char* image;
  };
  // Receipts are tall, pages wide; the extreme shapes stress tiling and padding in the engine.
  const DetCase det_cases[] = {
      {960, 736, "sroie/img/000.jpg"},  {640, 640, "pages/phototest.tif"}, {32, 32, "sroie/img/001.jpg"},
      {1504, 224, "sroie/img/002.jpg"}, {224, 1504, "pages/eurotext.tif"},
  };
  for (const DetCase& c : det_cases) {
    PLATEAU_ASSIGN_OR_RETURN(cv::Mat image, LoadBgr((eval / c.image).string()));
    PLATEAU_ASSIGN_OR_RETURN(plateau::ocr::DetInput det,
                             plateau::ocr::PrepareDetInputExact(image, c.height, c.width));
    PLATEAU_RETURN_IF_ERROR(
        Write(out, "det_" + std::to_string(c.height) + "x" + std::to_string(c.width) + ".npy", det.tensor));
  }

  const std::string receipt = (eval / "sroie/img/000.jpg").string();
  PLATEAU_ASSIGN_OR_RETURN(cv::Mat page, LoadBgr(receipt));
  PLATEAU_ASSIGN_OR_RETURN(std::vector<cv::Rect> boxes,
                           ReadLineBoxes((eval / "sroie/box/000.csv").string(), page.size()));
  if (boxes.size() < 6) {
    return Status::InvalidArgument(receipt + ": needs at least 6 text lines, found " +
                                   std::to_string(boxes.size()));
  }
  std::vector<cv::Mat> lines;
  for (size_t i = 0; i < 6; ++i) lines.push_back(page(boxes[i]));
  const std::vector<cv::Mat> one(lines.begin(), lines.begin() + 1);
  const std::vector<const std::vector<cv::Mat>*> batches = {&one, &lines};

  for (int width : {80, 320, 1280}) {
    for (const auto* batch : batches) {
      PLATEAU_ASSIGN_OR_RETURN(plateau::Tensor rec, plateau::ocr::PrepareFixedWidthLineBatch(*batch, width));
      PLATEAU_RETURN_IF_ERROR(
          Write(out, "rec_b" + std::to_string(batch->size()) + "_w" + std::to_string(width) + ".npy", rec));
    }
  }
  for (const auto* batch : batches) {
    PLATEAU_ASSIGN_OR_RETURN(plateau::Tensor cls, plateau::ocr::PrepareClsBatch(*batch));
    PLATEAU_RETURN_IF_ERROR(Write(out, "cls_b" + std::to_string(batch->size()) + ".npy", cls));
  }
  return Status::Ok();
}

Status WriteDetInput(const std::string& image_path, const std::string& out, int limit_side_len) {
  PLATEAU_ASSIGN_OR_RETURN(cv::Mat image, LoadBgr(image_path));
  plateau::ocr::DetResizeOptions options;
  options.limit_side_len = limit_side_len;
  PLATEAU_ASSIGN_OR_RETURN(plateau::ocr::DetInput det, plateau::ocr::PrepareDetInput(image, options));
  PLATEAU_RETURN_IF_ERROR(plateau::io::WriteNpy(out, det.tensor.view()));
  std::printf("%s %s (image %dx%d)\n", out.c_str(), det.tensor.shape().ToString().c_str(), det.source_height,
              det.source_width);
  return Status::Ok();
}

int Usage() {
  std::fprintf(stderr,
               "usage: plateau_golden_inputs --out DIR [--eval DIR]\n"
               "       plateau_golden_inputs --det-image IMG --out FILE.npy [--limit-side-len 960]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string eval = PLATEAU_SOURCE_DIR "/../shared/eval";
  std::string out, det_image;
  int limit_side_len = 960;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    const std::string value = argv[++i];
    if (arg == "--out") {
      out = value;
    } else if (arg == "--eval") {
      eval = value;
    } else if (arg == "--det-image") {
      det_image = value;
    } else if (arg == "--limit-side-len") {
      limit_side_len = std::atoi(value.c_str());
    } else {
      return Usage();
    }
  }
  if (out.empty()) return Usage();
  const Status status =
      det_image.empty() ? WriteGoldenInputs(eval, out) : WriteDetInput(det_image, out, limit_side_len);
  if (!status.ok()) {
    std::fprintf(stderr, "plateau_golden_inputs: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
