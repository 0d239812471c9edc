// The test binary's main: GoogleTest's, plus PLATEAU_REQUIRE_MODELS=1 (set by CI), under which a test
// skipped because the models, the golden data, the evaluation images or the plateau binary are missing
// makes the run fail. Without it such tests skip, so that the suite runs on a machine without the data;
// with it, CI cannot pass with the model tests silently skipped.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Skip messages that mean "data missing" (the tests' own wording), as opposed to a skip for a CPU
// feature, a core count or a sanitizer build.
bool SaysDataMissing(const char* message) {
  static const char* const kMarkers[] = {
      "make models",    "make goldens", "shared/eval", "SROIE data missing", "evaluation images missing",
      "models missing", "is not built"};
  for (const char* marker : kMarkers) {
    if (std::strstr(message, marker) != nullptr) return true;
  }
  return false;
}

class RequireDataListener : public ::testing::EmptyTestEventListener {
 public:
  // The name is kept here because UnitTest::current_test_info() takes the lock that GoogleTest holds
  // while it reports a part result.
  void OnTestStart(const ::testing::TestInfo& test) override {
    current_ = std::string(test.test_suite_name()) + "." + test.name();
  }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.skipped() || !SaysDataMissing(result.message())) return;
    skipped_.push_back(current_ + ": " + result.message());
  }
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  std::string current_;
  std::vector<std::string> skipped_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* require = std::getenv("PLATEAU_REQUIRE_MODELS");
  const bool required = require != nullptr && std::strcmp(require, "1") == 0;
  auto* listener = new RequireDataListener();  // owned by GoogleTest once appended
  if (required) ::testing::UnitTest::GetInstance()->listeners().Append(listener);
  int status = RUN_ALL_TESTS();
  if (required && !listener->skipped().empty()) {
    std::fprintf(stderr, "PLATEAU_REQUIRE_MODELS=1: %zu test(s) skipped for missing data:\n",
                 listener->skipped().size());
    for (const std::string& s : listener->skipped()) std::fprintf(stderr, "  %s\n", s.c_str());
    status = 1;
  }
  if (!required) delete listener;
  return status;
}
