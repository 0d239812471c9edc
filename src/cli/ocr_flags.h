// The flags of the OCR pipeline's options (OcrOptions), one table for every command that runs the
// pipeline: ocr, memcheck, serve and worker. A command lists its own flags and adds these; where it
// declares one of them itself (serve's --threads, whose default is a share of the cores), its own
// declaration and reading stand, and the table leaves that flag to it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "plateau/ocr.h"

namespace plateau::cli {

// The pipeline's flags, named after PaddleOCR's parameters, with their help and defaults.
const std::vector<FlagSpec>& OcrOptionFlags();

// `own` followed by every pipeline flag that `own` does not declare.
std::vector<FlagSpec> WithOcrOptionFlags(const std::vector<FlagSpec>& own);

// Sets *options from the pipeline flags given, leaving out those `own` declares (the command reads
// them). Values not given keep *options'. Checks what can be checked without the models (booleans,
// numbers, the model directory is found); ranges are checked by OcrPipeline::Create (see AsFlagError).
Status ApplyOcrOptionFlags(const Flags& flags, const std::vector<FlagSpec>& own, OcrOptions* options);

// OcrPipeline::Create starts its message with the name of the parameter it refuses, which is the
// flag's name: such an error is given as the flag's ("flag --text_det_thresh: ..."); others as they are.
Status AsFlagError(const Status& status);

// A boolean flag as PaddleOCR's CLI spells it, True or False (anything else is refused, naming the
// flag); nullopt when absent.
StatusOr<std::optional<bool>> GetBool(const Flags& flags, const std::string& name);

}  // namespace plateau::cli
