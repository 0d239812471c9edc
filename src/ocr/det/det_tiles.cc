#include "ocr/det/det_tiles.h"

#include <algorithm>
#include <cmath>
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

int WindowSide(int length, int tile, const std::vector<int>& small_sides) {
  for (int s : small_sides) {
    if (s < tile && s >= length) return s;
  }
  return tile;
}

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

std::vector<int> AxisSides(int tile, const std::vector<int>& small_sides) {
  std::vector<int> sides;
  for (int s : small_sides) {
    if (s < tile) sides.push_back(s);
  }
  sides.push_back(tile);
  return sides;
}

}  // namespace

Status CheckDetTileOptions(const DetTileOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckSide("tile_height", options.tile_height));
  PLATEAU_RETURN_IF_ERROR(CheckSide("tile_width", options.tile_width));
  const int smaller = std::min(options.tile_height, options.tile_width);
  if (options.margin < 0 || smaller - 2 * options.margin < kMinCore) {
    return Status::InvalidArgument("detection tiles: margin is " + std::to_string(options.margin) +
                                   "; expected >= 0 and leaving a core of at least " +
                                   std::to_string(kMinCore) + " pixels in a " + std::to_string(smaller) +
                                   "-pixel tile side");
  }
  int previous = 0;
  for (int s : options.small_sides) {
    PLATEAU_RETURN_IF_ERROR(CheckSide("a small_sides entry", s));
    if (s <= previous) {
      return Status::InvalidArgument("detection tiles: small_sides must ascend; " + std::to_string(s) +
                                     " follows " + std::to_string(previous));
    }
    previous = s;
  }
  return Status::Ok();
}

StatusOr<DetTilePlan> PlanDetTiles(SizeHw page, const DetTileOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckDetTileOptions(options));
  if (page.height <= 0 || page.width <= 0) {
    return Status::InvalidArgument("detection tiles: page size " + std::to_string(page.height) + "x" +
                                   std::to_string(page.width) + " is not positive");
  }
  DetTilePlan plan;
  plan.page = page;
  plan.tile.height = page.height <= options.tile_height
                         ? WindowSide(page.height, options.tile_height, options.small_sides)
                         : options.tile_height;
  plan.tile.width = page.width <= options.tile_width
                        ? WindowSide(page.width, options.tile_width, options.small_sides)
                        : options.tile_width;
  const std::vector<AxisTile> rows = PlanAxis(page.height, options.tile_height, options.margin);
  const std::vector<AxisTile> cols = PlanAxis(page.width, options.tile_width, options.margin);
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

size_t DetWorkingBytes(int rows, int cols, const DetTilePlan& plan) {
  const size_t decoded = static_cast<size_t>(std::max(rows, 0)) * static_cast<size_t>(std::max(cols, 0)) * 3;
  const size_t page = static_cast<size_t>(plan.page.height) * static_cast<size_t>(plan.page.width);
  const size_t tile = static_cast<size_t>(plan.tile.height) * static_cast<size_t>(plan.tile.width);
  const bool resized = plan.page.height != rows || plan.page.width != cols;
  const bool padded = plan.tile.height > plan.page.height || plan.tile.width > plan.page.width;
  // The stitched map as a bitmap (1 byte a pixel) and 16-bit scores (2), plus the contour search's own copy
  // of the bitmap.
  return decoded + (resized ? page * 3 : 0) + tile * 3 * sizeof(float) + (padded ? tile * 3 : 0) + page * 4;
}

std::vector<SizeHw> DetTileShapes(const DetTileOptions& options) {
  std::vector<SizeHw> shapes;
  for (int h : AxisSides(options.tile_height, options.small_sides)) {
    for (int w : AxisSides(options.tile_width, options.small_sides)) shapes.push_back(SizeHw{h, w});
  }
  return shapes;
}

}  // namespace plateau::ocr
