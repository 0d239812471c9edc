#include "server/ocr_request.h"

#include <gtest/gtest.h>

#include <string>

#include "io/image_header.h"
#include "server/base64.h"

namespace plateau::server {
namespace {

TEST(Base64Test, DecodesRfc4648Vectors) {
  // RFC 4648 section 10.
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"Zg==", "f"},
                                                         {"Zm8=", "fo"},
                                                         {"Zm9v", "foo"},
                                                         {"Zm9vYg==", "foob"},
                                                         {"Zm9vYmE=", "fooba"},
                                                         {"Zm9vYmFy", "foobar"}};
  for (const auto& [encoded, plain] : vectors) {
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, plain);
    EXPECT_EQ(Base64Encode(plain), encoded);
  }
}

TEST(Base64Test, SkipsLineBreaksAndRoundTripsBinary) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  std::string text = Base64Encode(bytes);
  text.insert(76, "\r\n");
  auto decoded = Base64Decode(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, bytes);
}

TEST(Base64Test, RefusesWhatIsNotBase64NamingTheOffset) {
  auto bad_char = Base64Decode("Zm9v*mFy");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_NE(bad_char.status().message().find("offset 4"), std::string::npos) << bad_char.status().message();
  EXPECT_FALSE(Base64Decode("Zm9vY").ok());     // not a multiple of 4
  EXPECT_FALSE(Base64Decode("Zg==Zm9v").ok());  // data after padding
  EXPECT_FALSE(Base64Decode("Z===").ok());      // too much padding
  EXPECT_FALSE(Base64Decode("Zm9v\x80mFy").ok());
}

TEST(ImageHeaderTest, ReadsDeclaredSizesWithoutDecoding) {
  // PNG: signature, IHDR length and type, then width and height big-endian.
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\0\x03\xe8", 24);
  auto size = io::ReadImageSize(png);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 100000);
  EXPECT_EQ(size->height, 1000);

  // JPEG: SOI, an APP0 segment of 4 bytes, then SOF0 with height 0x0300 and width 0x0400.
  std::string jpeg("\xff\xd8\xff\xe0\0\x04\0\0\xff\xc0\0\x11\x08\x03\x00\x04\x00\x03", 18);
  size = io::ReadImageSize(jpeg);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 1024);
  EXPECT_EQ(size->height, 768);

  std::string gif("GIF89a\x10\x00\x20\x00", 10);
  size = io::ReadImageSize(gif);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 16);
  EXPECT_EQ(size->height, 32);

  EXPECT_FALSE(io::ReadImageSize("not an image").has_value());
  EXPECT_FALSE(io::ReadImageSize(std::string("\xff\xd8\xff", 3)).has_value());
}

std::string Body(const std::string& fields) {
  return "{\"file\": \"" + Base64Encode("bytes") + "\"" + fields + "}";
}

// Found by fuzz/ocr_request_fuzzer.cc: a number too large for a double is not a parse_error but an
// out_of_range exception of the same parse, which escaped the parser.
TEST(OcrRequestTest, ANumberBeyondDoubleIsABadBodyNotAnException) {
  const std::string body(
      "{\"file\":1e3090\"\\u\x9c\xcc"
      "3d\\ude00\"}",
      29);
  auto req = ParseOcrRequest(body);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(req.status().message(), "the body is not valid JSON: number overflow parsing '1e3090'");
  auto field = ParseOcrRequest(Body(R"(, "textDetThresh": -1e400)"));
  ASSERT_FALSE(field.ok());
  EXPECT_NE(field.status().message().find("number overflow"), std::string::npos) << field.status().message();
}

TEST(OcrRequestTest, ParsesEveryPaddleXField) {
  auto req = ParseOcrRequest(Body(R"(, "fileType": 1, "useDocOrientationClassify": false,
      "useDocUnwarping": null, "useTextlineOrientation": false, "textDetLimitSideLen": 736,
      "textDetLimitType": "max", "textDetThresh": 0.25, "textDetBoxThresh": 0.5, "textDetUnclipRatio": 2,
      "textRecScoreThresh": 0.4, "visualize": true, "someFutureField": [1, 2])"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->file, "bytes");
  EXPECT_EQ(req->file_type, 1);
  EXPECT_EQ(req->overrides.use_doc_orientation_classify, false);
  EXPECT_EQ(req->overrides.use_textline_orientation, false);
  EXPECT_EQ(req->overrides.text_det_limit_side_len, 736);
  EXPECT_EQ(req->overrides.text_det_limit_type, "max");
  EXPECT_DOUBLE_EQ(*req->overrides.text_det_thresh, 0.25);
  EXPECT_DOUBLE_EQ(*req->overrides.text_det_box_thresh, 0.5);
  EXPECT_DOUBLE_EQ(*req->overrides.text_det_unclip_ratio, 2.0);
  EXPECT_DOUBLE_EQ(*req->overrides.text_rec_score_thresh, 0.4);
  EXPECT_EQ(req->visualize, std::optional<bool>(true));
}

TEST(OcrRequestTest, ParsesPlateausLineTextFields) {
  auto req = ParseOcrRequest(Body(R"(, "textRecSpaceGaps": false, "textRecFoldFullwidth": true)"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->overrides.text_rec_space_gaps, std::optional<bool>(false));
  EXPECT_EQ(req->overrides.text_rec_fold_fullwidth, std::optional<bool>(true));
  auto wrong = ParseOcrRequest(Body(R"(, "textRecSpaceGaps": "no")"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("textRecSpaceGaps"), std::string::npos) << wrong.status().message();
}

TEST(OcrRequestTest, NullMeansTheServersDefault) {
  auto req = ParseOcrRequest(Body(R"(, "fileType": null, "textDetThresh": null, "visualize": null)"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_FALSE(req->file_type.has_value());
  EXPECT_FALSE(req->overrides.text_det_thresh.has_value());
  EXPECT_FALSE(req->visualize.has_value());
}

TEST(OcrRequestTest, RefusesBadBodiesNamingWhatIsWrong) {
  const std::pair<std::string, std::string> cases[] = {
      {"{\"file\": ", "not valid JSON"},
      {"[1, 2]", "must be a JSON object"},
      {"{}", "file: missing"},
      {"{\"file\": 12}", "file: expected a string"},
      {"{\"file\": \"\"}", "file: empty"},
      {"{\"file\": \"https://example.com/a.png\"}", "URLs are not fetched"},
      {"{\"file\": \"abc$\"}", "file: Base64"},
      {"{\"file\": \"====\"}", "file: Base64"},
      {Body(", \"fileType\": 2"), "fileType: expected 0 (PDF), 1 (image)"},
      {Body(", \"fileType\": \"pdf\""), "fileType"},
      {Body(", \"textDetThresh\": \"high\""), "textDetThresh: expected a number, got a string"},
      {Body(", \"textDetLimitSideLen\": 9.5"), "textDetLimitSideLen: expected an integer"},
      {Body(", \"textDetLimitSideLen\": 99999999999"), "does not fit"},
      {Body(", \"useTextlineOrientation\": \"yes\""), "useTextlineOrientation: expected a boolean"},
      {Body(", \"useDocUnwarping\": true"), "useDocUnwarping"},
      {Body(", \"textDetLimitType\": 3"), "textDetLimitType: expected a string"},
  };
  for (const auto& [body, expected] : cases) {
    auto req = ParseOcrRequest(body);
    ASSERT_FALSE(req.ok()) << body;
    EXPECT_EQ(req.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_NE(req.status().message().find(expected), std::string::npos)
        << body << " -> " << req.status().message() << " (expected to mention '" << expected << "')";
  }
}

TEST(OcrRequestTest, TellsUrlsFromBase64) {
  EXPECT_TRUE(LooksLikeUrl("http://x/y.png"));
  EXPECT_TRUE(LooksLikeUrl("HTTPS://x"));
  EXPECT_TRUE(LooksLikeUrl("file:///etc/passwd"));
  EXPECT_FALSE(LooksLikeUrl(Base64Encode("http://looks like a url once decoded")));
  EXPECT_FALSE(LooksLikeUrl("://x"));
}

}  // namespace
}  // namespace plateau::server
