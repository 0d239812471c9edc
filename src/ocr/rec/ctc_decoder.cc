#include "ocr/rec/ctc_decoder.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "common/check.h"
#include "common/utf8.h"

namespace plateau::ocr {

bool IsValidUtf8(std::string_view bytes) {
  bool well_formed = false;
  DecodeUtf8(bytes, &well_formed);
  return well_formed;
}

StatusOr<CtcDecoder> CtcDecoder::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("CTC dictionary " + path + " cannot be opened");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::DataLoss("CTC dictionary " + path + " could not be read to the end");
  const std::string bytes = contents.str();
  std::vector<std::string> labels;
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(std::move(line));
    start = end + 1;
  }
  return FromLabels(std::move(labels), path);
}

StatusOr<CtcDecoder> CtcDecoder::FromLabels(std::vector<std::string> labels, const std::string& origin) {
  if (labels.empty()) return Status::InvalidArgument("CTC dictionary " + origin + " holds no labels");
  for (size_t i = 0; i < labels.size(); ++i) {
    // An empty label would decode to nothing and is almost always a stray blank line in the file.
    if (labels[i].empty()) {
      return Status::InvalidArgument("CTC dictionary " + origin + ": line " + std::to_string(i + 1) +
                                     " is empty; expected one label per line");
    }
    if (!IsValidUtf8(labels[i])) {
      return Status::InvalidArgument("CTC dictionary " + origin + ": line " + std::to_string(i + 1) +
                                     " is not valid UTF-8");
    }
  }
  std::vector<std::string> classes;
  classes.reserve(labels.size() + 2);
  classes.emplace_back();
  for (std::string& label : labels) classes.push_back(std::move(label));
  classes.emplace_back(" ");
  return CtcDecoder(std::move(classes), origin);
}

DecodedText CtcDecoder::Decode(std::span<const float> probs, int64_t steps) const {
  const int64_t classes = num_classes();
  PLATEAU_CHECK(steps >= 0 && static_cast<int64_t>(probs.size()) == steps * classes);
  DecodedText result;
  double kept_sum = 0.0;
  int64_t kept = 0;
  int64_t previous = -1;
  for (int64_t t = 0; t < steps; ++t) {
    const float* row = probs.data() + t * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
    }
    // A repeat of the previous step's class continues the same emission (CTC's merge), unless a blank
    // separated them, which the previous-class comparison sees as a change.
    const bool repeat = best == previous;
    previous = best;
    if (repeat && best != 0) result.labels.back().last_step = t;
    if (repeat || best == 0) continue;
    result.labels.push_back({result.text.size(), t, t});
    result.text += classes_[static_cast<size_t>(best)];
    kept_sum += row[best];
    ++kept;
  }
  result.score = kept > 0 ? static_cast<float>(kept_sum / static_cast<double>(kept)) : 0.0f;
  return result;
}

}  // namespace plateau::ocr
