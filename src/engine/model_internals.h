// What a Model shares with its Sessions beyond the public interface.
#pragma once

#include "engine/ops/onednn/kernel.h"
#include "plateau/engine.h"

namespace plateau {

struct Model::Internals {
  // Weights re-laid out for the kernels, created by the first plan that needs a layout and shared by
  // every later plan, session and thread.
  ops::onednn::WeightStore weights;
};

}  // namespace plateau
