#include "io/pdf.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

namespace plateau::io {
namespace {

// The messages poppler gives while one plateau call runs on this thread. poppler parses and renders in
// the calling thread, so a thread-local collector ties each message to the document operation that
// caused it, even when several threads work on PDFs at once. A damaged file can produce hundreds of
// messages; the first few are kept and the rest counted.
class PopplerMessages {
 public:
  PopplerMessages() : outer_(current_) { current_ = this; }
  ~PopplerMessages() { current_ = outer_; }
  PopplerMessages(const PopplerMessages&) = delete;
  PopplerMessages& operator=(const PopplerMessages&) = delete;

  // Installed once as poppler-cpp's message function (it is process-wide).
  static void Route(const std::string& message, void*) {
    if (current_ == nullptr) {
      std::fprintf(stderr, "%s\n", message.c_str());
      return;
    }
    if (current_->kept_.size() < kKept) {
      current_->kept_.push_back(message);
    } else {
      ++current_->more_;
    }
  }

  // "; poppler said: m1; m2 (and N more)", or "" when poppler was silent: the tail of an error message.
  std::string ErrorTail() const {
    if (kept_.empty()) return "";
    std::string out = "; poppler said: ";
    for (size_t i = 0; i < kept_.size(); ++i) out += (i ? "; " : "") + kept_[i];
    if (more_ > 0) out += " (and " + std::to_string(more_) + " more)";
    return out;
  }

  // The messages as warnings, each prefixed with `where`.
  void AppendWarnings(const std::string& where, std::vector<std::string>* out) const {
    if (out == nullptr) return;
    for (const std::string& m : kept_) out->push_back(where + ": poppler " + m);
    if (more_ > 0) out->push_back(where + ": " + std::to_string(more_) + " more poppler messages");
  }

 private:
  static constexpr size_t kKept = 5;
  static thread_local PopplerMessages* current_;
  PopplerMessages* outer_;
  std::vector<std::string> kept_;
  size_t more_ = 0;
};

thread_local PopplerMessages* PopplerMessages::current_ = nullptr;

void InstallPopplerMessageRoute() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(&PopplerMessages::Route, nullptr); });
}

// A page size for a message, rounded; page boxes come from the file and may be absurd (1e300, NaN), which
// a cast to an integer would not survive.
std::string Whole(double v) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.0f", v);
  return text;
}

}  // namespace

struct PdfDocument::Impl {
  // poppler keeps pointers into this buffer for the document's lifetime.
  std::vector<char> bytes;
  std::unique_ptr<poppler::document> doc;

  ~Impl() {
    PopplerMessages dropped;  // closing a document is not worth a message anywhere
    doc.reset();
  }
};

PdfDocument::~PdfDocument() = default;

StatusOr<std::unique_ptr<PdfDocument>> PdfDocument::Open(std::string bytes, const std::string& label) {
  if (bytes.substr(0, 5) != "%PDF-") {
    return Status::InvalidArgument(label + ": not a PDF (it does not start with %PDF-)");
  }
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument(label + ": PDF of " + std::to_string(bytes.size()) +
                                   " bytes is larger than the 2 GiB poppler reads");
  }
  InstallPopplerMessageRoute();
  std::unique_ptr<PdfDocument> pdf(new PdfDocument());
  pdf->label_ = label;
  pdf->impl_ = std::make_unique<Impl>();
  pdf->impl_->bytes.assign(bytes.begin(), bytes.end());
  PopplerMessages messages;
  pdf->impl_->doc.reset(poppler::document::load_from_raw_data(pdf->impl_->bytes.data(),
                                                              static_cast<int>(pdf->impl_->bytes.size())));
  if (!pdf->impl_->doc) {
    return Status::InvalidArgument(label + ": corrupt or unreadable PDF" + messages.ErrorTail());
  }
  if (pdf->impl_->doc->is_locked()) {
    return Status::InvalidArgument(label + ": PDF is encrypted (password protected)");
  }
  if (pdf->impl_->doc->pages() <= 0) {
    return Status::InvalidArgument(label + ": PDF has no pages" + messages.ErrorTail());
  }
  messages.AppendWarnings(label, &pdf->open_warnings_);
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

StatusOr<cv::Mat> PdfDocument::RenderPage(int index, double dpi, int64_t max_pixels,
                                          std::vector<std::string>* warnings) const {
  if (index < 0 || index >= num_pages()) {
    return Status::OutOfRange(label_ + ": page " + std::to_string(index) + " does not exist (" +
                              std::to_string(num_pages()) + " pages)");
  }
  const std::string where = label_ + ": page " + std::to_string(index);
  PopplerMessages messages;
  std::unique_ptr<poppler::page> page(impl_->doc->create_page(index));
  if (!page) return Status::InvalidArgument(where + " is unreadable" + messages.ErrorTail());
  poppler::rectf box = page->page_rect(poppler::media_box);
  double w = box.width() * dpi / 72.0, h = box.height() * dpi / 72.0;
  // NaN sizes fail the checks below too: every comparison with NaN is false.
  if (!(w >= 1 && h >= 1 && w * h <= static_cast<double>(max_pixels))) {
    return Status::InvalidArgument(where + " would render at " + Whole(w) + "x" + Whole(h) + " pixels (" +
                                   Whole(box.width()) + "x" + Whole(box.height()) + " points at " +
                                   Whole(dpi) + " DPI); expected at least 1x1 and at most " +
                                   std::to_string(max_pixels) + " pixels; refused before rendering");
  }
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_paper_color(0xffffffff);
  renderer.set_image_format(poppler::image::format_argb32);
  poppler::image img = renderer.render_page(page.get(), dpi, dpi);
  if (!img.is_valid())
    return Status::InvalidArgument(where + " could not be rendered" + messages.ErrorTail());
  messages.AppendWarnings(where, warnings);
  // ARGB32 is stored as B, G, R, A bytes on little-endian machines; the paper colour makes it opaque.
  cv::Mat bgra(img.height(), img.width(), CV_8UC4, const_cast<char*>(img.const_data()),
               static_cast<size_t>(img.bytes_per_row()));
  cv::Mat bgr;
  cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);
  return bgr;
}

}  // namespace plateau::io
