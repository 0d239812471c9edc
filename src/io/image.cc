#include "io/image.h"

#include <fstream>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "io/bytes.h"
#include "io/codecs.h"
#include "io/image_header.h"

namespace plateau::io {
namespace {

// Composites `color` (BGR, 8-bit) with `alpha` (8-bit) onto a background chosen so the visible content
// keeps its contrast.
cv::Mat Composite(const cv::Mat& color, const cv::Mat& alpha) {
  cv::Mat grey;
  cv::cvtColor(color, grey, cv::COLOR_BGR2GRAY);
  cv::Mat opaque = alpha > 127;
  double visible = cv::countNonZero(opaque);
  double mean_visible = visible > 0 ? cv::mean(grey, opaque)[0] : 0.0;
  const float background = (visible > 0 && mean_visible > 200.0) ? 0.f : 255.f;
  cv::Mat out(color.size(), CV_8UC3);
  for (int y = 0; y < color.rows; ++y) {
    const cv::Vec3b* c = color.ptr<cv::Vec3b>(y);
    const uint8_t* a = alpha.ptr<uint8_t>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < color.cols; ++x) {
      float w = a[x] / 255.f;
      for (int k = 0; k < 3; ++k) {
        o[x][k] = cv::saturate_cast<uint8_t>(c[x][k] * w + background * (1.f - w));
      }
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> DescribeTruncation(std::string_view b) {
  if (IsJpeg(b)) {
    // Entropy-coded data escapes every 0xFF byte, so an end-of-image marker (FF D9) after the start of
    // the last scan (FF DA) can only be the real one; an EXIF thumbnail's own markers come earlier.
    const size_t scan = b.rfind("\xFF\xDA");
    if (scan == std::string_view::npos) return "a JPEG without image data (no start-of-scan marker)";
    if (b.find("\xFF\xD9", scan) == std::string_view::npos) {
      return "a JPEG that ends before its end-of-image marker (truncated)";
    }
    return std::nullopt;
  }
  if (IsPng(b)) {
    if (b.find("IEND", 8) == std::string_view::npos)
      return "a PNG that ends before its IEND chunk (truncated)";
    return std::nullopt;
  }
  if (b.substr(0, 4) == "GIF8") {
    // The trailer byte 0x3B ends the file; trailing zero padding is tolerated.
    size_t end = b.find_last_not_of('\0');
    if (end == std::string_view::npos || b[end] != 0x3B)
      return "a GIF that ends before its trailer (truncated)";
    return std::nullopt;
  }
  if (b.size() >= 6 && b.substr(0, 2) == "BM") {
    const uint32_t declared = Le32(b, 2);
    if (declared > b.size()) {
      return "a BMP of " + std::to_string(b.size()) + " bytes whose header declares " +
             std::to_string(declared) + " (truncated)";
    }
    return std::nullopt;
  }
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    const uint64_t declared = static_cast<uint64_t>(Le32(b, 4)) + 8;
    if (declared > b.size()) {
      return "a WebP of " + std::to_string(b.size()) + " bytes whose header declares " +
             std::to_string(declared) + " (truncated)";
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool LooksLikePdf(std::string_view bytes) { return bytes.substr(0, 5) == "%PDF-"; }

StatusOr<cv::Mat> ToBgr8(const cv::Mat& image, const std::string& label, int64_t max_pixels) {
  if (image.empty()) return Status::InvalidArgument(label + ": image is empty");
  if (static_cast<int64_t>(image.rows) * image.cols > max_pixels) {
    return Status::InvalidArgument(label + ": image is " + std::to_string(image.cols) + "x" +
                                   std::to_string(image.rows) + " pixels, more than the limit of " +
                                   std::to_string(max_pixels));
  }
  cv::Mat img = image;
  if (img.depth() == CV_16U) {
    img.convertTo(img, CV_8U, 1.0 / 257.0);
  } else if (img.depth() == CV_32F || img.depth() == CV_64F) {
    img.convertTo(img, CV_8U, 255.0);
  } else if (img.depth() != CV_8U) {
    return Status::InvalidArgument(label + ": unsupported pixel depth (expected 8 or 16 bit)");
  }
  switch (img.channels()) {
    case 1: {
      cv::Mat out;
      cv::cvtColor(img, out, cv::COLOR_GRAY2BGR);
      return out;
    }
    case 2: {
      std::vector<cv::Mat> planes;
      cv::split(img, planes);
      cv::Mat bgr;
      cv::cvtColor(planes[0], bgr, cv::COLOR_GRAY2BGR);
      return Composite(bgr, planes[1]);
    }
    case 3:
      return img.isContinuous() ? img : img.clone();
    case 4: {
      std::vector<cv::Mat> planes;
      cv::split(img, planes);
      cv::Mat bgr;
      cv::merge(std::vector<cv::Mat>{planes[0], planes[1], planes[2]}, bgr);
      return Composite(bgr, planes[3]);
    }
    default:
      return Status::InvalidArgument(label + ": image has " + std::to_string(img.channels()) +
                                     " channels (expected 1 to 4)");
  }
}

StatusOr<cv::Mat> DecodeImage(std::string_view bytes, const std::string& label, int64_t max_pixels,
                              std::vector<std::string>* warnings) {
  if (bytes.empty()) return Status::InvalidArgument(label + ": empty input (0 bytes), not an image");
  if (LooksLikePdf(bytes)) {
    return Status::InvalidArgument(label + ": this is a PDF, not an image");
  }
  // The size the header declares is checked before decoding, so that a small file announcing a huge
  // image is refused before any pixel memory is taken. Formats whose header we do not read are checked
  // after decoding, under OpenCV's own guard (CV_IO_MAX_IMAGE_PIXELS, 2^30 by default).
  if (const std::optional<ImageSize> declared = ReadImageSize(bytes);
      declared.has_value() && ExceedsPixels(*declared, max_pixels)) {
    return Status::InvalidArgument(label + ": the image declares " + std::to_string(declared->width) + "x" +
                                   std::to_string(declared->height) + " pixels, more than the limit of " +
                                   std::to_string(max_pixels) + "; refused before decoding");
  }
  // JPEGs come back upright (EXIF orientation) in BGR; they carry no alpha.
  StatusOr<cv::Mat> decoded = DecodeAnyImage(bytes, max_pixels);
  if (!decoded.ok()) return decoded.status().WithContext(label);
  const cv::Mat img = std::move(decoded).value();
  const std::optional<std::string> truncation = DescribeTruncation(bytes);
  if (img.empty()) {
    if (truncation.has_value()) {
      return Status::InvalidArgument(label + ": not a readable image: " + *truncation + ", " +
                                     std::to_string(bytes.size()) + " bytes");
    }
    return Status::InvalidArgument(label + ": not a readable image (corrupt, truncated, or a format " +
                                   "no decoder here reads; " + std::to_string(bytes.size()) + " bytes)");
  }
  // The decoder filled in what the file lacks (libjpeg: grey rows); the page is still read, but the
  // caller learns that part of it is not from the file.
  if (truncation.has_value() && warnings != nullptr) {
    warnings->push_back(label + ": " + *truncation + "; decoded partially, the rest of the image is filler");
  }
  return ToBgr8(img, label, max_pixels);
}

StatusOr<cv::Mat> ReadImage(const std::string& path, int64_t max_pixels) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  return DecodeImage(bytes, path, max_pixels);
}

}  // namespace plateau::io
