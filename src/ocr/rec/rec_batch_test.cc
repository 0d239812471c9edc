#include "ocr/rec/rec_batch.h"

#include <gtest/gtest.h>

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

TEST(RecBucketTest, LineCountsRoundUpToPowersOfTwoCappedAtTheBatchSize) {
  EXPECT_EQ(RecBucketLines(1, 6), 1);
  EXPECT_EQ(RecBucketLines(2, 6), 2);
  EXPECT_EQ(RecBucketLines(3, 6), 4);
  EXPECT_EQ(RecBucketLines(4, 6), 4);
  EXPECT_EQ(RecBucketLines(5, 6), 6);
  EXPECT_EQ(RecBucketLines(6, 6), 6);
  EXPECT_EQ(RecBucketLines(9, 16), 16);
  EXPECT_EQ(RecBucketLines(1, 1), 1);
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
