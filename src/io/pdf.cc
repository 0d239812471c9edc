#include "io/pdf.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <fstream>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

namespace plateau::io {

struct PdfDocument::Impl {
  // poppler keeps pointers into this buffer for the document's lifetime.
  std::vector<char> bytes;
  std::unique_ptr<poppler::document> doc;
};

PdfDocument::~PdfDocument() = default;

StatusOr<std::unique_ptr<PdfDocument>> PdfDocument::Open(std::string bytes, const std::string& label) {
  if (bytes.substr(0, 5) != "%PDF-") {
    return Status::InvalidArgument(label + ": not a PDF (it does not start with %PDF-)");
  }
  std::unique_ptr<PdfDocument> pdf(new PdfDocument());
  pdf->label_ = label;
  pdf->impl_ = std::make_unique<Impl>();
  pdf->impl_->bytes.assign(bytes.begin(), bytes.end());
  pdf->impl_->doc.reset(poppler::document::load_from_raw_data(pdf->impl_->bytes.data(),
                                                              static_cast<int>(pdf->impl_->bytes.size())));
  if (!pdf->impl_->doc) return Status::InvalidArgument(label + ": corrupt or unreadable PDF");
  if (pdf->impl_->doc->is_locked()) {
    return Status::InvalidArgument(label + ": PDF is encrypted (password protected)");
  }
  if (pdf->impl_->doc->pages() <= 0) return Status::InvalidArgument(label + ": PDF has no pages");
  return pdf;
}

StatusOr<std::unique_ptr<PdfDocument>> PdfDocument::OpenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return Open(ss.str(), path);
}

int PdfDocument::num_pages() const { return impl_->doc->pages(); }

StatusOr<cv::Mat> PdfDocument::RenderPage(int index, double dpi, int64_t max_pixels) const {
  if (index < 0 || index >= num_pages()) {
    return Status::OutOfRange(label_ + ": page " + std::to_string(index) + " does not exist (" +
                              std::to_string(num_pages()) + " pages)");
  }
  std::unique_ptr<poppler::page> page(impl_->doc->create_page(index));
  if (!page) return Status::InvalidArgument(label_ + ": page " + std::to_string(index) + " is unreadable");
  poppler::rectf box = page->page_rect(poppler::media_box);
  double w = box.width() * dpi / 72.0, h = box.height() * dpi / 72.0;
  if (w * h > static_cast<double>(max_pixels) || w < 1 || h < 1) {
    return Status::InvalidArgument(label_ + ": page " + std::to_string(index) + " would render at " +
                                   std::to_string(static_cast<long long>(w)) + "x" +
                                   std::to_string(static_cast<long long>(h)) +
                                   " pixels, outside the accepted range");
  }
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_paper_color(0xffffffff);
  renderer.set_image_format(poppler::image::format_argb32);
  poppler::image img = renderer.render_page(page.get(), dpi, dpi);
  if (!img.is_valid()) {
    return Status::InvalidArgument(label_ + ": page " + std::to_string(index) + " could not be rendered");
  }
  // ARGB32 is stored as B, G, R, A bytes on little-endian machines; the paper colour makes it opaque.
  cv::Mat bgra(img.height(), img.width(), CV_8UC4, const_cast<char*>(img.const_data()),
               static_cast<size_t>(img.bytes_per_row()));
  cv::Mat bgr;
  cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);
  return bgr;
}

}  // namespace plateau::io
