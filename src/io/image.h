// Image decoding for the OCR pipeline: JPEG and PNG here, any other format OpenCV reads through its
// decoders (io/codecs.h), always returned as 8-bit BGR.
//
//   PLATEAU_ASSIGN_OR_RETURN(cv::Mat page, plateau::io::ReadImage("receipt.jpg"));
//
// - JPEG EXIF orientation is honoured (the pixels come back upright).
// - Grey and 16-bit images are converted to 8-bit BGR.
// - Alpha (RGBA, grey+alpha) is composited onto white; when the visible pixels are themselves light
//   (white text on a transparent background), onto black instead, so the text stays readable.
// - Empty or non-image bytes, truncated ones the decoder gives up on, and images with more than `max_pixels`
// pixels, are refused
//   with an error naming the source; nothing is allocated for a refused image beyond its header.
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plateau/status.h"

namespace plateau::io {

// Default ceiling on decoded pixels (about 16k x 16k): a bigger "image" is almost surely an attack or a
// mistake, and PaddleX-style resizing would throw most of it away anyway.
inline constexpr int64_t kDefaultMaxImagePixels = 256ll << 20;

StatusOr<cv::Mat> ReadImage(const std::string& path, int64_t max_pixels = kDefaultMaxImagePixels);
// `label` names the source in errors (e.g. the request or the file it came from). A JPEG, PNG, GIF,
// BMP or WebP file that ends before its data does is decoded as far as it goes when the decoder allows
// it; then, when `warnings` is given, a warning saying so is appended ("<label>: ... truncated ...").
StatusOr<cv::Mat> DecodeImage(std::string_view bytes, const std::string& label,
                              int64_t max_pixels = kDefaultMaxImagePixels,
                              std::vector<std::string>* warnings = nullptr);
// Converts an already decoded image (1, 2, 3 or 4 channels; 8 or 16 bit) to 8-bit BGR as above; one of
// more than `max_pixels` pixels is refused.
StatusOr<cv::Mat> ToBgr8(const cv::Mat& image, const std::string& label,
                         int64_t max_pixels = kDefaultMaxImagePixels);

// Whether the container of an encoded image says it ends early: a JPEG without the end-of-image marker
// after its last scan, a PNG without its IEND chunk, a GIF without its trailer byte, a BMP or WebP shorter
// than the size in its header. nullopt when complete or of another format; else what is missing.
std::optional<std::string> DescribeTruncation(std::string_view bytes);

// Whether the bytes start like a PDF file ("%PDF-").
bool LooksLikePdf(std::string_view bytes);

}  // namespace plateau::io
