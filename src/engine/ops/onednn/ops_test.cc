// Every non-conv op of the oneDNN folder against its reference kernel, on random shapes, plain and NHWC.

#include <gtest/gtest.h>

#include "engine/ops/onednn/kernel_test_util.h"

namespace plateau::ops::onednn::testing {
namespace {

using Floatv = std::vector<float>;

std::string Layout(bool nhwc) { return nhwc ? " nhwc" : " plain"; }

RunOptions Nhwc(bool nhwc) {
  RunOptions o;
  o.nhwc = nhwc;
  return o;
}

TEST(OnednnPoolingTest, MatchesReference) {
  std::mt19937 rng(11);
  struct Case {
    const char* op;
    Shape x;
    Ints kernel, strides, pads;
    int64_t count_include_pad;
  };
  const Case cases[] = {
      {"MaxPool", {1, 8, 10, 10}, {2, 2}, {2, 2}, {0, 0, 0, 0}, 0},  // rec/cls stem
      {"MaxPool", {2, 5, 9, 7}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 0},
      {"AveragePool", {1, 6, 9, 8}, {3, 2}, {3, 2}, {0, 0, 0, 0}, 0},  // rec's pooling
      {"AveragePool", {2, 3, 7, 9}, {3, 3}, {2, 2}, {1, 0, 1, 1}, 0},
      {"AveragePool", {2, 3, 7, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 1},
  };
  for (const Case& c : cases) {
    graph::Node node = MakeNode(c.op, {{"kernel_shape", c.kernel}, {"strides", c.strides}, {"pads", c.pads}});
    if (std::string(c.op) == "AveragePool") node.attrs["count_include_pad"] = c.count_include_pad;
    std::vector<Input> in = {Runtime(RandomFloats(c.x, rng))};
    for (bool nhwc : {false, true}) {
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, Nhwc(nhwc)),
                               c.op + (" " + c.x.ToString()) + Layout(nhwc));
    }
  }
  for (Shape x : {Shape{1, 24, 13, 17}, Shape{3, 20, 1, 40}}) {
    std::vector<Input> in = {Runtime(RandomFloats(x, rng))};
    for (bool nhwc : {false, true}) {
      EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("GlobalAveragePool"), in, Nhwc(nhwc)),
                               "GlobalAveragePool " + x.ToString() + Layout(nhwc));
    }
  }
}

TEST(OnednnEltwiseTest, UnaryOpsMatchReference) {
  std::mt19937 rng(12);
  struct Case {
    const char* op;
    std::map<std::string, graph::AttrValue> attrs;
    std::vector<Input> extra;
    float lo = -3.f, hi = 3.f;
    int opset = 11;
  };
  std::vector<Case> cases;
  cases.push_back({"Relu", {}, {}});
  cases.push_back({"Sigmoid", {}, {}});
  cases.push_back({"Tanh", {}, {}});
  cases.push_back({"Exp", {}, {}});
  cases.push_back({"Sqrt", {}, {}, 0.f, 4.f});
  cases.push_back({"HardSigmoid", {{"alpha", 0.1666667f}, {"beta", 0.5f}}, {}});
  cases.push_back({"Clip", {}, {Constant(Floats({}, {0.f})), Constant(Floats({}, {6.f}))}, -3.f, 9.f});
  cases.push_back({"Clip", {{"min", -1.f}, {"max", 1.f}}, {}, -3.f, 3.f, 9});
  cases.push_back({"Pow", {}, {Constant(Floats({}, {2.f}))}});
  cases.push_back({"Pow", {}, {Constant(Floats({1}, {0.5f}))}, 0.f, 4.f});
  cases.push_back({"Pow", {}, {Constant(Floats({}, {3.f}))}});
  for (const Case& c : cases) {
    for (Shape x : {Shape{1, 7, 5, 3}, Shape{2, 33, 9}}) {
      std::vector<Input> in = {Runtime(RandomFloats(x, rng, c.lo, c.hi))};
      in.insert(in.end(), c.extra.begin(), c.extra.end());
      for (bool nhwc : {false, true}) {
        RunOptions o = Nhwc(nhwc);
        o.opset = c.opset;
        EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode(c.op, c.attrs), in, o),
                                 c.op + (" " + x.ToString()) + Layout(nhwc));
      }
    }
  }
}

TEST(OnednnEltwiseTest, RunsInPlace) {
  std::mt19937 rng(13);
  std::vector<Input> in = {Runtime(RandomFloats({2, 5, 4, 3}, rng, -3, 3))};
  RunOptions o;
  o.alias_output_to_input = 0;
  for (const char* op : {"Relu", "HardSigmoid"}) {
    EXPECT_TRUE(CanRunInPlace(MakeNode(op)));
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode(op), in, o), op);
  }
}

TEST(OnednnBinaryTest, BroadcastingMatchesReference) {
  std::mt19937 rng(14);
  struct Case {
    Shape a, b;
    bool a_const = false, b_const = false;
  };
  const Case cases[] = {
      {{2, 6, 5, 7}, {2, 6, 5, 7}},
      {{2, 6, 5, 7}, {1, 6, 1, 1}, false, true},  // per-channel constant
      {{1, 6, 1, 1}, {2, 6, 5, 7}, true, false},  // constant first: swapped
      {{2, 6, 5, 7}, {2, 6, 1, 1}},               // SE gating: [N,C,1,1] runtime operand
      {{2, 6, 1, 1}, {2, 6, 5, 7}},
      {{2, 6, 5, 7}, {}, false, true},  // scalar
      {{}, {2, 6, 5, 7}, true, false},
      {{2, 6, 5, 7}, {6, 1, 1}, false, true},  // lower rank
      {{3, 40, 17}, {3, 40, 1}},               // layer-norm style
      {{3, 40, 17}, {17}, false, true},
      {{4, 1}, {1, 5}},  // both sides broadcast: plain loop
  };
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const Case& c : cases) {
      auto make = [&](const Shape& s, bool constant) {
        Tensor t = RandomFloats(s, rng, 0.5f, 2.f);  // away from 0 for Div
        return constant ? Constant(std::move(t)) : Runtime(std::move(t));
      };
      std::vector<Input> in = {make(c.a, c.a_const), make(c.b, c.b_const)};
      for (bool nhwc : {false, true}) {
        EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode(op), in, Nhwc(nhwc)),
                                 op + (" " + c.a.ToString() + " , " + c.b.ToString()) + Layout(nhwc));
      }
    }
  }
}

TEST(OnednnBinaryTest, IntegerAndInPlace) {
  std::mt19937 rng(15);
  std::vector<Input> in = {Runtime(Int64s({3}, {4, 9, -2})), Constant(Int64s({1}, {3}))};
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Mul"), in), "int64 Mul");
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Div"), in), "int64 Div");
  std::vector<Input> f = {Runtime(RandomFloats({2, 8, 3, 3}, rng)), Runtime(RandomFloats({2, 8, 1, 1}, rng))};
  RunOptions o = Nhwc(true);
  o.alias_output_to_input = 0;
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Mul"), f, o), "in-place Mul nhwc");
}

TEST(OnednnMatMulTest, MatchesReference) {
  std::mt19937 rng(16);
  struct Case {
    Shape a, b;
    bool b_const;
  };
  const Case cases[] = {
      {{1, 40, 120}, {120, 360}, true},  // rec linear layers
      {{2, 37, 64}, {64, 19}, true},
      {{7, 33}, {33, 6625}, true},              // rec head-like
      {{1, 8, 40, 12}, {1, 8, 12, 40}, false},  // attention q.k^T
      {{1, 8, 40, 40}, {1, 8, 40, 12}, false},
      {{3, 1, 5, 6}, {1, 4, 6, 2}, false},  // broadcast batch dims both ways
      {{5, 6}, {2, 6, 3}, false},           // lower-rank A
  };
  for (const Case& c : cases) {
    std::vector<Input> in = {Runtime(RandomFloats(c.a, rng)),
                             c.b_const ? Constant(RandomFloats(c.b, rng)) : Runtime(RandomFloats(c.b, rng))};
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("MatMul"), in),
                             "MatMul " + c.a.ToString() + " x " + c.b.ToString());
  }
  // With fused post-ops, including a sum operand appended after the own inputs.
  std::vector<Input> in = {Runtime(RandomFloats({2, 9, 16}, rng)), Constant(RandomFloats({16, 24}, rng)),
                           Runtime(RandomFloats({2, 9, 24}, rng))};
  graph::Node node = MakeNode("MatMul");
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {2}});
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kSwish, 1.f, 0, {}});
  for (bool alias : {false, true}) {
    RunOptions o;
    o.alias_output_to_input = alias ? 2 : -1;
    EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o), alias ? "MatMul+sum aliased" : "MatMul+sum");
  }
}

TEST(OnednnMatMulTest, GemmMatchesReference) {
  std::mt19937 rng(17);
  for (int64_t ta : {0, 1}) {
    for (int64_t tb : {0, 1}) {
      const int64_t m = 5, k = 7, n = 9;
      Shape as = ta ? Shape{k, m} : Shape{m, k};
      Shape bs = tb ? Shape{n, k} : Shape{k, n};
      std::vector<Input> in = {Runtime(RandomFloats(as, rng)), Constant(RandomFloats(bs, rng)),
                               Constant(RandomFloats({n}, rng))};
      graph::Node node = MakeNode("Gemm", {{"transA", ta}, {"transB", tb}, {"alpha", 0.5f}, {"beta", 2.f}});
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in),
                               "Gemm transA=" + std::to_string(ta) + " transB=" + std::to_string(tb));
    }
  }
}

TEST(OnednnSoftmaxTest, LastAxisMatchesReferenceOtherAxesAreRefused) {
  std::mt19937 rng(18);
  struct Case {
    Shape x;
    int64_t axis;
    int opset;
  };
  const Case cases[] = {{{1, 8, 40, 40}, 3, 11}, {{1, 40, 6625}, 2, 9}, {{3, 2}, 1, 9}, {{2, 3, 5}, -1, 11}};
  for (const Case& c : cases) {
    RunOptions o;
    o.opset = c.opset;
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Softmax", {{"axis", c.axis}}),
                                                  {Runtime(RandomFloats(c.x, rng, -5, 5))}, o),
                             "Softmax " + c.x.ToString());
  }
  std::vector<Input> in = {Runtime(RandomFloats({2, 3, 5}, rng))};
  graph::Node node = WithIds(MakeNode("Softmax", {{"axis", int64_t{1}}}), in, 1);
  WeightStore store;
  auto b = Prepare(node, in, {ValueInfo{DType::kFloat32, Shape{2, 3, 5}, nullptr}}, RunOptions{}, store);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnimplemented);
}

TEST(OnednnResizeTest, MatchesReference) {
  std::mt19937 rng(19);
  struct Case {
    Shape x;
    Floatv scales;
    std::string mode, ctm, nearest;
  };
  const Case cases[] = {
      {{1, 8, 5, 7}, {1, 1, 2, 2}, "nearest", "asymmetric", "floor"},  // det FPN: oneDNN path
      {{2, 3, 4, 3}, {1, 1, 4, 4}, "nearest", "asymmetric", "floor"},
      {{1, 4, 6, 5}, {1, 1, 2, 2}, "linear", "half_pixel", ""},                       // oneDNN linear
      {{1, 4, 6, 5}, {1, 1, 3, 1.5}, "nearest", "half_pixel", "round_prefer_floor"},  // plain kernel
      {{1, 4, 6, 5}, {1, 1, 0.5, 0.6}, "linear", "half_pixel", ""},
      {{1, 4, 6, 5}, {1, 1, 1.7f, 2.3f}, "linear", "align_corners", ""},
      {{2, 5, 7, 4}, {1, 1, 2, 2}, "nearest", "asymmetric", "round_prefer_ceil"},
  };
  for (const Case& c : cases) {
    std::map<std::string, graph::AttrValue> attrs = {{"mode", c.mode},
                                                     {"coordinate_transformation_mode", c.ctm}};
    if (!c.nearest.empty()) attrs["nearest_mode"] = c.nearest;
    std::vector<Input> in = {Runtime(RandomFloats(c.x, rng)), Constant(Floats({0}, {})),
                             Constant(Floats({4}, c.scales))};
    for (bool nhwc : {false, true}) {
      EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Resize", attrs), in, Nhwc(nhwc)),
                               "Resize " + c.mode + "/" + c.ctm + " " + c.x.ToString() + Layout(nhwc));
    }
  }
}

// A feature pyramid's upsample-and-add (FuseResidualAdd with the Resize as host): the sum is added as
// oneDNN's resampling writes, also when the output takes the operand's buffer. Only resizes on oneDNN's
// resampling take a sum (FusesResidualSum); the plain loop refuses post-ops.
TEST(OnednnResizeTest, FusedSumMatchesReferenceWithAndWithoutSharedBuffer) {
  std::mt19937 rng(23);
  const std::map<std::string, graph::AttrValue> attrs = {
      {"mode", std::string("nearest")},
      {"coordinate_transformation_mode", std::string("asymmetric")},
      {"nearest_mode", std::string("floor")}};
  std::vector<Input> in = {Runtime(RandomFloats({1, 8, 5, 7}, rng)), Constant(Floats({0}, {})),
                           Constant(Floats({4}, {1, 1, 2, 2})), Runtime(RandomFloats({1, 8, 10, 14}, rng))};
  graph::Node node = MakeNode("Resize", attrs);
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kSum, graph::Eltwise::kRelu, 0, 0, {3}});
  node.post_ops.push_back(graph::PostOp{graph::PostOp::Kind::kEltwise, graph::Eltwise::kRelu, 0, 0, {}});
  for (bool nhwc : {false, true}) {
    for (bool alias : {false, true}) {
      RunOptions o = Nhwc(nhwc);
      o.alias_output_to_input = alias ? 3 : -1;
      EXPECT_MATCHES_REFERENCE(CompareWithReference(node, in, o),
                               std::string("Resize+sum") + Layout(nhwc) + (alias ? " aliased" : " copied"));
    }
  }
  std::vector<TensorDesc> descs;
  for (const Input& i : in) {
    TensorDesc d;
    d.shape = i.tensor->shape();
    d.constant = i.constant ? i.tensor.get() : nullptr;
    descs.push_back(d);
  }
  EXPECT_TRUE(FusesResidualSum(node, descs, Shape{1, 8, 10, 14}));
  graph::Node half_pixel = MakeNode(
      "Resize",
      {{"mode", std::string("nearest")}, {"coordinate_transformation_mode", std::string("half_pixel")}});
  EXPECT_FALSE(FusesResidualSum(half_pixel, descs, Shape{1, 8, 10, 14}));
  EXPECT_FALSE(FusesResidualSum(MakeNode("Relu"), descs, Shape{1, 8, 5, 7}));
}

TEST(OnednnConcatTest, MatchesReference) {
  std::mt19937 rng(20);
  std::vector<Input> in = {
      Runtime(RandomFloats({1, 24, 10, 12}, rng)), Runtime(RandomFloats({1, 24, 10, 12}, rng)),
      Runtime(RandomFloats({1, 24, 10, 12}, rng)), Runtime(RandomFloats({1, 24, 10, 12}, rng))};
  for (bool nhwc : {false, true}) {
    EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Concat", {{"axis", int64_t{1}}}), in, Nhwc(nhwc)),
                             "det concat" + Layout(nhwc));
  }
  std::vector<Input> mixed = {Runtime(RandomFloats({2, 3, 4, 5}, rng)),
                              Runtime(RandomFloats({2, 7, 4, 5}, rng))};
  for (int64_t axis : {1, -1}) {
    std::vector<Input> m2 = mixed;
    if (axis == -1) m2[1] = Runtime(RandomFloats({2, 3, 4, 2}, rng));
    for (bool nhwc : {false, true}) {
      EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Concat", {{"axis", axis}}), m2, Nhwc(nhwc)),
                               "concat axis " + std::to_string(axis) + Layout(nhwc));
    }
  }
  std::vector<Input> ints = {Runtime(Int64s({2}, {1, 2})), Constant(Int64s({1}, {-1}))};
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Concat", {{"axis", int64_t{0}}}), ints),
                           "int64 concat");
}

TEST(OnednnTransposeTest, MatchesReference) {
  std::mt19937 rng(21);
  struct Case {
    Shape x;
    Ints perm;
  };
  const Case cases[] = {{{1, 120, 40}, {0, 2, 1}},
                        {{1, 40, 3, 8, 15}, {2, 0, 3, 1, 4}},  // attention head split
                        {{1, 8, 40, 15}, {0, 1, 3, 2}},
                        {{2, 3, 5, 7}, {0, 3, 1, 2}},
                        {{4, 6}, {}}};
  for (const Case& c : cases) {
    std::map<std::string, graph::AttrValue> attrs;
    if (!c.perm.empty()) attrs["perm"] = c.perm;
    EXPECT_MATCHES_REFERENCE(
        CompareWithReference(MakeNode("Transpose", attrs), {Runtime(RandomFloats(c.x, rng))}),
        "Transpose " + c.x.ToString());
  }
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Transpose", {{"perm", Ints{1, 0}}}),
                                                {Runtime(Int64s({2, 3}, {1, 2, 3, 4, 5, 6}))}),
                           "int64 transpose");
}

TEST(OnednnReorderTest, PlainToNhwcAndBack) {
  std::mt19937 rng(22);
  const Shape s{2, 5, 3, 4};
  Tensor x = RandomFloats(s, rng);
  Floatv want(static_cast<size_t>(s.num_elements()));
  NchwToNhwc(x.as<float>(), want.data(), s);
  std::vector<Input> in = {Runtime(std::move(x))};
  graph::Node node = WithIds(MakeNode("plateau.Reorder", {{"layout", int64_t{1}}}), in, 1);
  WeightStore store;
  // Input plain, output nhwc: build the descs by hand.
  TensorDesc din{DType::kFloat32, s, graph::Layout::kPlain, nullptr, true};
  TensorDesc dout{DType::kFloat32, s, graph::Layout::kNhwc, nullptr, true};
  KernelContext ctx{&TestEngine(), &store};
  auto k =
      CreateKernel(node, std::span<const TensorDesc>(&din, 1), std::span<const TensorDesc>(&dout, 1), ctx);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  Floatv got(want.size(), -1.f);
  void* ip = const_cast<float*>(in[0].tensor->as<float>());
  void* op = got.data();
  (*k)->Bind(std::span<void* const>(&ip, 1), std::span<void* const>(&op, 1), nullptr);
  dnnl::stream stream(TestEngine());
  ASSERT_TRUE((*k)->Execute(stream).ok());
  stream.wait();
  EXPECT_EQ(got, want);
  // And back.
  auto back =
      CreateKernel(node, std::span<const TensorDesc>(&dout, 1), std::span<const TensorDesc>(&din, 1), ctx);
  ASSERT_TRUE(back.ok());
  Floatv plain(want.size());
  void* bp = got.data();
  void* pp = plain.data();
  (*back)->Bind(std::span<void* const>(&bp, 1), std::span<void* const>(&pp, 1), nullptr);
  ASSERT_TRUE((*back)->Execute(stream).ok());
  stream.wait();
  EXPECT_EQ(0, std::memcmp(plain.data(), in[0].tensor->data(), plain.size() * sizeof(float)));
}

TEST(OnednnNormTest, LayerNormBatchNormReduceMatchReference) {
  std::mt19937 rng(23);
  for (Shape x : {Shape{1, 40, 120}, Shape{3, 7, 33}, Shape{2, 17}}) {
    const int64_t c = x[x.rank() - 1];
    std::vector<Input> in = {Runtime(RandomFloats(x, rng, -2, 3)), Constant(RandomFloats({c}, rng)),
                             Constant(RandomFloats({c}, rng))};
    EXPECT_MATCHES_REFERENCE(
        CompareWithReference(MakeNode("plateau.LayerNorm", {{"axis", int64_t{-1}}, {"epsilon", 1e-5f}}), in),
        "LayerNorm " + x.ToString());
  }
  for (Shape x : {Shape{1, 16, 9, 11}, Shape{2, 5, 3, 4}}) {
    const int64_t c = x[1];
    std::vector<Input> in = {Runtime(RandomFloats(x, rng)), Constant(RandomFloats({c}, rng)),
                             Constant(RandomFloats({c}, rng)), Constant(RandomFloats({c}, rng)),
                             Constant(RandomFloats({c}, rng, 0.5f, 2.f))};
    for (bool nhwc : {false, true}) {
      EXPECT_MATCHES_REFERENCE(
          CompareWithReference(MakeNode("BatchNormalization", {{"epsilon", 1e-5f}}), in, Nhwc(nhwc)),
          "BatchNorm " + x.ToString() + Layout(nhwc));
    }
  }
  struct Reduce {
    Shape x;
    Ints axes;
    int64_t keepdims;
  };
  const Reduce reduces[] = {{{1, 40, 120}, {-1}, 1}, {{2, 7, 9}, {1}, 0}, {{2, 3, 4, 5}, {2, 3}, 1}};
  for (const Reduce& r : reduces) {
    EXPECT_MATCHES_REFERENCE(
        CompareWithReference(MakeNode("ReduceMean", {{"axes", r.axes}, {"keepdims", r.keepdims}}),
                             {Runtime(RandomFloats(r.x, rng))}),
        "ReduceMean " + r.x.ToString());
  }
}

TEST(OnednnPlainOpsTest, SliceCastGatherShapeMatchReference) {
  std::mt19937 rng(24);
  // Opset 9 attributes (rec's shape arithmetic) and opset 11 inputs with negative steps.
  EXPECT_MATCHES_REFERENCE(
      CompareWithReference(MakeNode("Slice", {{"axes", Ints{0}}, {"starts", Ints{1}}, {"ends", Ints{2}}}),
                           {Runtime(Int64s({4}, {1, 3, 48, 320}))}, RunOptions{false, 9}),
      "Slice opset 9");
  std::vector<Input> in = {Runtime(RandomFloats({3, 2, 40, 15}, rng)), Constant(Int64s({1}, {1})),
                           Constant(Int64s({1}, {2})), Constant(Int64s({1}, {0}))};
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Slice"), in), "Slice rec attention");
  std::vector<Input> neg = {Runtime(RandomFloats({5, 6, 7}, rng)), Constant(Int64s({2}, {-1, 1})),
                            Constant(Int64s({2}, {-100, 7})), Constant(Int64s({2}, {2, 1})),
                            Constant(Int64s({2}, {-2, 3}))};
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Slice"), neg), "Slice negative step");
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Cast", {{"to", int64_t{7}}}),
                                                {Runtime(Floats({4}, {1.f, 2.7f, -3.2f, 0.f}))}),
                           "Cast float->int64");
  EXPECT_MATCHES_REFERENCE(
      CompareWithReference(MakeNode("Cast", {{"to", int64_t{1}}}), {Runtime(Int64s({3}, {5, -6, 7}))}),
      "Cast int64->float");
  EXPECT_MATCHES_REFERENCE(
      CompareWithReference(MakeNode("Gather", {{"axis", int64_t{1}}}),
                           {Runtime(RandomFloats({2, 5, 3}, rng)), Constant(Int64s({2}, {4, -5}))}),
      "Gather");
  EXPECT_MATCHES_REFERENCE(CompareWithReference(MakeNode("Shape"), {Runtime(RandomFloats({2, 5, 3}, rng))}),
                           "Shape");
}

TEST(OnednnKernelTest, ConvsTakeNhwcOtherOpsFollowTheirInputs) {
  TensorDesc x4{DType::kFloat32, Shape{1, 8, 4, 4}, graph::Layout::kPlain, nullptr, true};
  TensorDesc n4{DType::kFloat32, Shape{1, 8, 4, 4}, graph::Layout::kNhwc, nullptr, true};
  TensorDesc x3{DType::kFloat32, Shape{1, 8, 4}, graph::Layout::kPlain, nullptr, true};
  auto one = [](const TensorDesc& d) { return std::span<const TensorDesc>(&d, 1); };
  EXPECT_TRUE(SupportsNhwc(MakeNode("Conv"), one(x4)));
  EXPECT_TRUE(SupportsNhwc(MakeNode("ConvTranspose"), one(x4)));
  EXPECT_FALSE(SupportsNhwc(MakeNode("Relu"), one(x4)));
  EXPECT_TRUE(SupportsNhwc(MakeNode("Relu"), one(n4)));
  EXPECT_TRUE(SupportsNhwc(MakeNode("GlobalAveragePool"), one(n4)));
  EXPECT_FALSE(SupportsNhwc(MakeNode("Relu"), one(x3)));
  EXPECT_FALSE(SupportsNhwc(MakeNode("Softmax"), one(n4)));
  EXPECT_FALSE(SupportsNhwc(MakeNode("MatMul"), one(n4)));
  const TensorDesc plain_pair[] = {x4, x4};
  EXPECT_FALSE(SupportsNhwc(MakeNode("Mul"), plain_pair));
  const TensorDesc mixed[] = {n4, x3};
  EXPECT_TRUE(SupportsNhwc(MakeNode("Mul"), mixed));
  const TensorDesc mixed2[] = {x4, n4};
  EXPECT_TRUE(SupportsNhwc(MakeNode("Add"), mixed2));
}

TEST(OnednnKernelTest, UnsupportedOpIsUnimplementedNotACrash) {
  std::vector<Input> in = {Runtime(Floats({2}, {1, 2}))};
  graph::Node node = WithIds(MakeNode("Erf"), in, 1);
  WeightStore store;
  auto b = Prepare(node, in, {ValueInfo{DType::kFloat32, Shape{2}, nullptr}}, RunOptions{}, store);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(b.status().message().find("Erf"), std::string::npos);
}

}  // namespace
}  // namespace plateau::ops::onednn::testing
