// Execute in steady state must not grow the heap.
//
// oneDNN 2.6 itself allocates and frees a few small blocks inside every primitive execution (its
// execution context: measured 4-10 operator new per primitive, 21 for ConvTranspose's two steps, and for
// gemm-based matmul and layer norm 1-2 posix_memalign), none of which outlive the call. Our side
// (Bind/Execute, argument arrays, sum-operand copies, plain kernels) allocates nothing. This test
// checks the part that matters for a memory plateau: bytes in use do not change across executions.
#include <gtest/gtest.h>
#include <malloc.h>

#include "engine/ops/onednn/kernel_test_util.h"

namespace plateau::ops::onednn::testing {
namespace {

TEST(OnednnSteadyStateTest, ExecuteDoesNotGrowTheHeap) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "mallinfo2 does not see the sanitizer's allocator";
#endif
  std::mt19937 rng(31);
  struct Case {
    std::string what;
    graph::Node node;
    std::vector<Input> inputs;
    RunOptions options;
  };
  std::vector<Case> cases;
  {
    std::vector<Input> in = {Runtime(RandomFloats({1, 16, 24, 20}, rng)),
                             Constant(RandomFloats({32, 16, 3, 3}, rng)), Constant(RandomFloats({32}, rng)),
                             Runtime(RandomFloats({1, 32, 24, 20}, rng))};
    graph::Node conv = MakeNode("Conv", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}});
    conv.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {3}});
    conv.post_ops.push_back(
        graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kHardSwish, 0, 0, {}});
    cases.push_back({"conv+sum", conv, in, RunOptions{true}});
  }
  cases.push_back({"deconv",
                   MakeNode("ConvTranspose", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}),
                   {Runtime(RandomFloats({1, 8, 10, 12}, rng)), Constant(RandomFloats({8, 4, 2, 2}, rng)),
                    Constant(RandomFloats({4}, rng))},
                   RunOptions{true}});
  cases.push_back({"mul",
                   MakeNode("Mul"),
                   {Runtime(RandomFloats({1, 16, 24, 20}, rng)), Runtime(RandomFloats({1, 16, 1, 1}, rng))},
                   RunOptions{true}});
  cases.push_back({"matmul",
                   MakeNode("MatMul"),
                   {Runtime(RandomFloats({1, 40, 64}, rng)), Constant(RandomFloats({64, 48}, rng))},
                   RunOptions{}});
  cases.push_back({"slice",
                   MakeNode("Slice"),
                   {Runtime(RandomFloats({3, 5, 7}, rng)), Constant(Int64s({1}, {1})),
                    Constant(Int64s({1}, {3})), Constant(Int64s({1}, {1}))},
                   RunOptions{}});
  for (Case& c : cases) {
    auto ref = RunOp(c.node, c.inputs, 11, 1);
    ASSERT_TRUE(ref.ok()) << c.what << ": " << ref.status().ToString();
    graph::Node node = WithIds(c.node, c.inputs, 1);
    WeightStore store;
    auto b = Prepare(node, c.inputs, ref->infos, c.options, store);
    ASSERT_TRUE(b.ok()) << c.what << ": " << b.status().ToString();
    dnnl::stream stream(TestEngine());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(b->kernel->Execute(stream).ok());
    stream.wait();
    const size_t before = mallinfo2().uordblks;
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(b->kernel->Execute(stream).ok());
    stream.wait();
    const size_t after = mallinfo2().uordblks;
    // A few hundred bytes of allocator bookkeeping may settle once; a per-call leak would be 50x that.
    EXPECT_LE(after, before + 1024) << c.what << ": heap grew by " << (after - before) << " bytes in 50 runs";
  }
}

}  // namespace
}  // namespace plateau::ops::onednn::testing
