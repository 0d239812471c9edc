// Image decoding (io/image, io/codecs) on JPEG and PNG bytes, the formats plateau decodes itself on
// libjpeg and libpng: any bytes give an 8-bit BGR image within the pixel limit or an error naming the
// source, never a crash, and libjpeg's and libpng's errors come back through their jumps without leaking.
// Other formats go to OpenCV's decoders, which this target leaves alone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "io/bytes.h"
#include "io/image.h"

namespace {

constexpr int64_t kMaxPixels = int64_t{1} << 22;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!plateau::io::IsJpeg(bytes) && !plateau::io::IsPng(bytes)) return 0;
  std::vector<std::string> warnings;
  auto image = plateau::io::DecodeImage(bytes, "input", kMaxPixels, &warnings);
  if (image.ok()) {
    PLATEAU_FUZZ_CHECK(!image->empty() && image->type() == CV_8UC3, "a decoded image is 8-bit BGR");
    PLATEAU_FUZZ_CHECK(static_cast<int64_t>(image->rows) * image->cols <= kMaxPixels,
                       "a decoded image is within the pixel limit");
  } else {
    PLATEAU_FUZZ_CHECK(image.status().message().rfind("input", 0) == 0, "an error names the source");
  }
  for (const std::string& w : warnings)
    PLATEAU_FUZZ_CHECK(w.rfind("input", 0) == 0, "a warning names the source");
  return 0;
}
