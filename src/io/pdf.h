// PDF pages as images, rendered with poppler. Pages are rendered one at a time on request, so a
// 500-page document costs the memory of one page.
//
//   PLATEAU_ASSIGN_OR_RETURN(auto pdf, plateau::io::PdfDocument::Open(bytes, "scan.pdf"));
//   for (int i = 0; i < pdf->num_pages(); ++i) {
//     PLATEAU_ASSIGN_OR_RETURN(cv::Mat page, pdf->RenderPage(i));  // 8-bit BGR
//   }
//
// poppler's own messages (syntax errors in a damaged file, missing fonts) never reach stderr: those of a
// failed operation end its error, those of one that succeeded are handed back as warnings. For this,
// poppler-cpp's process-wide message function is replaced at the first Open with one that routes each
// message to the plateau call running on the same thread; messages of poppler work done outside plateau
// go to stderr, as poppler-cpp's default does.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "plateau/status.h"

namespace plateau::io {

// Rendering resolution: 144 DPI (twice PDF's 72 points per inch), which gives text lines the height
// the detection model is trained on for ordinary document fonts.
inline constexpr double kDefaultPdfDpi = 144.0;

class PdfDocument {
 public:
  // Keeps its own copy of `bytes`. Fails on anything poppler cannot open (not a PDF, corrupt, locked).
  // What poppler reported while opening a file it could read (a repaired cross-reference table, say) is
  // kept in open_warnings().
  static StatusOr<std::unique_ptr<PdfDocument>> Open(std::string bytes, const std::string& label);
  static StatusOr<std::unique_ptr<PdfDocument>> OpenFile(const std::string& path);
  ~PdfDocument();

  int num_pages() const;
  // Page `index` (0-based) as 8-bit BGR. Pages whose rendering would exceed `max_pixels` are refused
  // from the page's size, before rendering. When `warnings` is given, poppler's messages about a page
  // that did render are appended to it ("<label>: page N: poppler: ...").
  StatusOr<cv::Mat> RenderPage(int index, double dpi = kDefaultPdfDpi, int64_t max_pixels = 256ll << 20,
                               std::vector<std::string>* warnings = nullptr) const;
  const std::string& label() const { return label_; }
  // poppler's messages while opening the document, each prefixed with the label.
  const std::vector<std::string>& open_warnings() const { return open_warnings_; }

 private:
  PdfDocument() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string label_;
  std::vector<std::string> open_warnings_;
};

}  // namespace plateau::io
