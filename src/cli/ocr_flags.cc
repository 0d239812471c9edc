#include "cli/ocr_flags.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "plateau/model_dir.h"

namespace plateau::cli {
namespace {

StatusOr<std::optional<int>> GetOptInt(const Flags& flags, const std::string& name) {
  if (!flags.Has(name)) return std::optional<int>();
  PLATEAU_ASSIGN_OR_RETURN(
      long long v, flags.GetInt(name, 0, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  return std::optional<int>(static_cast<int>(v));
}

StatusOr<std::optional<double>> GetOptDouble(const Flags& flags, const std::string& name) {
  if (!flags.Has(name)) return std::optional<double>();
  PLATEAU_ASSIGN_OR_RETURN(double v, flags.GetDouble(name, 0));
  if (!std::isfinite(v)) return Status::InvalidArgument("flag --" + name + ": must be a finite number");
  return std::optional<double>(v);
}

// " (default X)" for the help text, from the value the options start from.
template <typename T>
std::string Default(const T& value) {
  std::ostringstream os;
  os << " (default " << value << ")";
  return os.str();
}

// One pipeline flag: its declaration, and how its value reaches the options.
struct OcrOptionFlag {
  FlagSpec spec;
  std::function<Status(const Flags&, OcrOptions*)> apply;
};

// A flag of an int option; its range is OcrPipeline::Create's to check.
OcrOptionFlag IntFlag(const std::string& name, const std::string& help, int OcrOptions::*field) {
  return {{name, help, false, false, {}}, [name, field](const Flags& flags, OcrOptions* o) -> Status {
            PLATEAU_ASSIGN_OR_RETURN(std::optional<int> v, GetOptInt(flags, name));
            if (v) o->*field = *v;
            return Status::Ok();
          }};
}

OcrOptionFlag DoubleFlag(const std::string& name, const std::string& help, double OcrOptions::*field) {
  return {{name, help, false, false, {}}, [name, field](const Flags& flags, OcrOptions* o) -> Status {
            PLATEAU_ASSIGN_OR_RETURN(std::optional<double> v, GetOptDouble(flags, name));
            if (v) o->*field = *v;
            return Status::Ok();
          }};
}

OcrOptionFlag BoolFlag(const std::string& name, const std::string& help, bool OcrOptions::*field) {
  return {{name, help, false, false, {}}, [name, field](const Flags& flags, OcrOptions* o) -> Status {
            PLATEAU_ASSIGN_OR_RETURN(std::optional<bool> v, GetBool(flags, name));
            if (v) o->*field = *v;
            return Status::Ok();
          }};
}

OcrOptionFlag StringFlag(const std::string& name, const std::string& help, std::string OcrOptions::*field) {
  return {{name, help, false, false, {}}, [name, field](const Flags& flags, OcrOptions* o) -> Status {
            if (flags.Has(name)) o->*field = flags.Get(name);
            return Status::Ok();
          }};
}

const std::vector<OcrOptionFlag>& Table() {
  static const std::vector<OcrOptionFlag> kTable = {
      {{"model_dir",
        "directory of the models and ppocr_keys_v1.txt (default: $PLATEAU_MODEL_DIR, else the installed "
        "share/plateau/models, else ./models)",
        false,
        false,
        {}},
       // Found here, so that a wrong directory is refused before any model loads; without the flag the
       // pipeline searches (plateau/model_dir.h).
       [](const Flags& flags, OcrOptions* o) -> Status {
         if (!flags.Has("model_dir")) return Status::Ok();
         PLATEAU_ASSIGN_OR_RETURN(o->model_dir, FindModelDir(flags.Get("model_dir")));
         return Status::Ok();
       }},
      {{"threads", "intra-op threads per model (0 = all cores)", false, false, {}},
       [](const Flags& flags, OcrOptions* o) -> Status {
         PLATEAU_ASSIGN_OR_RETURN(long long threads, flags.GetInt("threads", o->threads, 0, 1024));
         o->threads = static_cast<int>(threads);
         return Status::Ok();
       }},
      BoolFlag("use_doc_orientation_classify", "True/False (default False): turn pages upright first",
               &OcrOptions::use_doc_orientation_classify),
      StringFlag("doc_orientation_classify_model_dir",
                 "4-class page orientation model: ONNX file or directory holding inference.onnx (default: "
                 "estimated from the detected lines)",
                 &OcrOptions::doc_orientation_model),
      {{"use_doc_unwarping", "True/False (only False is supported)", false, false, {}},
       [](const Flags& flags, OcrOptions*) -> Status {
         PLATEAU_ASSIGN_OR_RETURN(std::optional<bool> unwarp, GetBool(flags, "use_doc_unwarping"));
         if (unwarp.value_or(false)) {
           return Status::Unimplemented(
               "flag --use_doc_unwarping: no unwarping model is available; only False");
         }
         return Status::Ok();
       }},
      BoolFlag("use_textline_orientation", "True/False (default True)",
               &OcrOptions::use_textline_orientation),
      DoubleFlag(
          "textline_orientation_thresh",
          "turn a line with nothing to go by when P(180) exceeds (default 0.9; PaddleOCR 2.x cls_thresh)",
          &OcrOptions::textline_orientation_thresh),
      DoubleFlag("textline_orientation_page_thresh",
                 "turn a line against its page's other lines when surer than (default 0.999)",
                 &OcrOptions::textline_orientation_page_thresh),
      IntFlag("text_det_limit_side_len", "resize limit" + Default(text_det_defaults::kLimitSideLen),
              &OcrOptions::text_det_limit_side_len),
      StringFlag("text_det_limit_type", "min/max/resize_long" + Default(text_det_defaults::kLimitType),
                 &OcrOptions::text_det_limit_type),
      DoubleFlag("text_det_thresh", "pixel threshold" + Default(text_det_defaults::kThresh),
                 &OcrOptions::text_det_thresh),
      DoubleFlag("text_det_box_thresh", "box score threshold" + Default(text_det_defaults::kBoxThresh),
                 &OcrOptions::text_det_box_thresh),
      DoubleFlag("text_det_unclip_ratio", "box expansion" + Default(text_det_defaults::kUnclipRatio),
                 &OcrOptions::text_det_unclip_ratio),
      IntFlag("text_det_max_side_limit", "longest side" + Default(text_det_defaults::kMaxSideLimit),
              &OcrOptions::text_det_max_side_limit),
      BoolFlag("text_det_tiled",
               "True/False (default True): detect on fixed-shape tiles (bounded memory) or on the whole page "
               "at once",
               &OcrOptions::text_det_tiled),
      DoubleFlag("text_rec_score_thresh", "drop recognised lines scoring below (default 0.0)",
                 &OcrOptions::text_rec_score_thresh),
      BoolFlag("text_rec_space_gaps",
               "True/False (default True): a space at wide gaps the recogniser left unspaced, in lines "
               "without CJK",
               &OcrOptions::text_rec_space_gaps),
      BoolFlag("text_rec_fold_fullwidth",
               "True/False (default True): full-width forms in lines without CJK characters read as ASCII",
               &OcrOptions::text_rec_fold_fullwidth),
      IntFlag("text_recognition_batch_size", "lines per recognition run (default 1)",
              &OcrOptions::text_recognition_batch_size),
      IntFlag("textline_orientation_batch_size", "lines per orientation run (default 6)",
              &OcrOptions::textline_orientation_batch_size),
      {{"max_image_pixels",
        "refuse inputs declaring more pixels, before decoding them (default 134217728 = 2^27)",
        false,
        false,
        {}},
       [](const Flags& flags, OcrOptions* o) -> Status {
         PLATEAU_ASSIGN_OR_RETURN(long long max_pixels,
                                  flags.GetInt("max_image_pixels", o->max_image_pixels, 1, 1ll << 40));
         o->max_image_pixels = static_cast<int64_t>(max_pixels);
         return Status::Ok();
       }},
      {{"timing",
        "add each page's stage times (stage_times_ms) to its JSON and print a per-stage summary on stderr "
        "at the end",
        false,
        true,
        {}},
       [](const Flags& flags, OcrOptions* o) -> Status {
         if (flags.Has("timing")) o->timing = true;
         return Status::Ok();
       }},
      {{"memory_limit",
        "ceiling on the process's RSS in bytes (default 0: none; docs/MEMORY.md)",
        false,
        false,
        {}},
       [](const Flags& flags, OcrOptions* o) -> Status {
         PLATEAU_ASSIGN_OR_RETURN(
             long long limit,
             flags.GetInt("memory_limit", static_cast<long long>(o->memory_limit), 0, 1ll << 50));
         o->memory_limit = static_cast<size_t>(limit);
         return Status::Ok();
       }},
  };
  return kTable;
}

bool Declares(const std::vector<FlagSpec>& specs, const std::string& name) {
  return std::any_of(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == name; });
}

}  // namespace

StatusOr<std::optional<bool>> GetBool(const Flags& flags, const std::string& name) {
  if (!flags.Has(name)) return std::optional<bool>();
  const std::string v = flags.Get(name);
  if (v == "True") return std::optional<bool>(true);
  if (v == "False") return std::optional<bool>(false);
  return Status::InvalidArgument("flag --" + name + ": '" + v + "' is not a boolean; expected True or False");
}

const std::vector<FlagSpec>& OcrOptionFlags() {
  static const std::vector<FlagSpec> kSpecs = [] {
    std::vector<FlagSpec> specs;
    for (const OcrOptionFlag& f : Table()) specs.push_back(f.spec);
    return specs;
  }();
  return kSpecs;
}

std::vector<FlagSpec> WithOcrOptionFlags(const std::vector<FlagSpec>& own) {
  std::vector<FlagSpec> specs = own;
  for (const FlagSpec& spec : OcrOptionFlags()) {
    if (!Declares(own, spec.name)) specs.push_back(spec);
  }
  return specs;
}

Status ApplyOcrOptionFlags(const Flags& flags, const std::vector<FlagSpec>& own, OcrOptions* options) {
  for (const OcrOptionFlag& f : Table()) {
    if (!Declares(own, f.spec.name)) PLATEAU_RETURN_IF_ERROR(f.apply(flags, options));
  }
  return Status::Ok();
}

Status AsFlagError(const Status& status) {
  const std::string& m = status.message();
  // The one option whose flag has PaddleOCR's name rather than the option's.
  static const std::string kDocModel = "doc_orientation_model:";
  if (m.compare(0, kDocModel.size(), kDocModel) == 0) {
    return Status(status.code(),
                  "flag --doc_orientation_classify_model_dir" + m.substr(kDocModel.size() - 1));
  }
  for (const FlagSpec& spec : OcrOptionFlags()) {
    const size_t n = spec.name.size();
    if (m.size() > n && m.compare(0, n, spec.name) == 0 && (m[n] == ' ' || m[n] == ':')) {
      return Status(status.code(), "flag --" + (m[n] == ' ' ? spec.name + ": " : std::string()) + m);
    }
  }
  return status;
}

}  // namespace plateau::cli
