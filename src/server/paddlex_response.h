// The body of PaddleX's OCR serving response, built from the pipeline's results: what POST /ocr answers
// (the shape is described in ocr_server.h). No sockets, no pipeline: the server runs the pages and hands
// the results here, and the tests build bodies from results they make.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "plateau/ocr.h"
#include "plateau/status.h"

namespace plateau::server {

// PaddleX's default max_output_img_size: a picture larger either way is scaled down to fit, keeping its
// proportions, before it is encoded.
inline constexpr int kMaxPictureSide = 2000;

// prunedResult: the result's JSON (as `plateau ocr` writes its "res") without input_path and page_index
// at any level; `decode_warnings` (what decoding or rendering the page said) come first in "warnings",
// then the pipeline's own; "warnings" is present only when there are any.
nlohmann::ordered_json PrunedResult(const OcrResult& result, const std::vector<std::string>& decode_warnings);

// One entry of result.ocrResults for a page: {"prunedResult"} and, with `visualize`, the pictures as
// Base64 JPEGs scaled to fit kMaxPictureSide: "ocrImage" (RenderResult), "docPreprocessingImage" (the
// page as turned, when the page went through orientation classification) and "inputImage" (`input_page`,
// the page as received). Without `visualize` those keys are absent, not null, as in PaddleX. Fails when
// a picture cannot be drawn or encoded (RenderResult's reasons: a font that cannot be loaded, ...).
StatusOr<nlohmann::ordered_json> OcrResultEntry(const OcrResult& result, const cv::Mat& input_page,
                                                const std::vector<std::string>& decode_warnings,
                                                bool visualize);

// dataInfo of an image: {"width", "height", "type": "image"}.
nlohmann::ordered_json ImageDataInfo(cv::Size image);
// dataInfo of a PDF: {"numPages", "pages": [{"width", "height"} of each page read], "type": "pdf"}.
nlohmann::ordered_json PdfDataInfo(int num_pages, const std::vector<cv::Size>& pages);

// {"logId", "errorCode": 0, "errorMsg": "Success", "result": {"ocrResults", "dataInfo"}}.
std::string SuccessBody(const std::string& log_id, nlohmann::ordered_json ocr_results,
                        nlohmann::ordered_json data_info);
// {"logId", "errorCode": <HTTP status>, "errorMsg": <message>}, as PaddleX sends errors.
std::string ErrorBody(const std::string& log_id, int status, const std::string& message);

// A body as sent: compact, UTF-8 unescaped; invalid UTF-8 (which the decoder never emits) replaced.
std::string Dump(const nlohmann::ordered_json& body);

}  // namespace plateau::server
