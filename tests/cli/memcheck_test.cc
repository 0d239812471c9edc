// End-to-end checks of `plateau memcheck`: the binary is run as a user would run it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kPlateau = PLATEAU_BINARY_DIR "/plateau";
const std::string kModels = PLATEAU_SOURCE_DIR "/models";
const std::string kImage = PLATEAU_SOURCE_DIR "/../shared/eval/simple/chinese.png";
// Two receipts of different sizes: 463 x 605 and 457 x 1170.
const std::string kSmallReceipt = PLATEAU_SOURCE_DIR "/../shared/eval/sroie/img/005.jpg";
const std::string kLargeReceipt = PLATEAU_SOURCE_DIR "/../shared/eval/sroie/img/006.jpg";

struct CliRun {
  int exit_code = -1;
  std::string out;
};

// Runs `plateau ARGS` with stderr discarded (or appended to stdout when `merge_stderr`).
CliRun Plateau(const std::string& args, bool merge_stderr = false) {
  const std::string cmd = kPlateau + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class MemcheckCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kPlateau)) GTEST_SKIP() << kPlateau << " is not built";
    dir_ = fs::temp_directory_path() / ("plateau_memcheck_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string WriteSeries(const std::string& name, const std::vector<double>& rss) {
    const fs::path path = dir_ / (name + ".json");
    std::ofstream(path) << Json{
        {"name", name},
        {"baseline_rss_bytes", 50e6},
        {"rss_bytes", rss},
        {"peak_rss_bytes",
         200e6}}.dump();
    return path.string();
  }
  fs::path dir_;
};

TEST_F(MemcheckCliTest, RunsThePipelineAndReportsTheSeries) {
  if (!fs::exists(kModels + "/ch_PP-OCRv4_det_infer.onnx")) GTEST_SKIP() << "models missing: run make models";
  const std::string plot = (dir_ / "rss.png").string();
  CliRun r = Plateau("memcheck -i " + kImage + " --model_dir " + kModels +
                     " --iterations 5 --vary_sizes --seed 7 --threads 1 --json --plot " + plot);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << "exit " << r.exit_code << ": " << r.out;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["name"], "plateau");
  EXPECT_EQ(j["iterations"], 5);
  EXPECT_EQ(j["inputs"], 1);
  EXPECT_EQ(j["vary_sizes"], true);
  EXPECT_EQ(j["seed"], 7);
  // Five factors drawn to 1/1000 in [0.5, 1.0] of a 320x180 image: sizes may coincide, not all of them.
  EXPECT_GE(j["distinct_sizes"].get<int>(), 2);
  ASSERT_EQ(j["rss_bytes"].size(), 5u);
  double max_rss = 0;
  for (const Json& v : j["rss_bytes"]) {
    EXPECT_GT(v.get<double>(), 10e6);  // a process with three models loaded holds more than 10 MB
    max_rss = std::max(max_rss, v.get<double>());
  }
  EXPECT_GT(j["baseline_rss_bytes"].get<double>(), 10e6);
  EXPECT_GE(j["peak_rss_bytes"].get<double>(), max_rss);
  EXPECT_EQ(j["max_rss_bytes"].get<double>(), max_rss);
  const int warmup = j["warmup_iterations"];
  EXPECT_GE(warmup, 1);
  EXPECT_LE(warmup, 5);
  for (const char* key : {"warmup_bytes", "plateau_rss_bytes", "slope_bytes_per_iteration", "noise_bytes",
                          "growth_after_warmup_bytes", "projected_growth_bytes", "growth_threshold_bytes"}) {
    EXPECT_TRUE(j[key].is_number()) << key;
  }
  EXPECT_EQ(j["growth_threshold_bytes"], 2e6);
  // The exit code is the verdict.
  const std::string verdict = j["verdict"];
  EXPECT_EQ(r.exit_code, verdict == "stable" ? 0 : 1) << verdict;
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
  // plateau's own accounting per iteration, and the stats of the three models at the end.
  EXPECT_EQ(j["arena_bytes"].size(), 5u);
  EXPECT_EQ(j["plans_cached"].size(), 5u);
  EXPECT_EQ(j["memory_stats"]["models"].size(), 3u);
  cv::Mat png = cv::imread(plot);
  EXPECT_EQ(png.cols, 1200);
  EXPECT_EQ(png.rows, 650);
}

TEST_F(MemcheckCliTest, ExitCodeFollowsTheVerdictOfRecordedSeries) {
  std::vector<double> flat(100, 120e6), leak;
  for (int i = 0; i < 100; ++i) leak.push_back(120e6 + 100e3 * i);  // 100 kB per run: 9.9 MB in all
  CliRun stable = Plateau("memcheck --json --series " + WriteSeries("flat", flat));
  EXPECT_EQ(stable.exit_code, 0) << stable.out;
  Json js = Json::parse(stable.out, nullptr, false);
  ASSERT_FALSE(js.is_discarded()) << stable.out;
  ASSERT_EQ(js["series"].size(), 1u);
  EXPECT_EQ(js["series"][0]["verdict"], "stable");
  EXPECT_EQ(js["series"][0]["warmup_iterations"], 1);
  EXPECT_EQ(js["series"][0]["plateau_rss_bytes"], 120e6);
  EXPECT_EQ(js["series"][0]["warmup_bytes"], 70e6);

  CliRun growing = Plateau("memcheck --series " + WriteSeries("flat", flat) + " --series " +
                           WriteSeries("leak", leak) + " --plot " + (dir_ / "both.png").string());
  EXPECT_EQ(growing.exit_code, 1) << growing.out;
  EXPECT_NE(growing.out.find("leak: 100 iterations"), std::string::npos) << growing.out;
  EXPECT_NE(growing.out.find("growing"), std::string::npos) << growing.out;
  EXPECT_TRUE(fs::exists(dir_ / "both.png"));

  // A looser threshold turns the same series stable.
  CliRun loose = Plateau("memcheck --growth_threshold 20000000 --series " + WriteSeries("leak", leak));
  EXPECT_EQ(loose.exit_code, 0) << loose.out;
}

// Every order runs the same pages in its own fresh pipeline, in the order asked for, and the orders are
// judged together; the exit code is the joint verdict.
TEST_F(MemcheckCliTest, OrdersRunTheSamePagesInTurnAndAreComparedTogether) {
  if (!fs::exists(kModels + "/ch_PP-OCRv4_det_infer.onnx")) GTEST_SKIP() << "models missing: run make models";
  if (!fs::exists(kSmallReceipt) || !fs::exists(kLargeReceipt)) GTEST_SKIP() << "SROIE receipts missing";
  const std::string common = "memcheck -i " + kLargeReceipt + " -i " + kSmallReceipt + " --model_dir " +
                             kModels + " --iterations 4 --threads 1 --use_textline_orientation False";
  CliRun r = Plateau(common + " --order all --json");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << "exit " << r.exit_code << ": " << r.out;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const double small = 463.0 * 605, large = 457.0 * 1170;
  const std::vector<std::pair<std::string, std::vector<double>>> want = {
      {"sorted", {small, large, small, large}},
      {"reversed", {large, small, large, small}},
      {"shuffled", {}},  // seeded: whichever order, both pages twice
  };
  ASSERT_EQ(j["orders"].size(), want.size()) << r.out;
  for (size_t k = 0; k < want.size(); ++k) {
    const Json& o = j["orders"][k];
    EXPECT_EQ(o["order"], want[k].first);
    EXPECT_EQ(o["name"], "plateau " + want[k].first);
    ASSERT_EQ(o["rss_bytes"].size(), 4u);
    const std::vector<double> areas = o["page_areas"].get<std::vector<double>>();
    if (!want[k].second.empty()) {
      EXPECT_EQ(areas, want[k].second) << want[k].first;
    } else {
      ASSERT_EQ(areas.size(), 4u);
      EXPECT_EQ(std::count(areas.begin(), areas.end(), small), 2);
      EXPECT_EQ(std::count(areas.begin(), areas.end(), large), 2);
    }
    EXPECT_GE(o["warmup_iterations"].get<int>(), 1);
    EXPECT_LE(o["warmup_iterations"].get<int>(), 4);
    EXPECT_TRUE(o["warmup_record_iteration"].is_number()) << o.dump();
    EXPECT_GT(o["baseline_rss_bytes"].get<double>(), 10e6);
  }
  EXPECT_EQ(j["warmup_slack_iterations"], 3);
  EXPECT_TRUE(j["plateau_spread_bytes"].is_number());
  const std::string verdict = j["verdict"];
  EXPECT_TRUE(verdict == "stable" || verdict == "growing" || verdict == "order-dependent") << verdict;
  EXPECT_EQ(r.exit_code, verdict == "stable" ? 0 : 1) << verdict << ": " << j["reason"];
  EXPECT_FALSE(j["reason"].get<std::string>().empty());

  // The text report: one block per order, then the orders side by side and the joint verdict.
  CliRun text = Plateau(common + " --order reversed,sorted");
  ASSERT_TRUE(text.exit_code == 0 || text.exit_code == 1) << text.out;
  EXPECT_NE(text.out.find("plateau reversed: 4 iterations"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("plateau sorted: 4 iterations"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("orders compared"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("largest page at iteration 1"), std::string::npos) << text.out;  // reversed
  EXPECT_NE(text.out.find("largest page at iteration 2"), std::string::npos) << text.out;  // sorted
}

TEST_F(MemcheckCliTest, BadInputsGetAClearErrorAndExitCode2) {
  CliRun missing = Plateau("memcheck -i " + (dir_ / "nope.jpg").string(), true);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("nope.jpg"), std::string::npos) << missing.out;

  CliRun plot = Plateau("memcheck -i " + kImage + " --plot out.jpg", true);
  EXPECT_EQ(plot.exit_code, 2);
  EXPECT_NE(plot.out.find("--plot"), std::string::npos) << plot.out;

  CliRun iterations = Plateau("memcheck -i " + kImage + " --iterations 0", true);
  EXPECT_EQ(iterations.exit_code, 2);
  EXPECT_NE(iterations.out.find("--iterations"), std::string::npos) << iterations.out;

  const fs::path bad = dir_ / "bad.json";
  std::ofstream(bad) << R"({"name": "x", "rss_bytes": [1, 2]})";
  CliRun series = Plateau("memcheck --series " + bad.string(), true);
  EXPECT_EQ(series.exit_code, 2);
  EXPECT_NE(series.out.find("baseline_rss_bytes"), std::string::npos) << series.out;

  CliRun order = Plateau("memcheck -i " + kImage + " --order sorted,upside", true);
  EXPECT_EQ(order.exit_code, 2);
  EXPECT_NE(order.out.find("--order: 'upside'"), std::string::npos) << order.out;

  CliRun order_series = Plateau("memcheck --order all --series " + bad.string(), true);
  EXPECT_EQ(order_series.exit_code, 2);
  EXPECT_NE(order_series.out.find("--order"), std::string::npos) << order_series.out;
}

}  // namespace
