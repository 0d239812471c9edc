#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "engine/ops/op.h"

namespace plateau::ops {
namespace {

TEST(OpRegistryTest, EveryOpOfTheThreeModelsIsSupportedAtItsOpset) {
  // Op types of the PP-OCRv4 det (opset 11), rec and cls (opset 9) models; Constant nodes become
  // constant values at load time and are not ops.
  const std::set<std::string> det = {
      "Add",    "BatchNormalization", "Clip",        "Concat", "Conv", "ConvTranspose",
      "Div",    "GlobalAveragePool",  "HardSigmoid", "Mul",    "Relu", "Resize",
      "Sigmoid"};
  const std::set<std::string> rec_cls = {"Add",         "AveragePool", "BatchNormalization",
                                         "Cast",        "Clip",        "Concat",
                                         "Conv",        "Div",         "GlobalAveragePool",
                                         "HardSigmoid", "MatMul",      "MaxPool",
                                         "Mul",         "Pow",         "ReduceMean",
                                         "Relu",        "Reshape",     "Shape",
                                         "Sigmoid",     "Slice",       "Softmax",
                                         "Sqrt",        "Squeeze",     "Sub",
                                         "Transpose"};
  for (const std::string& op : det) {
    const OpDef* def = FindOp(op);
    ASSERT_NE(def, nullptr) << op;
    EXPECT_LE(def->min_opset, 11) << op;
    EXPECT_GE(def->max_opset, 11) << op;
  }
  for (const std::string& op : rec_cls) {
    const OpDef* def = FindOp(op);
    ASSERT_NE(def, nullptr) << op;
    EXPECT_LE(def->min_opset, 9) << op;
    EXPECT_GE(def->max_opset, 9) << op;
  }
}

TEST(OpRegistryTest, EveryEntryIsComplete) {
  for (const std::string& name : SupportedOps()) {
    const OpDef* def = FindOp(name);
    ASSERT_NE(def, nullptr) << name;
    EXPECT_EQ(def->op_type, name);
    EXPECT_NE(def->validate, nullptr) << name;
    EXPECT_NE(def->infer, nullptr) << name;
    EXPECT_NE(def->reference, nullptr) << name;
    EXPECT_LE(def->min_opset, def->max_opset) << name;
  }
}

TEST(OpRegistryTest, SupportedOpsIsSortedAndUnique) {
  std::vector<std::string> names = SupportedOps();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_THAT(names, ::testing::Contains("plateau.LayerNorm"));
  EXPECT_THAT(names, ::testing::Contains("plateau.Reorder"));
}

TEST(OpRegistryTest, ViewsAreExactlyTheReshapeLikeOps) {
  const std::set<std::string> views = {"Flatten", "Identity", "Reshape", "Squeeze", "Unsqueeze"};
  for (const std::string& name : SupportedOps()) {
    EXPECT_EQ(FindOp(name)->is_view, views.count(name) == 1) << name;
  }
}

TEST(OpRegistryTest, UnknownOpIsNull) {
  EXPECT_EQ(FindOp("LSTM"), nullptr);
  EXPECT_EQ(FindOp(""), nullptr);
  EXPECT_EQ(FindOp("conv"), nullptr);
}

}  // namespace
}  // namespace plateau::ops
