// OcrPipeline::Trim hands back the pipeline's own memory; the process's code pages only when asked
// (OcrTrimOptions::drop_code_pages), since they belong to every library of the process, not to plateau.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "common/process_memory.h"
#include "ocr/pipeline/pipeline_test_support.h"
#include "plateau/ocr.h"

namespace plateau {
namespace {

using ::plateau::testing::kModels;
using ::plateau::testing::SroieReceipt;

constexpr double kMiB = 1024.0 * 1024.0;

// Runs a receipt, so that the code of the stages (oneDNN's, the codecs') is resident.
void RunReceipt(OcrPipeline& pipeline) {
  auto range = pipeline.Predict({OcrInput::Path(SroieReceipt(0))});
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  for (const OcrResult& r : *range) ASSERT_TRUE(r.error.ok()) << r.error.ToString();
}

// The file-backed part of RSS is, in this process, the code and read-only data of the binary and its
// libraries. Trim and TrimIfIdle without the option must not take it down (only code the trim itself
// runs may come in); with it, the code paged in by the run goes. The thresholds are far from both
// outcomes: a run pages in tens of MiB of code (docs/MEMORY.md, "Handed back").
TEST(PipelineTrimTest, CodePagesStayUnlessTrimIsAskedToDropThem) {
  SKIP_WITHOUT_MODELS_AND_RECEIPTS();
  OcrOptions options;
  options.model_dir = kModels;
  options.idle_trim_seconds = 1;
  auto created = OcrPipeline::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  OcrPipeline& pipeline = **created;

  RunReceipt(pipeline);
  const size_t before = ReadProcessMemory().rss_file_bytes;
  pipeline.Trim();
  const size_t kept = ReadProcessMemory().rss_file_bytes;
  EXPECT_EQ(pipeline.memory_stats().shared_arena_bytes, 0u)
      << "Trim without the option still empties the sessions";
  for (const ModelMemoryStats& m : pipeline.memory_stats().models) {
    EXPECT_EQ(m.arena_bytes, 0u) << m.name << ": Trim without the option still empties the sessions";
    EXPECT_EQ(m.plans_cached, 0u) << m.name;
  }

  RunReceipt(pipeline);
  const size_t before_idle = ReadProcessMemory().rss_file_bytes;
  ASSERT_TRUE(pipeline.TrimIfIdle(std::chrono::steady_clock::now() + std::chrono::seconds(2)));
  const size_t kept_idle = ReadProcessMemory().rss_file_bytes;

  RunReceipt(pipeline);
  const size_t before_drop = ReadProcessMemory().rss_file_bytes;
  pipeline.Trim({.drop_code_pages = true});
  const size_t dropped = ReadProcessMemory().rss_file_bytes;
  std::printf(
      "file-backed RSS: %.1f -> %.1f MiB after Trim(), %.1f -> %.1f MiB after TrimIfIdle(), "
      "%.1f -> %.1f MiB after Trim({.drop_code_pages = true})\n",
      before / kMiB, kept / kMiB, before_idle / kMiB, kept_idle / kMiB, before_drop / kMiB, dropped / kMiB);

  EXPECT_GT(static_cast<double>(kept), static_cast<double>(before) - 1 * kMiB);
  EXPECT_GT(static_cast<double>(kept_idle), static_cast<double>(before_idle) - 1 * kMiB);
  EXPECT_LT(static_cast<double>(dropped), static_cast<double>(before_drop) - 8 * kMiB);
}

}  // namespace
}  // namespace plateau
