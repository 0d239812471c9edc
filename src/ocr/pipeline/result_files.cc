#include "ocr/pipeline/result_files.h"

#include <filesystem>

namespace plateau::ocr {

StatusOr<std::string> ResultFilePath(const OcrResult& result, const std::string& dir,
                                     const std::string& suffix) {
  namespace fs = std::filesystem;
  std::string stem = fs::path(result.input_path).stem().string();
  if (stem.empty()) stem = "input";
  if (result.page_index >= 0) stem += "_" + std::to_string(result.page_index);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::InvalidArgument("cannot create directory '" + dir + "': " + ec.message());
  return (fs::path(dir) / (stem + suffix)).string();
}

}  // namespace plateau::ocr
