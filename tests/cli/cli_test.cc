// The plateau command as a user runs it: the built binary in a child process, its exit code, stdout and
// stderr. Expectations come from the SROIE labels (../shared/eval/sroie/box), not from plateau's output.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ocr/pipeline/pipeline_test_support.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kBinary = PLATEAU_BINARY_DIR "/plateau";
using ::plateau::testing::kModels;
const std::string kEval = PLATEAU_SOURCE_DIR "/../shared/eval";
const std::string kReceipt = kEval + "/sroie/img/000.jpg";
const std::string kReceiptLabels = kEval + "/sroie/box/000.csv";

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr (or the terminal's output when run on a pseudo-terminal)
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// A fresh directory for one test, removed at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("plateau_cli_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// Runs `plateau args...`, stdout and stderr into files of `dir`. With `stderr_on_terminal`, stderr goes to
// a pseudo-terminal instead, whose output is returned as `err`.
Outcome RunPlateau(const std::vector<std::string>& args, const fs::path& dir,
                   bool stderr_on_terminal = false) {
  const std::string out_path = (dir / "stdout.txt").string(), err_path = (dir / "stderr.txt").string();
  std::vector<std::string> argv_s = {kBinary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  int master = -1;
  std::string terminal;
  if (stderr_on_terminal) {
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
      ADD_FAILURE() << "no pseudo-terminal";
      return {};
    }
    terminal = ptsname(master);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = stderr_on_terminal ? open(terminal.c_str(), O_RDWR | O_NOCTTY)
                                       : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(126);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  Outcome o;
  int status = 0;
  if (stderr_on_terminal) {
    // Drain the terminal while the child runs, so that it never blocks on a full buffer.
    for (bool running = true; running;) {
      pollfd p = {master, POLLIN, 0};
      if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
        char buf[4096];
        const ssize_t n = read(master, buf, sizeof buf);
        if (n > 0) o.err.append(buf, static_cast<size_t>(n));
      }
      running = waitpid(pid, &status, WNOHANG) == 0;
    }
    char buf[4096];
    for (pollfd p = {master, POLLIN, 0}; poll(&p, 1, 50) > 0 && (p.revents & POLLIN);) {
      const ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      o.err.append(buf, static_cast<size_t>(n));
    }
    close(master);
  } else {
    waitpid(pid, &status, 0);
    o.err = ReadAll(err_path);
  }
  o.exit_code = ExitCode(status);
  o.out = ReadAll(out_path);
  return o;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// One SROIE label row: the quad and the TEXT column (everything after the 8th comma).
struct Label {
  cv::Rect box;
  std::string text;
};

std::vector<Label> ReadLabels(const std::string& csv) {
  std::vector<Label> labels;
  std::ifstream in(csv);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<int> v;
    size_t pos = 0;
    while (v.size() < 8) {
      const size_t comma = line.find(',', pos);
      if (comma == std::string::npos) break;
      v.push_back(std::stoi(line.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    if (v.size() != 8) continue;
    const int x0 = std::min({v[0], v[2], v[4], v[6]}), x1 = std::max({v[0], v[2], v[4], v[6]});
    const int y0 = std::min({v[1], v[3], v[5], v[7]}), y1 = std::max({v[1], v[3], v[5], v[7]});
    labels.push_back({cv::Rect(x0, y0, x1 - x0, y1 - y0), line.substr(pos)});
  }
  return labels;
}

const Label& LabelWithText(const std::vector<Label>& labels, const std::string& text) {
  for (const Label& l : labels) {
    if (l.text == text) return l;
  }
  ADD_FAILURE() << "no label '" << text << "'";
  return labels.front();
}

// Upper case without spaces: the recogniser often drops the spaces of widely spaced receipt print.
std::string Normalized(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

#define SKIP_WITHOUT_BINARY_OR_MODELS()                                                  \
  do {                                                                                   \
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " missing: build the plateau target"; \
    SKIP_WITHOUT_MODELS();                                                               \
  } while (0)

TEST(CliOcrTest, ReadsTheReceiptAndReportsBadInputsWithoutStopping) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("ocr");
  const fs::path corrupt = tmp.path() / "corrupt.jpg";
  std::ofstream(corrupt) << "\xff\xd8\xff\xe0 this is not a JPEG after all";
  const fs::path missing = tmp.path() / "missing.png";
  const fs::path save = tmp.path() / "out";
  Outcome o = RunPlateau({"ocr", "-i", missing.string(), "-i", kReceipt, "--input", corrupt.string(),
                          "--save_path", save.string(), "--model_dir", kModels},
                         tmp.path());
  EXPECT_EQ(o.exit_code, 1) << o.err;

  // One JSON object per line, in input order.
  const std::vector<std::string> lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 3u) << o.out;
  std::vector<json> res;
  for (const std::string& line : lines) res.push_back(json::parse(line).at("res"));
  EXPECT_EQ(res[0]["input_path"], missing.string());
  EXPECT_TRUE(res[0].contains("error"));
  EXPECT_FALSE(res[0].contains("rec_texts"));
  EXPECT_EQ(res[2]["input_path"], corrupt.string());
  EXPECT_TRUE(res[2].contains("error"));
  EXPECT_FALSE(res[1].contains("error")) << res[1]["error"];
  EXPECT_TRUE(res[1]["page_index"].is_null());

  // The receipt's labelled lines are there.
  const std::vector<Label> labels = ReadLabels(kReceiptLabels);
  ASSERT_GT(labels.size(), 30u);
  std::set<std::string> texts, normalized;
  for (const std::string t : res[1]["rec_texts"]) {
    texts.insert(t);
    normalized.insert(Normalized(t));
  }
  int found = 0;
  for (const Label& l : labels) found += normalized.count(Normalized(l.text)) ? 1 : 0;
  EXPECT_GE(found, static_cast<int>(labels.size()) / 2) << "of " << labels.size() << " labelled lines";
  for (const char* line : {"789417-W", "CASH BILL", "EXCHANGEABLE"}) EXPECT_TRUE(texts.count(line)) << line;
  // UTF-8 as is: the receipt's Chinese footer arrives as raw bytes, never as \u escapes.
  EXPECT_EQ(lines[1].find("\\u"), std::string::npos);
  EXPECT_TRUE(std::any_of(lines[1].begin(), lines[1].end(), [](char c) { return c & 0x80; }));

  // stderr names each input that failed, and nothing is drawn there when it is not a terminal.
  EXPECT_NE(o.err.find(missing.string()), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(corrupt.string()), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("input files)"), std::string::npos) << o.err;

  // --save_path: the JSON (same result as stdout) and the picture (page beside the text), for the
  // receipt only.
  const json saved = json::parse(ReadAll(save / "000_res.json")).at("res");
  EXPECT_EQ(saved["rec_texts"], res[1]["rec_texts"]);
  const cv::Mat receipt = cv::imread(kReceipt);
  const cv::Mat picture = cv::imread((save / "000_ocr_res_img.png").string());
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(picture.cols, 2 * receipt.cols);
  EXPECT_EQ(picture.rows, receipt.rows);
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(save)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"000_res.json", "000_ocr_res_img.png"}));
}

// --workers 2 prints, byte for byte, what --workers 1 prints: the results, the error lines of a corrupt
// file and a missing path (which stop nothing), their order, the exit code and the files --save_path
// writes.
TEST(CliOcrTest, TwoWorkersPrintWhatOneWorkerPrints) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("workers");
  const fs::path receipts = tmp.path() / "receipts";
  fs::create_directories(receipts);
  for (const char* name : {"000.jpg", "001.jpg", "002.jpg", "003.jpg", "004.jpg", "005.jpg"}) {
    const fs::path receipt = kEval + "/sroie/img/" + name;
    ASSERT_TRUE(fs::exists(receipt)) << receipt;
    fs::create_symlink(receipt, receipts / name);
  }
  std::ofstream(receipts / "002_corrupt.jpg") << "\xff\xd8\xff\xe0 this is not a JPEG after all";
  const fs::path missing = tmp.path() / "missing.jpg";
  Outcome runs[2];
  for (int workers : {1, 2}) {
    const fs::path dir = tmp.path() / ("workers" + std::to_string(workers));
    fs::create_directories(dir);
    runs[workers - 1] =
        RunPlateau({"ocr", "-i", receipts.string(), "-i", missing.string(), "-i",
                    kEval + "/sroie/img/006.jpg", "--workers", std::to_string(workers), "--threads", "1",
                    "--save_path", (dir / "saved").string(), "--model_dir", kModels},
                   dir);
  }
  const Outcome& one = runs[0];
  const Outcome& two = runs[1];
  EXPECT_EQ(one.exit_code, 1) << one.err;
  EXPECT_EQ(two.exit_code, one.exit_code) << two.err;
  const std::vector<std::string> lines = Lines(one.out);
  ASSERT_EQ(lines.size(), 9u) << one.out;
  EXPECT_EQ(two.out, one.out);
  // Each run warms up first and prints its memory ceiling, which counts its workers; the rest is the same.
  const std::vector<std::string> err_one = Lines(one.err);
  const std::vector<std::string> err_two = Lines(two.err);
  ASSERT_EQ(err_one.size(), 3u) << one.err;
  ASSERT_EQ(err_two.size(), 3u) << two.err;
  EXPECT_EQ(err_one[0].rfind("plateau: memory ceiling ", 0), 0u) << err_one[0];
  EXPECT_NE(err_two[0].find("resident with every plan of 2 workers built"), std::string::npos) << err_two[0];
  EXPECT_EQ(std::vector<std::string>(err_two.begin() + 1, err_two.end()),
            std::vector<std::string>(err_one.begin() + 1, err_one.end()));
  EXPECT_NE(lines[3].find("002_corrupt.jpg"), std::string::npos) << lines[3];
  EXPECT_NE(lines[3].find("\"error\""), std::string::npos) << lines[3];
  EXPECT_NE(lines[7].find("missing.jpg"), std::string::npos) << lines[7];
  EXPECT_NE(lines[7].find("\"error\""), std::string::npos) << lines[7];
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(tmp.path() / "workers1" / "saved")) {
    const std::string name = e.path().filename().string();
    files.insert(name);
    EXPECT_EQ(ReadAll(tmp.path() / "workers2" / "saved" / name), ReadAll(e.path())) << name;
  }
  EXPECT_EQ(files.size(), 14u);  // a JSON and a picture for each of the 7 receipts read
  size_t files2 = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path() / "workers2" / "saved")) ++files2;
  EXPECT_EQ(files2, files.size());
}

// --timing prints the per-stage table after the results: each stage counted once per page it ran on,
// and the run's wall time, which the pages' own totals cannot exceed when one worker reads them in turn.
TEST(CliOcrTest, TimingPrintsEachStagePerPageAndTheRunsWallTime) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("timing");
  const Outcome run =
      RunPlateau({"ocr", "-i", kEval + "/sroie/img/000.jpg", "-i", kEval + "/sroie/img/001.jpg", "--timing",
                  "--threads", "1", "--model_dir", kModels},
                 tmp.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Lines(run.out).size(), 2u);
  for (const char* stage : {"decode", "detection", "crop", "textline_orientation", "recognition", "total"}) {
    EXPECT_NE(run.err.find(std::string("| ") + stage + " | 2 | "), std::string::npos) << stage << "\n"
                                                                                      << run.err;
  }
  const size_t total_row = run.err.find("| total | 2 | ");
  const size_t wall_row = run.err.find("wall ms for the run: ");
  ASSERT_NE(total_row, std::string::npos) << run.err;
  ASSERT_NE(wall_row, std::string::npos) << run.err;
  const double pages_ms = std::stod(run.err.substr(total_row + std::string("| total | 2 | ").size()));
  const double wall_ms = std::stod(run.err.substr(wall_row + std::string("wall ms for the run: ").size()));
  EXPECT_GT(pages_ms, 0);
  EXPECT_LE(pages_ms, wall_ms) << run.err;
  EXPECT_NE(run.err.find("(1 worker)"), std::string::npos) << run.err;
}

// OpenCV's image codecs, and the hundred-odd libraries they load, stay out of a process that reads JPEG
// and PNG pages (io/codecs.h); the first TIFF page loads them, and is read. The dynamic loader's own log
// (LD_DEBUG=files, on stderr) tells which libraries the process loaded.
TEST(CliOcrTest, OpenCvsCodecsAreLoadedOnlyForFormatsReadThroughThem) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("codecs");
  ::setenv("LD_DEBUG", "files", 1);
  const Outcome common = RunPlateau({"ocr", "-i", kEval + "/simple/simple.jpg", "-i",
                                     kEval + "/simple/testocr.png", "--model_dir", kModels},
                                    tmp.path());
  const Outcome tiff =
      RunPlateau({"ocr", "-i", kEval + "/pages/phototest.tif", "--model_dir", kModels}, tmp.path());
  ::unsetenv("LD_DEBUG");
  ASSERT_EQ(common.exit_code, 0) << common.err.substr(0, 2000);
  EXPECT_NE(common.err.find("file=libopencv_core"), std::string::npos) << "the loader's log is there";
  EXPECT_EQ(common.err.find("libopencv_imgcodecs"), std::string::npos);
  EXPECT_EQ(common.err.find("libgdal"), std::string::npos);
  EXPECT_NE(common.out.find("Tesseract"), std::string::npos) << common.out.substr(0, 2000);
  ASSERT_EQ(tiff.exit_code, 0) << tiff.err.substr(0, 2000);
  EXPECT_NE(tiff.err.find("file=libopencv_imgcodecs"), std::string::npos);
  EXPECT_NE(tiff.out.find("ocr code and see if it works"), std::string::npos) << tiff.out.substr(0, 2000);
}

TEST(CliOcrTest, ParametersReachThePipelineAndSuccessExitsZero) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("params");
  Outcome o = RunPlateau({"ocr", "-i", kEval + "/simple/simple.png", "--use_textline_orientation", "False",
                          "--text_rec_score_thresh", "0.5", "--text_det_limit_side_len=736",
                          "--text_det_limit_type", "max", "--threads", "1", "--model_dir", kModels},
                         tmp.path());
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::vector<std::string> lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 1u) << o.out;
  const json res = json::parse(lines[0]).at("res");
  EXPECT_EQ(res["model_settings"]["use_textline_orientation"], false);
  EXPECT_EQ(res["text_rec_score_thresh"], 0.5);
  EXPECT_EQ(res["text_det_params"]["limit_side_len"], 736);
  EXPECT_EQ(res["text_det_params"]["limit_type"], "max");
  for (int angle : res["textline_orientation_angles"]) EXPECT_EQ(angle, -1);
  // The label of simple.png (../shared/eval/README.md).
  const std::vector<std::string> texts = res["rec_texts"];
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Tesseract.js"), texts.end()) << lines[0];
  // Only the memory ceiling of the warm-up, which every plan is built for before the first page.
  const std::vector<std::string> err = Lines(o.err);
  ASSERT_EQ(err.size(), 1u) << o.err;
  EXPECT_EQ(err[0].rfind("plateau: memory ceiling ", 0), 0u) << o.err;
}

// --memory_limit reaches the pipeline. With plans built as pages need them (--no_warmup), a limit below
// what the models alone hold refuses each page with the figures, on stdout as that input's error result
// and on stderr, and the run exits 1. With the default warm-up it is refused at start, naming the ceiling.
TEST(CliOcrTest, MemoryLimitTooLowRefusesEachPageNamingTheLimit) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("memory_limit");
  const Outcome warm = RunPlateau(
      {"ocr", "-i", kReceipt, "--threads", "1", "--memory_limit", "1000000", "--model_dir", kModels},
      tmp.path());
  EXPECT_EQ(warm.exit_code, 1) << warm.err;
  EXPECT_TRUE(warm.out.empty()) << warm.out;
  EXPECT_NE(warm.err.find("memory_limit"), std::string::npos) << warm.err;
  EXPECT_NE(warm.err.find("ceiling"), std::string::npos) << warm.err;
  Outcome o = RunPlateau({"ocr", "-i", kReceipt, "-i", kReceipt, "--threads", "1", "--memory_limit",
                          "1000000", "--no_warmup", "--model_dir", kModels},
                         tmp.path());
  EXPECT_EQ(o.exit_code, 1) << o.err;
  const std::vector<std::string> lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  for (const std::string& line : lines) {
    const std::string error = json::parse(line).at("res").at("error");
    EXPECT_NE(error.find("RESOURCE_EXHAUSTED"), std::string::npos) << error;
    EXPECT_NE(error.find("over memory_limit 1000000 bytes"), std::string::npos) << error;
  }
}

// Whole-page detection has no fixed set of shapes: by default it builds plans as pages need them (no
// ceiling printed); asking for --warmup fails, saying why.
TEST(CliOcrTest, WholePageDetectionWarmsUpOnlyWhenAskedAndThenSaysItCannot) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("whole_page");
  const Outcome lazy = RunPlateau(
      {"ocr", "-i", kEval + "/simple/simple.jpg", "--text_det_tiled", "False", "--model_dir", kModels},
      tmp.path());
  EXPECT_EQ(lazy.exit_code, 0) << lazy.err;
  EXPECT_TRUE(lazy.err.empty()) << lazy.err;
  EXPECT_NE(lazy.out.find("Tesseract"), std::string::npos) << lazy.out;
  const Outcome asked = RunPlateau({"ocr", "-i", kEval + "/simple/simple.jpg", "--text_det_tiled", "False",
                                    "--warmup", "--model_dir", kModels},
                                   tmp.path());
  EXPECT_EQ(asked.exit_code, 1);
  EXPECT_TRUE(asked.out.empty()) << asked.out;
  EXPECT_NE(asked.err.find("tiled detection"), std::string::npos) << asked.err;
}

TEST(CliOcrTest, UnknownFlagsAndBadValuesAreRefusedBeforeAnyWork) {
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " missing: build the plateau target";
  TempDir tmp("refuse");
  const fs::path save = tmp.path() / "never";
  // {flag, value}; an empty value means the flag comes last with no value at all.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bogus_flag", "1"},
      {"text_det_thresh", "1.5"},
      {"text_det_box_thresh", "nan"},
      {"text_det_unclip_ratio", "0"},
      {"text_det_limit_side_len", "abc"},
      {"text_det_limit_type", "diagonal"},
      {"text_det_max_side_limit", "0"},
      {"text_rec_score_thresh", "2"},
      {"text_recognition_batch_size", "0"},
      {"textline_orientation_batch_size", "-3"},
      {"use_textline_orientation", "yes"},
      {"use_doc_unwarping", "maybe"},
      {"threads", "-1"},
      {"workers", "0"},
      {"workers", "-2"},
      {"workers", "100000"},
      {"workers", "two"},
      {"memory_limit", "-5"},
      {"memory_limit", "lots"},
      {"warmup", "--no_warmup"},
      {"text_det_thresh", ""},
  };
  for (const auto& [flag, value] : cases) {
    std::vector<std::string> args = {"ocr",         "-i",          kReceipt, "--save_path",
                                     save.string(), "--model_dir", kModels,  "--" + flag};
    if (!value.empty()) args.push_back(value);
    Outcome o = RunPlateau(args, tmp.path());
    EXPECT_NE(o.exit_code, 0) << flag;
    EXPECT_NE(o.err.find("--" + flag), std::string::npos) << "--" << flag << " " << value << ": " << o.err;
    EXPECT_EQ(Lines(o.err).size(), 1u) << o.err;
    EXPECT_TRUE(o.out.empty()) << flag << ": " << o.out;
    EXPECT_FALSE(fs::exists(save)) << flag;
  }
  Outcome no_input = RunPlateau({"ocr", "--model_dir", kModels}, tmp.path());
  EXPECT_NE(no_input.exit_code, 0);
  EXPECT_NE(no_input.err.find("--input"), std::string::npos) << no_input.err;
  Outcome stray = RunPlateau({"ocr", "-i", kReceipt, "extra"}, tmp.path());
  EXPECT_NE(stray.exit_code, 0);
  EXPECT_NE(stray.err.find("extra"), std::string::npos) << stray.err;
  EXPECT_TRUE(stray.out.empty());
}

// `plateau serve` checks its flags before loading anything: a bad value exits 1 naming the flag.
TEST(CliServeTest, BadValuesAreRefusedBeforeServing) {
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " missing: build the plateau target";
  TempDir tmp("serve_refuse");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"request_read_seconds", "-1"},
      {"request_read_seconds", "1e9"},
      {"request_read_seconds", "soon"},
      {"idle_trim_seconds", "-2"},
      {"workers", "0"},
  };
  for (const auto& [flag, value] : cases) {
    Outcome o = RunPlateau({"serve", "--port", "0", "--model_dir", kModels, "--" + flag, value}, tmp.path());
    EXPECT_EQ(o.exit_code, 1) << flag << " " << value;
    EXPECT_NE(o.err.find("--" + flag), std::string::npos) << "--" << flag << " " << value << ": " << o.err;
  }
  Outcome help = RunPlateau({"serve", "--help"}, tmp.path());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--request_read_seconds"), std::string::npos) << help.out;
}

TEST(CliOcrTest, ProgressBarOnATerminalWithSeveralInputs) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("progress");
  const std::string missing = (tmp.path() / "missing.png").string();
  // A directory with one image and a file the pipeline does not take, which the count leaves out too.
  const fs::path dir = tmp.path() / "scans";
  fs::create_directories(dir);
  fs::copy_file(kEval + "/simple/simple.png", dir / "simple.PNG");
  std::ofstream(dir / "notes.txt") << "not an image";
  Outcome o = RunPlateau({"ocr", "-i", dir.string(), "-i", missing, "--model_dir", kModels}, tmp.path(),
                         /*stderr_on_terminal=*/true);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(Lines(o.out).size(), 2u) << o.out;
  EXPECT_NE(o.err.find("] 1 result (2 input files)"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("[##############################] 2 results (2 input files)"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(missing), std::string::npos) << o.err;

  // A single input: no bar, even on a terminal.
  Outcome one = RunPlateau({"ocr", "-i", missing, "--model_dir", kModels}, tmp.path(), true);
  EXPECT_EQ(one.err.find("input files)"), std::string::npos) << one.err;
}

TEST(CliModuleTest, RecognitionAndLineOrientationOfALabelledReceiptLine) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("modules");
  const std::vector<Label> labels = ReadLabels(kReceiptLabels);
  const cv::Mat receipt = cv::imread(kReceipt);
  ASSERT_FALSE(receipt.empty());
  // Each labelled box, grown by 3 pixels, upright and upside down.
  std::vector<std::string> upright, turned, expected;
  for (const char* text : {"CASH BILL", "EXCHANGEABLE"}) {
    const Label& l = LabelWithText(labels, text);
    const cv::Rect box = cv::Rect(l.box.x - 3, l.box.y - 3, l.box.width + 6, l.box.height + 6) &
                         cv::Rect(0, 0, receipt.cols, receipt.rows);
    cv::Mat line = receipt(box).clone(), flipped;
    cv::rotate(line, flipped, cv::ROTATE_180);
    upright.push_back((tmp.path() / (std::to_string(upright.size()) + "_up.png")).string());
    turned.push_back((tmp.path() / (std::to_string(turned.size()) + "_180.png")).string());
    ASSERT_TRUE(cv::imwrite(upright.back(), line));
    ASSERT_TRUE(cv::imwrite(turned.back(), flipped));
    expected.push_back(text);
  }

  Outcome rec = RunPlateau({"text_recognition", "-i", upright[0], "-i", upright[1], "--model_dir", kModels},
                           tmp.path());
  EXPECT_EQ(rec.exit_code, 0) << rec.err;
  std::vector<std::string> lines = Lines(rec.out);
  ASSERT_EQ(lines.size(), 2u) << rec.out;
  for (size_t i = 0; i < 2; ++i) {
    const json res = json::parse(lines[i]).at("res");
    EXPECT_EQ(res["input_path"], upright[i]);
    EXPECT_TRUE(res["page_index"].is_null());
    EXPECT_EQ(Normalized(res["rec_text"]), Normalized(expected[i])) << lines[i];
    EXPECT_GT(res["rec_score"].get<double>(), 0.8);
    EXPECT_LE(res["rec_score"].get<double>(), 1.0);
  }

  Outcome cls = RunPlateau({"textline_orientation_classification", "-i", upright[0], "-i", turned[0], "-i",
                            upright[1], "-i", turned[1], "--model_dir", kModels},
                           tmp.path());
  EXPECT_EQ(cls.exit_code, 0) << cls.err;
  lines = Lines(cls.out);
  ASSERT_EQ(lines.size(), 4u) << cls.out;
  for (size_t i = 0; i < 4; ++i) {
    const json res = json::parse(lines[i]).at("res");
    const bool is_turned = i % 2 == 1;
    EXPECT_EQ(res["class_ids"], json::array({is_turned ? 1 : 0})) << lines[i];
    EXPECT_EQ(res["label_names"], json::array({is_turned ? "180_degree" : "0_degree"})) << lines[i];
    ASSERT_EQ(res["scores"].size(), 1u);
    EXPECT_GT(res["scores"][0].get<double>(), 0.5);
  }
}

TEST(CliModuleTest, DetectionFindsTheLabelledBoxes) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("det");
  const std::string missing = (tmp.path() / "missing.jpg").string();
  Outcome o =
      RunPlateau({"text_detection", "-i", kReceipt, "-i", missing, "--model_dir", kModels}, tmp.path());
  EXPECT_EQ(o.exit_code, 1) << "a missing input makes the run fail: " << o.err;
  const std::vector<std::string> lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  const json res = json::parse(lines[0]).at("res");
  EXPECT_TRUE(json::parse(lines[1]).at("res").contains("error"));
  ASSERT_EQ(res["dt_polys"].size(), res["dt_scores"].size());
  const std::vector<Label> labels = ReadLabels(kReceiptLabels);
  std::vector<cv::Rect> boxes;
  for (const json& poly : res["dt_polys"]) {
    std::vector<cv::Point> pts;
    for (const json& p : poly) pts.emplace_back(p[0].get<int>(), p[1].get<int>());
    ASSERT_EQ(pts.size(), 4u);
    boxes.push_back(cv::boundingRect(pts));
  }
  // Most labelled lines are matched by a detected box (intersection over union above 0.5).
  int matched = 0;
  for (const Label& l : labels) {
    for (const cv::Rect& b : boxes) {
      const double inter = (l.box & b).area();
      if (inter / (l.box.area() + b.area() - inter) > 0.5) {
        ++matched;
        break;
      }
    }
  }
  EXPECT_GE(matched, static_cast<int>(labels.size()) * 2 / 3) << "of " << labels.size();
  for (double s : res["dt_scores"]) {
    EXPECT_GE(s, 0.6);  // the default box threshold
    EXPECT_LE(s, 1.0);
  }
}

TEST(CliModuleTest, ModulesRefuseBadFlagsNamingThem) {
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " missing: build the plateau target";
  TempDir tmp("module_flags");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"text_detection", "-i", kReceipt, "--thresh", "7"},
           {"text_detection", "-i", kReceipt, "--limit_type", "sideways"},
           {"text_recognition", "-i", kReceipt, "--box_thresh", "0.5"},
           {"textline_orientation_classification", "-i", kReceipt, "--threads", "many"}}) {
    Outcome o = RunPlateau(args, tmp.path());
    EXPECT_NE(o.exit_code, 0) << args[3];
    EXPECT_NE(o.err.find(args[3].substr(2)), std::string::npos) << args[3] << ": " << o.err;
    EXPECT_TRUE(o.out.empty()) << o.out;
  }
}

TEST(CliModuleTest, PageOrientationOfTurnedPages) {
  SKIP_WITHOUT_BINARY_OR_MODELS();
  TempDir tmp("doc_orientation");
  // -rotated-L reads bottom to top (turned a quarter anticlockwise): it needs 270 degrees anticlockwise.
  Outcome o =
      RunPlateau({"doc_img_orientation_classification", "-i", kEval + "/pages/phototest-rotated-L.png", "-i",
                  kEval + "/pages/phototest.tif", "--model_dir", kModels},
                 tmp.path());
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::vector<std::string> lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  const nlohmann::json turned = nlohmann::json::parse(lines[0]).at("res");
  EXPECT_EQ(turned.at("class_ids"), nlohmann::json::parse("[3]"));
  EXPECT_EQ(turned.at("label_names"), nlohmann::json::parse("[\"270\"]"));
  EXPECT_EQ(turned.at("scores").size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[1]).at("res").at("label_names"), nlohmann::json::parse("[\"0\"]"));

  Outcome ocr = RunPlateau({"ocr", "-i", kEval + "/pages/phototest-rotated-R.png",
                            "--use_doc_orientation_classify", "True", "--model_dir", kModels},
                           tmp.path());
  EXPECT_EQ(ocr.exit_code, 0) << ocr.err;
  const nlohmann::json res = nlohmann::json::parse(ocr.out).at("res");
  EXPECT_EQ(res.at("doc_preprocessor_res").at("angle"), 90);
  EXPECT_EQ(res.at("model_settings").at("use_doc_preprocessor"), true);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"doc_img_orientation_classification", "-i", kReceipt, "--model", "/nonexistent/doc_ori.onnx"},
           {"ocr", "-i", kReceipt, "--doc_orientation_classify_model_dir", "/nonexistent/doc_ori"}}) {
    Outcome bad = RunPlateau(args, tmp.path());
    EXPECT_NE(bad.exit_code, 0) << args[3];
    EXPECT_NE(bad.err.find(args[3]), std::string::npos) << args[3] << ": " << bad.err;
    EXPECT_TRUE(bad.out.empty()) << bad.out;
  }
}

}  // namespace
