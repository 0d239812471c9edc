#include "io/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace plateau::io {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("plateau_npy_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A version 1.0 file for int32 [1, -2, 258] written byte by byte. The header is not padded to 64 bytes
// (older NumPy used 16) and has no spaces, to show the reader accepts any valid layout.
std::string HandWrittenInt32File() {
  const std::string dict = "{'descr':'<i4','fortran_order':False,'shape':(3,)}\n";  // 51 bytes
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(51);
  bytes += '\x00';
  bytes += dict;
  const unsigned char data[] = {0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00, 0x00};
  bytes.append(reinterpret_cast<const char*>(data), sizeof(data));
  return bytes;
}

TEST(NpyTest, ReadsHandWrittenFile) {
  const std::string bytes = HandWrittenInt32File();
  ASSERT_EQ(bytes.size(), 10u + 51u + 12u);
  const std::string path = TempPath("hand.npy");
  WriteBytes(path, bytes);
  auto t = ReadNpy(path);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->dtype(), DType::kInt32);
  EXPECT_EQ(t->shape(), Shape({3}));
  EXPECT_EQ(t->as<int32_t>()[0], 1);
  EXPECT_EQ(t->as<int32_t>()[1], -2);
  EXPECT_EQ(t->as<int32_t>()[2], 258);
  std::remove(path.c_str());
}

TEST(NpyTest, WritesNumpyCompatibleHeader) {
  float data[6] = {0, 1, 2, 3, 4, 5};
  const TensorView view{DType::kFloat32, Shape({2, 3}), data};
  const std::string bytes = EncodeNpy(view);
  // 10 bytes of prefix + 59 bytes of dict + padding + '\n' rounded up to 128, so the header is 118 bytes.
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], '\x01');
  EXPECT_EQ(bytes[7], '\x00');
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 118);
  EXPECT_EQ(bytes[9], '\x00');
  EXPECT_EQ(bytes.substr(10, 59), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(bytes.substr(69, 58), std::string(58, ' '));
  EXPECT_EQ(bytes[127], '\n');
  float second;
  std::memcpy(&second, bytes.data() + 128 + 4, 4);
  EXPECT_EQ(second, 1.0f);
}

TEST(NpyTest, OneDimensionalShapeHasTrailingComma) {
  int64_t data[2] = {7, -7};
  const std::string bytes = EncodeNpy(TensorView{DType::kInt64, Shape({2}), data});
  EXPECT_NE(bytes.find("'descr': '<i8'"), std::string::npos);
  EXPECT_NE(bytes.find("'shape': (2,)"), std::string::npos);
}

TEST(NpyTest, RoundTripsEveryType) {
  const std::string path = TempPath("round.npy");
  {
    float data[24];
    for (int i = 0; i < 24; ++i) data[i] = 0.5f * static_cast<float>(i) - 3.25f;
    ASSERT_TRUE(WriteNpy(path, TensorView{DType::kFloat32, Shape({1, 2, 3, 4}), data}).ok());
    auto t = ReadNpy(path);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->shape(), Shape({1, 2, 3, 4}));
    EXPECT_EQ(std::memcmp(t->data(), data, sizeof(data)), 0);
  }
  {
    int64_t data[3] = {INT64_MIN, 0, INT64_MAX};
    ASSERT_TRUE(WriteNpy(path, TensorView{DType::kInt64, Shape({3, 1}), data}).ok());
    auto t = ReadNpy(path);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->dtype(), DType::kInt64);
    EXPECT_EQ(t->shape(), Shape({3, 1}));
    EXPECT_EQ(t->as<int64_t>()[0], INT64_MIN);
    EXPECT_EQ(t->as<int64_t>()[2], INT64_MAX);
  }
  {
    int32_t data[1] = {-123456};
    ASSERT_TRUE(WriteNpy(path, TensorView{DType::kInt32, Shape(), data}).ok());
    auto t = ReadNpy(path);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->shape().rank(), 0);
    EXPECT_EQ(t->as<int32_t>()[0], -123456);
  }
  {
    uint8_t data[4] = {0, 1, 254, 255};
    ASSERT_TRUE(WriteNpy(path, TensorView{DType::kUInt8, Shape({2, 2}), data}).ok());
    auto t = ReadNpy(path);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->dtype(), DType::kUInt8);
    EXPECT_EQ(t->as<uint8_t>()[3], 255);
  }
  {
    // Zero-sized dims are legal in NumPy.
    ASSERT_TRUE(WriteNpy(path, TensorView{DType::kFloat32, Shape({0, 5}), nullptr}).ok());
    auto t = ReadNpy(path);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->shape(), Shape({0, 5}));
  }
  std::remove(path.c_str());
}

TEST(NpyTest, ReadsVersion2Header) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
  std::string bytes = "\x93NUMPY";
  bytes += '\x02';
  bytes += '\x00';
  const uint32_t len = static_cast<uint32_t>(dict.size());
  for (int i = 0; i < 4; ++i) bytes += static_cast<char>((len >> (8 * i)) & 0xff);
  bytes += dict;
  const float value = 2.5f;
  bytes.append(reinterpret_cast<const char*>(&value), 4);
  auto t = ParseNpy(bytes, "v2.npy");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->as<float>()[0], 2.5f);
}

TEST(NpyTest, RefusesFortranOrder) {
  std::string bytes = HandWrittenInt32File();
  const size_t at = bytes.find("False");
  bytes.replace(at, 5, "True ");  // keeps the header length
  auto t = ParseNpy(bytes, "fortran.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("fortran.npy"), std::string::npos);
  EXPECT_NE(t.status().message().find("Fortran"), std::string::npos);
}

TEST(NpyTest, RefusesBadMagic) {
  std::string bytes = HandWrittenInt32File();
  bytes[1] = 'M';
  auto t = ParseNpy(bytes, "magic.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("magic.npy"), std::string::npos);
  EXPECT_NE(t.status().message().find("magic"), std::string::npos);
}

TEST(NpyTest, RefusesTruncatedData) {
  const std::string bytes = HandWrittenInt32File();
  const std::string path = TempPath("truncated.npy");
  WriteBytes(path, bytes.substr(0, bytes.size() - 1));
  auto t = ReadNpy(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(t.status().message().find(path), std::string::npos);
  EXPECT_NE(t.status().message().find("truncated"), std::string::npos);
  std::remove(path.c_str());
}

TEST(NpyTest, RefusesTruncatedHeader) {
  const std::string bytes = HandWrittenInt32File();
  auto t = ParseNpy(bytes.substr(0, 30), "short.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
}

TEST(NpyTest, RefusesTrailingBytes) {
  auto t = ParseNpy(HandWrittenInt32File() + "x", "long.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("long.npy"), std::string::npos);
}

TEST(NpyTest, RefusesUnsupportedTypes) {
  for (const char* descr : {">f4", "<f8", "<f2", "|b1"}) {
    std::string bytes = HandWrittenInt32File();
    bytes.replace(bytes.find("<i4"), 3, descr);
    auto t = ParseNpy(bytes, "type.npy");
    ASSERT_FALSE(t.ok()) << descr;
    EXPECT_NE(t.status().message().find(descr), std::string::npos) << t.status().message();
  }
}

TEST(NpyTest, RefusesMalformedHeader) {
  std::string bytes = HandWrittenInt32File();
  bytes.replace(bytes.find("(3,)"), 4, "(x,)");
  auto t = ParseNpy(bytes, "bad.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("bad.npy"), std::string::npos);
}

TEST(NpyTest, MissingFileIsNotFound) {
  auto t = ReadNpy("/nonexistent/plateau/x.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("/nonexistent/plateau/x.npy"), std::string::npos);
}

}  // namespace
}  // namespace plateau::io
