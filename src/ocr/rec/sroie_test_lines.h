// Test support: labelled text lines of the SROIE receipts in /work/shared/eval (see its README), cropped
// with the label quads, for the recognition and orientation tests. Header-only so that it stays out of
// the library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/utf8.h"
#include "ocr/common/crop.h"

namespace plateau::ocr::testing {

inline const char* kSroieDir = PLATEAU_SOURCE_DIR "/../shared/eval/sroie";
inline const char* kModelDir = PLATEAU_SOURCE_DIR "/models";

inline bool FileExists(const std::string& path) { return static_cast<bool>(std::ifstream(path)); }

struct LabelledLine {
  std::string receipt;
  Quad quad;
  std::string text;
  cv::Mat crop;
};

// Lines of receipt NNN (box/NNN.csv: x1,y1,...,x4,y4,TEXT with TEXT possibly holding commas), cropped
// from img/NNN.jpg with CropQuad. Lines whose quad is degenerate are skipped. Empty when files are missing.
inline std::vector<LabelledLine> LoadSroieLines(int receipt) {
  char name[8];
  std::snprintf(name, sizeof(name), "%03d", receipt);
  const std::string dir = kSroieDir;
  const cv::Mat image = cv::imread(dir + "/img/" + name + ".jpg", cv::IMREAD_COLOR);
  std::ifstream labels(dir + "/box/" + name + ".csv");
  std::vector<LabelledLine> lines;
  if (image.empty() || !labels) return lines;
  std::string row;
  while (std::getline(labels, row)) {
    if (!row.empty() && row.back() == '\r') row.pop_back();
    size_t at = 0;
    float coords[8];
    bool ok = true;
    for (int k = 0; k < 8 && ok; ++k) {
      const size_t comma = row.find(',', at);
      if (comma == std::string::npos) {
        ok = false;
        break;
      }
      coords[k] = std::stof(row.substr(at, comma - at));
      at = comma + 1;
    }
    if (!ok) continue;
    LabelledLine line;
    line.receipt = name;
    for (int k = 0; k < 4; ++k) line.quad[k] = cv::Point2f(coords[2 * k], coords[2 * k + 1]);
    line.text = row.substr(at);
    auto crop = CropQuad(image, line.quad);
    if (!crop.ok()) continue;
    line.crop = std::move(crop).value();
    lines.push_back(std::move(line));
  }
  return lines;
}

// Levenshtein distance over code points (unit costs).
inline size_t EditDistance(const std::string& a_utf8, const std::string& b_utf8) {
  const std::u32string a = DecodeUtf8(a_utf8), b = DecodeUtf8(b_utf8);
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace plateau::ocr::testing
