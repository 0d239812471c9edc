#include "ocr/rec/rec_batch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/core.hpp>
#include <set>

namespace plateau::ocr {
namespace {

TEST(RecBucketTest, WidthsRoundUpToTheNextBucket) {
  EXPECT_EQ(RecBucketWidth(1), 320);
  EXPECT_EQ(RecBucketWidth(320), 320);
  EXPECT_EQ(RecBucketWidth(321), 400);
  EXPECT_EQ(RecBucketWidth(685), 800);
  EXPECT_EQ(RecBucketWidth(2561), 3200);
  EXPECT_EQ(RecBucketWidth(3200), 3200);
  // Every width a line can have (320..3200) lands in one of 11 buckets, at most a third wider than needed.
  std::set<int> seen;
  for (int w = 320; w <= 3200; ++w) {
    const int b = RecBucketWidth(w);
    ASSERT_GE(b, w);
    ASSERT_LE(3 * b, 4 * w) << w;
    seen.insert(b);
  }
  EXPECT_EQ(seen.size(), 11u);
}

TEST(RecLineWidthTest, OwnWidthFollowsTheRatioFrom320To3200) {
  EXPECT_EQ(RecLineWidth({100, 32}), 320);  // ratio 3.125: below the default 320/48
  EXPECT_EQ(RecLineWidth({100, 10}), 480);  // ratio 10
  EXPECT_EQ(RecLineWidth({100, 7}), 685);   // 685.71 truncated
  EXPECT_EQ(RecLineWidth({1000, 1}), 3200);
  EXPECT_EQ(RecLineWidth({2'000'000'000, 1}), 3200);  // no overflow on the way
  EXPECT_EQ(RecLineWidth({50, 0}), 320);              // no height: the default
}

TEST(RecScheduleTest, LineLimitIsTheBatchSizeBoundedByThePixelBound) {
  EXPECT_EQ(RecBatchLineLimit(320, 6), 6);
  EXPECT_EQ(RecBatchLineLimit(640, 6), 5);
  EXPECT_EQ(RecBatchLineLimit(1280, 6), 2);
  EXPECT_EQ(RecBatchLineLimit(1920, 6), 1);
  EXPECT_EQ(RecBatchLineLimit(3200, 6), 1);
  EXPECT_EQ(RecBatchLineLimit(320, 1), 1);
  EXPECT_EQ(RecBatchLineLimit(320, 64), 10);
  EXPECT_EQ(NextBatchRows(9, 6), 6);
  EXPECT_EQ(NextBatchRows(6, 6), 6);
  EXPECT_EQ(NextBatchRows(5, 6), 1);
  EXPECT_EQ(NextBatchRows(3, 6), 1);
  EXPECT_EQ(NextBatchRows(1, 6), 1);
}

TEST(RecScheduleTest, ShapesAreTheRowLaddersOfEveryBucket) {
  const std::vector<Shape> shapes = RecScheduleShapes(6);
  // 320, 400, 480: 1 and 6; 640: 1 and 5; 800: 1 and 4; 960: 1 and 3; 1280, 1600: 1 and 2; 1920 and up: 1.
  EXPECT_EQ(shapes.size(), 19u);
  EXPECT_EQ(shapes.front(), Shape({1, 3, 48, 320}));
  EXPECT_EQ(shapes.back(), Shape({1, 3, 48, 3200}));
  EXPECT_EQ(RecScheduleShapes(1).size(), 11u);
  for (const Shape& s : RecScheduleShapes(64)) EXPECT_LE(s[0] * s[3], kRecBatchColumns) << s.ToString();
  EXPECT_EQ(ClsScheduleShapes(6), (std::vector<Shape>{Shape({1, 3, 48, 192}), Shape({6, 3, 48, 192})}));
}

TEST(RecScheduleTest, AWidestLineRunsAloneAndShortLinesTogether) {
  // Ten short lines and one of ratio 100 (own width 3200) in the middle.
  std::vector<cv::Size> lines(10, cv::Size(60, 20));
  lines.insert(lines.begin() + 4, cv::Size(3000, 30));
  const std::vector<LineBatch> batches = ScheduleRecBatches(lines, {.batch_size = 6});
  ASSERT_EQ(batches.size(), 6u);  // 10 short lines: 6, then 1 + 1 + 1 + 1; the wide one alone, last
  EXPECT_EQ(batches[0].shape(), Shape({6, 3, 48, 320}));
  for (int k = 1; k <= 4; ++k) EXPECT_EQ(batches[k].shape(), Shape({1, 3, 48, 320}));
  EXPECT_EQ(batches[5].shape(), Shape({1, 3, 48, 3200}));
  EXPECT_EQ(batches[5].lines, std::vector<size_t>{4});
  // Stable: equal ratios keep their input order.
  EXPECT_EQ(batches[0].lines, (std::vector<size_t>{0, 1, 2, 3, 5, 6}));
}

// The schedule's contract over random line sets: every line exactly once; each batch within the pixel
// bound (or one line), of a shape RecScheduleShapes lists, holding only lines of its own bucket (so no
// line is padded wider than alone); batches in ascending width, lines in aspect-ratio order.
TEST(RecScheduleTest, InvariantsHoldOnRandomLines) {
  cv::RNG rng(20261203);
  for (int trial = 0; trial < 400; ++trial) {
    const int batch_size = 1 + rng.uniform(0, 16);
    const int n = rng.uniform(0, 120);
    std::vector<cv::Size> lines;
    for (int i = 0; i < n; ++i) {
      // Mostly short receipt lines, some long, a few absurd.
      const int h = rng.uniform(8, 60);
      const double ratio = rng.uniform(0, 10) == 0 ? rng.uniform(20.0, 400.0) : rng.uniform(0.2, 25.0);
      lines.emplace_back(std::max(1, static_cast<int>(h * ratio)), h);
    }
    const std::vector<Shape> allowed = RecScheduleShapes(batch_size);
    const std::vector<LineBatch> batches = ScheduleRecBatches(lines, {.batch_size = batch_size});
    std::vector<int> seen(lines.size(), 0);
    int last_width = 0;
    double last_ratio = -1;
    for (const LineBatch& b : batches) {
      ASSERT_EQ(b.rows, static_cast<int>(b.lines.size()));
      ASSERT_GE(b.rows, 1);
      ASSERT_LE(b.rows, batch_size);
      ASSERT_TRUE(b.rows == 1 || b.rows * b.width <= kRecBatchColumns) << b.shape().ToString();
      ASSERT_NE(std::find(allowed.begin(), allowed.end(), b.shape()), allowed.end()) << b.shape().ToString();
      ASSERT_GE(b.width, last_width);
      last_width = b.width;
      for (size_t i : b.lines) {
        ASSERT_LT(i, lines.size());
        ++seen[i];
        ASSERT_EQ(RecBucketWidth(RecLineWidth(lines[i])), b.width);
        const double ratio = static_cast<double>(lines[i].width) / lines[i].height;
        ASSERT_GE(ratio, last_ratio);
        last_ratio = ratio;
        if (RecLineWidth(lines[i]) == kRecMaxWidth) {
          ASSERT_EQ(b.rows, 1);
        }
      }
    }
    for (size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(seen[i], 1) << "line " << i << ", trial " << trial;
    // The same lines at batch size 1: one batch per line, each at its own bucket.
    const std::vector<LineBatch> alone = ScheduleRecBatches(lines, {.batch_size = 1});
    ASSERT_EQ(alone.size(), lines.size());
    // Without buckets, batches are padded to their widest line and still within the bound.
    for (const LineBatch& b : ScheduleRecBatches(lines, {.batch_size = batch_size, .bucket_shapes = false})) {
      int widest = 0;
      for (size_t i : b.lines) widest = std::max(widest, RecLineWidth(lines[i]));
      ASSERT_EQ(b.width, widest);
      ASSERT_TRUE(b.rows == 1 || (b.rows <= batch_size && b.rows * b.width <= kRecBatchColumns));
    }
  }
}

TEST(ClsScheduleTest, InputOrderFullBatchesThenOneByOne) {
  const std::vector<LineBatch> batches = ScheduleClsBatches(15, 6);
  std::vector<int> rows;
  size_t next = 0;
  for (const LineBatch& b : batches) {
    rows.push_back(b.rows);
    EXPECT_EQ(b.width, 192);
    for (size_t i : b.lines) EXPECT_EQ(i, next++);
  }
  EXPECT_EQ(next, 15u);
  EXPECT_EQ(rows, (std::vector<int>{6, 6, 1, 1, 1}));
  EXPECT_TRUE(ScheduleClsBatches(0, 6).empty());
}

TEST(RecBucketTest, PaddingRowsAndColumnsAreZeros) {
  std::vector<cv::Mat> crops = {cv::Mat(10, 30, CV_8UC3, cv::Scalar(200, 200, 200))};
  auto plain = PrepareRecBatchPerLine(crops);
  auto padded = PrepareRecBatchPerLine(crops, 400, 2);
  ASSERT_TRUE(plain.ok() && padded.ok());
  EXPECT_EQ(plain->shape(), Shape({1, 3, 48, 320}));
  EXPECT_EQ(padded->shape(), Shape({2, 3, 48, 400}));
  const float* a = plain->as<float>();
  const float* b = padded->as<float>();
  for (int row = 0; row < 3 * 48; ++row) {
    for (int x = 0; x < 400; ++x) {
      const float want = x < 320 ? a[row * 320 + x] : 0.0f;
      ASSERT_EQ(b[row * 400 + x], want) << row << "," << x;
    }
  }
  for (int i = 3 * 48 * 400; i < 2 * 3 * 48 * 400; ++i) ASSERT_EQ(b[i], 0.0f);
}

}  // namespace
}  // namespace plateau::ocr
