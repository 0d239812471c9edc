#include "io/image.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "io/image_header.h"

namespace plateau::io {
namespace {

const std::string kEval = std::string(PLATEAU_SOURCE_DIR) + "/../shared/eval";

std::string Encode(const cv::Mat& m, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf));
  return std::string(buf.begin(), buf.end());
}

TEST(ImageTest, GreyBecomesBgr) {
  cv::Mat grey(4, 5, CV_8UC1, cv::Scalar(77));
  auto img = DecodeImage(Encode(grey, ".png"), "grey.png");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->at<cv::Vec3b>(2, 3), cv::Vec3b(77, 77, 77));
}

TEST(ImageTest, SixteenBitIsScaledToEightBit) {
  cv::Mat deep(3, 3, CV_16UC3, cv::Scalar(65535, 0, 257 * 100));
  auto img = DecodeImage(Encode(deep, ".png"), "deep.png");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->at<cv::Vec3b>(1, 1), cv::Vec3b(255, 0, 100));
}

TEST(ImageTest, DarkContentOnTransparencyIsCompositedOnWhite) {
  cv::Mat rgba(2, 2, CV_8UC4, cv::Scalar(0, 0, 0, 0));    // fully transparent
  rgba.at<cv::Vec4b>(0, 0) = cv::Vec4b(10, 20, 30, 255);  // one opaque dark pixel
  rgba.at<cv::Vec4b>(0, 1) = cv::Vec4b(0, 0, 0, 128);     // half-transparent black
  auto img = DecodeImage(Encode(rgba, ".png"), "dark.png");
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(img->at<cv::Vec3b>(1, 1), cv::Vec3b(255, 255, 255));
  // 0 * 128/255 + 255 * 127/255 = 127
  EXPECT_EQ(img->at<cv::Vec3b>(0, 1), cv::Vec3b(127, 127, 127));
}

TEST(ImageTest, LightContentOnTransparencyIsCompositedOnBlack) {
  cv::Mat rgba(2, 2, CV_8UC4, cv::Scalar(255, 255, 255, 0));
  rgba.at<cv::Vec4b>(0, 0) = cv::Vec4b(250, 250, 250, 255);
  auto img = DecodeImage(Encode(rgba, ".png"), "light.png");
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->at<cv::Vec3b>(0, 0), cv::Vec3b(250, 250, 250));
  EXPECT_EQ(img->at<cv::Vec3b>(1, 1), cv::Vec3b(0, 0, 0));
}

TEST(ImageTest, GreyWithAlphaIsComposited) {
  cv::Mat ga(1, 2, CV_8UC2);
  ga.at<cv::Vec2b>(0, 0) = cv::Vec2b(40, 255);
  ga.at<cv::Vec2b>(0, 1) = cv::Vec2b(40, 0);
  auto img = ToBgr8(ga, "ga");
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->at<cv::Vec3b>(0, 0), cv::Vec3b(40, 40, 40));
  EXPECT_EQ(img->at<cv::Vec3b>(0, 1), cv::Vec3b(255, 255, 255));
}

TEST(ImageTest, BadBytesAreRefusedNamingTheSource) {
  auto empty = DecodeImage("", "empty.bin");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.bin"), std::string::npos);
  auto garbage = DecodeImage("definitely not an image", "garbage.jpg");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("garbage.jpg"), std::string::npos);
  std::string png = Encode(cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3)), ".png");
  auto truncated = DecodeImage(std::string_view(png).substr(0, png.size() / 2), "half.png");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(
      truncated.status().message().find("half.png: not a readable image: a PNG that ends before its IEND"),
      std::string::npos)
      << truncated.status().message();
  auto pdf = DecodeImage("%PDF-1.4 ...", "doc");
  ASSERT_FALSE(pdf.ok());
  EXPECT_NE(pdf.status().message().find("PDF"), std::string::npos);
  auto missing = ReadImage("/nonexistent/x.png");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(ImageTest, ATruncatedJpegDecodesPartiallyWithAWarning) {
  cv::Mat noise(240, 320, CV_8UC3);
  cv::randu(noise, 0, 255);
  const std::string jpeg = Encode(noise, ".jpg");
  std::vector<std::string> warnings;
  ASSERT_TRUE(DecodeImage(jpeg, "whole.jpg", kDefaultMaxImagePixels, &warnings).ok());
  EXPECT_TRUE(warnings.empty());
  auto cut = DecodeImage(std::string_view(jpeg).substr(0, jpeg.size() * 6 / 10), "cut.jpg",
                         kDefaultMaxImagePixels, &warnings);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_EQ(cut->cols, 320);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "cut.jpg: a JPEG that ends before its end-of-image marker (truncated); decoded partially, the "
            "rest of the image is filler");
}

TEST(ImageTest, TruncationIsToldFromTheContainer) {
  cv::Mat m(32, 48, CV_8UC3, cv::Scalar(10, 20, 30));
  for (const char* ext : {".jpg", ".png", ".bmp", ".webp"}) {
    const std::string whole = Encode(m, ext);
    EXPECT_EQ(DescribeTruncation(whole), std::nullopt) << ext;
    auto cut = DescribeTruncation(std::string_view(whole).substr(0, whole.size() - 10));
    ASSERT_TRUE(cut.has_value()) << ext;
    EXPECT_NE(cut->find("truncated"), std::string::npos) << *cut;
  }
  EXPECT_EQ(DescribeTruncation(std::string_view("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14)), std::nullopt);
  EXPECT_TRUE(DescribeTruncation(std::string_view("GIF89a\x01\x00\x01\x00\x00\x00\x00", 13)).has_value());
  EXPECT_EQ(DescribeTruncation("not an image"), std::nullopt);
}

TEST(ImageTest, OversizedImageIsRefused) {
  std::string png = Encode(cv::Mat(100, 100, CV_8UC3, cv::Scalar(0)), ".png");
  auto img = DecodeImage(png, "big.png", /*max_pixels=*/5000);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("100x100"), std::string::npos) << img.status().message();
}

TEST(ImageTest, ExifOrientationIsHonoured) {
  const std::string path = kEval + "/rapidocr/img_exif_orientation.jpg";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " missing";
  auto img = ReadImage(path);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  // This file's EXIF orientation tag is 3 (stored upside down): the upright image is the stored pixels
  // turned by 180 degrees.
  cv::Mat raw = cv::imread(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  ASSERT_FALSE(raw.empty());
  cv::Mat turned;
  cv::rotate(raw, turned, cv::ROTATE_180);
  ASSERT_EQ(img->size(), turned.size());
  EXPECT_EQ(cv::norm(*img, turned, cv::NORM_INF), 0.0);
}

TEST(ImageTest, RealTransparentPngsDecode) {
  for (const char* f : {"black_font_color_transparent.png", "white_font_color_transparent.png"}) {
    const std::string path = kEval + "/rapidocr/" + f;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " missing";
    auto img = ReadImage(path);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->type(), CV_8UC3);
    // The text must stay visible: the picture is not one flat colour.
    cv::Scalar mean, stddev;
    cv::meanStdDev(*img, mean, stddev);
    EXPECT_GT(stddev[0], 10.0) << f;
  }
}

}  // namespace

// A PNG that declares 30000 x 30000 pixels (the rest of the file does not matter: it is never decoded).
std::string PngBomb() {
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x75\x30\0\0\x75\x30\x08\x02\0\0\0", 29);
  png.append(4096, '\0');
  return png;
}

TEST(DecodeImageTest, RefusesAnImageDeclaringTooManyPixelsBeforeDecoding) {
  auto image = DecodeImage(PngBomb(), "bomb.png", int64_t{1} << 27);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(image.status().message().find("30000x30000"), std::string::npos) << image.status().message();
  EXPECT_NE(image.status().message().find("before decoding"), std::string::npos) << image.status().message();
}

// Found by fuzz/image_header_fuzzer.cc: a BMP header declaring 0 x 0 pixels was read as a size of 0
// pixels, which passes any limit. Sizes are now positive or absent.
TEST(ReadImageSizeTest, AZeroSizeIsNoSize) {
  // "BMv", pixel data at 0x36, a 40-byte info header (0x28), width and height 0; the rest zeros.
  std::string bmp(40, '\0');
  bmp[0] = 'B';
  bmp[1] = 'M';
  bmp[2] = 'v';
  bmp[10] = '\x36';
  bmp[14] = '\x28';
  EXPECT_EQ(ReadImageSize(bmp), std::nullopt);
  std::string jpeg_dnl("\xff\xd8\xff\xc0\0\x11\x08\0\0\x01\x00\x03", 12);  // height 0: "given later"
  EXPECT_EQ(ReadImageSize(jpeg_dnl), std::nullopt);
}

// A negative BMP width made width x height negative, under every limit; an OS/2 BMP (12-byte header)
// holds 16-bit dims that were read as 32-bit ones.
TEST(ReadImageSizeTest, BmpDimsFollowTheHeaderLayoutAndSign) {
  std::string bmp(54, '\0');
  bmp[0] = 'B';
  bmp[1] = 'M';
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bmp[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  put32(14, 40);
  put32(18, 0xFFFFFFFFu);  // width -1
  put32(22, 100000);
  EXPECT_EQ(ReadImageSize(bmp), std::nullopt);
  put32(18, 300);
  put32(22, static_cast<uint32_t>(-200));  // top-down rows
  ASSERT_TRUE(ReadImageSize(bmp).has_value());
  EXPECT_EQ(ReadImageSize(bmp)->width, 300);
  EXPECT_EQ(ReadImageSize(bmp)->height, 200);
  put32(14, 12);  // OS/2: 16-bit width and height at 18 and 20
  bmp[18] = '\xff';
  bmp[19] = '\xff';
  bmp[20] = '\xff';
  bmp[21] = '\xff';
  put32(22, 0x00180001);  // planes 1, 24 bits per pixel
  ASSERT_TRUE(ReadImageSize(bmp).has_value());
  EXPECT_EQ(ReadImageSize(bmp)->width, 65535);
  EXPECT_EQ(ReadImageSize(bmp)->height, 65535);
  EXPECT_FALSE(DecodeImage(bmp, "os2.bmp", 50'000'000).ok());
}

// Two 32-bit PNG dims multiply past int64: the limit is checked without the product.
TEST(DecodeImageTest, TheLargestDeclarableSizeIsRefusedBeforeDecoding) {
  std::string png = PngBomb();
  for (size_t i = 16; i < 24; ++i) png[i] = '\xff';
  ASSERT_TRUE(ReadImageSize(png).has_value());
  EXPECT_TRUE(ExceedsPixels(*ReadImageSize(png), 50'000'000));
  auto image = DecodeImage(png, "huge.png", 50'000'000);
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("4294967295x4294967295"), std::string::npos)
      << image.status().message();
  EXPECT_FALSE(ExceedsPixels(ImageSize{7071, 7071}, 50'000'000));
  EXPECT_TRUE(ExceedsPixels(ImageSize{7072, 7071}, 50'000'000));
  EXPECT_TRUE(ExceedsPixels(ImageSize{50'000'001, 1}, 50'000'000));
  EXPECT_FALSE(ExceedsPixels(ImageSize{50'000'000, 1}, 50'000'000));
}

TEST(ReadImageSizeTest, ReadsTiffHeadersOfBothByteOrders) {
  // Little-endian: IFD at 8 with two entries, ImageWidth SHORT 640 and ImageLength LONG 70000.
  std::string le(
      "II*\0\x08\0\0\0\x02\0"
      "\x00\x01\x03\0\x01\0\0\0\x80\x02\0\0"
      "\x01\x01\x04\0\x01\0\0\0\x70\x11\x01\0",
      34);
  auto size = ReadImageSize(le);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 640);
  EXPECT_EQ(size->height, 70000);
  // Big-endian: the same entries, most significant byte first.
  std::string be(
      "MM\0*\0\0\0\x08\0\x02"
      "\x01\x00\0\x03\0\0\0\x01\x02\x80\0\0"
      "\x01\x01\0\x04\0\0\0\x01\0\x01\x11\x70",
      34);
  size = ReadImageSize(be);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 640);
  EXPECT_EQ(size->height, 70000);
  // An IFD that points past the end, or one without both sizes, says nothing.
  EXPECT_FALSE(ReadImageSize(std::string("II*\0\xff\0\0\0", 8)).has_value());
  EXPECT_FALSE(ReadImageSize(le.substr(0, 22)).has_value());
}

TEST(ReadImageSizeTest, AgreesWithTheDecoderOnRealTiffPages) {
  const std::string path = PLATEAU_SOURCE_DIR "/../shared/eval/pages/phototest.tif";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << path << " missing";
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto size = ReadImageSize(bytes);
  ASSERT_TRUE(size.has_value());
  auto image = DecodeImage(bytes, path);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(size->width, image->cols);
  EXPECT_EQ(size->height, image->rows);
}

}  // namespace plateau::io
