// The pixel size an encoded image declares in its header, read without decoding it, so that a small
// file announcing a huge image (a "decompression bomb") is refused before any pixel memory is taken.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace plateau::io {

struct ImageSize {
  int64_t width = 0;
  int64_t height = 0;
};

// Width and height from a PNG, JPEG, BMP, GIF, WebP or TIFF (first page) header; nullopt for other formats
// and for headers too short or malformed to say (the decoder then decides, under its own pixel limit).
// Both dims are positive when a size is given.
std::optional<ImageSize> ReadImageSize(std::string_view bytes);

// Whether width x height is more than `max_pixels`, without overflow for any 32-bit dims.
bool ExceedsPixels(const ImageSize& size, int64_t max_pixels);

}  // namespace plateau::io
