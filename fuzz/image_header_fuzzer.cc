// The image header reader (io/image_header) and the truncation check (io/image): any bytes, a size or
// nothing, never a crash; a size given is positive and compares with a pixel limit without overflow
// (UBSan watches the arithmetic).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "io/image.h"
#include "io/image_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto declared = plateau::io::ReadImageSize(bytes)) {
    PLATEAU_FUZZ_CHECK(declared->width > 0 && declared->height > 0, "a declared size is positive");
    for (int64_t limit : {int64_t{1}, int64_t{50'000'000}, int64_t{1} << 40}) {
      const bool exceeds = plateau::io::ExceedsPixels(*declared, limit);
      const bool fits_exactly = declared->width <= limit && declared->height <= limit / declared->width;
      PLATEAU_FUZZ_CHECK(exceeds != fits_exactly, "ExceedsPixels agrees with a second formula");
    }
  }
  (void)plateau::io::DescribeTruncation(bytes);
  return 0;
}
