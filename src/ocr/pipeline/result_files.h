// Where a saved result goes: the JSON file and the picture of one result share a name stem.
#pragma once

#include <string>

#include "plateau/ocr.h"

namespace plateau::ocr {

// dir/{stem}{suffix}, or dir/{stem}_{page}{suffix} for a PDF page, where stem is the input's file name
// without extension ("input" when it has none). Creates dir if needed; fails naming dir when it cannot.
StatusOr<std::string> ResultFilePath(const OcrResult& result, const std::string& dir,
                                     const std::string& suffix);

}  // namespace plateau::ocr
