// The tile schedule of text detection: which windows of the resized page the DB model runs on, one after
// another, and which part of each window's probability map is kept. Computed once per page, as data, by
// PlanDetTiles; the detector runs it (text_detector.h) and the pipeline's memory prediction and budget
// read the same plan (the tile shape decides the arena and the plan).
//
//   PLATEAU_ASSIGN_OR_RETURN(SizeHw target, DetTargetSize(rows, cols, resize));
//   PLATEAU_ASSIGN_OR_RETURN(DetTilePlan plan, PlanDetTiles(target, DetTileOptions{}));
//   for (const DetTile& t : plan.tiles) {
//     // run the model on the page's pixels in t.window (padded where it leaves the page), a tensor of
//     // 1x3x plan.tile.height x plan.tile.width, and copy its map's t.core (page coordinates) into the
//     // page's map.
//   }
//
// Why tiles: the model's activations grow with its input (tens of bytes per pixel), so running a whole
// page makes the arena, the plan and RSS follow the largest page ever seen and builds a plan per page
// size. With tiles of a few fixed shapes the arena is bounded by the largest shape and every plan is
// built once. The price is extra work in the overlaps and a map that differs slightly from the
// whole-page one: the model's squeeze-excitation blocks average over their whole input, which a tile
// sees only part of (docs/BENCHMARKS.md, "Tiled detection", measures both).
//
// Which shape: a page is planned with each window shape of the options and uses the plan whose windows
// hold the fewest pixels, the earlier shape on a tie. The model's work is about proportional to its
// input pixels, so a receipt 1088 wide and 1536 tall takes two 896x1152 windows rather than four
// 1024x1024 ones, and one 480 wide and 960 tall one 1024x512 window. The shapes are few (each costs a
// plan of megabytes, built once) and the largest bounds the arena (DetTileShapes).
//
// Per axis of a page side L and a tile side T (both multiples of 32 in practice):
//   - L <= T: one window of side T, the page at its origin and the rest padded (replicating the border,
//     or black); the core is [0, L).
//   - L > T: n windows of side T, the fewest whose cores, each at least `margin` from a window edge that
//     is not the page's edge, cover L; origins evenly spread, rounded to multiples of 32 (the network's
//     stride, so a tile sees the same pixel grid as the whole page), first at 0 and last at L - T; two
//     neighbours split their overlap in its middle.
// A page's tiles therefore all share one shape, taken from the fixed set DetTileShapes(options).
//
// Functions are pure and thread-safe. Invalid options or sizes yield InvalidArgument.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "ocr/common/preprocess.h"
#include "plateau/status.h"

namespace plateau::ocr {

// How a window is filled where it extends past the page (pages smaller than a tile).
enum class DetTilePadding {
  kReplicate,  // the page's last row / column repeated: no artificial edge for the model to see
  kBlack,      // pixel value 0, as PaddleX pads tiny images
};

// Pixels of context kept around each window's core on sides facing another window: the convolutions see
// well past a pixel, so a core needs its neighbourhood to give the same map as the whole page.
inline constexpr int kDetTileMargin = 96;

struct DetTileOptions {
  // The window shapes (height x width), sides multiples of 32, smallest first (the earlier wins a tie).
  // The largest input the detection model runs on is the largest of them, which bounds its arena: about
  // a million pixels, so that this arena plus a 4000x4000 page's map and pixels stay within the
  // process's memory goal, while windows stay large enough that the squeeze-excitation averages stay
  // close to the whole page's (docs/BENCHMARKS.md, "Tiled detection", has the measurements behind them).
  std::vector<SizeHw> shapes = {{768, 768}, {1024, 512}, {512, 1024}, {1024, 1024}, {1152, 896}, {896, 1152}};
  int margin = kDetTileMargin;  // >= 0, leaving a core of at least 64 pixels in every shape's sides
  DetTilePadding padding = DetTilePadding::kReplicate;
};

struct DetTile {
  // The window the model sees, in resized-page pixels; may extend past the bottom / right of the page
  // (then padded). Its size is the plan's tile shape.
  cv::Rect window;
  // The part of the window whose probability map is kept; within the page and within the window.
  cv::Rect core;
};

struct DetTilePlan {
  SizeHw page;                 // the resized page (and its probability map)
  SizeHw tile;                 // the shape of every window of this page
  std::vector<DetTile> tiles;  // row by row, left to right; cores tile the page exactly once
};

// InvalidArgument naming the field when the options break the rules above.
[[nodiscard]] Status CheckDetTileOptions(const DetTileOptions& options);

// The schedule for a resized page of `page` pixels (positive sides).
StatusOr<DetTilePlan> PlanDetTiles(SizeHw page, const DetTileOptions& options);

// Bytes detection of a decoded rows x cols BGR image following `plan` holds outside the session's arena,
// at most: the decoded image, one window's resized pixels (when the page is resized) and its padded
// copy and the page's stitched map (bitmap and 8-bit scores; the contour search traces the bitmap in
// place, and the window's float input is written into the arena).
size_t DetWorkingBytes(int rows, int cols, const DetTilePlan& plan);

// Every window shape the options can give, whatever the page: options.shapes (the session's plan cache
// must hold them all to never rebuild a plan).
std::vector<SizeHw> DetTileShapes(const DetTileOptions& options);

}  // namespace plateau::ocr
