// plateau run from a directory without models: found through PLATEAU_MODEL_DIR, refused with every
// place named without it; the module commands take directories of images as plateau ocr does.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ocr/pipeline/pipeline_test_support.h"

namespace {

namespace fs = std::filesystem;
using ::plateau::testing::kModels;

const std::string kBinary = PLATEAU_BINARY_DIR "/plateau";
const std::string kSimple = PLATEAU_SOURCE_DIR "/../shared/eval/simple/simple.png";

struct CommandRun {
  int exit_code = -1;
  std::vector<std::string> out;  // stdout lines
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `env plateau args` in `dir`; `env` is a prefix of VAR=value words (or "-u VAR").
CommandRun RunIn(const fs::path& dir, const std::string& env, const std::vector<std::string>& args) {
  std::string cmd = "cd " + Quote(dir.string()) + " && env " + env + " " + Quote(kBinary);
  for (const std::string& a : args) cmd += " " + Quote(a);
  cmd += " > stdout.txt 2> stderr.txt";
  CommandRun r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream out(dir / "stdout.txt");
  for (std::string line; std::getline(out, line);) r.out.push_back(line);
  std::ifstream err(dir / "stderr.txt");
  std::ostringstream os;
  os << err.rdbuf();
  r.err = os.str();
  return r;
}

class ModelSearchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBinary) || !::plateau::testing::HaveModels() || !fs::exists(kSimple)) {
      GTEST_SKIP() << "needs " << kBinary << ", the models (make models) and " << kSimple;
    }
    dir_ = fs::temp_directory_path() / ("plateau_model_search_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(ModelSearchCliTest, OcrFromAnotherDirectoryUsesPlateauModelDir) {
  CommandRun r = RunIn(dir_, "PLATEAU_MODEL_DIR=" + Quote(kModels), {"ocr", "-i", kSimple, "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_FALSE(nlohmann::json::parse(r.out[0]).at("res").at("rec_texts").empty()) << r.out[0];

  CommandRun wrong = RunIn(dir_, "PLATEAU_MODEL_DIR=" + Quote(dir_.string()), {"ocr", "-i", kSimple});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_TRUE(wrong.out.empty());
  EXPECT_NE(wrong.err.find("PLATEAU_MODEL_DIR='" + dir_.string() + "'"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("make models"), std::string::npos) << wrong.err;

  CommandRun bad_flag =
      RunIn(dir_, "-u PLATEAU_MODEL_DIR", {"ocr", "-i", kSimple, "--model_dir", dir_.string()});
  EXPECT_EQ(bad_flag.exit_code, 1);
  EXPECT_NE(bad_flag.err.find("model_dir '" + dir_.string() + "'"), std::string::npos) << bad_flag.err;
}

TEST_F(ModelSearchCliTest, ModuleCommandsFindModelsAndTakeDirectories) {
  const fs::path images = dir_ / "images";
  fs::create_directories(images);
  fs::copy_file(kSimple, images / "b.png");
  fs::copy_file(kSimple, images / "a.png");
  std::ofstream(images / "notes.txt") << "not an image";
  CommandRun r =
      RunIn(dir_, "PLATEAU_MODEL_DIR=" + Quote(kModels), {"text_detection", "-i", images.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), 2u) << r.err;
  const nlohmann::json a = nlohmann::json::parse(r.out[0]).at("res");
  const nlohmann::json b = nlohmann::json::parse(r.out[1]).at("res");
  EXPECT_EQ(fs::path(a.at("input_path").get<std::string>()).filename(), "a.png");
  EXPECT_EQ(fs::path(b.at("input_path").get<std::string>()).filename(), "b.png");
  EXPECT_FALSE(a.at("dt_polys").empty());
  EXPECT_EQ(a.at("dt_polys"), b.at("dt_polys"));
}

}  // namespace
