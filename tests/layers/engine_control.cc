// Within the layer order: what the engine may include. Compiles, so that the probes against the order
// fail for their include alone.
#include "common/check.h"
#include "engine/planner/memory_planner.h"
#include "plateau/engine.h"
