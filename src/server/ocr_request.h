// The body of POST /ocr, PaddleX's OCR serving request, parsed and checked before any OCR work.
//
//   {"file": "<Base64 of an image or a PDF>", "fileType": 1, "textDetThresh": 0.3, "visualize": false}
//
// `file` is required; `fileType` is 0 (PDF), 1 (image) or absent/null (told apart by the bytes); the
// optional pipeline parameters (useDocOrientationClassify, useDocUnwarping, useTextlineOrientation,
// textDetLimitSideLen, textDetLimitType, textDetThresh, textDetBoxThresh, textDetUnclipRatio,
// textRecScoreThresh) map onto OcrOverrides, null meaning "the server's setting". Other fields are
// ignored, as PaddleX does. Ranges are checked later by OcrPipeline::Predict, which names the parameter.
#pragma once

#include <optional>
#include <string>

#include "plateau/ocr.h"
#include "plateau/status.h"

namespace plateau::server {

struct OcrRequest {
  std::string file;              // the decoded bytes
  std::optional<int> file_type;  // 0 PDF, 1 image; unset: sniff the bytes
  OcrOverrides overrides;
  bool use_doc_unwarping = false;  // accepted for compatibility; only false is supported
  // Return the result pictures (ocrImage, inputImage, docPreprocessingImage); unset (absent or null):
  // the server's default (ServerOptions::visualize), as PaddleX follows its Serving.visualize.
  std::optional<bool> visualize;
  // ParseOcrJob only: a file on storage the reader shares, given instead of `file`.
  std::string path;
};

// Fails with InvalidArgument naming what was wrong: malformed JSON (with the byte offset), a body that
// is not an object, `file` missing / not a string / empty / a URL (no network here) / bad Base64, a
// field of the wrong type. `body` is consumed so that its memory is released as early as possible.
StatusOr<OcrRequest> ParseOcrRequest(std::string body);

// A queued job's request (plateau worker): the same body, except that `path` (a non-empty string naming
// a file on shared storage) may stand in place of `file`; exactly one of the two must be given.
StatusOr<OcrRequest> ParseOcrJob(std::string body);

// Whether `file` looks like a URL (scheme://...), which this server refuses to fetch.
bool LooksLikeUrl(const std::string& file);

}  // namespace plateau::server
