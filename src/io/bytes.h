// Reading the bytes of encoded images: integers in either byte order, the signatures of JPEG and PNG, and
// the walk over a JPEG's marker segments. Shared by the header reader (io/image_header), the truncation
// check (io/image) and the codecs (io/codecs). Callers check bounds before reading an integer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace plateau::io {

inline uint32_t Byte(std::string_view b, size_t i) { return static_cast<unsigned char>(b[i]); }
inline uint32_t Be16(std::string_view b, size_t i) { return (Byte(b, i) << 8) | Byte(b, i + 1); }
inline uint32_t Be32(std::string_view b, size_t i) { return (Be16(b, i) << 16) | Be16(b, i + 2); }
inline uint32_t Le16(std::string_view b, size_t i) { return (Byte(b, i + 1) << 8) | Byte(b, i); }
inline uint32_t Le32(std::string_view b, size_t i) { return Le16(b, i) | (Le16(b, i + 2) << 16); }

// A JPEG starts with SOI (FF D8) and a marker (FF).
inline bool IsJpeg(std::string_view b) {
  return b.size() >= 3 && Byte(b, 0) == 0xFF && Byte(b, 1) == 0xD8 && Byte(b, 2) == 0xFF;
}
inline bool IsPng(std::string_view b) { return b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8); }

// Walks the marker segments of a JPEG from after its SOI: calls visit(marker, at, length) for each
// segment that has a length field (`at`: offset of its FF; `length`: the field's value, which counts
// itself, so the payload is b.substr(at + 4, length - 2) when the file holds it all), skipping fill
// bytes and the markers without one. Stops at a byte that is not a marker, at a length below 2, at
// the end of the bytes, or when visit returns true. Returns whether visit stopped it.
template <typename Visit>
bool WalkJpegSegments(std::string_view b, Visit&& visit) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (Byte(b, i) != 0xFF) return false;
    const uint32_t marker = Byte(b, i + 1);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // no length
      i += 2;
      continue;
    }
    const uint32_t length = Be16(b, i + 2);
    if (length < 2) return false;
    if (visit(marker, i, length)) return true;
    i += 2 + length;
  }
  return false;
}

}  // namespace plateau::io
