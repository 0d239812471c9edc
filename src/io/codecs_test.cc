// The decoders of io/codecs.h against OpenCV's own (cv::imdecode, linked into this test binary): the
// same bytes must give the same pixels, on the evaluation images and on every PNG colour type and EXIF
// orientation built here.
#include "io/codecs.h"

#include <gtest/gtest.h>
#include <png.h>

#include <csetjmp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/bytes.h"

namespace plateau::io {
namespace {

const std::string kEval = std::string(PLATEAU_SOURCE_DIR) + "/../shared/eval";
constexpr int64_t kNoLimit = int64_t{1} << 40;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

cv::Mat OpenCvDecode(const std::string& bytes) {
  const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  return cv::imdecode(buf, IsJpeg(bytes) ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED);
}

// Same type, size and bytes.
::testing::AssertionResult SameImage(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() != b.empty()) {
    return ::testing::AssertionFailure() << "one is empty: " << a.empty() << " vs " << b.empty();
  }
  if (a.empty()) return ::testing::AssertionSuccess();
  if (a.type() != b.type() || a.size() != b.size()) {
    return ::testing::AssertionFailure() << "type " << a.type() << " " << a.cols << "x" << a.rows
                                         << " vs type " << b.type() << " " << b.cols << "x" << b.rows;
  }
  cv::Mat diff;
  cv::absdiff(a.reshape(1), b.reshape(1), diff);
  const int differing = cv::countNonZero(diff);
  if (differing != 0) return ::testing::AssertionFailure() << differing << " samples differ";
  return ::testing::AssertionSuccess();
}

void ExpectSameAsOpenCv(const std::string& bytes, const std::string& what) {
  StatusOr<cv::Mat> ours = DecodeAnyImage(bytes, kNoLimit);
  ASSERT_TRUE(ours.ok()) << what << ": " << ours.status().ToString();
  EXPECT_TRUE(SameImage(*ours, OpenCvDecode(bytes))) << what;
}

TEST(CodecsTest, EvaluationImagesDecodeAsOpenCvDecodesThem) {
  if (!std::filesystem::exists(kEval)) GTEST_SKIP() << kEval << " is not there";
  int jpegs = 0;
  int pngs = 0;
  for (const char* folder : {"rapidocr", "simple", "pages", "sroie/img"}) {
    int taken = 0;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(kEval + "/" + folder))
      files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      const std::string ext = path.extension().string();
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") continue;
      if (++taken > 12) break;  // the receipts: a dozen is enough
      const std::string bytes = ReadFile(path);
      (IsJpeg(bytes) ? jpegs : pngs)++;
      ExpectSameAsOpenCv(bytes, path.string());
    }
  }
  EXPECT_GE(jpegs, 20);
  EXPECT_GE(pngs, 10);
}

// ---- PNG: every colour type and depth, built with libpng ---------------------------------------------

struct PngSpec {
  int depth;
  int color;
  bool transparent_colour = false;  // a tRNS chunk
  bool interlaced = false;
};

void AppendBytes(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), n);
}
void NoFlush(png_structp /*png*/) {}

// Only C data in this frame: libpng's errors jump back to its setjmp.
bool WritePng(const PngSpec& spec, int width, int height, png_color* palette, png_byte* alphas, int entries,
              png_color_16* colour, png_bytepp rows, std::string* out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)) != 0) {  // NOLINT(cert-err52-cpp): libpng's C API
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, AppendBytes, NoFlush);
  png_set_IHDR(png, info, width, height, spec.depth, spec.color,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (spec.color == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, palette, entries);
  if (spec.transparent_colour) {
    if (spec.color == PNG_COLOR_TYPE_PALETTE) {
      png_set_tRNS(png, info, alphas, entries, nullptr);
    } else {
      png_set_tRNS(png, info, nullptr, 0, colour);
    }
  }
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

// A 13x7 image whose samples run through the depth's range; palette images use 5 entries.
std::string MakePng(const PngSpec& spec) {
  const int width = 13;
  const int height = 7;
  int samples = 1;
  if (spec.color == PNG_COLOR_TYPE_RGB) samples = 3;
  if (spec.color == PNG_COLOR_TYPE_RGB_ALPHA) samples = 4;
  if (spec.color == PNG_COLOR_TYPE_GRAY_ALPHA) samples = 2;
  const int entries = std::min(5, 1 << spec.depth);  // palette entries
  const int max_value = spec.color == PNG_COLOR_TYPE_PALETTE ? entries - 1 : (1 << spec.depth) - 1;
  const size_t row_bytes = (static_cast<size_t>(width) * samples * spec.depth + 7) / 8;
  std::vector<std::vector<png_byte>> rows(height, std::vector<png_byte>(row_bytes, 0));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width * samples; ++x) {
      const int value = (x * 37 + y * 11 + (x % samples) * 101) % (max_value + 1);
      if (spec.depth == 16) {
        rows[y][2 * x] = static_cast<png_byte>(value >> 8);
        rows[y][2 * x + 1] = static_cast<png_byte>(value & 0xFF);
      } else {
        const int per_byte = 8 / spec.depth;
        const int shift = 8 - spec.depth * (1 + x % per_byte);
        rows[y][x / per_byte] = static_cast<png_byte>(rows[y][x / per_byte] | (value << shift));
      }
    }
  }
  std::vector<png_color> palette = {{0, 0, 0}, {255, 0, 0}, {0, 200, 0}, {10, 20, 250}, {250, 250, 250}};
  std::vector<png_byte> alphas = {0, 128, 255, 64, 200};
  png_color_16 colour{};
  colour.gray = static_cast<png_uint_16>(max_value / 2);
  colour.red = static_cast<png_uint_16>(max_value / 3);
  colour.green = 0;
  colour.blue = static_cast<png_uint_16>(max_value);
  std::vector<png_bytep> pointers;
  for (auto& row : rows) pointers.push_back(row.data());
  std::string out;
  if (!WritePng(spec, width, height, palette.data(), alphas.data(), entries, &colour, pointers.data(),
                &out)) {
    ADD_FAILURE() << "libpng could not write the test image";
    return "";
  }
  return out;
}

TEST(CodecsTest, EveryPngColourTypeAndDepthDecodesAsOpenCvDecodesIt) {
  std::vector<PngSpec> specs;
  for (int depth : {1, 2, 4, 8, 16}) specs.push_back({depth, PNG_COLOR_TYPE_GRAY});
  for (int depth : {1, 8, 16}) specs.push_back({depth, PNG_COLOR_TYPE_GRAY, true});
  for (int depth : {8, 16}) {
    specs.push_back({depth, PNG_COLOR_TYPE_GRAY_ALPHA});
    specs.push_back({depth, PNG_COLOR_TYPE_RGB});
    specs.push_back({depth, PNG_COLOR_TYPE_RGB, true});
    specs.push_back({depth, PNG_COLOR_TYPE_RGB_ALPHA});
  }
  for (int depth : {1, 2, 4, 8}) {
    specs.push_back({depth, PNG_COLOR_TYPE_PALETTE});
    specs.push_back({depth, PNG_COLOR_TYPE_PALETTE, true});
  }
  specs.push_back({8, PNG_COLOR_TYPE_RGB, false, true});
  specs.push_back({16, PNG_COLOR_TYPE_RGB_ALPHA, false, true});
  specs.push_back({2, PNG_COLOR_TYPE_PALETTE, true, true});
  for (const PngSpec& spec : specs) {
    const std::string what = "depth " + std::to_string(spec.depth) + " colour type " +
                             std::to_string(spec.color) + (spec.transparent_colour ? " with tRNS" : "") +
                             (spec.interlaced ? " interlaced" : "");
    const std::string png = MakePng(spec);
    ASSERT_FALSE(png.empty()) << what;
    StatusOr<cv::Mat> ours = DecodeAnyImage(png, kNoLimit);
    ASSERT_TRUE(ours.ok()) << what << ": " << ours.status().ToString();
    EXPECT_FALSE(ours->empty()) << what;
    EXPECT_TRUE(SameImage(*ours, OpenCvDecode(png))) << what;
  }
}

TEST(CodecsTest, TruncatedOrCorruptPngIsRefusedAsOpenCvRefusesIt) {
  const std::string png = MakePng({8, PNG_COLOR_TYPE_RGB});
  for (size_t keep : {png.size() - 12, png.size() / 2, size_t{30}, size_t{8}}) {
    const std::string cut = png.substr(0, keep);
    ExpectSameAsOpenCv(cut, "first " + std::to_string(keep) + " bytes");
  }
  std::string corrupt = png;
  corrupt[40] = static_cast<char>(corrupt[40] ^ 0x5A);  // inside IDAT: its CRC no longer matches
  ExpectSameAsOpenCv(corrupt, "a flipped byte");
}

// ---- JPEG ---------------------------------------------------------------------------------------------

// A picture no flip or turn maps onto itself: a gradient with a mark in one corner.
cv::Mat Asymmetric(int rows, int cols) {
  cv::Mat img(rows, cols, CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 4), static_cast<uchar>(y * 6), 90);
    }
  }
  cv::rectangle(img, cv::Rect(2, 2, 8, 5), cv::Scalar(255, 255, 255), cv::FILLED);
  return img;
}

std::string OpenCvEncode(const cv::Mat& img, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf));
  return std::string(buf.begin(), buf.end());
}

void Put16(std::string* s, uint16_t v, bool little) {
  s->push_back(static_cast<char>(little ? v & 0xFF : v >> 8));
  s->push_back(static_cast<char>(little ? v >> 8 : v & 0xFF));
}

void Put32(std::string* s, uint32_t v, bool little) {
  for (int i = 0; i < 4; ++i) {
    const int shift = little ? 8 * i : 8 * (3 - i);
    s->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

// An APP1 segment with an EXIF IFD0 of two entries, the orientation among them.
std::string ExifSegment(int orientation, bool little) {
  std::string tiff = little ? "II" : "MM";
  Put16(&tiff, 42, little);
  Put32(&tiff, 8, little);
  Put16(&tiff, 2, little);
  Put16(&tiff, 0x010F, little);  // Make, ASCII, 4 bytes in place
  Put16(&tiff, 2, little);
  Put32(&tiff, 4, little);
  tiff += "abc";
  tiff.push_back('\0');
  Put16(&tiff, 0x0112, little);  // Orientation, SHORT
  Put16(&tiff, 3, little);
  Put32(&tiff, 1, little);
  Put16(&tiff, static_cast<uint16_t>(orientation), little);
  Put16(&tiff, 0, little);
  Put32(&tiff, 0, little);  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  std::string segment = "\xFF\xE1";
  Put16(&segment, static_cast<uint16_t>(payload.size() + 2), false);
  return segment + payload;
}

std::string WithSegmentsAfterSoi(const std::string& jpeg, const std::string& segments) {
  return jpeg.substr(0, 2) + segments + jpeg.substr(2);
}

TEST(CodecsTest, ExifOrientationTurnsThePageAsOpenCvDoes) {
  const std::string plain = OpenCvEncode(Asymmetric(24, 40), ".jpg");
  for (bool little : {true, false}) {
    for (int o = 1; o <= 8; ++o) {
      const std::string jpeg = WithSegmentsAfterSoi(plain, ExifSegment(o, little));
      EXPECT_EQ(JpegExifOrientation(jpeg), o);
      StatusOr<cv::Mat> ours = DecodeAnyImage(jpeg, kNoLimit);
      ASSERT_TRUE(ours.ok());
      EXPECT_EQ(ours->rows, o >= 5 ? 40 : 24) << "orientation " << o;
      EXPECT_TRUE(SameImage(*ours, OpenCvDecode(jpeg))) << "orientation " << o << (little ? " II" : " MM");
    }
  }
  // Only the first APP1 counts: an XMP packet before the EXIF one hides it, from OpenCV too.
  const std::string xmp = std::string("\xFF\xE1\x00\x0C", 4) + "http://ns\0a";
  const std::string hidden = WithSegmentsAfterSoi(plain, xmp + ExifSegment(6, true));
  EXPECT_EQ(JpegExifOrientation(hidden), 1);
  ExpectSameAsOpenCv(hidden, "EXIF after an XMP APP1");
  // Out-of-range values and a cut segment leave the page as stored.
  ExpectSameAsOpenCv(WithSegmentsAfterSoi(plain, ExifSegment(9, true)), "orientation 9");
  EXPECT_EQ(JpegExifOrientation(WithSegmentsAfterSoi(plain, ExifSegment(6, true)).substr(0, 30)), 1);
}

TEST(CodecsTest, GreyTruncatedAndCorruptJpegsDecodeAsOpenCvDecodesThem) {
  cv::Mat grey;
  cv::cvtColor(Asymmetric(64, 80), grey, cv::COLOR_BGR2GRAY);
  ExpectSameAsOpenCv(OpenCvEncode(grey, ".jpg"), "grey JPEG");
  const std::string colour = OpenCvEncode(Asymmetric(64, 80), ".jpg");
  // Cut at two thirds: the rows decoded well before the cut are OpenCV's (near it, chroma upsampling
  // already sees the filler); after it libjpeg fills grey where OpenCV repeats the last row it read
  // (either is filler; DecodeImage warns about it).
  const std::string cut = colour.substr(0, colour.size() * 2 / 3);
  StatusOr<cv::Mat> ours = DecodeAnyImage(cut, kNoLimit);
  ASSERT_TRUE(ours.ok());
  const cv::Mat theirs = OpenCvDecode(cut);
  ASSERT_EQ(ours->size(), theirs.size());
  EXPECT_TRUE(SameImage(ours->rowRange(0, 16), theirs.rowRange(0, 16)));
  const cv::Mat last = ours->row(ours->rows - 1);
  EXPECT_EQ(cv::countNonZero(last.reshape(1) != 128), 0) << "the rows after the cut are grey";
  ExpectSameAsOpenCv(colour.substr(0, 40), "JPEG cut in its header");
  std::string corrupt = colour;
  corrupt[3] = '\x01';  // the first segment's length high byte: the header no longer parses
  ExpectSameAsOpenCv(corrupt, "JPEG with a broken header");
}

TEST(CodecsTest, OtherFormatsGoThroughOpenCvsDecoders) {
  const cv::Mat img = Asymmetric(20, 30);
  for (const char* ext : {".bmp", ".tiff", ".webp"}) {
    const std::string bytes = OpenCvEncode(img, ext);
    ExpectSameAsOpenCv(bytes, ext);
  }
  StatusOr<cv::Mat> garbage = DecodeAnyImage("not an image at all", kNoLimit);
  ASSERT_TRUE(garbage.ok());
  EXPECT_TRUE(garbage->empty());
}

// The limit is checked on the frame the decoder reads, so it holds even where the header scanner of
// io/image_header cannot say (DecodeImage checks that first).
TEST(CodecsTest, FramesOverThePixelLimitAreRefusedBeforeDecoding) {
  const cv::Mat img = Asymmetric(24, 40);
  for (const char* ext : {".jpg", ".png"}) {
    const std::string bytes = OpenCvEncode(img, ext);
    StatusOr<cv::Mat> refused = DecodeAnyImage(bytes, 40 * 24 - 1);
    ASSERT_FALSE(refused.ok()) << ext;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("40x24 pixels, more than the limit of 959"), std::string::npos)
        << refused.status().message();
    StatusOr<cv::Mat> taken = DecodeAnyImage(bytes, 40 * 24);
    ASSERT_TRUE(taken.ok()) << ext;
    EXPECT_EQ(taken->size(), img.size());
  }
}

// ---- Encoders -------------------------------------------------------------------------------------------

TEST(CodecsTest, PngEncodingIsLosslessForGreyColourAndAlpha) {
  const cv::Mat colour = Asymmetric(17, 23);
  cv::Mat grey;
  cv::cvtColor(colour, grey, cv::COLOR_BGR2GRAY);
  cv::Mat alpha;
  cv::cvtColor(colour, alpha, cv::COLOR_BGR2BGRA);
  alpha.at<cv::Vec4b>(3, 4)[3] = 17;
  for (const cv::Mat& img : {grey, colour, alpha}) {
    StatusOr<std::vector<uint8_t>> png = EncodePng(img);
    ASSERT_TRUE(png.ok()) << png.status().ToString();
    const std::string bytes(png->begin(), png->end());
    EXPECT_TRUE(SameImage(OpenCvDecode(bytes), img)) << img.channels() << " channels";
  }
  EXPECT_FALSE(EncodePng(cv::Mat()).ok());
  EXPECT_FALSE(EncodePng(cv::Mat(2, 2, CV_32FC1)).ok());
}

TEST(CodecsTest, JpegEncodingIsCloseAndReadableByOpenCv) {
  const cv::Mat img = Asymmetric(48, 64);
  StatusOr<std::vector<uint8_t>> jpeg = EncodeJpeg(img);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  const cv::Mat back = OpenCvDecode(std::string(jpeg->begin(), jpeg->end()));
  ASSERT_EQ(back.size(), img.size());
  // The same libjpeg at OpenCV's default quality: as close to the original as OpenCV's own encoding.
  const double opencv = cv::PSNR(OpenCvDecode(OpenCvEncode(img, ".jpg")), img);
  EXPECT_GT(cv::PSNR(back, img), opencv - 0.1);
  EXPECT_GT(opencv, 20.0);
  EXPECT_FALSE(EncodeJpeg(img, 0).ok());
  EXPECT_FALSE(EncodeJpeg(cv::Mat(2, 2, CV_8UC4)).ok());
}

TEST(CodecsTest, WritePngFileNamesWhatIsWrong) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "plateau_codecs_test";
  std::filesystem::create_directories(dir);
  const cv::Mat img = Asymmetric(5, 6);
  ASSERT_TRUE(WritePngFile(img, (dir / "ok.png").string()).ok());
  EXPECT_TRUE(SameImage(cv::imread((dir / "ok.png").string(), cv::IMREAD_UNCHANGED), img));
  const Status jpg = WritePngFile(img, (dir / "picture.jpg").string());
  EXPECT_EQ(jpg.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(jpg.message().find(".png"), std::string::npos) << jpg.message();
  const Status missing = WritePngFile(img, (dir / "no/such/dir/x.png").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no/such/dir/x.png"), std::string::npos) << missing.message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace plateau::io
