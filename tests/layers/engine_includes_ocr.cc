// Against the layer order: the engine including the OCR layer's internals. Must not compile.
#include "engine/planner/memory_planner.h"
#include "ocr/pipeline/state.h"
