// PDF pages as images, rendered with poppler. Pages are rendered one at a time on request, so a
// 500-page document costs the memory of one page.
//
//   PLATEAU_ASSIGN_OR_RETURN(auto pdf, plateau::io::PdfDocument::Open(bytes, "scan.pdf"));
//   for (int i = 0; i < pdf->num_pages(); ++i) {
//     PLATEAU_ASSIGN_OR_RETURN(cv::Mat page, pdf->RenderPage(i));  // 8-bit BGR
//   }
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <string>

#include "plateau/status.h"

namespace plateau::io {

// Rendering resolution: 144 DPI (twice PDF's 72 points per inch), which gives text lines the height
// the detection model is trained on for ordinary document fonts.
inline constexpr double kDefaultPdfDpi = 144.0;

class PdfDocument {
 public:
  // Keeps its own copy of `bytes`. Fails on anything poppler cannot open (not a PDF, corrupt, locked).
  static StatusOr<std::unique_ptr<PdfDocument>> Open(std::string bytes, const std::string& label);
  static StatusOr<std::unique_ptr<PdfDocument>> OpenFile(const std::string& path);
  ~PdfDocument();

  int num_pages() const;
  // Page `index` (0-based) as 8-bit BGR. Pages whose rendering would exceed `max_pixels` are refused.
  StatusOr<cv::Mat> RenderPage(int index, double dpi = kDefaultPdfDpi,
                               int64_t max_pixels = 256ll << 20) const;
  const std::string& label() const { return label_; }

 private:
  PdfDocument() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string label_;
};

}  // namespace plateau::io
