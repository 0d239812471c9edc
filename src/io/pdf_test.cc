#include "io/pdf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace plateau::io {
namespace {

// Builds a small PDF by hand: `pages` letter-size pages, each with a black filled rectangle whose
// position depends on the page number (so rendering of the right page can be checked).
std::string MakePdf(int pages, const std::string& media_box = "0 0 612 792") {
  std::vector<std::string> objects;
  std::string kids;
  for (int i = 0; i < pages; ++i) kids += std::to_string(3 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
  for (int i = 0; i < pages; ++i) {
    int content = 4 + 2 * i;
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [" + media_box + "] /Contents " +
                      std::to_string(content) + " 0 R >>");
    // A 100x100 pt black square, 100 pt from the left, at a height that depends on the page.
    std::string stream =
        "0 0 0 rg " + std::to_string(100) + " " + std::to_string(600 - 100 * i) + " 100 100 re f";
    objects.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream +
                      "\nendstream");
  }
  std::string out = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof(line), "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

TEST(PdfTest, RendersEachPageAtTheRequestedResolution) {
  auto pdf = PdfDocument::Open(MakePdf(3), "three.pdf");
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  ASSERT_EQ((*pdf)->num_pages(), 3);
  for (int i = 0; i < 3; ++i) {
    auto page = (*pdf)->RenderPage(i, 72.0);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->cols, 612);
    EXPECT_EQ(page->rows, 792);
    EXPECT_EQ(page->type(), CV_8UC3);
    // PDF y grows upwards: the square spans y = 600-100i .. 700-100i from the bottom, i.e. rows
    // 92+100i .. 192+100i from the top, columns 100..200.
    int row = 142 + 100 * i;
    EXPECT_EQ(page->at<cv::Vec3b>(row, 150), cv::Vec3b(0, 0, 0)) << "page " << i;
    EXPECT_EQ(page->at<cv::Vec3b>(row, 400), cv::Vec3b(255, 255, 255)) << "page " << i;
    EXPECT_EQ(page->at<cv::Vec3b>(row + 100, 150), cv::Vec3b(255, 255, 255)) << "page " << i;
  }
  auto hi = (*pdf)->RenderPage(0, 144.0);
  ASSERT_TRUE(hi.ok());
  EXPECT_EQ(hi->cols, 1224);
}

TEST(PdfTest, BadDocumentsAndPagesAreRefused) {
  EXPECT_FALSE(PdfDocument::Open("hello", "x.pdf").ok());
  auto corrupt = PdfDocument::Open("%PDF-1.4\ngarbage garbage", "corrupt.pdf");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.status().message().find("corrupt.pdf"), std::string::npos);
  auto pdf = PdfDocument::Open(MakePdf(1), "one.pdf");
  ASSERT_TRUE(pdf.ok());
  EXPECT_EQ((*pdf)->RenderPage(1).status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE((*pdf)->RenderPage(0, 72.0, /*max_pixels=*/1000).ok());
  EXPECT_EQ(PdfDocument::OpenFile("/nonexistent.pdf").status().code(), StatusCode::kNotFound);
}

TEST(PdfTest, PopplerMessagesOfAnUnreadableFileEndTheErrorInsteadOfStderr) {
  testing::internal::CaptureStderr();
  auto corrupt = PdfDocument::Open("%PDF-1.4\ngarbage garbage", "corrupt.pdf");
  const std::string printed = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(printed, "");
  EXPECT_NE(corrupt.status().message().find("corrupt.pdf: corrupt or unreadable PDF; poppler said: "),
            std::string::npos)
      << corrupt.status().message();
}

TEST(PdfTest, PopplerMessagesOfACutFileNameWhatIsMissing) {
  const std::string whole = MakePdf(2);
  testing::internal::CaptureStderr();
  auto cut = PdfDocument::Open(whole.substr(0, whole.find("xref\n")), "cut.pdf");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("poppler said: error: Couldn't find trailer dictionary"),
            std::string::npos)
      << cut.status().message();
}

TEST(PdfTest, PopplerMessagesOfAPageThatStillRendersAreWarnings) {
  // The first page's content stream declares 5 bytes but holds more: poppler reads on, complains, and
  // draws the page.
  std::string bytes = MakePdf(2);
  // Same width, so that the cross-reference offsets stay right.
  const size_t at = bytes.find("/Length ") + 8;
  const size_t digits = bytes.find(' ', at) - at;
  bytes.replace(at, digits, "5" + std::string(digits - 1, ' '));
  testing::internal::CaptureStderr();
  auto pdf = PdfDocument::Open(bytes, "damaged.pdf");
  std::vector<std::string> warnings, none;
  StatusOr<cv::Mat> page(Status::Internal("not rendered"));
  StatusOr<cv::Mat> intact(Status::Internal("not rendered"));
  if (pdf.ok()) {
    page = (*pdf)->RenderPage(0, 72.0, 256ll << 20, &warnings);
    intact = (*pdf)->RenderPage(1, 72.0, 256ll << 20, &none);
  }
  const std::string printed = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_TRUE(intact.ok()) << intact.status().ToString();
  EXPECT_EQ(printed, "");
  ASSERT_FALSE(warnings.empty());
  EXPECT_EQ(warnings[0].rfind("damaged.pdf: page 0: poppler error", 0), 0u) << warnings[0];
  EXPECT_NE(warnings[0].find("endstream"), std::string::npos) << warnings[0];
  EXPECT_TRUE(none.empty()) << none[0];
  EXPECT_EQ(page->cols, 612);
}

TEST(PdfTest, APageThatWouldRenderTooLargeIsRefusedFromItsSizeBeforeRendering) {
  // 14400 x 14400 points: 28800 x 28800 pixels at 144 DPI, 3.3 GB as BGRA if it were rendered.
  auto pdf = PdfDocument::Open(MakePdf(1, "0 0 14400 14400"), "poster.pdf");
  ASSERT_TRUE(pdf.ok());
  auto page = (*pdf)->RenderPage(0, 144.0, /*max_pixels=*/50'000'000);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().message(),
            "poster.pdf: page 0 would render at 28800x28800 pixels (14400x14400 points at 144 DPI); expected "
            "at least 1x1 and at most 50000000 pixels; refused before rendering");
  // An absurd box from the file gives the same clear refusal, not an overflow.
  auto absurd = PdfDocument::Open(MakePdf(1, "0 0 100000000000000000000 5"), "absurd.pdf");
  ASSERT_TRUE(absurd.ok());
  EXPECT_FALSE((*absurd)->RenderPage(0).ok());
}

}  // namespace
}  // namespace plateau::io
