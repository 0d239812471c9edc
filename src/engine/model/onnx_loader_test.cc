#include "engine/model/onnx_loader.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/onnx_decode.h"
#include "engine/ops/op.h"

namespace plateau::model {
namespace {

using graph::Graph;
using graph::ValueId;

// --- Small ModelProto builders ---------------------------------------------------------------------------

onnx::ModelProto NewModel(int opset = 11) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  onnx::OperatorSetIdProto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  return m;
}

// dims: -1 becomes a named dynamic dim.
void AddInput(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
              int elem_type = onnx::TensorProto::FLOAT) {
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name(name);
  onnx::TypeProto::Tensor* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  onnx::TensorShapeProto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0) {
      shape->add_dim()->set_dim_param("dyn");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}

void AddOutput(onnx::GraphProto* g, const std::string& name) { g->add_output()->set_name(name); }

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op, const std::string& name,
                         const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& i : inputs) n->add_input(i);
  for (const std::string& o : outputs) n->add_output(o);
  return n;
}

void FillRawFloats(onnx::TensorProto* t, const std::vector<int64_t>& dims, const std::vector<float>& values) {
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

onnx::NodeProto* AddConstantNode(onnx::GraphProto* g, const std::string& out,
                                 const std::vector<int64_t>& dims, const std::vector<float>& values) {
  onnx::NodeProto* n = AddNode(g, "Constant", out + "_node", {}, {out});
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  FillRawFloats(a->mutable_t(), dims, values);
  return n;
}

onnx::AttributeProto* AddIntAttr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
  return a;
}

onnx::AttributeProto* AddFloatAttr(onnx::NodeProto* n, const std::string& name, float v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
  return a;
}

// x[1,2] + c -> y, c a Constant {1.5, -2}.
onnx::ModelProto AddModel() {
  onnx::ModelProto m = NewModel();
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 2});
  AddConstantNode(g, "c", {2}, {1.5f, -2.f});
  AddNode(g, "Add", "add0", {"x", "c"}, {"y"});
  AddOutput(g, "y");
  return m;
}

std::string Bytes(const onnx::ModelProto& m) {
  std::string s;
  EXPECT_TRUE(m.SerializeToString(&s));
  return s;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- Conversion -----------------------------------------------------------------------------------------

TEST(OnnxLoaderTest, ConstantNodesBecomeConstantValues) {
  onnx::ModelProto m = AddModel();
  // An int64 constant through int64_data and an initializer through float_data.
  onnx::NodeProto* ints = AddNode(m.mutable_graph(), "Constant", "ints_node", {}, {"ints"});
  onnx::AttributeProto* a = ints->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_dims(3);
  for (int64_t v : {int64_t{7}, int64_t{-1}, int64_t{1} << 40}) a->mutable_t()->add_int64_data(v);
  onnx::TensorProto* init = m.mutable_graph()->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(2);
  init->add_dims(1);
  init->add_float_data(0.25f);
  init->add_float_data(4.f);

  StatusOr<Graph> g = LoadOnnxGraphFromBytes(Bytes(m), "add.onnx");
  ASSERT_TRUE(g.ok()) << g.status().ToString();

  ValueId c = g->FindValue("c");
  ASSERT_TRUE(c.valid());
  const graph::Value& cv = g->value(c);
  ASSERT_NE(cv.constant, nullptr);
  EXPECT_FALSE(cv.producer.valid());
  EXPECT_TRUE(cv.shape_known);
  EXPECT_EQ(cv.shape, Shape({2}));
  EXPECT_EQ(cv.dtype, DType::kFloat32);
  EXPECT_EQ(cv.constant->as<float>()[0], 1.5f);
  EXPECT_EQ(cv.constant->as<float>()[1], -2.f);

  ValueId i = g->FindValue("ints");
  ASSERT_TRUE(i.valid());
  ASSERT_NE(g->value(i).constant, nullptr);
  EXPECT_EQ(g->value(i).dtype, DType::kInt64);
  EXPECT_EQ(g->value(i).constant->as<int64_t>()[0], 7);
  EXPECT_EQ(g->value(i).constant->as<int64_t>()[1], -1);
  EXPECT_EQ(g->value(i).constant->as<int64_t>()[2], 1LL << 40);

  ValueId w = g->FindValue("w");
  ASSERT_TRUE(w.valid());
  ASSERT_NE(g->value(w).constant, nullptr);
  EXPECT_EQ(g->value(w).shape, Shape({2, 1}));
  EXPECT_EQ(g->value(w).constant->as<float>()[1], 4.f);

  // Constant nodes do not become nodes; the Add reads x and c.
  ASSERT_EQ(g->num_nodes(), 1u);
  const graph::Node& add = g->node(graph::NodeId{0});
  EXPECT_EQ(add.op_type, "Add");
  EXPECT_EQ(add.name, "add0");
  ASSERT_EQ(add.inputs.size(), 2u);
  EXPECT_EQ(g->value(add.inputs[0]).name, "x");
  EXPECT_EQ(add.inputs[1], c);
  ASSERT_EQ(add.outputs.size(), 1u);
  EXPECT_EQ(g->value(add.outputs[0]).producer, graph::NodeId{0});
  EXPECT_EQ(g->opset(), 11);

  ASSERT_EQ(g->inputs().size(), 1u);
  EXPECT_EQ(g->value(g->inputs()[0]).name, "x");
  EXPECT_EQ(g->value(g->inputs()[0]).shape, Shape({1, 2}));
  EXPECT_TRUE(g->value(g->inputs()[0]).shape_known);
  ASSERT_EQ(g->outputs().size(), 1u);
  EXPECT_EQ(g->outputs()[0], add.outputs[0]);
}

TEST(OnnxLoaderTest, InitializerListedAsInputIsNotAGraphInput) {
  onnx::ModelProto m = AddModel();
  onnx::TensorProto* init = m.mutable_graph()->add_initializer();
  init->set_name("bias");
  FillRawFloats(init, {1}, {3.f});
  AddInput(m.mutable_graph(), "bias", {1});
  StatusOr<Graph> g = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->inputs().size(), 1u);
  EXPECT_EQ(g->value(g->inputs()[0]).name, "x");
}

TEST(OnnxLoaderTest, DynamicInputDimsAreMinusOne) {
  onnx::ModelProto m = NewModel();
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {-1, 3, 48, -1});
  g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim();  // no value
  AddNode(g, "Relu", "r", {"x"}, {"y"});
  AddOutput(g, "y");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const graph::Value& x = loaded->value(loaded->inputs()[0]);
  EXPECT_EQ(x.shape, Shape({-1, 3, 48, -1, -1}));
  EXPECT_FALSE(x.shape_known);
}

TEST(OnnxLoaderTest, NodeAttributesDecode) {
  onnx::ModelProto m = NewModel();
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 1, 4, 4});
  AddConstantNode(g, "w", {1, 1, 3, 3}, std::vector<float>(9, 1.f));
  onnx::NodeProto* conv = AddNode(g, "Conv", "conv", {"x", "w"}, {"c"});
  onnx::AttributeProto* k = conv->add_attribute();
  k->set_name("kernel_shape");
  k->set_type(onnx::AttributeProto::INTS);
  k->add_ints(3);
  k->add_ints(3);
  AddIntAttr(conv, "group", 1);
  onnx::AttributeProto* pad = conv->add_attribute();
  pad->set_name("auto_pad");
  pad->set_type(onnx::AttributeProto::STRING);
  pad->set_s("NOTSET");
  onnx::NodeProto* hs = AddNode(g, "HardSigmoid", "hs", {"c"}, {"y"});
  AddFloatAttr(hs, "alpha", 0.25f);
  // An attribute without a type field, as old exporters write them.
  onnx::AttributeProto* beta = hs->add_attribute();
  beta->set_name("beta");
  beta->set_f(0.75f);
  AddOutput(g, "y");

  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->num_nodes(), 2u);
  const graph::Node& c = loaded->node(graph::NodeId{0});
  EXPECT_EQ(c.GetInts("kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(c.GetInt("group", -5), 1);
  EXPECT_EQ(c.GetString("auto_pad", ""), "NOTSET");
  const graph::Node& h = loaded->node(graph::NodeId{1});
  EXPECT_EQ(h.GetFloat("alpha", 0.f), 0.25f);
  EXPECT_EQ(h.GetFloat("beta", 0.f), 0.75f);
}

TEST(OnnxDecodeTest, AttributeKinds) {
  onnx::AttributeProto floats;
  floats.set_name("scales");
  floats.set_type(onnx::AttributeProto::FLOATS);
  floats.add_floats(1.f);
  floats.add_floats(2.5f);
  StatusOr<graph::AttrValue> f = DecodeAttribute(floats);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(std::holds_alternative<std::vector<float>>(*f));
  EXPECT_EQ(std::get<std::vector<float>>(*f), (std::vector<float>{1.f, 2.5f}));

  onnx::AttributeProto tensor;
  tensor.set_name("value");
  tensor.set_type(onnx::AttributeProto::TENSOR);
  FillRawFloats(tensor.mutable_t(), {2, 2}, {1.f, 2.f, 3.f, 4.f});
  StatusOr<graph::AttrValue> t = DecodeAttribute(tensor);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const auto& tp = std::get<std::shared_ptr<const Tensor>>(*t);
  EXPECT_EQ(tp->shape(), Shape({2, 2}));
  EXPECT_EQ(tp->as<float>()[3], 4.f);

  onnx::AttributeProto ints;
  ints.set_name("perm");
  ints.add_ints(0);
  ints.add_ints(2);  // no type field: inferred from the populated field
  StatusOr<graph::AttrValue> i = DecodeAttribute(ints);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(std::get<std::vector<int64_t>>(*i), (std::vector<int64_t>{0, 2}));

  onnx::AttributeProto graph_attr;
  graph_attr.set_name("then_branch");
  graph_attr.set_type(onnx::AttributeProto::GRAPH);
  graph_attr.mutable_g();
  StatusOr<graph::AttrValue> gr = DecodeAttribute(graph_attr);
  ASSERT_FALSE(gr.ok());
  EXPECT_EQ(gr.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(gr.status().message(), "then_branch")) << gr.status().message();
}

TEST(OnnxDecodeTest, TensorElementTypesAndCounts) {
  onnx::TensorProto i32;
  i32.set_data_type(onnx::TensorProto::INT32);
  i32.add_dims(2);
  i32.add_int32_data(-3);
  i32.add_int32_data(9);
  StatusOr<std::shared_ptr<const Tensor>> t = DecodeTensor(i32, "t");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->dtype(), DType::kInt32);
  EXPECT_EQ((*t)->as<int32_t>()[0], -3);
  EXPECT_EQ((*t)->as<int32_t>()[1], 9);

  // Zero-element tensors (e.g. an empty Resize roi) are fine.
  onnx::TensorProto empty;
  FillRawFloats(&empty, {0}, {});
  t = DecodeTensor(empty, "roi");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->shape(), Shape({0}));

  onnx::TensorProto dbl;
  dbl.set_data_type(onnx::TensorProto::DOUBLE);
  dbl.add_dims(1);
  dbl.add_double_data(1.0);
  t = DecodeTensor(dbl, "initializer 'd'");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(t.status().message(), "initializer 'd'")) << t.status().message();
  EXPECT_TRUE(Contains(t.status().message(), "DOUBLE")) << t.status().message();

  onnx::TensorProto few;
  few.set_data_type(onnx::TensorProto::FLOAT);
  few.add_dims(3);
  few.add_float_data(1.f);
  t = DecodeTensor(few, "initializer 'few'");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);

  onnx::TensorProto negative;
  FillRawFloats(&negative, {-2}, {});
  t = DecodeTensor(negative, "neg");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

TEST(OnnxDecodeTest, ScalarConstantAttributes) {
  onnx::NodeProto n;
  n.set_op_type("Constant");
  n.add_output("k");
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name("value_ints");
  a->set_type(onnx::AttributeProto::INTS);
  a->add_ints(4);
  a->add_ints(-1);
  StatusOr<std::shared_ptr<const Tensor>> t = DecodeConstantNode(n);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->dtype(), DType::kInt64);
  EXPECT_EQ((*t)->shape(), Shape({2}));
  EXPECT_EQ((*t)->as<int64_t>()[1], -1);

  a->Clear();
  a->set_name("value_float");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(0.5f);
  t = DecodeConstantNode(n);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->shape().rank(), 0);
  EXPECT_EQ((*t)->as<float>()[0], 0.5f);

  a->Clear();
  a->set_name("value_string");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("hello");
  t = DecodeConstantNode(n);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnimplemented);
}

// --- Refusals -------------------------------------------------------------------------------------------

TEST(OnnxLoaderTest, UnknownOpRefusedNamingNodeOpAndOpset) {
  onnx::ModelProto m = NewModel(11);
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 2});
  AddNode(g, "Foo", "p2o.Foo.3", {"x"}, {"y"});
  AddOutput(g, "y");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "foo.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnimplemented);
  const std::string& msg = loaded.status().message();
  EXPECT_TRUE(Contains(msg, "node 'p2o.Foo.3' (op Foo, opset 11)")) << msg;
  EXPECT_TRUE(Contains(msg, "foo.onnx")) << msg;
  EXPECT_TRUE(Contains(msg, "not supported")) << msg;
  // The message lists what is supported.
  EXPECT_TRUE(Contains(msg, "Conv")) << msg;
}

TEST(OnnxLoaderTest, OpsetOutsideOpRangeRefused) {
  onnx::ModelProto m = NewModel(99);
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 2});
  AddNode(g, "Relu", "r0", {"x"}, {"y"});
  AddOutput(g, "y");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(loaded.status().message(), "node 'r0' (op Relu, opset 99)"))
      << loaded.status().message();
}

TEST(OnnxLoaderTest, NodeRejectedByValidateNamesNode) {
  onnx::ModelProto m = NewModel(11);
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 2});
  AddNode(g, "Add", "lonely_add", {"x"}, {"y"});  // Add needs two inputs
  AddOutput(g, "y");
  const ops::OpDef* def = ops::FindOp("Add");
  if (def == nullptr || def->validate == nullptr) GTEST_SKIP() << "the op registry has no Add validator yet";
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(Contains(loaded.status().message(), "node 'lonely_add' (op Add, opset 11)"))
      << loaded.status().message();
}

TEST(OnnxLoaderTest, UnknownDomainRefused) {
  onnx::ModelProto m = NewModel();
  m.add_opset_import()->set_domain("com.microsoft");
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 2});
  onnx::NodeProto* n = AddNode(g, "FusedGemm", "ms0", {"x"}, {"y"});
  n->set_domain("com.microsoft");
  AddOutput(g, "y");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(loaded.status().message(), "ms0")) << loaded.status().message();
  EXPECT_TRUE(Contains(loaded.status().message(), "com.microsoft")) << loaded.status().message();
}

TEST(OnnxLoaderTest, MissingDefaultOpsetRefused) {
  onnx::ModelProto m = AddModel();
  m.mutable_opset_import(0)->set_domain("ai.onnx.ml");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(Contains(loaded.status().message(), "opset")) << loaded.status().message();

  // "ai.onnx" is the default domain under its long name.
  m.mutable_opset_import(0)->set_domain("ai.onnx");
  EXPECT_TRUE(LoadOnnxGraphFromBytes(Bytes(m), "m.onnx").ok());
}

TEST(OnnxLoaderTest, DanglingInputRefused) {
  onnx::ModelProto m = NewModel();
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {1, 2});
  AddNode(g, "Add", "a0", {"x", "ghost"}, {"y"});
  AddOutput(g, "y");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(loaded.status().message(), "'ghost'")) << loaded.status().message();
  EXPECT_TRUE(Contains(loaded.status().message(), "a0")) << loaded.status().message();
}

TEST(OnnxLoaderTest, UnproducedGraphOutputRefused) {
  onnx::ModelProto m = AddModel();
  AddOutput(m.mutable_graph(), "nowhere");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(loaded.status().message(), "nowhere")) << loaded.status().message();
}

TEST(OnnxLoaderTest, DuplicateValueNameRefused) {
  onnx::ModelProto m = AddModel();
  AddNode(m.mutable_graph(), "Relu", "r1", {"x"}, {"y"});
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(loaded.status().message(), "'y'")) << loaded.status().message();
}

TEST(OnnxLoaderTest, NonFloatInputRefused) {
  onnx::ModelProto m = NewModel();
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "ids", {1, 4}, onnx::TensorProto::INT64);
  AddNode(g, "Relu", "r", {"ids"}, {"y"});
  AddOutput(g, "y");
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(loaded.status().message(), "'ids'")) << loaded.status().message();
  EXPECT_TRUE(Contains(loaded.status().message(), "INT64")) << loaded.status().message();
}

TEST(OnnxLoaderTest, TruncatedTensorRefusedNamingIt) {
  onnx::ModelProto m = AddModel();
  onnx::NodeProto* c = m.mutable_graph()->mutable_node(0);
  ASSERT_EQ(c->op_type(), "Constant");
  // Dims say 2 floats, the bytes hold one and a half.
  c->mutable_attribute(0)->mutable_t()->mutable_raw_data()->resize(6);
  StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(Bytes(m), "m.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(loaded.status().message(), "c_node")) << loaded.status().message();
  EXPECT_TRUE(Contains(loaded.status().message(), "6 bytes")) << loaded.status().message();
}

TEST(OnnxLoaderTest, TruncatedBytesRefused) {
  onnx::ModelProto m = AddModel();
  const std::string full = Bytes(m);
  // Cut inside the graph message: the length prefix promises more bytes than follow.
  for (size_t keep : {full.size() / 2, full.size() - 1}) {
    StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(full.substr(0, keep), "cut.onnx");
    ASSERT_FALSE(loaded.ok()) << "kept " << keep << " of " << full.size() << " bytes";
    EXPECT_TRUE(loaded.status().code() == StatusCode::kDataLoss ||
                loaded.status().code() == StatusCode::kInvalidArgument)
        << loaded.status().ToString();
    EXPECT_TRUE(Contains(loaded.status().message(), "cut.onnx")) << loaded.status().message();
  }
}

TEST(OnnxLoaderTest, GarbageAndEmptyBytesRefused) {
  const std::string inputs[] = {
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12),  // malformed varint
      "this is a text file, not a model",
      "",
  };
  for (const std::string& bytes : inputs) {
    StatusOr<Graph> loaded = LoadOnnxGraphFromBytes(bytes, "junk.bin");
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(loaded.status().code() == StatusCode::kDataLoss ||
                loaded.status().code() == StatusCode::kInvalidArgument)
        << loaded.status().ToString();
    EXPECT_TRUE(Contains(loaded.status().message(), "'junk.bin' is not a valid ONNX model"))
        << loaded.status().message();
  }
}

TEST(OnnxLoaderTest, MissingFileIsNotFound) {
  const std::string path = "/nonexistent/dir/model.onnx";
  StatusOr<Graph> loaded = LoadOnnxGraph(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(loaded.status().message(), path)) << loaded.status().message();
}

TEST(OnnxLoaderTest, LoadsFromFile) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("plateau_loader_test_" + std::to_string(::getpid()) + ".onnx");
  {
    std::ofstream out(path, std::ios::binary);
    out << Bytes(AddModel());
  }
  StatusOr<Graph> loaded = LoadOnnxGraph(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->num_nodes(), 1u);
}

// --- The real models ------------------------------------------------------------------------------------

std::string ModelPath(const std::string& file) {
  const char* dir = std::getenv("PLATEAU_MODELS_DIR");
  return (dir != nullptr ? std::string(dir) : std::string(PLATEAU_SOURCE_DIR "/models")) + "/" + file;
}

struct RealModel {
  const char* file;
  size_t nodes;  // non-Constant nodes
  int opset;
  const char* output;
  std::vector<int64_t> input_dims;
};

class OnnxLoaderRealModelTest : public ::testing::TestWithParam<RealModel> {};

TEST_P(OnnxLoaderRealModelTest, Loads) {
  const RealModel& rm = GetParam();
  const std::string path = ModelPath(rm.file);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is missing; run `make models`";
  StatusOr<Graph> g = LoadOnnxGraph(path);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->num_nodes(), rm.nodes);
  EXPECT_EQ(g->opset(), rm.opset);
  ASSERT_EQ(g->inputs().size(), 1u);
  const graph::Value& x = g->value(g->inputs()[0]);
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.dtype, DType::kFloat32);
  EXPECT_EQ(std::vector<int64_t>(x.shape.dims().begin(), x.shape.dims().end()), rm.input_dims);
  ASSERT_EQ(g->outputs().size(), 1u);
  EXPECT_EQ(g->value(g->outputs()[0]).name, rm.output);
  EXPECT_TRUE(g->value(g->outputs()[0]).producer.valid());
  StatusOr<std::vector<graph::NodeId>> order = g->TopologicalOrder();
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(order->size(), rm.nodes);
  // Every Conv weight is a constant.
  for (const graph::NodeId id : *order) {
    const graph::Node& n = g->node(id);
    if (n.op_type == "Conv") {
      ASSERT_GE(n.inputs.size(), 2u);
      EXPECT_NE(g->value(n.inputs[1]).constant, nullptr) << n.Describe();
    }
  }
}

// Node counts are the model's nodes minus its Constant nodes (det 672 - 342, rec 765 - 325,
// cls 471 - 250), as listed by the ONNX protobuf.
INSTANTIATE_TEST_SUITE_P(
    Models, OnnxLoaderRealModelTest,
    ::testing::Values(RealModel{"ch_PP-OCRv4_det_infer.onnx", 330, 11, "sigmoid_0.tmp_0", {-1, 3, -1, -1}},
                      RealModel{"ch_PP-OCRv4_rec_infer.onnx", 440, 9, "softmax_11.tmp_0", {-1, 3, 48, -1}},
                      RealModel{
                          "ch_ppocr_mobile_v2.0_cls_infer.onnx", 221, 9, "softmax_0.tmp_0", {-1, 3, -1, -1}}),
    [](const ::testing::TestParamInfo<RealModel>& info) {
      const std::string f = info.param.file;
      return f.find("det") != std::string::npos   ? std::string("Det")
             : f.find("rec") != std::string::npos ? std::string("Rec")
                                                  : std::string("Cls");
    });

}  // namespace
}  // namespace plateau::model
