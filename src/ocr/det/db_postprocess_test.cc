// DB post-processing on synthetic probability maps whose answers are worked out by hand.
//
// A filled block of pixels with columns x0..x1 and rows y0..y1 has its contour through the centres of its
// border pixels, so its tight box is (x1 - x0) x (y1 - y0). Growing a w x h rectangle by
// d = w * h * ratio / (2 (w + h)) with round joins gives a rounded rectangle whose minimum-area box is
// (w + 2d) x (h + 2d), each edge d further out (Clipper rounds coordinates to integers).
#include "ocr/det/db_postprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace plateau::ocr {
namespace {

cv::Mat Blank(int rows, int cols) { return cv::Mat::zeros(rows, cols, CV_32FC1); }

// Sets columns x0..x1 and rows y0..y1 (inclusive) to `value`.
void FillBlock(cv::Mat& map, int x0, int y0, int x1, int y1, float value) {
  map(cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1)).setTo(value);
}

double Distance(double w, double h, double ratio) { return w * h * ratio / (2.0 * (w + h)); }

void ExpectCorner(const cv::Point2f& actual, double x, double y, double tolerance, const char* which) {
  EXPECT_NEAR(actual.x, x, tolerance) << which;
  EXPECT_NEAR(actual.y, y, tolerance) << which;
}

TEST(DbPostprocessTest, OneAxisAlignedBoxIsGrownByTheUnclipDistance) {
  cv::Mat map = Blank(100, 200);
  FillBlock(map, 20, 30, 119, 49, 0.9f);  // tight box 99 x 19
  auto boxes = DbPostprocess(map, 100, 200, DbOptions{});
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 1u);
  ASSERT_EQ(boxes->scores.size(), 1u);
  EXPECT_NEAR(boxes->scores[0], 0.9, 1e-5);
  const double d = Distance(99, 19, 1.5);  // 11.955...
  const Quad& q = boxes->quads[0];
  ExpectCorner(q[0], 20 - d, 30 - d, 1.0, "top-left");
  ExpectCorner(q[1], 119 + d, 30 - d, 1.0, "top-right");
  ExpectCorner(q[2], 119 + d, 49 + d, 1.0, "bottom-right");
  ExpectCorner(q[3], 20 - d, 49 + d, 1.0, "bottom-left");
  // Reported coordinates are whole pixels.
  for (const cv::Point2f& p : q) {
    EXPECT_EQ(p.x, std::round(p.x));
    EXPECT_EQ(p.y, std::round(p.y));
  }
}

TEST(DbPostprocessTest, BoxesAreScaledToTheDestinationSize) {
  cv::Mat map = Blank(100, 200);
  FillBlock(map, 20, 30, 119, 49, 0.9f);
  auto boxes = DbPostprocess(map, 300, 400, DbOptions{});  // 3x in y, 2x in x
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 1u);
  const double d = Distance(99, 19, 1.5);
  const Quad& q = boxes->quads[0];
  ExpectCorner(q[0], 2 * (20 - d), 3 * (30 - d), 3.0, "top-left");
  ExpectCorner(q[2], 2 * (119 + d), 3 * (49 + d), 3.0, "bottom-right");
}

TEST(DbPostprocessTest, BoxesAreClampedToTheImage) {
  cv::Mat map = Blank(60, 80);
  FillBlock(map, 0, 0, 39, 19, 0.9f);  // grown box pokes out above and left of the map
  auto boxes = DbPostprocess(map, 60, 80, DbOptions{});
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 1u);
  const double d = Distance(39, 19, 1.5);
  const Quad& q = boxes->quads[0];
  ExpectCorner(q[0], 0, 0, 0.0, "top-left");
  ExpectCorner(q[2], 39 + d, 19 + d, 1.0, "bottom-right");
}

TEST(DbPostprocessTest, TwoBoxesOnOneLineAreOrderedByX) {
  cv::Mat map = Blank(200, 320);
  FillBlock(map, 200, 50, 299, 69, 0.9f);   // right, a little higher
  FillBlock(map, 20, 55, 119, 74, 0.8f);    // left, 5 px lower: same line
  FillBlock(map, 20, 150, 119, 169, 0.7f);  // next line
  auto boxes = DbPostprocess(map, 200, 320, DbOptions{});
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 3u);
  const double d = Distance(99, 19, 1.5);
  EXPECT_NEAR(boxes->quads[0][0].x, 20 - d, 1.0);
  EXPECT_NEAR(boxes->quads[0][0].y, 55 - d, 1.0);
  EXPECT_NEAR(boxes->quads[1][0].x, 200 - d, 1.0);
  EXPECT_NEAR(boxes->quads[1][0].y, 50 - d, 1.0);
  EXPECT_NEAR(boxes->quads[2][0].y, 150 - d, 1.0);
  // Scores travel with their boxes.
  EXPECT_NEAR(boxes->scores[0], 0.8, 1e-5);
  EXPECT_NEAR(boxes->scores[1], 0.9, 1e-5);
  EXPECT_NEAR(boxes->scores[2], 0.7, 1e-5);
}

TEST(DbPostprocessTest, RotatedRectangleKeepsItsAngleAndCornerOrder) {
  cv::Mat map = Blank(200, 200);
  const cv::RotatedRect rect(cv::Point2f(100, 100), cv::Size2f(120, 30), 30);
  cv::Point2f corners[4];
  rect.points(corners);
  std::vector<cv::Point> polygon;
  for (const cv::Point2f& c : corners) polygon.emplace_back(cvRound(c.x), cvRound(c.y));
  cv::fillPoly(map, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(0.9));
  auto boxes = DbPostprocess(map, 200, 200, DbOptions{});
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 1u);
  // Grown by d = 120 * 30 * 1.5 / 300 = 18 to 156 x 66 around (100, 100), long side along
  // u = (cos 30, sin 30) (y grows downwards), short side along v = (-sin 30, cos 30).
  const double d = 18.0;
  const double half_long = 60 + d, half_short = 15 + d;
  const double c = std::cos(std::numbers::pi / 6), s = std::sin(std::numbers::pi / 6);
  auto corner = [&](double a, double b) {
    return cv::Point2d(100 + a * half_long * c - b * half_short * s,
                       100 + a * half_long * s + b * half_short * c);
  };
  // Upper of the two leftmost corners first, then clockwise on screen.
  const cv::Point2d tl = corner(-1, -1), tr = corner(1, -1), br = corner(1, 1), bl = corner(-1, 1);
  const Quad& q = boxes->quads[0];
  const double tolerance = 3.0;  // the rasterised polygon is up to a pixel off the ideal one
  ExpectCorner(q[0], tl.x, tl.y, tolerance, "top-left");
  ExpectCorner(q[1], tr.x, tr.y, tolerance, "top-right");
  ExpectCorner(q[2], br.x, br.y, tolerance, "bottom-right");
  ExpectCorner(q[3], bl.x, bl.y, tolerance, "bottom-left");
  // The tight box's corners are truncated to pixels, so its mask takes in a fringe of background along
  // the slanted edges (about 2 px of a 300 px perimeter around 3600 px): the mean is a little under 0.9.
  EXPECT_LE(boxes->scores[0], 0.9f);
  EXPECT_GE(boxes->scores[0], 0.8f);
}

TEST(DbPostprocessTest, BoxBelowBoxThreshIsDropped) {
  cv::Mat map = Blank(120, 200);
  FillBlock(map, 20, 20, 119, 39, 0.5f);  // above thresh 0.3, below box_thresh 0.6
  FillBlock(map, 20, 70, 119, 89, 0.65f);
  auto boxes = DbPostprocess(map, 120, 200, DbOptions{});
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 1u);
  EXPECT_NEAR(boxes->scores[0], 0.65, 1e-5);

  DbOptions strict;
  strict.box_thresh = 0.7;
  auto none = DbPostprocess(map, 120, 200, strict);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->quads.empty());

  DbOptions lenient;
  lenient.box_thresh = 0.4;
  auto both = DbPostprocess(map, 120, 200, lenient);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->quads.size(), 2u);
}

TEST(DbPostprocessTest, PixelsAtOrBelowThreshAreBackground) {
  cv::Mat map = Blank(80, 200);
  FillBlock(map, 20, 20, 119, 39, 0.3f);  // equal to thresh: not text (strictly greater is required)
  auto boxes = DbPostprocess(map, 80, 200, DbOptions{});
  ASSERT_TRUE(boxes.ok());
  EXPECT_TRUE(boxes->quads.empty());
}

TEST(DbPostprocessTest, TinyBlobIsDropped) {
  cv::Mat map = Blank(80, 200);
  FillBlock(map, 10, 10, 11, 11, 0.95f);  // 2x2 pixels: tight box 1x1, shorter side < min_size 3
  FillBlock(map, 50, 40, 52, 60, 0.95f);  // 3 px wide: tight box 2 x 20, still too thin
  FillBlock(map, 100, 40, 149, 59, 0.95f);
  auto boxes = DbPostprocess(map, 80, 200, DbOptions{});
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->quads.size(), 1u);
  const double d = Distance(49, 19, 1.5);
  EXPECT_NEAR(boxes->quads[0][0].x, 100 - d, 1.0);
}

TEST(DbPostprocessTest, MaxCandidatesLimitsTheContoursExamined) {
  cv::Mat map = Blank(200, 200);
  for (int i = 0; i < 3; ++i) FillBlock(map, 20, 20 + 60 * i, 119, 39 + 60 * i, 0.9f);
  DbOptions options;
  options.max_candidates = 2;
  auto boxes = DbPostprocess(map, 200, 200, options);
  ASSERT_TRUE(boxes.ok());
  EXPECT_EQ(boxes->quads.size(), 2u);
  options.max_candidates = 0;
  auto none = DbPostprocess(map, 200, 200, options);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->quads.empty());
}

TEST(DbPostprocessTest, DilationJoinsBlocksOnePixelApart) {
  cv::Mat map = Blank(80, 200);
  FillBlock(map, 20, 20, 69, 39, 0.9f);
  FillBlock(map, 71, 20, 120, 39, 0.9f);  // column 70 is the gap
  auto apart = DbPostprocess(map, 80, 200, DbOptions{});
  ASSERT_TRUE(apart.ok());
  EXPECT_EQ(apart->quads.size(), 2u);
  DbOptions dilate;
  dilate.use_dilation = true;
  auto joined = DbPostprocess(map, 80, 200, dilate);
  ASSERT_TRUE(joined.ok());
  ASSERT_EQ(joined->quads.size(), 1u);
  // The gap column has probability 0, so the mean over the joined box is a little below 0.9.
  EXPECT_LT(joined->scores[0], 0.9f);
  EXPECT_GT(joined->scores[0], 0.8f);
}

TEST(DbPostprocessTest, NoTextGivesNoBoxes) {
  auto boxes = DbPostprocess(Blank(64, 64), 64, 64, DbOptions{});
  ASSERT_TRUE(boxes.ok());
  EXPECT_TRUE(boxes->quads.empty());
  EXPECT_TRUE(boxes->scores.empty());
}

TEST(DbPostprocessTest, UnclipDistanceOfARectangle) {
  const Quad rect = {cv::Point2f(0, 0), cv::Point2f(100, 0), cv::Point2f(100, 20), cv::Point2f(0, 20)};
  // area 2000, perimeter 240.
  EXPECT_NEAR(UnclipDistance(rect, 1.5), 12.5, 1e-9);
  EXPECT_NEAR(UnclipDistance(rect, 2.0), 2000.0 * 2.0 / 240.0, 1e-9);
  const Quad degenerate = {cv::Point2f(5, 5), cv::Point2f(5, 5), cv::Point2f(5, 5), cv::Point2f(5, 5)};
  EXPECT_EQ(UnclipDistance(degenerate, 1.5), 0.0);
}

TEST(DbPostprocessTest, UnclipQuadOffsetsEveryPointByTheDistance) {
  const Quad rect = {cv::Point2f(0, 0), cv::Point2f(100, 0), cv::Point2f(100, 20), cv::Point2f(0, 20)};
  const double d = 2000.0 * 2.0 / 240.0;  // 16.67
  const std::vector<cv::Point> grown = UnclipQuad(rect, 2.0);
  ASSERT_GE(grown.size(), 8u);  // four edges plus arcs at the corners
  const cv::Rect bounds = cv::boundingRect(grown);
  EXPECT_EQ(bounds.x, -17);
  EXPECT_EQ(bounds.y, -17);
  EXPECT_EQ(bounds.x + bounds.width - 1, 117);
  EXPECT_EQ(bounds.y + bounds.height - 1, 37);
  for (const cv::Point& p : grown) {
    const double dx = std::max({0.0, -static_cast<double>(p.x), p.x - 100.0});
    const double dy = std::max({0.0, -static_cast<double>(p.y), p.y - 20.0});
    EXPECT_NEAR(std::hypot(dx, dy), d, 1.0) << p;
  }
}

TEST(DbPostprocessTest, UnclipTruncatesCornersToIntegers) {
  // 0.9 and 100.9 truncate to 0 and 100, so the result equals that of the integer rectangle.
  const Quad fractional = {cv::Point2f(0.9f, 0.9f), cv::Point2f(100.9f, 0.9f), cv::Point2f(100.9f, 20.9f),
                           cv::Point2f(0.9f, 20.9f)};
  const cv::Rect bounds = cv::boundingRect(UnclipQuad(fractional, 2.0));
  EXPECT_EQ(bounds.x, -17);
  EXPECT_EQ(bounds.x + bounds.width - 1, 117);
}

TEST(DbPostprocessTest, MinimumAreaBoxOrdersCornersFromTopLeftClockwise) {
  const std::vector<cv::Point> points = {{50, 10}, {10, 40}, {50, 40}, {10, 10}, {30, 25}};
  const MiniBox box = MinimumAreaBox(points);
  EXPECT_FLOAT_EQ(box.short_side, 30.0f);
  ExpectCorner(box.quad[0], 10, 10, 1e-4, "top-left");
  ExpectCorner(box.quad[1], 50, 10, 1e-4, "top-right");
  ExpectCorner(box.quad[2], 50, 40, 1e-4, "bottom-right");
  ExpectCorner(box.quad[3], 10, 40, 1e-4, "bottom-left");
}

TEST(DbPostprocessTest, BoxScoreFastAveragesInsideThePolygonOnly) {
  cv::Mat map = Blank(20, 20);
  FillBlock(map, 0, 0, 19, 9, 1.0f);  // top half 1, bottom half 0
  const Quad whole = {cv::Point2f(0, 0), cv::Point2f(19, 0), cv::Point2f(19, 19), cv::Point2f(0, 19)};
  EXPECT_NEAR(BoxScoreFast(map, whole), 0.5, 1e-9);
  const Quad top = {cv::Point2f(2, 2), cv::Point2f(17, 2), cv::Point2f(17, 7), cv::Point2f(2, 7)};
  EXPECT_NEAR(BoxScoreFast(map, top), 1.0, 1e-9);
  // A triangle over the whole map: rows y hold y + 1 pixels (x <= y), of which rows 0..9 are ones:
  // 55 of 210 pixels.
  const Quad triangle = {cv::Point2f(0, 0), cv::Point2f(0, 0), cv::Point2f(19, 19), cv::Point2f(0, 19)};
  EXPECT_NEAR(BoxScoreFast(map, triangle), 55.0 / 210.0, 1e-9);
}

TEST(DbPostprocessTest, SortQuadsReadingOrderFollowsPaddleOcrsRule) {
  auto at = [](float x, float y) {
    return Quad{cv::Point2f(x, y), cv::Point2f(x + 50, y), cv::Point2f(x + 50, y + 10),
                cv::Point2f(x, y + 10)};
  };
  DetBoxes boxes;
  boxes.quads = {at(300, 100), at(10, 105), at(150, 40), at(20, 200), at(5, 112)};
  boxes.scores = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  SortQuadsReadingOrder(&boxes);
  // By y: (150,40) (300,100) (10,105) (5,112) (20,200). (10,105) moves before (300,100), 5 px apart.
  // (5,112) is only compared with its new neighbour (300,100), 12 px above: not the same line, so it
  // stays after it even though it is 7 px from (10,105).
  const std::vector<float> expected = {0.3f, 0.2f, 0.1f, 0.5f, 0.4f};
  ASSERT_EQ(boxes.scores.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(boxes.scores[i], expected[i]) << i;
  EXPECT_EQ(boxes.quads[0][0], cv::Point2f(150, 40));
  EXPECT_EQ(boxes.quads[4][0], cv::Point2f(20, 200));
}

TEST(DbPostprocessTest, RejectsBadArguments) {
  const cv::Mat map = Blank(10, 10);
  EXPECT_EQ(DbPostprocess(cv::Mat(), 10, 10, DbOptions{}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DbPostprocess(cv::Mat::zeros(10, 10, CV_8UC1), 10, 10, DbOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DbPostprocess(map, 0, 10, DbOptions{}).status().code(), StatusCode::kInvalidArgument);
  DbOptions bad;
  bad.unclip_ratio = 0;
  auto status = DbPostprocess(map, 10, 10, bad).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("unclip_ratio"), std::string::npos) << status.message();

  std::vector<float> data(2 * 10 * 10, 0.0f);
  TensorView two_channels{DType::kFloat32, Shape({1, 2, 10, 10}), data.data()};
  status = DbPostprocess(two_channels, 10, 10, DbOptions{}).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("1x2x10x10"), std::string::npos) << status.message();
  TensorView ints{DType::kInt32, Shape({1, 1, 10, 10}), data.data()};
  EXPECT_EQ(DbPostprocess(ints, 10, 10, DbOptions{}).status().code(), StatusCode::kInvalidArgument);
}

TEST(DbPostprocessTest, TensorViewInputMatchesMatInput) {
  cv::Mat map = Blank(60, 120);
  FillBlock(map, 10, 10, 99, 29, 0.9f);
  TensorView view{DType::kFloat32, Shape({1, 1, 60, 120}), map.ptr<float>()};
  auto from_view = DbPostprocess(view, 60, 120, DbOptions{});
  auto from_mat = DbPostprocess(map, 60, 120, DbOptions{});
  ASSERT_TRUE(from_view.ok() && from_mat.ok());
  ASSERT_EQ(from_view->quads.size(), 1u);
  EXPECT_EQ(from_view->quads, from_mat->quads);
}

// The split map (bitmap + 8-bit scores, as tiled detection stitches it) gives the float map's boxes, and
// its scores within half a step of the 8-bit scale, on a map of varied probabilities: boxes near box_thresh
// and pixels near thresh.
TEST(DbPostprocessTest, SplitMapMatchesTheFloatMap) {
  cv::Mat map(200, 300, CV_32FC1);
  cv::RNG rng(7);
  rng.fill(map, cv::RNG::UNIFORM, 0.0, 0.29);
  for (int k = 0; k < 12; ++k) {
    const int x = 5 + 24 * k, y = 8 + 15 * k;
    cv::Mat block = map(cv::Rect(x, y, 20, 10));
    rng.fill(block, cv::RNG::UNIFORM, 0.3 + 0.05 * k, 0.35 + 0.05 * k);
  }
  map.at<float>(3, 3) = 0.3f;  // exactly at thresh: background in both
  DbOptions options;
  options.box_thresh = 0.5;
  StatusOr<DetBoxes> from_float = DbPostprocess(map, 400, 600, options);
  cv::Mat bitmap(map.size(), CV_8UC1), score(map.size(), CV_8UC1);
  for (int y = 0; y < map.rows; ++y) {
    for (int x = 0; x < map.cols; ++x) {
      const float p = map.at<float>(y, x);
      bitmap.at<uint8_t>(y, x) = p > 0.3f ? 255 : 0;
      score.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(p * kScoreMapScale));
    }
  }
  StatusOr<DetBoxes> from_split = DbPostprocessSplit(bitmap, score, 400, 600, options);
  ASSERT_TRUE(from_float.ok() && from_split.ok());
  ASSERT_GT(from_float->quads.size(), 3u);
  EXPECT_EQ(from_split->quads, from_float->quads);
  ASSERT_EQ(from_split->scores.size(), from_float->scores.size());
  for (size_t i = 0; i < from_float->scores.size(); ++i) {
    EXPECT_NEAR(from_split->scores[i], from_float->scores[i], 0.5 / kScoreMapScale) << i;
  }
  EXPECT_EQ(DbPostprocessSplit(bitmap, map, 400, 600, options).status().code(), StatusCode::kInvalidArgument);
}

// A bitmap in a zero frame (NewBorderedBitmap) is traced in place; the boxes and scores are those of the
// same bitmap traced on a copy, as cv::findContours does, including blobs touching the map's edges and
// with dilation. The framed bitmap is consumed (overwritten), the plain one is not.
TEST(DbPostprocessTest, BitmapInAFrameGivesTheBoxesOfACopy) {
  cv::Mat score(120, 160, CV_8UC1);
  cv::RNG rng(11);
  rng.fill(score, cv::RNG::UNIFORM, 0, 60);
  const cv::Rect blobs[] = {
      {0, 0, 30, 12}, {40, 20, 50, 10}, {150, 100, 10, 20}, {70, 110, 40, 10}, {5, 60, 20, 20}};
  for (const cv::Rect& r : blobs) {
    cv::Mat block = score(r);
    rng.fill(block, cv::RNG::UNIFORM, 180, 255);
  }
  for (bool dilate : {false, true}) {
    DbOptions options;
    options.use_dilation = dilate;
    cv::Mat plain(score.size(), CV_8UC1);
    cv::Mat framed = NewBorderedBitmap(score.rows, score.cols);
    for (int y = 0; y < score.rows; ++y) {
      for (int x = 0; x < score.cols; ++x) {
        const uint8_t bit = score.at<uint8_t>(y, x) > 76 ? 255 : 0;
        plain.at<uint8_t>(y, x) = bit;
        framed.at<uint8_t>(y, x) = bit;
      }
    }
    const cv::Mat plain_before = plain.clone();
    StatusOr<DetBoxes> copied = DbPostprocessSplit(plain, score, 240, 320, options);
    StatusOr<DetBoxes> in_place = DbPostprocessSplit(framed, score, 240, 320, options);
    ASSERT_TRUE(copied.ok() && in_place.ok());
    EXPECT_EQ(copied->quads.size(), std::size(blobs)) << dilate;
    EXPECT_EQ(in_place->quads, copied->quads) << dilate;
    EXPECT_EQ(in_place->scores, copied->scores) << dilate;
    EXPECT_EQ(cv::norm(plain, plain_before, cv::NORM_INF), 0.0);
    // Traced where it lies: the tracer marks pixels with its own values, none stays 255.
    if (!dilate) {
      EXPECT_EQ(cv::countNonZero(framed == 255), 0);
    }
  }
}

}  // namespace
}  // namespace plateau::ocr
