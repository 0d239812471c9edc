// Pieces of the result picture (plateau::RenderResult in plateau/ocr.h) that tests look at directly.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "plateau/status.h"

namespace cv::freetype {
class FreeType2;
}

namespace plateau::ocr {

// The colour (BGR) of the i-th box: saturated hues spread around the colour wheel, the same for the
// same i in every picture, so that neighbouring boxes are told apart.
cv::Scalar BoxColor(size_t i);

// Draws `text` (UTF-8) in black on `tile` (8-bit BGR, white): the largest font that keeps the text's
// ink within the tile, centred vertically on the font's em box and starting at the left edge. Text
// that would need a font under 2 pixels is not drawn. Returns the font size used (0: not drawn).
int DrawFittedText(cv::freetype::FreeType2& font, const std::string& text, cv::Mat& tile);

}  // namespace plateau::ocr
