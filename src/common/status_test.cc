#include "plateau/status.h"

#include <gtest/gtest.h>

#include <string>

namespace plateau {
namespace {

TEST(StatusOrTest, HoldsAValueOrAnError) {
  StatusOr<std::string> good(std::string("text"));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, "text");
  StatusOr<std::string> bad(Status::NotFound("no such page"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
}

// value() on an error is a programmer error: it must stop the process with the Status, in Release too
// (where a plain assert would vanish and leave undefined behaviour).
TEST(StatusOrDeathTest, ValueOfAnErrorAbortsNamingTheStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  StatusOr<int> bad(Status::InvalidArgument("limit_type 'x'"));
  EXPECT_DEATH({ (void)bad.value(); }, "StatusOr::value\\(\\) on an error: .*limit_type 'x'");
  EXPECT_DEATH({ (void)*bad; }, "limit_type 'x'");
  EXPECT_DEATH({ (void)std::move(bad).value(); }, "limit_type 'x'");
}

}  // namespace
}  // namespace plateau
