#include "ocr/visualize/result_image.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "io/codecs.h"
#include "ocr/pipeline/result_files.h"
#include "plateau/ocr.h"

namespace plateau {
namespace ocr {

cv::Scalar BoxColor(size_t i) {
  // Stepping the hue by the golden ratio keeps consecutive boxes far apart on the wheel for any count.
  const double hue = std::fmod(static_cast<double>(i) * 0.6180339887498949, 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 210, 230)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return cv::Scalar(c[0], c[1], c[2]);
}

int DrawFittedText(cv::freetype::FreeType2& font, const std::string& text, cv::Mat& tile) {
  constexpr int kMinFontSize = 2;
  const int w = tile.cols, h = tile.rows;
  if (text.empty() || w < kMinFontSize || h < kMinFontSize) return 0;
  // Start from the tile's height and shrink until the measured ink fits; getTextSize measures the
  // glyphs of this very string, so short or accent-free text keeps the largest size that fits.
  int size = std::max(kMinFontSize, static_cast<int>(h * 0.99));
  int baseline = 0;
  cv::Size ink;
  for (;;) {
    baseline = 0;
    ink = font.getTextSize(text, size, -1, &baseline);
    const int need_w = ink.width + 1, need_h = ink.height + baseline;
    if (need_w <= w && need_h <= h) break;
    const double shrink = std::min(static_cast<double>(w) / need_w, static_cast<double>(h) / need_h);
    const int next = std::min(size - 1, static_cast<int>(size * shrink));
    if (next < kMinFontSize) return 0;
    size = next;
  }
  // Centre the em box (0.88 above the baseline and 0.12 below it in the CJK fonts' design), so that
  // lines of one size share a baseline whatever their letters; then keep the ink inside the tile.
  int y = static_cast<int>(std::lround(h / 2.0 + 0.38 * size));
  y = std::clamp(y, ink.height, std::max(ink.height, h - baseline));
  font.putText(tile, text, cv::Point(0, y), size, cv::Scalar::all(0), -1, cv::LINE_AA, true);
  return size;
}

namespace {

StatusOr<cv::Ptr<cv::freetype::FreeType2>> LoadFont(const OcrImageOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.font_path, ec)) {
    return Status::NotFound("font file '" + options.font_path +
                            "' not found; it comes with the Debian package fonts-noto-cjk (installed by "
                            "scripts/install-deps.sh), or set OcrImageOptions::font_path to a CJK font");
  }
  try {
    cv::Ptr<cv::freetype::FreeType2> font = cv::freetype::createFreeType2();
    font->loadFontData(options.font_path, options.font_index);
    return font;
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument("cannot load face " + std::to_string(options.font_index) + " of font '" +
                                   options.font_path + "': " + e.err +
                                   "; expected a TrueType / OpenType font (fonts-noto-cjk provides one) with "
                                   "that face (font_index 0 for a single-face file)");
  }
}

std::vector<cv::Point> Rounded(const std::vector<cv::Point2f>& pts) {
  std::vector<cv::Point> out;
  for (const cv::Point2f& p : pts) out.emplace_back(std::lround(p.x), std::lround(p.y));
  return out;
}

// Draws `text` into the quad `q` of `canvas` (white, 8-bit BGR): rendered upright on a tile the size of
// the quad's edges, then mapped onto the quad, darker pixels winning so neighbouring lines do not erase
// each other. Tall narrow boxes get their text along the long side, reading downwards.
void DrawTextInQuad(cv::freetype::FreeType2& font, const std::string& text, const std::vector<cv::Point2f>& q,
                    cv::Mat& canvas) {
  const int bw = static_cast<int>(std::lround(cv::norm(q[1] - q[0])));
  const int bh = static_cast<int>(std::lround(cv::norm(q[3] - q[0])));
  if (text.empty() || bw < 1 || bh < 1 || std::abs(cv::contourArea(q)) < 1.0) return;
  const bool vertical = bh > 2 * bw && bh > 30;
  cv::Mat tile(vertical ? bw : bh, vertical ? bh : bw, CV_8UC3, cv::Scalar::all(255));
  if (DrawFittedText(font, text, tile) == 0) return;
  if (vertical) cv::rotate(tile, tile, cv::ROTATE_90_CLOCKWISE);

  const cv::Rect box = cv::boundingRect(q) & cv::Rect(0, 0, canvas.cols, canvas.rows);
  if (box.empty()) return;
  const std::vector<cv::Point2f> src = {{0, 0},
                                        {static_cast<float>(bw), 0},
                                        {static_cast<float>(bw), static_cast<float>(bh)},
                                        {0, static_cast<float>(bh)}};
  std::vector<cv::Point2f> dst;
  for (const cv::Point2f& p : q) dst.push_back(p - cv::Point2f(box.tl()));
  cv::Mat warped;
  cv::warpPerspective(tile, warped, cv::getPerspectiveTransform(src, dst), box.size(), cv::INTER_LINEAR,
                      cv::BORDER_CONSTANT, cv::Scalar::all(255));
  cv::Mat region = canvas(box);
  cv::min(region, warped, region);
}

}  // namespace
}  // namespace ocr

StatusOr<cv::Mat> RenderResult(const OcrResult& result, const OcrImageOptions& options) {
  const std::string what = "picture of '" + result.input_path + "'" +
                           (result.page_index >= 0 ? " page " + std::to_string(result.page_index) : "");
  if (!result.error.ok()) {
    return Status::FailedPrecondition(what + ": the result is an error (" + result.error.ToString() +
                                      "); only a successful result can be drawn");
  }
  if (result.page_image.empty() || result.page_image.type() != CV_8UC3) {
    return Status::InvalidArgument(
        what + ": page_image is " +
        (result.page_image.empty() ? std::string("empty") : "not 8-bit BGR (3 channels)") +
        "; expected the page the pipeline saw, as OcrPipeline results carry");
  }
  if (result.rec_texts.size() != result.rec_polys.size()) {
    return Status::InvalidArgument(what + ": " + std::to_string(result.rec_texts.size()) + " rec_texts for " +
                                   std::to_string(result.rec_polys.size()) + " rec_polys; expected one each");
  }
  if (options.max_side < 1) {
    return Status::InvalidArgument(what + ": max_side = " + std::to_string(options.max_side) +
                                   "; expected >= 1");
  }
  PLATEAU_ASSIGN_OR_RETURN(cv::Ptr<cv::freetype::FreeType2> font, ocr::LoadFont(options));

  try {
    const cv::Mat& original = result.page_image;
    const double scale =
        std::min(1.0, static_cast<double>(options.max_side) / std::max(original.cols, original.rows));
    cv::Mat page = original;
    if (scale < 1.0) {
      const cv::Size size(std::max(1, static_cast<int>(std::lround(original.cols * scale))),
                          std::max(1, static_cast<int>(std::lround(original.rows * scale))));
      cv::resize(original, page, size, 0, 0, cv::INTER_AREA);
    }
    const int w = page.cols, h = page.rows;
    std::vector<std::vector<cv::Point2f>> quads;
    for (const OcrPoly& poly : result.rec_polys) {
      std::vector<cv::Point2f> q;
      for (const OcrPoint& p : poly) {
        q.emplace_back(static_cast<float>(p[0] * scale), static_cast<float>(p[1] * scale));
      }
      quads.push_back(std::move(q));
    }
    const int thickness = std::max(1, static_cast<int>(std::lround(std::max(w, h) / 500.0)));

    cv::Mat out(h, 2 * w, CV_8UC3);
    cv::Mat left = out(cv::Rect(0, 0, w, h)), right = out(cv::Rect(w, 0, w, h));
    // Left: the page with the boxes filled at 40% and outlined. Each fill is blended within its box's
    // bounding rectangle only (outside the polygon the blend leaves pixels as they are), so no second
    // page-sized buffer is needed.
    page.copyTo(left);
    for (size_t i = 0; i < quads.size(); ++i) {
      const cv::Rect box = cv::boundingRect(quads[i]) & cv::Rect(0, 0, w, h);
      if (box.empty()) continue;
      cv::Mat region = left(box), filled = region.clone();
      std::vector<cv::Point> pts = ocr::Rounded(quads[i]);
      for (cv::Point& p : pts) p -= box.tl();
      cv::fillPoly(filled, std::vector<std::vector<cv::Point>>{pts}, ocr::BoxColor(i), cv::LINE_AA);
      cv::addWeighted(region, 0.6, filled, 0.4, 0.0, region);
    }
    // Right: the text in place on white.
    right.setTo(cv::Scalar::all(255));
    for (size_t i = 0; i < quads.size(); ++i)
      ocr::DrawTextInQuad(*font, result.rec_texts[i], quads[i], right);
    for (size_t i = 0; i < quads.size(); ++i) {
      const std::vector<std::vector<cv::Point>> outline = {ocr::Rounded(quads[i])};
      cv::polylines(left, outline, true, ocr::BoxColor(i), thickness, cv::LINE_AA);
      cv::polylines(right, outline, true, ocr::BoxColor(i), 1, cv::LINE_AA);
    }
    return out;
  } catch (const cv::Exception& e) {
    return Status::Internal(what + ": drawing failed: " + e.err);
  }
}

Status SaveImage(const OcrResult& result, const std::string& dir, const OcrImageOptions& options) {
  PLATEAU_ASSIGN_OR_RETURN(cv::Mat picture, RenderResult(result, options));
  PLATEAU_ASSIGN_OR_RETURN(const std::string path, ocr::ResultFilePath(result, dir, "_ocr_res_img.png"));
  return WritePng(picture, path);
}

Status WritePng(const cv::Mat& picture, const std::string& path) { return io::WritePngFile(picture, path); }

}  // namespace plateau
