// Image codecs without OpenCV's imgcodecs module. Pages arrive as JPEG or PNG; those are decoded and
// encoded here on libjpeg(-turbo) and libpng directly. Every other format (BMP, TIFF, WebP, ...) goes to
// OpenCV's decoder, loaded with dlopen the first time such an image arrives.
//
// Why: linking libopencv_imgcodecs loads about 140 shared libraries (GDAL, GDCM, OpenEXR, libheif and
// their own dependencies), which cost a process about 35 MB of resident memory before it reads a page
// (docs/MEMORY.md, "Libraries loaded"). A process that only meets JPEG and PNG never loads them.
//
// The pixels are those OpenCV gives for the same bytes: the same libjpeg with the same settings, the
// same libpng transformations, the same EXIF orientation (tests compare both decoders image by image).
//
//   PLATEAU_ASSIGN_OR_RETURN(cv::Mat image, plateau::io::DecodeAnyImage(bytes, 50'000'000));
//   PLATEAU_RETURN_IF_ERROR(plateau::io::WritePngFile(image, "out.png"));
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "plateau/status.h"

namespace plateau::io {

// What cv::imdecode returns for `bytes`: JPEG as with IMREAD_COLOR (8-bit BGR, EXIF orientation
// applied), every other format as with IMREAD_UNCHANGED (its own channels and depth). An empty Mat when
// the bytes are not an image any decoder reads. Errors: a JPEG or PNG whose frame has more than
// `max_pixels` pixels (InvalidArgument, before any pixel memory is taken), and OpenCV's decoder when it is
// needed and cannot be loaded, or throws (its message is kept; it applies its own limit, 2^30 pixels).
StatusOr<cv::Mat> DecodeAnyImage(std::string_view bytes, int64_t max_pixels);

// The EXIF orientation (1-8) of a JPEG's APP1 segment, 1 when there is none or it is malformed.
int JpegExifOrientation(std::string_view jpeg);

// Encodes an 8-bit image of 1 (grey), 3 (BGR) or 4 (BGRA) channels.
StatusOr<std::vector<uint8_t>> EncodePng(const cv::Mat& image);
// Encodes an 8-bit image of 1 (grey) or 3 (BGR) channels at `quality` (1-100; OpenCV's default is 95).
StatusOr<std::vector<uint8_t>> EncodeJpeg(const cv::Mat& image, int quality = 95);
// Writes EncodePng's bytes to `path`, which must end in ".png"; errors name the path.
Status WritePngFile(const cv::Mat& image, const std::string& path);

}  // namespace plateau::io
