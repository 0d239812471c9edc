#include "io/image_header.h"

#include <cstdlib>

#include "io/bytes.h"

namespace plateau::io {
namespace {

uint32_t Le24(std::string_view b, size_t i) { return Le16(b, i) | (Byte(b, i + 2) << 16); }

std::optional<ImageSize> Jpeg(std::string_view b) {
  // The first start-of-frame segment holds the size.
  std::optional<ImageSize> size;
  WalkJpegSegments(b, [&](uint32_t marker, size_t i, uint32_t /*length*/) {
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (!sof) return false;
    if (i + 9 <= b.size()) size = ImageSize{Be16(b, i + 7), Be16(b, i + 5)};
    return true;
  });
  return size;
}

std::optional<ImageSize> Webp(std::string_view b) {
  if (b.size() < 30) return std::nullopt;
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8X") return ImageSize{Le24(b, 24) + 1, Le24(b, 27) + 1};
  if (chunk == "VP8L" && static_cast<unsigned char>(b[20]) == 0x2F) {
    const uint32_t bits = Le32(b, 21);
    return ImageSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (chunk == "VP8 ") return ImageSize{Le16(b, 26) & 0x3FFF, Le16(b, 28) & 0x3FFF};
  return std::nullopt;
}

// Classic TIFF (not BigTIFF): the first IFD's ImageWidth (256) and ImageLength (257) entries, each a
// SHORT or LONG held in the entry itself.
std::optional<ImageSize> Tiff(std::string_view b) {
  const bool little = b[0] == 'I';
  auto u16 = [&](size_t i) { return little ? Le16(b, i) : Be16(b, i); };
  auto u32 = [&](size_t i) { return little ? Le32(b, i) : Be32(b, i); };
  const size_t ifd = u32(4);
  if (ifd < 8 || ifd + 2 > b.size()) return std::nullopt;
  const size_t entries = u16(ifd);
  int64_t width = -1, height = -1;
  for (size_t k = 0; k < entries; ++k) {
    const size_t e = ifd + 2 + 12 * k;
    if (e + 12 > b.size()) return std::nullopt;
    const uint32_t tag = u16(e), type = u16(e + 2);
    if (tag != 256 && tag != 257) continue;
    int64_t value = -1;
    if (type == 3) value = u16(e + 8);
    if (type == 4) value = u32(e + 8);
    if (value < 0) return std::nullopt;
    (tag == 256 ? width : height) = value;
  }
  if (width < 0 || height < 0) return std::nullopt;
  return ImageSize{width, height};
}

// BMP: the info header's size (offset 14) tells the layout. OS/2's 12-byte core header holds 16-bit
// dims; every later one 32-bit signed dims, the height negative for rows stored top-down. A negative
// width is malformed.
std::optional<ImageSize> Bmp(std::string_view b) {
  const uint32_t info_size = Le32(b, 14);
  if (info_size == 12) return ImageSize{Le16(b, 18), Le16(b, 20)};
  const auto w = static_cast<int32_t>(Le32(b, 18));
  const auto h = static_cast<int32_t>(Le32(b, 22));
  return ImageSize{w, std::abs(static_cast<int64_t>(h))};
}

std::optional<ImageSize> ReadAnyImageSize(std::string_view b) {
  if (b.size() >= 24 && IsPng(b) && b.substr(12, 4) == "IHDR") {
    return ImageSize{Be32(b, 16), Be32(b, 20)};
  }
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8) {
    return Jpeg(b);
  }
  if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') return Bmp(b);
  if (b.size() >= 10 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) {
    return ImageSize{Le16(b, 6), Le16(b, 8)};
  }
  if (b.size() >= 16 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return Webp(b);
  if (b.size() >= 8 &&
      (b.substr(0, 4) == std::string_view("II*\0", 4) || b.substr(0, 4) == std::string_view("MM\0*", 4))) {
    return Tiff(b);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ImageSize> ReadImageSize(std::string_view bytes) {
  std::optional<ImageSize> size = ReadAnyImageSize(bytes);
  // A zero or negative dim is no size at all (a JPEG's height 0 means "given later", which decoders
  // refuse); the decoder then judges the bytes.
  if (size.has_value() && (size->width <= 0 || size->height <= 0)) return std::nullopt;
  return size;
}

bool ExceedsPixels(const ImageSize& size, int64_t max_pixels) {
  // Each dim may take 32 bits, so their product may not fit in int64; for positive integers,
  // w * h > m exactly when w > floor(m / h).
  if (size.width <= 0 || size.height <= 0) return false;
  return size.width > max_pixels / size.height;
}

}  // namespace plateau::io
