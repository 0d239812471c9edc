// Session behaviour on the real models: plan cache bounds, arena reuse, no heap allocation in steady
// state, clear errors for bad inputs, and oneDNN kernels agreeing with the reference kernels.
#include <gtest/gtest.h>
#include <malloc.h>
#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <random>
#include <sstream>
#include <thread>

#include "engine/ops/onednn/kernel.h"
#include "plateau/engine.h"
#include "tests/test_allocator.h"

namespace plateau {
namespace {

std::string ModelPath(const std::string& file) { return std::string(PLATEAU_SOURCE_DIR) + "/models/" + file; }

#define REQUIRE_MODEL(file)                                                        \
  if (!std::filesystem::exists(ModelPath(file))) {                                 \
    GTEST_SKIP() << "model " << file << " missing: run `make models` to fetch it"; \
  }

Tensor RandomInput(const Shape& s, unsigned seed) {
  auto t = Tensor::Zeros(DType::kFloat32, s);
  EXPECT_TRUE(t.ok());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int64_t i = 0; i < s.num_elements(); ++i) t->as<float>()[i] = dist(rng);
  return std::move(t).value();
}

std::shared_ptr<const Model> LoadOrDie(const std::string& file) {
  auto m = Model::Load(ModelPath(file));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : nullptr;
}

float MaxAbsDiff(const TensorView& a, const TensorView& b) {
  EXPECT_EQ(a.shape, b.shape);
  float m = 0;
  for (int64_t i = 0; i < a.shape.num_elements(); ++i) {
    m = std::max(m, std::abs(a.as<float>()[i] - b.as<float>()[i]));
  }
  return m;
}

// Runs both kernel sets on the same input and compares; oneDNN is the fast path, the reference kernels
// are the naive yardstick.
void ExpectMatchesReference(const std::string& file, const Shape& shape, float tol) {
  auto model = LoadOrDie(file);
  ASSERT_NE(model, nullptr);
  auto fast = Session::Create(model, {.threads = 2});
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  auto ref = Session::Create(model, {.threads = 1, .reference_kernels = true});
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  Tensor x = RandomInput(shape, 3);
  std::vector<TensorView> out_fast, out_ref;
  Status st = (*fast)->Run({x.view()}, &out_fast);
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = (*ref)->Run({x.view()}, &out_ref);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(out_fast.size(), out_ref.size());
  for (size_t i = 0; i < out_fast.size(); ++i) {
    float d = MaxAbsDiff(out_fast[i], out_ref[i]);
    EXPECT_LE(d, tol) << file << " at " << shape.ToString() << " output " << i;
    std::printf("%s %s: max abs diff oneDNN vs reference %.3g\n", file.c_str(), shape.ToString().c_str(), d);
  }
}

TEST(SessionTest, DetMatchesReferenceKernels) {
  REQUIRE_MODEL("ch_PP-OCRv4_det_infer.onnx");
  ExpectMatchesReference("ch_PP-OCRv4_det_infer.onnx", Shape{1, 3, 64, 96}, 5e-4f);
}

TEST(SessionTest, RecMatchesReferenceKernels) {
  REQUIRE_MODEL("ch_PP-OCRv4_rec_infer.onnx");
  ExpectMatchesReference("ch_PP-OCRv4_rec_infer.onnx", Shape{2, 3, 48, 80}, 1e-4f);
}

TEST(SessionTest, ClsMatchesReferenceKernels) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  ExpectMatchesReference("ch_ppocr_mobile_v2.0_cls_infer.onnx", Shape{3, 3, 48, 192}, 1e-4f);
}

TEST(SessionTest, PlanCacheEvictsLeastRecentlyUsedAndBoundsArena) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  auto model = LoadOrDie("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto session = Session::Create(model, {.threads = 1, .plan_cache_capacity = 2});
  ASSERT_TRUE(session.ok());
  std::vector<size_t> arenas;
  for (int b : {1, 2, 4}) {
    auto plan = (*session)->Plan({Shape{b, 3, 48, 192}});
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    arenas.push_back(plan->arena_bytes);
  }
  SessionStats s = (*session)->stats();
  EXPECT_EQ(s.plans_cached, 2u);
  EXPECT_EQ(s.plan_evictions, 1u);
  EXPECT_EQ(s.plan_misses, 3u);
  // Batch 1 was evicted; asking again is a miss, batch 4 is a hit.
  ASSERT_TRUE((*session)->Plan({Shape{4, 3, 48, 192}}).ok());
  EXPECT_EQ((*session)->stats().plan_hits, 1u);
  ASSERT_TRUE((*session)->Plan({Shape{1, 3, 48, 192}}).ok());
  EXPECT_EQ((*session)->stats().plan_misses, 4u);
  // Running each shape: the arena never holds more than the largest cached plan needs.
  for (int round = 0; round < 3; ++round) {
    for (int b : {1, 2, 4}) {
      Tensor x = RandomInput(Shape{b, 3, 48, 192}, b);
      std::vector<TensorView> out;
      ASSERT_TRUE((*session)->Run({x.view()}, &out).ok());
      EXPECT_LE((*session)->stats().arena_bytes, *std::max_element(arenas.begin(), arenas.end()));
      EXPECT_LE((*session)->stats().plans_cached, 2u);
    }
  }
  // The arena stays at its high-water mark (batch 4) although batch 4's plan was evicted.
  EXPECT_GT((*session)->stats().plan_evictions, 1u);
  EXPECT_EQ((*session)->stats().arena_bytes, *std::max_element(arenas.begin(), arenas.end()));
  (*session)->Trim();
  EXPECT_EQ((*session)->stats().arena_bytes, 0u);
  EXPECT_EQ((*session)->stats().plans_cached, 0u);
}

TEST(SessionTest, ArenaIsSmallerThanTheSumOfActivations) {
  REQUIRE_MODEL("ch_PP-OCRv4_det_infer.onnx");
  auto model = LoadOrDie("ch_PP-OCRv4_det_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto session = Session::Create(model, {.threads = 1});
  ASSERT_TRUE(session.ok());
  auto plan = (*session)->Plan({Shape{1, 3, 960, 736}});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // The input alone is 8.5 MB; the output 2.8 MB. Reuse must keep the arena far below the sum of all
  // activations (hundreds of MB for this model), and the listing must state the total.
  EXPECT_GT(plan->arena_bytes, 3u * 960 * 736 * 4);
  EXPECT_LT(plan->arena_bytes, 200u << 20);
  EXPECT_NE(plan->text.find("arena:"), std::string::npos);
  EXPECT_EQ(plan->output_shapes[0], (Shape{1, 1, 960, 736}));
}

// An input written into the arena's slot (InputBuffer) gives the same outputs as one passed from the
// caller's own buffer, run after run, though each run overwrites the slot.
TEST(SessionTest, InputWrittenIntoTheArenaRunsAsACopiedOne) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  auto model = LoadOrDie("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto own = Session::Create(model, {.threads = 1});
  auto in_place = Session::Create(model, {.threads = 1});
  ASSERT_TRUE(own.ok() && in_place.ok());
  const Shape shape{2, 3, 48, 192};
  for (unsigned seed = 1; seed <= 3; ++seed) {
    Tensor x = RandomInput(shape, seed);
    std::vector<TensorView> want;
    ASSERT_TRUE((*own)->Run({x.view()}, &want).ok());
    auto slot = (*in_place)->InputBuffer({shape}, 0);
    ASSERT_TRUE(slot.ok()) << slot.status().ToString();
    EXPECT_EQ(slot->shape, shape);
    std::memcpy(slot->data, x.view().data, x.view().byte_size());
    std::vector<TensorView> got;
    ASSERT_TRUE((*in_place)->Run({*slot}, &got).ok());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(MaxAbsDiff(got[i], want[i]), 0.0f) << "seed " << seed;
  }
  EXPECT_FALSE((*in_place)->InputBuffer({shape}, 1).ok());
  EXPECT_FALSE((*in_place)->InputBuffer({shape, shape}, 0).ok());
}

std::vector<float> CopyOfOutput(const TensorView& v) {
  return std::vector<float>(v.as<float>(), v.as<float>() + v.shape.num_elements());
}

// Two models' sessions taking turns in one SharedArena give what sessions with arenas of their own give,
// as the block grows under one and is released by the other; it is as large as the larger plan, not the
// sum, and each session reports it as shared.
TEST(SessionTest, SessionsSharingAnArenaRunAsSessionsWithTheirOwn) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  REQUIRE_MODEL("ch_PP-OCRv4_det_infer.onnx");
  auto cls_model = LoadOrDie("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  auto det_model = LoadOrDie("ch_PP-OCRv4_det_infer.onnx");
  ASSERT_TRUE(cls_model != nullptr && det_model != nullptr);
  auto cls_own = Session::Create(cls_model, {.threads = 1});
  auto det_own = Session::Create(det_model, {.threads = 1});
  std::shared_ptr<SharedArena> arena = SharedArena::Create();
  auto cls = Session::Create(cls_model, {.threads = 1, .shared_arena = arena});
  auto det = Session::Create(det_model, {.threads = 1, .shared_arena = arena});
  ASSERT_TRUE(cls_own.ok() && det_own.ok() && cls.ok() && det.ok());
  EXPECT_EQ(arena->bytes(), 0u);

  // Each step: which model, at which shape; the det shapes grow, so the block moves under cls.
  struct Step {
    bool det;
    Shape shape;
  };
  const std::vector<Step> steps = {{false, {1, 3, 48, 192}}, {true, {1, 3, 64, 64}},
                                   {false, {4, 3, 48, 192}}, {true, {1, 3, 160, 128}},
                                   {false, {1, 3, 48, 192}}, {true, {1, 3, 64, 64}}};
  unsigned seed = 10;
  for (const Step& step : steps) {
    Tensor x = RandomInput(step.shape, ++seed);
    std::vector<TensorView> want, got;
    ASSERT_TRUE((step.det ? *det_own : *cls_own)->Run({x.view()}, &want).ok());
    ASSERT_TRUE((step.det ? *det : *cls)->Run({x.view()}, &got).ok());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(CopyOfOutput(got[i]), CopyOfOutput(want[i])) << step.shape.ToString();
    }
  }
  const SessionStats cls_stats = (*cls)->stats();
  const SessionStats det_stats = (*det)->stats();
  EXPECT_TRUE(cls_stats.arena_shared && det_stats.arena_shared);
  EXPECT_FALSE((*cls_own)->stats().arena_shared);
  EXPECT_EQ(cls_stats.arena_bytes, arena->bytes());
  EXPECT_EQ(det_stats.arena_bytes, arena->bytes());
  EXPECT_EQ(arena->bytes(), std::max((*cls_own)->stats().arena_bytes, (*det_own)->stats().arena_bytes));
  EXPECT_LT(arena->bytes(), (*cls_own)->stats().arena_bytes + (*det_own)->stats().arena_bytes);

  // Trimming one session releases the block; the other takes a new one and still reads right.
  (*det)->Trim();
  EXPECT_EQ(arena->bytes(), 0u);
  EXPECT_EQ((*cls)->stats().plans_cached, 2u);
  Tensor x = RandomInput({4, 3, 48, 192}, 99);
  std::vector<TensorView> want, got;
  ASSERT_TRUE((*cls_own)->Run({x.view()}, &want).ok());
  ASSERT_TRUE((*cls)->Run({x.view()}, &got).ok());
  EXPECT_EQ(CopyOfOutput(got[0]), CopyOfOutput(want[0]));
  EXPECT_GT(arena->bytes(), 0u);
  EXPECT_LE(arena->bytes(), (*cls_own)->stats().arena_bytes);
}

// plateau's own run path (plan lookup, input copy, step loop, output views) must not touch the heap once
// a shape is planned. The reference kernels allocate nothing, so a reference-kernel session isolates it.
TEST(SessionTest, SteadyStateRunAllocatesNothing) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  auto model = LoadOrDie("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto session = Session::Create(model, {.threads = 1, .reference_kernels = true});
  ASSERT_TRUE(session.ok());
  Tensor x = RandomInput(Shape{2, 3, 48, 192}, 1);
  std::vector<TensorView> inputs = {x.view()};
  std::vector<TensorView> out;
  out.reserve(4);
  ASSERT_TRUE((*session)->Run(inputs, &out).ok());  // builds the plan
  long before = plateau::testing::AllocationCount();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*session)->Run(inputs, &out).ok());
  long news = plateau::testing::AllocationCount() - before;
  EXPECT_EQ(news, 0) << "operator new called " << news << " times in 3 steady-state runs";
}

// With oneDNN kernels, oneDNN's execute() builds a small per-call argument map internally (a few
// allocations per primitive, all freed before it returns). What must hold: the count is the same on
// every run and the heap in use does not grow. The in-use figure settles over the first few hundred
// runs (about 6 KB of glibc and OpenMP bookkeeping, then flat for thousands of runs), so growth is judged
// over 500 runs after 300 warm-up runs: a leak of even 16 bytes per run would add 8 KB, twice the
// allowance.
#ifdef __SANITIZE_ADDRESS__
// Under the sanitizers the heap figure is not glibc's, so only the per-run count is checked, briefly.
constexpr int kWarmupRuns = 3, kMeasuredRuns = 20;
#else
constexpr int kWarmupRuns = 300, kMeasuredRuns = 500;
#endif

TEST(SessionTest, SteadyStateOneDnnRunsDoNotGrowTheHeap) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  auto model = LoadOrDie("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto session = Session::Create(model, {.threads = 2});
  ASSERT_TRUE(session.ok());
  Tensor x = RandomInput(Shape{2, 3, 48, 192}, 1);
  std::vector<TensorView> inputs = {x.view()};
  std::vector<TensorView> out;
  out.reserve(4);
  std::vector<long> per_run;
  per_run.reserve(kMeasuredRuns);
  for (int i = 0; i < kWarmupRuns; ++i) ASSERT_TRUE((*session)->Run(inputs, &out).ok());  // warm-up
#ifndef __SANITIZE_ADDRESS__
  size_t heap_before = mallinfo2().uordblks;
#endif
  for (int i = 0; i < kMeasuredRuns; ++i) {
    long before = plateau::testing::AllocationCount();
    ASSERT_TRUE((*session)->Run(inputs, &out).ok());
    per_run.push_back(plateau::testing::AllocationCount() - before);
  }
#ifndef __SANITIZE_ADDRESS__
  long growth = static_cast<long>(mallinfo2().uordblks) - static_cast<long>(heap_before);
  EXPECT_LT(growth, 4096) << "heap in use grew by " << growth << " bytes over 500 steady-state runs";
#endif
  for (long n : per_run) ASSERT_EQ(n, per_run[0]) << "allocations per run changed between runs";
  std::printf("operator new calls per steady-state run (inside oneDNN execute): %ld\n", per_run[0]);
}

TEST(SessionTest, BadInputsGetClearErrorsAndTheSessionKeepsWorking) {
  REQUIRE_MODEL("ch_PP-OCRv4_det_infer.onnx");
  auto model = LoadOrDie("ch_PP-OCRv4_det_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto session = Session::Create(model, {.threads = 1});
  ASSERT_TRUE(session.ok());
  std::vector<TensorView> out;

  Tensor rank3 = RandomInput(Shape{3, 32, 32}, 1);
  Status st = (*session)->Run({rank3.view()}, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("rank 4"), std::string::npos) << st.message();

  Tensor four_channels = RandomInput(Shape{1, 4, 32, 32}, 1);
  st = (*session)->Run({four_channels.view()}, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("dim 1 must be 3"), std::string::npos) << st.message();

  // A zero dim never reaches a kernel.
  TensorView zero{DType::kFloat32, Shape{1, 3, 0, 32}, four_channels.data()};
  st = (*session)->Run({zero}, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("must be positive"), std::string::npos) << st.message();

  // Absurd dims are refused by the plan, with the bytes it would need, before any allocation.
  auto plan = (*session)->Plan({Shape{1, 3, 100000, 100000}});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(plan.status().message().find("bytes"), std::string::npos) << plan.status().message();
  EXPECT_NE(plan.status().message().find("1x3x100000x100000"), std::string::npos);

  Tensor wrong_count = RandomInput(Shape{1, 3, 32, 32}, 1);
  st = (*session)->Run({wrong_count.view(), wrong_count.view()}, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);

  // After all that, a good input works.
  Tensor good = RandomInput(Shape{1, 3, 64, 64}, 2);
  st = (*session)->Run({good.view()}, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out[0].shape, (Shape{1, 1, 64, 64}));
}

// The number of OS threads of this process.
size_t OsThreadCount() {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    n += entry.exists() ? 1 : 0;
  return n;
}

// A 1-thread session must keep its kernels on the calling thread even though the process default is
// every core: oneDNN fixes a kernel's thread count when the kernel is created. Run in a fresh process
// (the death-test child) so that no earlier test has started OpenMP's worker threads already.
TEST(SessionTest, OneThreadSessionRunsOnTheCallingThreadOnly) {
  REQUIRE_MODEL("ch_PP-OCRv4_det_infer.onnx");
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs at least 2 cores";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto model = Model::Load(ModelPath("ch_PP-OCRv4_det_infer.onnx"));
        if (!model.ok()) std::_Exit(2);
        const size_t before = OsThreadCount();
        auto session = Session::Create(*model, {.threads = 1});
        if (!session.ok()) std::_Exit(3);
        Tensor x = RandomInput(Shape{1, 3, 160, 160}, 5);
        std::vector<TensorView> out;
        for (int i = 0; i < 2; ++i) {
          if (!(*session)->Run({x.view()}, &out).ok()) std::_Exit(4);
        }
        const size_t after = OsThreadCount();
        std::fprintf(stderr, "threads before %zu after %zu\n", before, after);
        std::_Exit(after == before ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// A session runs on its own OpenMP thread count, but the calling thread's count is the caller's: after
// Plan and Run (a new shape, a cached one, a failing one) it is what the caller had set.
TEST(SessionTest, RunLeavesTheCallersOpenMpThreadCountAsItWas) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  auto model = LoadOrDie("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  ASSERT_NE(model, nullptr);
  const int original = omp_get_max_threads();
  constexpr int kCallers = 3;
  omp_set_num_threads(kCallers);
  for (int threads : {1, 2}) {
    auto session = Session::Create(model, {.threads = threads});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    ASSERT_TRUE((*session)->Plan({Shape{1, 3, 48, 192}}).ok());
    EXPECT_EQ(omp_get_max_threads(), kCallers) << "after Plan, session of " << threads << " threads";
    Tensor x = RandomInput(Shape{2, 3, 48, 192}, 7);
    std::vector<TensorView> out;
    for (int run = 0; run < 2; ++run) {  // the first run builds the plan, the second finds it
      ASSERT_TRUE((*session)->Run({x.view()}, &out).ok());
      EXPECT_EQ(omp_get_max_threads(), kCallers) << "after run " << run << ", session of " << threads;
    }
    Tensor too_wide = RandomInput(Shape{1, 4, 48, 192}, 8);
    EXPECT_FALSE((*session)->Run({too_wide.view()}, &out).ok());
    EXPECT_EQ(omp_get_max_threads(), kCallers) << "after a failed run, session of " << threads;
  }
  omp_set_num_threads(original);
}

// Convolution chains of the detector keep the CPU's blocked layout (on CPUs that have one) and the
// outputs still agree with the reference kernels (SessionTest.DetMatchesReferenceKernels).
TEST(SessionTest, DetPlanKeepsConvolutionChainsBlocked) {
  REQUIRE_MODEL("ch_PP-OCRv4_det_infer.onnx");
  auto model = LoadOrDie("ch_PP-OCRv4_det_infer.onnx");
  ASSERT_NE(model, nullptr);
  auto session = Session::Create(model, {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto plan = (*session)->Plan({Shape{1, 3, 64, 96}});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const graph::Layout layout = ops::onednn::PreferredBlockedLayout();
  if (layout == graph::Layout::kPlain) GTEST_SKIP() << "this CPU has no blocked convolution layout (no AVX)";
  EXPECT_NE(plan->text.find(graph::LayoutName(layout)), std::string::npos) << plan->text;
  // The backbone's 16..384-channel convolutions are blocked, the 12/18/42/360-channel neck ones NHWC.
  EXPECT_NE(plan->text.find("nhwc"), std::string::npos);
  // The first upsampling deconvolution (24 -> 24 channels, output 1x24x32x48) feeds only the last one
  // (24 -> 1 channel, NHWC), so it stays NHWC rather than have its larger output reordered.
  std::istringstream lines(plan->text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("1x24x32x48") == std::string::npos) continue;
    EXPECT_EQ(line.find("nChw"), std::string::npos) << line;
  }
}

TEST(ModelTest, MissingAndCorruptFilesAreRefusedClearly) {
  auto missing = Model::Load("/nonexistent/model.onnx");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/model.onnx"), std::string::npos);

  const char kGarbage[] = "this is not an onnx model at all \x01\x02\xff";
  auto garbage = Model::LoadFromBytes(std::string(kGarbage, sizeof(kGarbage) - 1), "garbage.onnx");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("garbage.onnx"), std::string::npos) << garbage.status().message();
}

TEST(ModelTest, TruncatedRealModelIsRefused) {
  REQUIRE_MODEL("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  std::string path = ModelPath("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string bytes(100000, '\0');
  size_t n = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  bytes.resize(n);
  auto m = Model::LoadFromBytes(bytes, "cls-truncated.onnx");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("cls-truncated.onnx"), std::string::npos) << m.status().message();
}

}  // namespace
}  // namespace plateau
