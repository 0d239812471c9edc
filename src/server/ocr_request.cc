#include "server/ocr_request.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "server/base64.h"

namespace plateau::server {
namespace {

using Json = nlohmann::json;

std::string TypeName(const Json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  return std::string("a ") + v.type_name();
}

Status WrongType(const char* field, const char* expected, const Json& v) {
  return Status::InvalidArgument(std::string(field) + ": expected " + expected + ", got " + TypeName(v));
}

// The field's value, or nullptr when absent or null (PaddleX's "use the default").
const Json* Field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

Status GetBool(const Json& body, const char* name, std::optional<bool>* out) {
  const Json* v = Field(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return WrongType(name, "a boolean (true or false)", *v);
  *out = v->get<bool>();
  return Status::Ok();
}

Status GetInt(const Json& body, const char* name, std::optional<int>* out) {
  const Json* v = Field(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number_integer()) return WrongType(name, "an integer", *v);
  const auto wide = v->is_number_unsigned() ? static_cast<long double>(v->get<uint64_t>())
                                            : static_cast<long double>(v->get<int64_t>());
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    return Status::InvalidArgument(std::string(name) + ": " + v->dump() + " does not fit a 32-bit integer");
  }
  *out = static_cast<int>(wide);
  return Status::Ok();
}

Status GetDouble(const Json& body, const char* name, std::optional<double>* out) {
  const Json* v = Field(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return WrongType(name, "a number", *v);
  const double d = v->get<double>();
  if (!std::isfinite(d)) return Status::InvalidArgument(std::string(name) + ": must be a finite number");
  *out = d;
  return Status::Ok();
}

Status GetString(const Json& body, const char* name, std::optional<std::string>* out) {
  const Json* v = Field(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return WrongType(name, "a string", *v);
  *out = v->get<std::string>();
  return Status::Ok();
}

}  // namespace

bool LooksLikeUrl(const std::string& file) {
  // A scheme is letters, digits, '+', '-', '.' starting with a letter, then "://"; Base64 has no ':'.
  const size_t colon = file.find("://");
  if (colon == std::string::npos || colon == 0 || colon > 32) return false;
  if (!std::isalpha(static_cast<unsigned char>(file[0]))) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = file[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

namespace {

StatusOr<OcrRequest> ParseBody(std::string body, bool allow_path) {
  Json json;
  try {
    json = Json::parse(body);
  } catch (const Json::exception& e) {
    // Syntax errors are parse_error; a number too large for a double ("1e400") is out_of_range, thrown
    // by the same parse. e.what() reads "[json.exception.parse_error.101] parse error at line 1,
    // column 5: ..."; keep the part after the tag.
    std::string what = e.what();
    const size_t tag_end = what.find("] ");
    if (tag_end != std::string::npos) what = what.substr(tag_end + 2);
    return Status::InvalidArgument("the body is not valid JSON: " + what);
  }
  body.clear();
  body.shrink_to_fit();
  if (!json.is_object()) {
    return Status::InvalidArgument("the body must be a JSON object such as {\"file\": \"<Base64>\"}, got " +
                                   TypeName(json));
  }

  OcrRequest req;
  auto file = json.find("file");
  const Json* path = allow_path ? Field(json, "path") : nullptr;
  if (path != nullptr) {
    if (file != json.end() && !file->is_null()) {
      return Status::InvalidArgument(
          "path and file: both given; a job names a path or carries a file, not both");
    }
    if (!path->is_string()) return WrongType("path", "a string (a file on shared storage)", *path);
    req.path = path->get<std::string>();
    if (req.path.empty()) return Status::InvalidArgument("path: empty; expected a file on shared storage");
  } else {
    if (file == json.end() || file->is_null()) {
      return Status::InvalidArgument(allow_path
                                         ? "file and path: both missing; expected the Base64 text of an "
                                           "image or a PDF in file, or a file name in path"
                                         : "file: missing; expected the Base64 text of an image or a PDF");
    }
    if (!file->is_string()) return WrongType("file", "a string (Base64 of an image or a PDF)", *file);
    std::string& text = file->get_ref<std::string&>();
    if (text.empty())
      return Status::InvalidArgument("file: empty; expected the Base64 text of an image or a PDF");
    if (LooksLikeUrl(text)) {
      return Status::InvalidArgument(
          "file: URLs are not fetched (this server makes no network requests); "
          "send the file's bytes as Base64 instead");
    }
    auto bytes = Base64Decode(text);
    if (!bytes.ok()) return bytes.status().WithContext("file");
    if (bytes->empty())
      return Status::InvalidArgument("file: decodes to 0 bytes; expected an image or a PDF");
    req.file = std::move(bytes).value();
    std::string().swap(text);
  }

  if (const Json* t = Field(json, "fileType")) {
    if (!t->is_number_integer() || (t->get<int64_t>() != 0 && t->get<int64_t>() != 1)) {
      return Status::InvalidArgument("fileType: expected 0 (PDF), 1 (image) or null (detect), got " +
                                     t->dump());
    }
    req.file_type = static_cast<int>(t->get<int64_t>());
  }

  OcrOverrides& o = req.overrides;
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "useDocOrientationClassify", &o.use_doc_orientation_classify));
  std::optional<bool> unwarp;
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "useDocUnwarping", &unwarp));
  req.use_doc_unwarping = unwarp.value_or(false);
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "useTextlineOrientation", &o.use_textline_orientation));
  PLATEAU_RETURN_IF_ERROR(GetInt(json, "textDetLimitSideLen", &o.text_det_limit_side_len));
  PLATEAU_RETURN_IF_ERROR(GetString(json, "textDetLimitType", &o.text_det_limit_type));
  PLATEAU_RETURN_IF_ERROR(GetDouble(json, "textDetThresh", &o.text_det_thresh));
  PLATEAU_RETURN_IF_ERROR(GetDouble(json, "textDetBoxThresh", &o.text_det_box_thresh));
  PLATEAU_RETURN_IF_ERROR(GetDouble(json, "textDetUnclipRatio", &o.text_det_unclip_ratio));
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "textDetTiled", &o.text_det_tiled));
  PLATEAU_RETURN_IF_ERROR(GetDouble(json, "textRecScoreThresh", &o.text_rec_score_thresh));
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "textRecSpaceGaps", &o.text_rec_space_gaps));
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "textRecFoldFullwidth", &o.text_rec_fold_fullwidth));
  PLATEAU_RETURN_IF_ERROR(GetBool(json, "visualize", &req.visualize));
  if (req.use_doc_unwarping) {
    return Status::InvalidArgument(
        "useDocUnwarping: no document unwarping model is available; it must be false or absent");
  }
  return req;
}

}  // namespace

StatusOr<OcrRequest> ParseOcrRequest(std::string body) { return ParseBody(std::move(body), false); }

StatusOr<OcrRequest> ParseOcrJob(std::string body) { return ParseBody(std::move(body), true); }

}  // namespace plateau::server
