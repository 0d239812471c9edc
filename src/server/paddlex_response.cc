#include "server/paddlex_response.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "io/codecs.h"
#include "ocr/pipeline/result_json.h"
#include "server/base64.h"

namespace plateau::server {
namespace {

using Json = nlohmann::ordered_json;

// input_path and page_index go at every level: the document preprocessor's sub-result carries them too.
void Prune(Json& j) {
  if (j.is_object()) {
    j.erase("input_path");
    j.erase("page_index");
  }
  if (j.is_structured()) {
    for (Json& v : j) Prune(v);
  }
}

StatusOr<std::string> JpegBase64(const cv::Mat& image, const std::string& what) {
  if (image.empty()) return Status::Internal("could not encode " + what + ": it is empty");
  cv::Mat fitted = image;
  if (image.cols > kMaxPictureSide || image.rows > kMaxPictureSide) {
    const double factor = static_cast<double>(kMaxPictureSide) / std::max(image.cols, image.rows);
    cv::resize(image, fitted,
               cv::Size(static_cast<int>(factor * image.cols), static_cast<int>(factor * image.rows)));
  }
  StatusOr<std::vector<uint8_t>> jpeg = io::EncodeJpeg(fitted);
  if (!jpeg.ok()) return jpeg.status().WithContext("could not encode " + what);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(jpeg->data()), jpeg->size()));
}

}  // namespace

Json PrunedResult(const OcrResult& result, const std::vector<std::string>& decode_warnings) {
  Json pruned = ocr::ResultJson(result);
  Prune(pruned);
  if (!decode_warnings.empty()) {
    Json all = decode_warnings;
    if (pruned.contains("warnings")) {
      for (Json& w : pruned["warnings"]) all.push_back(std::move(w));
    }
    pruned["warnings"] = std::move(all);
  }
  return pruned;
}

StatusOr<Json> OcrResultEntry(const OcrResult& result, const cv::Mat& input_page,
                              const std::vector<std::string>& decode_warnings, bool visualize) {
  Json entry;
  entry["prunedResult"] = PrunedResult(result, decode_warnings);
  if (visualize) {
    PLATEAU_ASSIGN_OR_RETURN(cv::Mat picture, RenderResult(result));
    PLATEAU_ASSIGN_OR_RETURN(entry["ocrImage"], JpegBase64(picture, "the result picture"));
    if (result.model_settings.use_doc_preprocessor) {
      PLATEAU_ASSIGN_OR_RETURN(entry["docPreprocessingImage"],
                               JpegBase64(result.page_image, "the preprocessed page"));
    }
    PLATEAU_ASSIGN_OR_RETURN(entry["inputImage"], JpegBase64(input_page, "the input page"));
  }
  return entry;
}

Json ImageDataInfo(cv::Size image) {
  Json info;
  info["width"] = image.width;
  info["height"] = image.height;
  info["type"] = "image";
  return info;
}

Json PdfDataInfo(int num_pages, const std::vector<cv::Size>& pages) {
  Json info;
  info["numPages"] = num_pages;
  info["pages"] = Json::array();
  for (const cv::Size& page : pages)
    info["pages"].push_back(Json{{"width", page.width}, {"height", page.height}});
  info["type"] = "pdf";
  return info;
}

std::string SuccessBody(const std::string& log_id, Json ocr_results, Json data_info) {
  Json body;
  body["logId"] = log_id;
  body["errorCode"] = 0;
  body["errorMsg"] = "Success";
  body["result"]["ocrResults"] = std::move(ocr_results);
  body["result"]["dataInfo"] = std::move(data_info);
  return Dump(body);
}

std::string ErrorBody(const std::string& log_id, int status, const std::string& message) {
  Json body;
  body["logId"] = log_id;
  body["errorCode"] = status;
  body["errorMsg"] = message;
  return Dump(body);
}

std::string Dump(const Json& body) { return body.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace plateau::server
