// Test support: where the tests of the pipeline and of what is built on it (server, CLI) find the models
// (`make models`) and the SROIE receipts of ../shared/eval, and a skip for machines without the models.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace plateau::testing {

inline const std::string kModels = PLATEAU_SOURCE_DIR "/models";
inline const std::string kSroie = PLATEAU_SOURCE_DIR "/../shared/eval/sroie";

// True when every file OcrPipeline loads by default is present.
inline bool HaveModels() {
  namespace fs = std::filesystem;
  return fs::exists(kModels + "/ch_PP-OCRv4_det_infer.onnx") &&
         fs::exists(kModels + "/ch_PP-OCRv4_rec_infer.onnx") &&
         fs::exists(kModels + "/ch_ppocr_mobile_v2.0_cls_infer.onnx") &&
         fs::exists(kModels + "/ppocr_keys_v1.txt");
}

// The path of SROIE receipt i's image (img/NNN.jpg).
inline std::string SroieReceipt(int i) {
  char name[16];
  std::snprintf(name, sizeof(name), "/img/%03d.jpg", i);
  return kSroie + name;
}

// The TEXT column of a SROIE label file: everything after the 8th comma of each line.
inline std::vector<std::string> SroieLabels(const std::string& csv_path) {
  std::ifstream in(csv_path);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t pos = 0;
    int commas = 0;
    while (commas < 8 && (pos = line.find(',', pos)) != std::string::npos) {
      ++pos;
      ++commas;
    }
    if (commas == 8) labels.push_back(line.substr(pos));
  }
  return labels;
}

// True when the models are there and so are the first receipts (000-002) of ../shared/eval/sroie.
inline bool HaveModelsAndReceipts() {
  return HaveModels() && std::filesystem::exists(kSroie + "/img/002.jpg");
}

}  // namespace plateau::testing

#define SKIP_WITHOUT_MODELS()                                                                     \
  do {                                                                                            \
    if (!::plateau::testing::HaveModels())                                                        \
      GTEST_SKIP() << "models missing in " << ::plateau::testing::kModels << ": run make models"; \
  } while (0)

#define SKIP_WITHOUT_MODELS_AND_RECEIPTS()                                                             \
  do {                                                                                                 \
    if (!::plateau::testing::HaveModelsAndReceipts())                                                  \
      GTEST_SKIP() << "models or ../shared/eval missing: run make models, put the evaluation data in " \
                   << ::plateau::testing::kSroie;                                                      \
  } while (0)
