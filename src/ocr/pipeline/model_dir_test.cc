#include "plateau/model_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "ocr/pipeline/pipeline_test_support.h"

namespace plateau {
namespace {

namespace fs = std::filesystem;
using ::plateau::testing::kModels;

// Sets (or unsets) PLATEAU_MODEL_DIR and the working directory for one test, and puts both back.
class ModelDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("PLATEAU_MODEL_DIR")) saved_env_ = v;
    unsetenv("PLATEAU_MODEL_DIR");
    saved_cwd_ = fs::current_path();
    empty_ = fs::temp_directory_path() / ("plateau_model_dir_test_" + std::to_string(getpid()));
    fs::create_directories(empty_);
    fs::current_path(empty_);
  }
  void TearDown() override {
    fs::current_path(saved_cwd_);
    fs::remove_all(empty_);
    if (saved_env_) {
      setenv("PLATEAU_MODEL_DIR", saved_env_->c_str(), 1);
    } else {
      unsetenv("PLATEAU_MODEL_DIR");
    }
  }
  std::optional<std::string> saved_env_;
  fs::path saved_cwd_;
  fs::path empty_;
};

TEST_F(ModelDirTest, ExplicitDirectoryHoldingTheModelsIsUsed) {
  SKIP_WITHOUT_MODELS();
  auto dir = FindModelDir(kModels);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, kModels);
}

TEST_F(ModelDirTest, ExplicitDirectoryWithoutModelsIsNamedWithTheFetchCommand) {
  auto dir = FindModelDir(empty_.string());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kNotFound);
  const std::string& m = dir.status().message();
  EXPECT_NE(m.find(empty_.string()), std::string::npos) << m;
  EXPECT_NE(m.find("ch_PP-OCRv4_det_infer.onnx"), std::string::npos) << m;
  EXPECT_NE(m.find("make models"), std::string::npos) << m;
}

TEST_F(ModelDirTest, EnvironmentVariableIsUsedAndAWrongOneIsAnError) {
  SKIP_WITHOUT_MODELS();
  setenv("PLATEAU_MODEL_DIR", kModels.c_str(), 1);
  auto dir = FindModelDir();
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, kModels);
  // An explicit directory still comes first.
  EXPECT_FALSE(FindModelDir(empty_.string()).ok());
  setenv("PLATEAU_MODEL_DIR", empty_.c_str(), 1);
  auto wrong = FindModelDir("", {kModels});
  ASSERT_FALSE(wrong.ok()) << "a wrong PLATEAU_MODEL_DIR was passed over";
  EXPECT_NE(wrong.status().message().find("PLATEAU_MODEL_DIR='" + empty_.string() + "'"), std::string::npos)
      << wrong.status().message();
}

TEST_F(ModelDirTest, ExtraDirectoriesAreSearchedBeforeTheWorkingDirectory) {
  SKIP_WITHOUT_MODELS();
  auto dir = FindModelDir("", {(empty_ / "nothing").string(), kModels});
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, kModels);
}

TEST_F(ModelDirTest, WorkingDirectoryModelsAreFoundLast) {
  SKIP_WITHOUT_MODELS();
  fs::create_directory_symlink(kModels, empty_ / "models");
  auto dir = FindModelDir();
  // Unless models are installed on this machine, ./models is what is found.
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  bool installed = false;
  for (const std::string& d : InstalledModelDirs()) installed = installed || *dir == d;
  if (!installed) {
    EXPECT_EQ(*dir, "models");
  }
}

TEST_F(ModelDirTest, NothingFoundListsEveryPlaceLookedAt) {
  std::string extra = (empty_ / "extra").string();
  auto dir = FindModelDir("", {extra});
  if (dir.ok()) GTEST_SKIP() << "models are installed on this machine (" << *dir << ")";
  const std::string& m = dir.status().message();
  EXPECT_NE(m.find("PLATEAU_MODEL_DIR (not set)"), std::string::npos) << m;
  EXPECT_NE(m.find(extra + " (no such directory)"), std::string::npos) << m;
  for (const std::string& d : InstalledModelDirs()) {
    EXPECT_NE(m.find(d), std::string::npos) << m;
  }
  EXPECT_NE(m.find("./models"), std::string::npos) << m;
  EXPECT_NE(m.find("make models"), std::string::npos) << m;
}

}  // namespace
}  // namespace plateau
