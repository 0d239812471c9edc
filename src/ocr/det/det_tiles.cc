#include "ocr/det/det_tiles.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace plateau::ocr {
namespace {

// The network downsamples by 32: windows whose origins are multiples of it see the page on the same grid
// of its strided convolutions and pools as the whole-page run does.
constexpr int kStride = 32;
// Each window's core must keep some width after both margins, or neighbouring windows would nearly
// coincide.
constexpr int kMinCore = 64;

struct AxisTile {
  int origin = 0;
  int core_begin = 0;
  int core_end = 0;
};

std::vector<AxisTile> PlanAxis(int length, int tile, int margin) {
  if (length <= tile) return {AxisTile{0, 0, length}};
  const int last = length - tile;
  const int step_limit = tile - 2 * margin;
  // Fewest windows whose cores cover the side: n * step_limit + 2 * margin >= length.
  int n = std::max(2, (length - 2 * margin + step_limit - 1) / step_limit);
  std::vector<int> origins;
  for (;; ++n) {
    origins.assign(static_cast<size_t>(n), 0);
    for (int i = 1; i < n; ++i) {
      const double exact = static_cast<double>(i) * last / (n - 1);
      const int aligned = static_cast<int>(std::lround(exact / kStride)) * kStride;
      origins[static_cast<size_t>(i)] = i == n - 1 ? last : std::clamp(aligned, 0, last);
    }
    bool overlaps_enough = true;
    for (int i = 0; i + 1 < n; ++i) {
      if (origins[static_cast<size_t>(i) + 1] - origins[static_cast<size_t>(i)] > step_limit) {
        overlaps_enough = false;
      }
    }
    // Rounding to the stride can widen one gap past the limit; one more window always cures it, since
    // the options keep step_limit above the stride.
    if (overlaps_enough) break;
  }
  std::vector<AxisTile> tiles(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    AxisTile& t = tiles[static_cast<size_t>(i)];
    t.origin = origins[static_cast<size_t>(i)];
    t.core_begin = i == 0 ? 0 : tiles[static_cast<size_t>(i) - 1].core_end;
    // Neighbours split their overlap in the middle, so each core keeps at least `margin` of context.
    t.core_end = i == n - 1 ? length : (t.origin + tile + origins[static_cast<size_t>(i) + 1]) / 2;
  }
  return tiles;
}

Status CheckSide(const char* name, int side) {
  if (side < kStride || side % kStride != 0) {
    return Status::InvalidArgument("detection tiles: " + std::string(name) + " is " + std::to_string(side) +
                                   "; expected a positive multiple of 32");
  }
  return Status::Ok();
}

Status CheckMargin(int margin, int tile_height, int tile_width) {
  const int smaller = std::min(tile_height, tile_width);
  if (margin < 0 || smaller - 2 * margin < kMinCore) {
    return Status::InvalidArgument("detection tiles: margin is " + std::to_string(margin) +
                                   "; expected >= 0 and leaving a core of at least " +
                                   std::to_string(kMinCore) + " pixels in a " + std::to_string(smaller) +
                                   "-pixel tile side");
  }
  return Status::Ok();
}

// The plan of a page with tiles of one shape.
DetTilePlan PlanWithTile(SizeHw page, SizeHw tile, const DetTileOptions& options) {
  DetTilePlan plan;
  plan.page = page;
  plan.tile = tile;
  const std::vector<AxisTile> rows = PlanAxis(page.height, tile.height, options.margin);
  const std::vector<AxisTile> cols = PlanAxis(page.width, tile.width, options.margin);
  plan.tiles.reserve(rows.size() * cols.size());
  for (const AxisTile& r : rows) {
    for (const AxisTile& c : cols) {
      DetTile t;
      t.window = cv::Rect(c.origin, r.origin, plan.tile.width, plan.tile.height);
      t.core = cv::Rect(c.core_begin, r.core_begin, c.core_end - c.core_begin, r.core_end - r.core_begin);
      plan.tiles.push_back(t);
    }
  }
  return plan;
}

int64_t WindowPixels(const DetTilePlan& plan) {
  return static_cast<int64_t>(plan.tiles.size()) * plan.tile.height * plan.tile.width;
}

}  // namespace

Status CheckDetTileOptions(const DetTileOptions& options) {
  if (options.shapes.empty()) return Status::InvalidArgument("detection tiles: shapes is empty");
  for (const SizeHw& shape : options.shapes) {
    PLATEAU_RETURN_IF_ERROR(CheckSide("a shapes height", shape.height));
    PLATEAU_RETURN_IF_ERROR(CheckSide("a shapes width", shape.width));
    PLATEAU_RETURN_IF_ERROR(CheckMargin(options.margin, shape.height, shape.width));
  }
  return Status::Ok();
}

StatusOr<DetTilePlan> PlanDetTiles(SizeHw page, const DetTileOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckDetTileOptions(options));
  if (page.height <= 0 || page.width <= 0) {
    return Status::InvalidArgument("detection tiles: page size " + std::to_string(page.height) + "x" +
                                   std::to_string(page.width) + " is not positive");
  }
  DetTilePlan best;
  for (const SizeHw& shape : options.shapes) {
    DetTilePlan plan = PlanWithTile(page, shape, options);
    if (best.tiles.empty() || WindowPixels(plan) < WindowPixels(best)) best = std::move(plan);
  }
  return best;
}

size_t DetWorkingBytes(int rows, int cols, const DetTilePlan& plan) {
  const size_t decoded = static_cast<size_t>(std::max(rows, 0)) * static_cast<size_t>(std::max(cols, 0)) * 3;
  const size_t page = static_cast<size_t>(plan.page.height) * static_cast<size_t>(plan.page.width);
  const size_t tile = static_cast<size_t>(plan.tile.height) * static_cast<size_t>(plan.tile.width);
  const bool resized = plan.page.height != rows || plan.page.width != cols;
  const bool padded = plan.tile.height > plan.page.height || plan.tile.width > plan.page.width;
  // The stitched map as a bitmap (1 byte a pixel, in a frame the contour search traces in place) and
  // 8-bit scores (1).
  // A resized page is resized window by window (one window's 8-bit pixels), and the window's float input
  // lives in the session's arena (TextDetector writes both there).
  return decoded + (resized ? tile * 3 : 0) + (padded ? tile * 3 : 0) + page * 2;
}

std::vector<SizeHw> DetTileShapes(const DetTileOptions& options) {
  std::vector<SizeHw> shapes;
  for (const SizeHw& shape : options.shapes) {
    if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) shapes.push_back(shape);
  }
  return shapes;
}

}  // namespace plateau::ocr
