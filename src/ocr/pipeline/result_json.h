// A result as a JSON value, for the front ends that place it in documents of their own (ToJson writes
// it as {"res": ...}; the server's PaddleX response puts it in prunedResult).
#pragma once

#include <nlohmann/json.hpp>

#include "plateau/ocr.h"

namespace plateau::ocr {

// The "res" object of ToJson(result): PaddleX's field names and order, the error in place of the fields
// for a failed result (include/plateau/ocr.h).
nlohmann::ordered_json ResultJson(const OcrResult& result);

}  // namespace plateau::ocr
