#include "ocr/common/resize_region.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/check.h"

namespace plateau::ocr {
namespace {

constexpr int kCoefBits = 11;
constexpr int kCoefScale = 1 << kCoefBits;
// OpenCV's 128-bit vector lanes: 16 bytes, 8 int16.
constexpr int kBytesPerVector = 16;
constexpr int kShortsPerVector = 8;

// One output coordinate's source index and weights, as OpenCV computes them.
struct Tap {
  int index = 0;
  int16_t w0 = 0;
  int16_t w1 = 0;
};

int16_t Weight(float w) { return static_cast<int16_t>(std::lrintf(w * static_cast<float>(kCoefScale))); }

// Horizontal taps clamp both the index and the weight at the edges.
Tap ColumnTap(int x, double scale, int source_width) {
  float f = static_cast<float>((x + 0.5) * scale - 0.5);
  int s = static_cast<int>(std::floor(f));
  f -= static_cast<float>(s);
  if (s < 0) {
    f = 0;
    s = 0;
  }
  if (s >= source_width - 1) {
    f = 0;
    s = source_width - 1;
  }
  return Tap{s, Weight(1.f - f), Weight(f)};
}

// Vertical taps keep the weight and clamp only the rows read (RowTaps).
Tap RowTap(int y, double scale) {
  float f = static_cast<float>((y + 0.5) * scale - 0.5);
  const int s = static_cast<int>(std::floor(f));
  f -= static_cast<float>(s);
  return Tap{s, Weight(1.f - f), Weight(f)};
}

}  // namespace

int RowVectorElements(int row_elements) {
  int x = row_elements >= kBytesPerVector ? row_elements / kBytesPerVector * kBytesPerVector : 0;
  if (x < row_elements - kShortsPerVector) x += kShortsPerVector;
  return x;
}

void ResizeLinearRegion(const cv::Mat& src, cv::Size size, const cv::Rect& region, cv::Mat* out) {
  PLATEAU_CHECK(src.type() == CV_8UC3 && !src.empty() && size.width > 0 && size.height > 0);
  PLATEAU_CHECK(!region.empty() && (region & cv::Rect(0, 0, size.width, size.height)) == region);
  out->create(region.height, region.width, CV_8UC3);
  const double scale_x = 1.0 / (static_cast<double>(size.width) / src.cols);
  const double scale_y = 1.0 / (static_cast<double>(size.height) / src.rows);
  const int n = region.width * 3;
  std::vector<int> source_offset(static_cast<size_t>(n));
  std::vector<int> next_offset(static_cast<size_t>(n));
  std::vector<int> w0(static_cast<size_t>(n));
  std::vector<int> w1(static_cast<size_t>(n));
  for (int x = 0; x < region.width; ++x) {
    const Tap t = ColumnTap(region.x + x, scale_x, src.cols);
    for (int c = 0; c < 3; ++c) {
      const size_t k = static_cast<size_t>(x) * 3 + static_cast<size_t>(c);
      source_offset[k] = t.index * 3 + c;
      // At the last column the second weight is 0; the offset stays in the row.
      next_offset[k] = std::min(t.index + 1, src.cols - 1) * 3 + c;
      w0[k] = t.w0;
      w1[k] = t.w1;
    }
  }
  // Elements of the whole output row before this region's, and how many of the whole row are vector-rounded.
  const int row_start = region.x * 3;
  const int vector_end = RowVectorElements(size.width * 3) - row_start;
  std::vector<int> upper(static_cast<size_t>(n));
  std::vector<int> lower(static_cast<size_t>(n));
  auto horizontal = [&](int row, std::vector<int>& into) {
    const uint8_t* s = src.ptr<uint8_t>(row);
    for (int k = 0; k < n; ++k) {
      into[static_cast<size_t>(k)] = s[source_offset[static_cast<size_t>(k)]] * w0[static_cast<size_t>(k)] +
                                     s[next_offset[static_cast<size_t>(k)]] * w1[static_cast<size_t>(k)];
    }
  };
  int upper_row = -1;
  int lower_row = -1;
  for (int y = 0; y < region.height; ++y) {
    const Tap t = RowTap(region.y + y, scale_y);
    const int r0 = std::clamp(t.index, 0, src.rows - 1);
    const int r1 = std::clamp(t.index + 1, 0, src.rows - 1);
    if (r0 == lower_row) {
      std::swap(upper, lower);
      std::swap(upper_row, lower_row);
    }
    if (r0 != upper_row) {
      horizontal(r0, upper);
      upper_row = r0;
    }
    if (r1 != lower_row) {
      if (r1 == upper_row) {
        lower = upper;
      } else {
        horizontal(r1, lower);
      }
      lower_row = r1;
    }
    uint8_t* d = out->ptr<uint8_t>(y);
    const int b0 = t.w0;
    const int b1 = t.w1;
    const int split = std::clamp(vector_end, 0, n);
    for (int k = 0; k < split; ++k) {
      // The vector form: each row value shifted to 16 bits, multiplied keeping the high half, summed,
      // then rounded by 2 bits.
      const int hi0 = ((upper[static_cast<size_t>(k)] >> 4) * b0) >> 16;
      const int hi1 = ((lower[static_cast<size_t>(k)] >> 4) * b1) >> 16;
      d[k] = cv::saturate_cast<uint8_t>((hi0 + hi1 + 2) >> 2);
    }
    for (int k = split; k < n; ++k) {
      const int64_t v =
          int64_t{upper[static_cast<size_t>(k)]} * b0 + int64_t{lower[static_cast<size_t>(k)]} * b1;
      d[k] = cv::saturate_cast<uint8_t>(static_cast<int>((v + (int64_t{1} << 21)) >> 22));
    }
  }
}

}  // namespace plateau::ocr
