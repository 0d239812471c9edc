#include "ocr/rec/ctc_decoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace plateau::ocr {
namespace {

// Builds a steps x classes matrix where each step's winner gets `p` and the rest share what is left.
struct Step {
  int winner;
  float p;
};
std::vector<float> Matrix(const std::vector<Step>& steps, int classes) {
  std::vector<float> m;
  for (const Step& s : steps) {
    const float rest = (1.0f - s.p) / static_cast<float>(classes - 1);
    for (int c = 0; c < classes; ++c) m.push_back(c == s.winner ? s.p : rest);
  }
  return m;
}

CtcDecoder Abc() {
  auto decoder = CtcDecoder::FromLabels({"a", "b", "c"});
  EXPECT_TRUE(decoder.ok()) << decoder.status().ToString();
  return std::move(decoder).value();
}

TEST(CtcDecoderTest, ClassesAreBlankThenLabelsThenSpace) {
  const CtcDecoder d = Abc();
  ASSERT_EQ(d.num_classes(), 5);
  EXPECT_EQ(d.label(0), "");
  EXPECT_EQ(d.label(1), "a");
  EXPECT_EQ(d.label(3), "c");
  EXPECT_EQ(d.label(4), " ");
}

TEST(CtcDecoderTest, MergesRepeatsDropsBlanksAndAveragesFirstStepOfEachRun) {
  const CtcDecoder d = Abc();
  // a a _ a b space: the run "a a" emits one "a" (probability of its first step, 0.6), the blank splits
  // the next "a" off, then b and the space class.
  const std::vector<float> m = Matrix({{1, 0.6f}, {1, 0.9f}, {0, 0.95f}, {1, 0.8f}, {2, 0.7f}, {4, 0.5f}}, 5);
  const DecodedText out = d.Decode(m, 6);
  EXPECT_EQ(out.text, "aab ");
  EXPECT_NEAR(out.score, (0.6 + 0.8 + 0.7 + 0.5) / 4.0, 1e-6);
  // Each emitted label with its bytes and its run of steps.
  ASSERT_EQ(out.labels.size(), 4u);
  const int64_t expected[4][3] = {{0, 0, 1}, {1, 3, 3}, {2, 4, 4}, {3, 5, 5}};
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(out.labels[k].text_begin, static_cast<size_t>(expected[k][0])) << k;
    EXPECT_EQ(out.labels[k].first_step, expected[k][1]) << k;
    EXPECT_EQ(out.labels[k].last_step, expected[k][2]) << k;
  }
}

TEST(CtcDecoderTest, RepeatsWithoutBlankAreOneCharacter) {
  const CtcDecoder d = Abc();
  const std::vector<float> m = Matrix({{3, 0.5f}, {3, 0.6f}, {3, 0.7f}, {2, 0.9f}, {2, 0.4f}}, 5);
  const DecodedText out = d.Decode(m, 5);
  EXPECT_EQ(out.text, "cb");
  EXPECT_NEAR(out.score, (0.5 + 0.9) / 2.0, 1e-6);
}

TEST(CtcDecoderTest, AllBlankGivesEmptyTextAndZeroScore) {
  const CtcDecoder d = Abc();
  const std::vector<float> m = Matrix({{0, 0.99f}, {0, 0.98f}, {0, 0.97f}}, 5);
  const DecodedText out = d.Decode(m, 3);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(out.score, 0.0f);
}

TEST(CtcDecoderTest, ZeroStepsGivesEmptyText) {
  const CtcDecoder d = Abc();
  const DecodedText out = d.Decode({}, 0);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(out.score, 0.0f);
}

TEST(CtcDecoderTest, TieGoesToTheFirstClass) {
  const CtcDecoder d = Abc();
  // b and c both 0.4: numpy's argmax takes b.
  const std::vector<float> m = {0.1f, 0.1f, 0.4f, 0.4f, 0.0f};
  const DecodedText out = d.Decode(m, 1);
  EXPECT_EQ(out.text, "b");
  EXPECT_FLOAT_EQ(out.score, 0.4f);
}

TEST(CtcDecoderTest, MultiByteLabelsConcatenate) {
  auto d = CtcDecoder::FromLabels({"\xE4\xB8\xAD", "\xE6\x96\x87", "x"});  // 中, 文, x
  ASSERT_TRUE(d.ok());
  const std::vector<float> m = Matrix({{1, 0.9f}, {0, 0.9f}, {2, 0.9f}, {4, 0.9f}, {3, 0.9f}}, 5);
  EXPECT_EQ(d->Decode(m, 5).text, "\xE4\xB8\xAD\xE6\x96\x87 x");
}

class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    path_ = ::testing::TempDir() + "ctc_dict_" + std::to_string(++counter_) + ".txt";
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(CtcDecoderTest, FileLinesWithCrlfAndFinalNewline) {
  TempFile file("a\r\nb b\r\n\xC3\xA9\n");
  auto d = CtcDecoder::FromFile(file.path());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->num_classes(), 5);
  EXPECT_EQ(d->label(1), "a");
  EXPECT_EQ(d->label(2), "b b");
  EXPECT_EQ(d->label(3), "\xC3\xA9");
  EXPECT_EQ(d->label(4), " ");
}

TEST(CtcDecoderTest, FileWithoutFinalNewlineKeepsLastLine) {
  TempFile file("x\ny");
  auto d = CtcDecoder::FromFile(file.path());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->num_classes(), 4);
  EXPECT_EQ(d->label(2), "y");
}

TEST(CtcDecoderTest, RefusesEmptyLineNamingIt) {
  TempFile file("a\n\nb\n");
  auto d = CtcDecoder::FromFile(file.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("line 2"), std::string::npos) << d.status().message();
}

TEST(CtcDecoderTest, RefusesInvalidUtf8NamingTheLine) {
  TempFile file("a\nb\n\xC3\x28\n");
  auto d = CtcDecoder::FromFile(file.path());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("line 3"), std::string::npos) << d.status().message();
  EXPECT_NE(d.status().message().find("UTF-8"), std::string::npos);
}

TEST(CtcDecoderTest, RefusesEmptyAndMissingFiles) {
  TempFile empty("");
  EXPECT_EQ(CtcDecoder::FromFile(empty.path()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CtcDecoder::FromFile("/nonexistent/dict.txt").status().code(), StatusCode::kNotFound);
}

TEST(Utf8Test, AcceptsWellFormedAndRefusesMalformed) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xE4\xB8\xAD"));       // U+4E2D
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));   // U+1F600
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(CtcDecoderTest, PaddleDictionaryGivesTheModelsClassCount) {
  const std::string path = PLATEAU_SOURCE_DIR "/models/ppocr_keys_v1.txt";
  if (!std::ifstream(path)) GTEST_SKIP() << path << " missing; run `make models`";
  auto d = CtcDecoder::FromFile(path);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  // 6623 dictionary lines + blank + space = the rec model's 6625 outputs.
  EXPECT_EQ(d->num_classes(), 6625);
  EXPECT_EQ(d->label(1), "'");
  EXPECT_EQ(d->label(6624), " ");
}

}  // namespace
}  // namespace plateau::ocr
