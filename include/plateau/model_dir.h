// Where the models are found when a program is not told where they are, so that plateau runs from any
// directory once it is installed.
//
//   PLATEAU_ASSIGN_OR_RETURN(std::string dir, plateau::FindModelDir());  // or FindModelDir(flag_value)
//   plateau::OcrOptions options;
//   options.model_dir = dir;  // an empty model_dir makes OcrPipeline::Create search the same way
//
// The places, in order (the first that applies is used):
//   1. `model_dir`, when not empty: it must hold the models.
//   2. $PLATEAU_MODEL_DIR, when set: it must hold the models (a wrong setting is an error, not skipped).
//   3. `extra_dirs`, in order (e.g. the Python package's own copy of the models).
//   4. The installed share directory, share/plateau/models: beside the running program
//      (PREFIX/bin/plateau -> PREFIX/share/plateau/models), beside libplateau.so when the library is
//      the shared one, and under the prefix the build was configured for.
//   5. ./models (the repository's root, where `make models` puts them).
// A directory qualifies when it holds all of ModelFileNames(). The error lists every place looked at,
// with why it was passed over, and the command that fetches the models.
#pragma once

#include <string>
#include <vector>

#include "plateau/status.h"

namespace plateau {

// The files a model directory holds: the PP-OCRv4 detection, recognition and text line orientation
// models and the recognition dictionary, under the names OcrOptions uses by default.
const std::vector<std::string>& ModelFileNames();

// How to get the models, for error messages: the repository's `make models`.
extern const char kFetchModelsHint[];

// The directory to load the models from (see above); NotFound naming every place looked at otherwise.
StatusOr<std::string> FindModelDir(const std::string& model_dir = "",
                                   const std::vector<std::string>& extra_dirs = {});

// The installed share directories of step 4, in the order they are looked at (may not exist).
std::vector<std::string> InstalledModelDirs();

}  // namespace plateau
