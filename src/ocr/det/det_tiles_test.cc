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
  EXPECT_EQ(shapes, options.shapes);
  for (const SizeHw& page : RandomPages(1000)) {
    auto plan = PlanDetTiles(page, options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_NE(std::find(shapes.begin(), shapes.end(), plan->tile), shapes.end())
        << page.height << "x" << page.width << " -> " << plan->tile.height << "x" << plan->tile.width;
  }
}

int64_t WindowPixels(const DetTilePlan& plan) {
  return static_cast<int64_t>(plan.tiles.size()) * plan.tile.height * plan.tile.width;
}

TEST(DetTilesTest, APageTakesTheShapeWhoseWindowsHoldTheFewestPixels) {
  const DetTileOptions options;
  // A 1080x1528 receipt resized to 1088x1536: two 896x1152 windows, where 1024x1024 ones take four.
  auto receipt = PlanDetTiles({1536, 1088}, options);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->tile, (SizeHw{896, 1152}));
  EXPECT_EQ(receipt->tiles.size(), 2u);
  DetTileOptions square_only = options;
  square_only.shapes = {{1024, 1024}};
  auto square = PlanDetTiles({1536, 1088}, square_only);
  ASSERT_TRUE(square.ok());
  EXPECT_EQ(square->tiles.size(), 4u);

  // A narrow receipt, 480 wide and 960 tall: one 1024x512 window.
  auto narrow = PlanDetTiles({960, 480}, options);
  ASSERT_TRUE(narrow.ok());
  ASSERT_EQ(narrow->tiles.size(), 1u);
  EXPECT_EQ(narrow->tile, (SizeHw{1024, 512}));
  EXPECT_EQ(narrow->tiles[0].window, cv::Rect(0, 0, 512, 1024));
  EXPECT_EQ(narrow->tiles[0].core, cv::Rect(0, 0, 480, 960));

  // Small pages: one window of the shape that holds them with the fewest pixels.
  auto small = PlanDetTiles({700, 700}, options);
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small->tiles.size(), 1u);
  EXPECT_EQ(small->tile, (SizeHw{768, 768}));
  auto low = PlanDetTiles({480, 700}, options);
  ASSERT_TRUE(low.ok());
  ASSERT_EQ(low->tiles.size(), 1u);
  EXPECT_EQ(low->tile, (SizeHw{512, 1024}));

  // Whatever the page, no single shape of the options gives fewer window pixels than the chosen one.
  for (const SizeHw& page : RandomPages(300)) {
    auto chosen = PlanDetTiles(page, options);
    ASSERT_TRUE(chosen.ok());
    for (const SizeHw& shape : options.shapes) {
      DetTileOptions one = options;
      one.shapes = {shape};
      auto single = PlanDetTiles(page, one);
      ASSERT_TRUE(single.ok());
      EXPECT_LE(WindowPixels(*chosen), WindowPixels(*single)) << page.height << "x" << page.width;
    }
  }
}

TEST(DetTilesTest, WholeTilesAreNotSplit) {
  DetTileOptions options;
  options.shapes = {{1024, 1024}};
  auto plan = PlanDetTiles({1024, 1024}, options);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->tiles.size(), 1u);
  EXPECT_EQ(plan->tiles[0].core, cv::Rect(0, 0, 1024, 1024));
  EXPECT_EQ(DetTileShapes(options).size(), 1u);
}

TEST(DetTilesTest, BadOptionsAreRefusedNamingTheField) {
  DetTileOptions options;
  options.shapes = {{1000, 1024}};
  auto plan = PlanDetTiles({100, 100}, options);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("shapes height is 1000"), std::string::npos);

  options.shapes = {{1024, 1024}};
  options.margin = 480;  // leaves a 64-pixel core of a 1024 tile minus 2 * 480 = 64: still allowed
  EXPECT_TRUE(CheckDetTileOptions(options).ok());
  options.margin = 481;
  EXPECT_NE(CheckDetTileOptions(options).message().find("margin"), std::string::npos);

  options = {};
  options.shapes.push_back({2048, 192});  // a 192-pixel side leaves no core within two 96 margins
  EXPECT_NE(CheckDetTileOptions(options).message().find("margin"), std::string::npos);
  options.shapes.clear();
  EXPECT_NE(CheckDetTileOptions(options).message().find("shapes is empty"), std::string::npos);

  EXPECT_FALSE(PlanDetTiles({0, 100}, DetTileOptions{}).ok());
}

TEST(DetTilesTest, WorkingBytesCountTheMapNotAFloatPage) {
  auto plan = PlanDetTiles({4000, 4000}, DetTileOptions{});
  ASSERT_TRUE(plan.ok());
  const size_t page = size_t{4000} * 4000;
  const size_t bytes = DetWorkingBytes(4000, 4000, *plan);
  // Decoded pixels (3 a pixel); the map's bitmap, traced in place, and 8-bit scores (2 a pixel); the
  // tile's floats are in the arena. Far below a float page (12 a pixel).
  EXPECT_EQ(bytes, page * 3 + page * 2);
}

}  // namespace
}  // namespace plateau::ocr
