// Test support: a tiny 4-class "orientation" model built with the ONNX protobuf classes, whose answer for
// a page of one colour follows from the input normalisation alone. Header-only so that it stays out of
// the library.
//
// x (Nx3x224x224) -> GlobalAveragePool -> Flatten -> Gemm with W (3 x classes), no bias [-> Softmax].
// The logits are, per class: mean R, mean G, mean B and -(mean R + mean G + mean B) of the normalised
// input (classes beyond 4 are zero columns).
#pragma once

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <string>
#include <vector>

namespace plateau::ocr::testing {

inline onnx::NodeProto* AddColourModelNode(onnx::GraphProto* g, const std::string& op,
                                           const std::vector<std::string>& in, const std::string& out) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + out);
  for (const std::string& i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

inline void AddColourModelAxis(onnx::NodeProto* n) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(1);
}

// The serialised model (opset 11).
inline std::string ColourModel(bool softmax, int classes = 4) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  onnx::OperatorSetIdProto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(11);
  onnx::GraphProto* g = m.mutable_graph();
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name("x");
  onnx::TypeProto::Tensor* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("n");
  for (int d : {3, 224, 224}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  std::vector<float> w(static_cast<size_t>(3 * classes), 0.0f);
  const float kColumns[4][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-1, -1, -1}};
  for (int k = 0; k < std::min(classes, 4); ++k) {
    for (int c = 0; c < 3; ++c) w[static_cast<size_t>(c * classes + k)] = kColumns[k][c];
  }
  onnx::TensorProto* t = g->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(3);
  t->add_dims(classes);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float)));
  AddColourModelNode(g, "GlobalAveragePool", {"x"}, "pooled");
  AddColourModelAxis(AddColourModelNode(g, "Flatten", {"pooled"}, "flat"));
  AddColourModelNode(g, "Gemm", {"flat", "w"}, softmax ? "logits" : "y");
  if (softmax) AddColourModelAxis(AddColourModelNode(g, "Softmax", {"logits"}, "y"));
  g->add_output()->set_name("y");
  std::string bytes;
  m.SerializeToString(&bytes);
  return bytes;
}

}  // namespace plateau::ocr::testing
