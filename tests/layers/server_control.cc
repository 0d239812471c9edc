// Within the layer order: what the server may include. Compiles, so that the probes against the order
// fail for their include alone.
#include "io/image.h"
#include "plateau/ocr.h"
#include "server/ocr_request.h"
