#include "io/codecs.h"

#include <dlfcn.h>
#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <opencv2/imgcodecs.hpp>  // the IMREAD_* flags only: nothing of the module is linked

#include "io/bytes.h"
#include "io/image_header.h"

#ifndef PLATEAU_OPENCV_IMGCODECS
#error "PLATEAU_OPENCV_IMGCODECS (the soname of OpenCV's imgcodecs library) is set by CMakeLists.txt"
#endif

namespace plateau::io {
namespace {

// ---- OpenCV's decoders, for the formats not read here -----------------------------------------------

// cv::imdecode(InputArray, int) by its mangled name: the module is opened, not linked.
using ImdecodeFn = cv::Mat (*)(const cv::_InputArray&, int);
constexpr char kImdecodeSymbol[] = "_ZN2cv8imdecodeERKNS_11_InputArrayEi";

struct OpenCvDecoder {
  ImdecodeFn imdecode = nullptr;
  std::string error;  // why it could not be loaded
};

const OpenCvDecoder& LoadOpenCvDecoder() {
  static const OpenCvDecoder decoder = [] {
    OpenCvDecoder d;
    void* lib = dlopen(PLATEAU_OPENCV_IMGCODECS, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = dlerror();
      d.error = std::string("cannot load OpenCV's image codecs (") + PLATEAU_OPENCV_IMGCODECS +
                "): " + (why != nullptr ? why : "unknown error");
      return d;
    }
    void* symbol = dlsym(lib, kImdecodeSymbol);
    if (symbol == nullptr) {
      d.error = std::string(PLATEAU_OPENCV_IMGCODECS) + " has no cv::imdecode(InputArray, int)";
      return d;
    }
    d.imdecode = reinterpret_cast<ImdecodeFn>(symbol);
    return d;
  }();
  return decoder;
}

StatusOr<cv::Mat> DecodeWithOpenCv(std::string_view bytes, int flags) {
  const OpenCvDecoder& decoder = LoadOpenCvDecoder();
  if (decoder.imdecode == nullptr) {
    return Status::Unimplemented("this image format is read by OpenCV's decoders, and " + decoder.error);
  }
  const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  try {
    return decoder.imdecode(buf, flags);
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument(std::string("could not decode the image: ") + e.what());
  }
}

// ---- JPEG --------------------------------------------------------------------------------------------

// libjpeg reports a fatal error by calling error_exit, which must not return: it jumps back to the
// decoder's setjmp. Warnings (a truncated file, corrupt data the decoder gets past) are not printed: the
// caller reports truncation itself (DescribeTruncation).
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  // NOLINTNEXTLINE(cert-err52-cpp): libjpeg's C API
  std::longjmp(reinterpret_cast<JpegErrors*>(cinfo->err)->jump, 1);
}

void OnJpegMessage(j_common_ptr /*cinfo*/, int /*level*/) {}

// The error manager of a libjpeg object: fatal errors jump to `errors->jump`, warnings are dropped.
jpeg_error_mgr* UseJpegErrors(JpegErrors* errors) {
  jpeg_std_error(&errors->mgr);
  errors->mgr.error_exit = OnJpegError;
  errors->mgr.emit_message = OnJpegMessage;
  return &errors->mgr;
}

// kTooLarge: the frame (its size in the decoder's `frame` argument) has more than `max_pixels` pixels.
enum class DecodeOutcome { kDecoded, kFailed, kOtherDecoder, kTooLarge };

// Decodes as OpenCV does with IMREAD_COLOR: the colour space converted to BGR by libjpeg. Four-component
// (CMYK, YCCK) images are left to OpenCV's own conversion. Only plain C data lives in this frame, so the
// jump back from a libjpeg error skips no destructor; `out` is the caller's.
DecodeOutcome DecodeJpeg(const unsigned char* data, size_t size, int64_t max_pixels, ImageSize* frame,
                         cv::Mat* out) {
  jpeg_decompress_struct cinfo{};
  JpegErrors errors{};
  cinfo.err = UseJpegErrors(&errors);
  if (setjmp(errors.jump) != 0) {  // NOLINT(cert-err52-cpp): libjpeg's C API
    jpeg_destroy_decompress(&cinfo);
    return DecodeOutcome::kFailed;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  frame->width = cinfo.image_width;
  frame->height = cinfo.image_height;
  if (ExceedsPixels(*frame, max_pixels)) {
    jpeg_destroy_decompress(&cinfo);
    return DecodeOutcome::kTooLarge;
  }
  if (cinfo.num_components != 1 && cinfo.num_components != 3) {
    jpeg_destroy_decompress(&cinfo);
    return DecodeOutcome::kOtherDecoder;
  }
  cinfo.out_color_space = JCS_EXT_BGR;
  jpeg_start_decompress(&cinfo);
  out->create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width), CV_8UC3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->ptr<unsigned char>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return DecodeOutcome::kDecoded;
}

// Turns an image stored with EXIF orientation `o` upright, as OpenCV's IMREAD_COLOR does.
cv::Mat ApplyOrientation(const cv::Mat& img, int o) {
  cv::Mat out;
  switch (o) {
    case 2:  // mirrored left-right
      cv::flip(img, out, 1);
      return out;
    case 3:  // upside down
      cv::flip(img, out, -1);
      return out;
    case 4:  // mirrored top-bottom
      cv::flip(img, out, 0);
      return out;
    case 5:  // mirrored along the main diagonal
      cv::transpose(img, out);
      return out;
    case 6:  // stored turned a quarter counter-clockwise
      cv::transpose(img, out);
      cv::flip(out, out, 1);
      return out;
    case 7:  // mirrored along the other diagonal
      cv::transpose(img, out);
      cv::flip(out, out, -1);
      return out;
    case 8:  // stored turned a quarter clockwise
      cv::transpose(img, out);
      cv::flip(out, out, 0);
      return out;
    default:
      return img;
  }
}

// ---- PNG ---------------------------------------------------------------------------------------------

struct PngSource {
  const unsigned char* data;
  size_t size;
  size_t at;
};

void ReadPngBytes(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->at) png_error(png, "truncated");
  std::memcpy(out, src->data + src->at, n);
  src->at += n;
}

[[noreturn]] void OnPngError(png_structp png, png_const_charp /*message*/) { png_longjmp(png, 1); }
void OnPngWarning(png_structp /*png*/, png_const_charp /*message*/) {}

// Decodes as OpenCV does with IMREAD_UNCHANGED: 1 channel for grey, 3 (BGR) for colour, 4 (BGRA) when
// the image has an alpha channel or a palette or colour image has a transparent colour; 16-bit samples
// stay 16-bit. The whole file must be readable, IEND included. As for JPEG, the frame holds C data only.
DecodeOutcome DecodePng(const unsigned char* data, size_t size, int64_t max_pixels, ImageSize* frame,
                        cv::Mat* out, std::vector<png_bytep>* rows) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, OnPngError, OnPngWarning);
  if (png == nullptr) return DecodeOutcome::kFailed;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return DecodeOutcome::kFailed;
  }
  PngSource source{data, size, 0};
  if (setjmp(png_jmpbuf(png)) != 0) {  // NOLINT(cert-err52-cpp): libpng's C API
    png_destroy_read_struct(&png, &info, nullptr);
    return DecodeOutcome::kFailed;
  }
  png_set_read_fn(png, &source, ReadPngBytes);
  png_read_info(png, info);
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int depth = 0;
  int color = 0;
  png_get_IHDR(png, info, &width, &height, &depth, &color, nullptr, nullptr, nullptr);
  frame->width = width;
  frame->height = height;
  if (ExceedsPixels(*frame, max_pixels)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return DecodeOutcome::kTooLarge;
  }
  const bool transparent_colour = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  int channels = 1;
  if (color == PNG_COLOR_TYPE_RGB || color == PNG_COLOR_TYPE_PALETTE) {
    channels = transparent_colour ? 4 : 3;
  } else if (color == PNG_COLOR_TYPE_GRAY_ALPHA || color == PNG_COLOR_TYPE_RGB_ALPHA) {
    channels = 4;
  }
  if (depth == 16) png_set_swap(png);  // host order (little-endian)
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0 && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (channels == 4) {
    png_set_tRNS_to_alpha(png);
  } else {
    png_set_strip_alpha(png);
  }
  if (channels > 1) {
    if ((color & PNG_COLOR_MASK_COLOR) != 0) {
      png_set_bgr(png);
    } else {
      png_set_gray_to_rgb(png);
    }
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_channels(png, info) != channels || width > INT32_MAX || height > INT32_MAX) {
    png_destroy_read_struct(&png, &info, nullptr);
    return DecodeOutcome::kOtherDecoder;
  }
  out->create(static_cast<int>(height), static_cast<int>(width),
              CV_MAKETYPE(depth == 16 ? CV_16U : CV_8U, channels));
  rows->resize(height);
  for (png_uint_32 y = 0; y < height; ++y) (*rows)[y] = out->ptr<unsigned char>(static_cast<int>(y));
  png_read_image(png, rows->data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return DecodeOutcome::kDecoded;
}

void WritePngBytes(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

void FlushPng(png_structp /*png*/) {}

bool EncodePngInto(const cv::Mat& image, std::vector<uint8_t>* out, std::vector<png_bytep>* rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, OnPngError, OnPngWarning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png)) != 0) {  // NOLINT(cert-err52-cpp): libpng's C API
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, WritePngBytes, FlushPng);
  const int channels = image.channels();
  const int color =
      channels == 1 ? PNG_COLOR_TYPE_GRAY : (channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA);
  png_set_compression_level(png, 1);  // fast: these are result pictures and charts
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.cols), static_cast<png_uint_32>(image.rows), 8,
               color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (channels > 1) png_set_bgr(png);
  rows->resize(image.rows);
  for (int y = 0; y < image.rows; ++y) (*rows)[y] = const_cast<png_bytep>(image.ptr<unsigned char>(y));
  png_write_image(png, rows->data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

bool EncodeJpegInto(const cv::Mat& image, int quality, unsigned char** buffer, unsigned long* size) {
  jpeg_compress_struct cinfo{};
  JpegErrors errors{};
  cinfo.err = UseJpegErrors(&errors);
  if (setjmp(errors.jump) != 0) {  // NOLINT(cert-err52-cpp): libjpeg's C API
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, buffer, size);
  cinfo.image_width = static_cast<JDIMENSION>(image.cols);
  cinfo.image_height = static_cast<JDIMENSION>(image.rows);
  cinfo.input_components = image.channels();
  cinfo.in_color_space = image.channels() == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.ptr<unsigned char>(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// The orientation tag (0x0112) of IFD0 in an APP1 segment's payload ("Exif\0\0" then a TIFF header).
int OrientationOfExif(std::string_view payload) {
  if (payload.size() < 14 || payload.substr(0, 6) != std::string_view("Exif\0\0", 6)) return 1;
  const std::string_view tiff = payload.substr(6);
  const size_t n = tiff.size();
  bool little = false;
  if (tiff.substr(0, 2) == "II") {
    little = true;
  } else if (tiff.substr(0, 2) != "MM") {
    return 1;
  }
  const auto u16 = [&](size_t i) { return little ? Le16(tiff, i) : Be16(tiff, i); };
  if (u16(2) != 42) return 1;
  const uint32_t ifd = little ? Le32(tiff, 4) : Be32(tiff, 4);
  if (ifd > n || n - ifd < 2) return 1;
  const uint32_t entries = u16(ifd);
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t at = ifd + 2 + static_cast<size_t>(i) * 12;
    if (at + 12 > n) return 1;
    if (u16(at) != 0x0112) continue;
    const uint32_t type = u16(at + 2);  // 3: SHORT
    const uint32_t value = u16(at + 8);
    return type == 3 && value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

}  // namespace

int JpegExifOrientation(std::string_view jpeg) {
  int orientation = 1;
  // Segments up to the first scan; only the first APP1 is read, as OpenCV does, and only when whole.
  WalkJpegSegments(jpeg, [&](uint32_t marker, size_t at, uint32_t length) {
    if (marker == 0xDA || marker == 0xD9) return true;  // start of scan, end of image
    if (marker != 0xE1) return false;
    if (at + 2 + length <= jpeg.size()) orientation = OrientationOfExif(jpeg.substr(at + 4, length - 2));
    return true;
  });
  return orientation;
}

Status FrameTooLarge(const ImageSize& frame, int64_t max_pixels) {
  return Status::InvalidArgument("the image is " + std::to_string(frame.width) + "x" +
                                 std::to_string(frame.height) + " pixels, more than the limit of " +
                                 std::to_string(max_pixels) + "; refused before decoding");
}

StatusOr<cv::Mat> DecodeAnyImage(std::string_view bytes, int64_t max_pixels) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  ImageSize frame;
  cv::Mat img;
  if (IsJpeg(bytes)) {
    const DecodeOutcome outcome = DecodeJpeg(data, bytes.size(), max_pixels, &frame, &img);
    if (outcome == DecodeOutcome::kTooLarge) return FrameTooLarge(frame, max_pixels);
    if (outcome == DecodeOutcome::kFailed) return cv::Mat();
    if (outcome == DecodeOutcome::kDecoded) return ApplyOrientation(img, JpegExifOrientation(bytes));
    return DecodeWithOpenCv(bytes, cv::IMREAD_COLOR);
  }
  if (IsPng(bytes)) {
    std::vector<png_bytep> rows;
    const DecodeOutcome outcome = DecodePng(data, bytes.size(), max_pixels, &frame, &img, &rows);
    if (outcome == DecodeOutcome::kTooLarge) return FrameTooLarge(frame, max_pixels);
    if (outcome == DecodeOutcome::kFailed) return cv::Mat();
    if (outcome == DecodeOutcome::kDecoded) return img;
  }
  return DecodeWithOpenCv(bytes, cv::IMREAD_UNCHANGED);
}

StatusOr<std::vector<uint8_t>> EncodePng(const cv::Mat& image) {
  if (image.empty() || image.depth() != CV_8U ||
      (image.channels() != 1 && image.channels() != 3 && image.channels() != 4)) {
    return Status::InvalidArgument(
        "PNG encoding: expected a non-empty 8-bit image of 1, 3 or 4 channels, got " +
        std::to_string(image.cols) + "x" + std::to_string(image.rows) + " of type " +
        std::to_string(image.type()));
  }
  std::vector<uint8_t> out;
  std::vector<png_bytep> rows;
  if (!EncodePngInto(image, &out, &rows)) return Status::Internal("PNG encoding failed");
  return out;
}

StatusOr<std::vector<uint8_t>> EncodeJpeg(const cv::Mat& image, int quality) {
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3)) {
    return Status::InvalidArgument(
        "JPEG encoding: expected a non-empty 8-bit image of 1 or 3 channels, got " +
        std::to_string(image.cols) + "x" + std::to_string(image.rows) + " of type " +
        std::to_string(image.type()));
  }
  if (quality < 1 || quality > 100) {
    return Status::InvalidArgument("JPEG encoding: quality " + std::to_string(quality) + " is not in 1-100");
  }
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = EncodeJpegInto(image, quality, &buffer, &size);
  std::vector<uint8_t> out;
  if (ok) out.assign(buffer, buffer + size);
  std::free(buffer);  // NOLINT(cppcoreguidelines-no-malloc): jpeg_mem_dest allocates with malloc
  if (!ok) return Status::Internal("JPEG encoding failed");
  return out;
}

Status WritePngFile(const cv::Mat& image, const std::string& path) {
  if (path.size() < 4 || path.compare(path.size() - 4, 4, ".png") != 0) {
    return Status::InvalidArgument("cannot write '" + path +
                                   "': pictures are written as PNG; the name must end in .png");
  }
  StatusOr<std::vector<uint8_t>> png = EncodePng(image);
  if (!png.ok()) return png.status().WithContext("writing '" + path + "'");
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    return Status::NotFound("cannot write '" + path + "': cannot create the file (is the directory there?)");
  file.write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
  file.close();
  if (!file) return Status::DataLoss("cannot write '" + path + "': writing failed (disk full?)");
  return Status::Ok();
}

}  // namespace plateau::io
