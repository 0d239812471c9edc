// PlanDetTiles: the invariants of the tile schedule over many page sizes, and its options' checks.
#include "ocr/det/det_tiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace plateau::ocr {
namespace {

std::vector<SizeHw> RandomPages(int count) {
  std::mt19937 rng(20261203);
  std::uniform_int_distribution<int> side(1, 4000 / 32);
  std::vector<SizeHw> pages = {{32, 32}, {1024, 1024}, {1056, 1024}, {4000, 4000}, {64, 4000}, {1088, 1536}};
  for (int i = 0; i < count; ++i) pages.push_back({32 * side(rng), 32 * side(rng)});
  return pages;
}

bool Contains(const cv::Rect& outer, const cv::Rect& inner) { return (outer & inner) == inner; }

TEST(DetTilesTest, CoresCoverEveryPagePixelExactlyOnce) {
  const DetTileOptions options;
  for (const SizeHw& page : RandomPages(300)) {
    auto plan = PlanDetTiles(page, options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    const cv::Rect page_rect(0, 0, page.width, page.height);
    int64_t covered = 0;
    for (size_t i = 0; i < plan->tiles.size(); ++i) {
      const cv::Rect& core = plan->tiles[i].core;
      ASSERT_FALSE(core.empty()) << page.height << "x" << page.width << " tile " << i;
      ASSERT_TRUE(Contains(page_rect, core)) << page.height << "x" << page.width << " tile " << i;
      covered += core.area();
      for (size_t j = 0; j < i; ++j) {
        ASSERT_TRUE((core & plan->tiles[j].core).empty())
            << page.height << "x" << page.width << " tiles " << j << " and " << i << " overlap";
      }
    }
    // Disjoint cores inside the page whose areas add up to the page's cover it exactly once.
    EXPECT_EQ(covered, int64_t{page.height} * page.width) << page.height << "x" << page.width;
  }
}

TEST(DetTilesTest, WindowsLieWithinThePaddedPageAndHoldTheirCoresWithMargins) {
  const DetTileOptions options;
  for (const SizeHw& page : RandomPages(300)) {
    auto plan = PlanDetTiles(page, options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    // The padded page: the page extended to at least one tile on each side.
    const cv::Rect padded(0, 0, std::max(page.width, plan->tile.width),
                          std::max(page.height, plan->tile.height));
    for (const DetTile& t : plan->tiles) {
      EXPECT_EQ(t.window.size(), cv::Size(plan->tile.width, plan->tile.height));
      EXPECT_TRUE(Contains(padded, t.window)) << page.height << "x" << page.width;
      EXPECT_TRUE(Contains(t.window, t.core)) << page.height << "x" << page.width;
      // A window is padded only along an axis the page does not fill.
      if (page.width > plan->tile.width) {
        EXPECT_LE(t.window.x + t.window.width, page.width);
      }
      if (page.height > plan->tile.height) {
        EXPECT_LE(t.window.y + t.window.height, page.height);
      }
      // Strided grids of tile and page agree.
      EXPECT_EQ(t.window.x % 32 == 0 || t.window.x + t.window.width == page.width, true);
      EXPECT_EQ(t.window.y % 32 == 0 || t.window.y + t.window.height == page.height, true);
      // Context on every side that faces another tile.
      if (t.core.x > 0) {
        EXPECT_GE(t.core.x - t.window.x, options.margin);
      }
      if (t.core.y > 0) {
        EXPECT_GE(t.core.y - t.window.y, options.margin);
      }
      if (t.core.x + t.core.width < page.width) {
        EXPECT_GE(t.window.x + t.window.width - (t.core.x + t.core.width), options.margin);
      }
      if (t.core.y + t.core.height < page.height) {
        EXPECT_GE(t.window.y + t.window.height - (t.core.y + t.core.height), options.margin);
      }
    }
  }
}

TEST(DetTilesTest, EveryPageUsesOneShapeOfTheFixedSet) {
  const DetTileOptions options;
  const std::vector<SizeHw> shapes = DetTileShapes(options);
  EXPECT_EQ(shapes.size(), (options.small_sides.size() + 1) * (options.small_sides.size() + 1));
  for (const SizeHw& page : RandomPages(1000)) {
    auto plan = PlanDetTiles(page, options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_NE(std::find(shapes.begin(), shapes.end(), plan->tile), shapes.end())
        << page.height << "x" << page.width << " -> " << plan->tile.height << "x" << plan->tile.width;
  }
}

TEST(DetTilesTest, APageSmallerThanATileIsOneWindowOfTheSmallestSideThatHoldsIt) {
  const DetTileOptions options;  // sides 512, 768, then the 1024 tile
  auto plan = PlanDetTiles({480, 700}, options);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->tiles.size(), 1u);
  EXPECT_EQ(plan->tile, (SizeHw{512, 768}));
  EXPECT_EQ(plan->tiles[0].window, cv::Rect(0, 0, 768, 512));
  EXPECT_EQ(plan->tiles[0].core, cv::Rect(0, 0, 700, 480));

  auto tall = PlanDetTiles({3000, 900}, options);
  ASSERT_TRUE(tall.ok());
  EXPECT_EQ(tall->tile, (SizeHw{1024, 1024}));
  EXPECT_GT(tall->tiles.size(), 3u);
}

TEST(DetTilesTest, WholeTilesAreNotSplit) {
  DetTileOptions options;
  options.small_sides.clear();
  auto plan = PlanDetTiles({1024, 1024}, options);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->tiles.size(), 1u);
  EXPECT_EQ(plan->tiles[0].core, cv::Rect(0, 0, 1024, 1024));
  EXPECT_EQ(DetTileShapes(options).size(), 1u);
}

TEST(DetTilesTest, BadOptionsAreRefusedNamingTheField) {
  DetTileOptions options;
  options.tile_height = 1000;
  auto plan = PlanDetTiles({100, 100}, options);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("tile_height"), std::string::npos);

  options = {};
  options.margin = 480;  // leaves a 64-pixel core of a 1024 tile minus 2 * 480 = 64: still allowed
  EXPECT_TRUE(CheckDetTileOptions(options).ok());
  options.margin = 481;
  EXPECT_NE(CheckDetTileOptions(options).message().find("margin"), std::string::npos);

  options = {};
  options.small_sides = {768, 512};
  EXPECT_NE(CheckDetTileOptions(options).message().find("small_sides"), std::string::npos);

  EXPECT_FALSE(PlanDetTiles({0, 100}, DetTileOptions{}).ok());
}

TEST(DetTilesTest, WorkingBytesCountTheMapAndOneTileNotAFloatPage) {
  auto plan = PlanDetTiles({4000, 4000}, DetTileOptions{});
  ASSERT_TRUE(plan.ok());
  const size_t page = size_t{4000} * 4000;
  const size_t bytes = DetWorkingBytes(4000, 4000, *plan);
  // Decoded pixels (3 a pixel), map and bitmaps (6), one tile's floats; far below a float page (12).
  EXPECT_EQ(bytes, page * 3 + page * 4 + size_t{1024} * 1024 * 12);
}

}  // namespace
}  // namespace plateau::ocr
