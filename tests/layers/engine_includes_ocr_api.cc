// Against the layer order: the engine including the OCR pipeline's public header. Must not compile.
#include "plateau/engine.h"
#include "plateau/ocr.h"
