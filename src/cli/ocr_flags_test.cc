// The pipeline's flags: one table, each flag reaching its option, and every command that runs the
// pipeline (ocr, memcheck, serve, worker) accepting each of them.
#include "cli/ocr_flags.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "ocr/pipeline/pipeline_test_support.h"

namespace plateau::cli {
namespace {

using ::plateau::testing::kModels;

// A value for each pipeline flag other than its default, and how to tell it reached the options.
struct FlagCase {
  std::vector<std::string> args;  // after the flag: its value, none for a switch
  std::function<bool(const OcrOptions&)> reached;
};

std::map<std::string, FlagCase> Cases() {
  return {
      {"model_dir", {{kModels}, [](const OcrOptions& o) { return o.model_dir == kModels; }}},
      {"threads", {{"3"}, [](const OcrOptions& o) { return o.threads == 3; }}},
      {"use_doc_orientation_classify",
       {{"True"}, [](const OcrOptions& o) { return o.use_doc_orientation_classify; }}},
      {"doc_orientation_classify_model_dir",
       {{"doc.onnx"}, [](const OcrOptions& o) { return o.doc_orientation_model == "doc.onnx"; }}},
      // Only False is accepted; it changes nothing.
      {"use_doc_unwarping", {{"False"}, [](const OcrOptions&) { return true; }}},
      {"use_textline_orientation",
       {{"False"}, [](const OcrOptions& o) { return !o.use_textline_orientation; }}},
      {"textline_orientation_thresh",
       {{"0.7"}, [](const OcrOptions& o) { return o.textline_orientation_thresh == 0.7; }}},
      {"textline_orientation_page_thresh",
       {{"0.99"}, [](const OcrOptions& o) { return o.textline_orientation_page_thresh == 0.99; }}},
      {"text_det_limit_side_len",
       {{"96"}, [](const OcrOptions& o) { return o.text_det_limit_side_len == 96; }}},
      {"text_det_limit_type", {{"max"}, [](const OcrOptions& o) { return o.text_det_limit_type == "max"; }}},
      {"text_det_thresh", {{"0.25"}, [](const OcrOptions& o) { return o.text_det_thresh == 0.25; }}},
      {"text_det_box_thresh", {{"0.5"}, [](const OcrOptions& o) { return o.text_det_box_thresh == 0.5; }}},
      {"text_det_unclip_ratio", {{"2"}, [](const OcrOptions& o) { return o.text_det_unclip_ratio == 2; }}},
      {"text_det_max_side_limit",
       {{"2000"}, [](const OcrOptions& o) { return o.text_det_max_side_limit == 2000; }}},
      {"text_det_tiled", {{"False"}, [](const OcrOptions& o) { return !o.text_det_tiled; }}},
      {"text_rec_score_thresh",
       {{"0.5"}, [](const OcrOptions& o) { return o.text_rec_score_thresh == 0.5; }}},
      {"text_rec_space_gaps", {{"False"}, [](const OcrOptions& o) { return !o.text_rec_space_gaps; }}},
      {"text_rec_fold_fullwidth",
       {{"False"}, [](const OcrOptions& o) { return !o.text_rec_fold_fullwidth; }}},
      {"text_recognition_batch_size",
       {{"6"}, [](const OcrOptions& o) { return o.text_recognition_batch_size == 6; }}},
      {"textline_orientation_batch_size",
       {{"2"}, [](const OcrOptions& o) { return o.textline_orientation_batch_size == 2; }}},
      {"max_image_pixels", {{"1000000"}, [](const OcrOptions& o) { return o.max_image_pixels == 1000000; }}},
      {"timing", {{}, [](const OcrOptions& o) { return o.timing; }}},
      {"memory_limit", {{"1000000000"}, [](const OcrOptions& o) { return o.memory_limit == 1000000000u; }}},
  };
}

std::vector<std::string> Args(const std::string& flag, const FlagCase& c) {
  std::vector<std::string> args = {"plateau", "command", "--" + flag};
  args.insert(args.end(), c.args.begin(), c.args.end());
  return args;
}

TEST(OcrOptionFlagsTest, EachFlagReachesItsOption) {
  const std::map<std::string, FlagCase> cases = Cases();
  std::set<std::string> table;
  for (const FlagSpec& spec : OcrOptionFlags()) {
    table.insert(spec.name);
    auto it = cases.find(spec.name);
    ASSERT_NE(it, cases.end()) << "--" << spec.name << " has no case in this test";
    if (spec.name == "model_dir" && !::plateau::testing::HaveModels()) continue;  // it must hold the models
    auto flags = Flags::Parse(OcrOptionFlags(), Args(spec.name, it->second), 2);
    ASSERT_TRUE(flags.ok()) << flags.status().ToString();
    OcrOptions options;
    const Status st = ApplyOcrOptionFlags(*flags, {}, &options);
    ASSERT_TRUE(st.ok()) << "--" << spec.name << ": " << st.ToString();
    EXPECT_TRUE(it->second.reached(options)) << "--" << spec.name << " did not reach its option";
  }
  for (const auto& [name, c] : cases)
    EXPECT_TRUE(table.count(name)) << "--" << name << " is not in the table";
}

// A flag the command declares itself is the command's: its help, and its reading.
TEST(OcrOptionFlagsTest, ACommandsOwnDeclarationStands) {
  const std::vector<FlagSpec> own = {{"input", "the input", true, false, {"i"}},
                                     {"threads", "the command's threads", false, false, {}}};
  const std::vector<FlagSpec> specs = WithOcrOptionFlags(own);
  EXPECT_EQ(specs.size(), OcrOptionFlags().size() + 1);
  size_t threads = 0;
  for (const FlagSpec& s : specs) {
    if (s.name != "threads") continue;
    ++threads;
    EXPECT_EQ(s.help, "the command's threads");
  }
  EXPECT_EQ(threads, 1u);
  auto flags = Flags::Parse(specs, {"plateau", "command", "--threads", "3", "--text_det_thresh", "0.4"}, 2);
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  OcrOptions options;
  options.threads = 7;
  ASSERT_TRUE(ApplyOcrOptionFlags(*flags, own, &options).ok());
  EXPECT_EQ(options.threads, 7);
  EXPECT_EQ(options.text_det_thresh, 0.4);
}

TEST(OcrOptionFlagsTest, BadValuesAreRefusedNamingTheFlag) {
  for (const auto& [flag, value] :
       std::vector<std::pair<std::string, std::string>>{{"text_det_tiled", "yes"},
                                                        {"text_det_thresh", "high"},
                                                        {"threads", "-1"},
                                                        {"text_det_box_thresh", "nan"}}) {
    auto flags = Flags::Parse(OcrOptionFlags(), {"plateau", "command", "--" + flag, value}, 2);
    ASSERT_TRUE(flags.ok()) << flags.status().ToString();
    OcrOptions options;
    const Status st = ApplyOcrOptionFlags(*flags, {}, &options);
    EXPECT_FALSE(st.ok()) << flag;
    EXPECT_NE(st.message().find("--" + flag), std::string::npos) << st.ToString();
  }
  auto unwarp = Flags::Parse(OcrOptionFlags(), {"plateau", "command", "--use_doc_unwarping", "True"}, 2);
  ASSERT_TRUE(unwarp.ok());
  OcrOptions options;
  EXPECT_EQ(ApplyOcrOptionFlags(*unwarp, {}, &options).code(), StatusCode::kUnimplemented);
}

TEST(OcrOptionFlagsTest, PipelineErrorsNamingAParameterAreGivenAsTheFlags) {
  EXPECT_EQ(AsFlagError(Status::InvalidArgument("text_det_thresh = 2 is out of range")).message(),
            "flag --text_det_thresh: text_det_thresh = 2 is out of range");
  EXPECT_EQ(AsFlagError(Status::NotFound("doc_orientation_model: no such file")).message(),
            "flag --doc_orientation_classify_model_dir: no such file");
  EXPECT_EQ(AsFlagError(Status::Internal("something else")).message(), "something else");
}

// Runs the plateau binary, stderr and stdout together.
std::pair<int, std::string> RunPlateau(const std::vector<std::string>& args) {
  std::string command = PLATEAU_BINARY_DIR "/plateau";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buffer{};
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Every command that runs the pipeline lists each pipeline flag in its help and accepts it: given with
// a valid value, the command goes on to the first check after the flags are read, which fails on
// purpose (no input, a port out of range, a Redis URL that is not one) before any model is loaded.
TEST(OcrOptionFlagsTest, EveryPipelineCommandAcceptsEachPipelineFlag) {
  struct Command {
    std::string name;
    std::vector<std::string> failing_on_purpose;
    std::string expected_error;
  };
  const std::vector<Command> commands = {
      {"ocr", {}, "flag --input (-i) is required"},
      {"memcheck", {}, "flag --input (-i) is required"},
      {"serve", {"--port", "70000"}, "flag --port"},
      {"worker", {"--redis", "tcp://nowhere"}, "flag --redis"},
  };
  const std::map<std::string, FlagCase> cases = Cases();
  for (const Command& c : commands) {
    const auto [help_code, help] = RunPlateau({c.name, "--help"});
    EXPECT_EQ(help_code, 0) << c.name << ": " << help;
    for (const FlagSpec& spec : OcrOptionFlags()) {
      EXPECT_NE(help.find("--" + spec.name + " "), std::string::npos)
          << c.name << " --help lacks --" << spec.name;
      std::vector<std::string> args = {c.name, "--" + spec.name};
      const FlagCase& fc = cases.at(spec.name);
      args.insert(args.end(), fc.args.begin(), fc.args.end());
      if (spec.name == "model_dir" && !::plateau::testing::HaveModels()) continue;
      args.insert(args.end(), c.failing_on_purpose.begin(), c.failing_on_purpose.end());
      const auto [code, out] = RunPlateau(args);
      EXPECT_NE(code, 0) << c.name << " --" << spec.name;
      EXPECT_EQ(out.find("unknown flag"), std::string::npos) << c.name << " --" << spec.name << ": " << out;
      EXPECT_NE(out.find(c.expected_error), std::string::npos) << c.name << " --" << spec.name << ": " << out;
    }
  }
}

}  // namespace
}  // namespace plateau::cli
