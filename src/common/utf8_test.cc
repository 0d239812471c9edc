#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace plateau {
namespace {

TEST(Utf8DecodeTest, DecodesEveryLengthAndEncodesItBack) {
  const std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a, U+00E9, U+4E2D, U+1F600
  bool well_formed = false;
  const std::u32string cps = DecodeUtf8(text, &well_formed);
  EXPECT_TRUE(well_formed);
  EXPECT_EQ(cps, (std::u32string{U'a', 0xE9, 0x4E2D, 0x1F600}));
  std::string back;
  for (char32_t cp : cps) AppendUtf8(cp, &back);
  EXPECT_EQ(back, text);
}

TEST(Utf8DecodeTest, MalformedBytesBecomeReplacementCharactersAndDecodingGoesOn) {
  struct Case {
    std::string bytes;
    std::u32string expected;
  };
  const Case cases[] = {
      {"\xFF"
       "a",
       {0xFFFD, U'a'}},                       // no sequence starts with 0xFF
      {"a\xE4\xB8", {U'a', 0xFFFD, 0xFFFD}},  // cut short
      {"\xC0\xAF"
       "b",
       {0xFFFD, 0xFFFD, U'b'}},                                // overlong '/'
      {"\xED\xA0\x80", {0xFFFD, 0xFFFD, 0xFFFD}},              // a surrogate
      {"\xF4\x90\x80\x80", {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}},  // above U+10FFFF
      {"\xC3"
       "a",
       {0xFFFD, U'a'}},  // continuation missing
  };
  for (const Case& c : cases) {
    bool well_formed = true;
    EXPECT_EQ(DecodeUtf8(c.bytes, &well_formed), c.expected) << testing::PrintToString(c.bytes);
    EXPECT_FALSE(well_formed) << testing::PrintToString(c.bytes);
  }
}

TEST(Utf8DecodeTest, EmptyTextIsWellFormed) {
  bool well_formed = false;
  EXPECT_TRUE(DecodeUtf8("", &well_formed).empty());
  EXPECT_TRUE(well_formed);
}

}  // namespace
}  // namespace plateau
