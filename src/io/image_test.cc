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
  EXPECT_FALSE(truncated.ok());
  auto pdf = DecodeImage("%PDF-1.4 ...", "doc");
  ASSERT_FALSE(pdf.ok());
  EXPECT_NE(pdf.status().message().find("PDF"), std::string::npos);
  auto missing = ReadImage("/nonexistent/x.png");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
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
