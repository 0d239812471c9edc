// Against the layer order: the server including the engine's internals (it uses include/plateau/ only).
// Must not compile.
#include "engine/model_internals.h"
#include "server/ocr_request.h"
