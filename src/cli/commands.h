// The plateau CLI's subcommands. Each returns the process exit code and prints its own output; errors go
// to stderr as one line naming what was wrong.
#pragma once

#include <string>
#include <vector>

namespace plateau::cli {

// plateau run_model --model F --input NAME=in.npy [...] --output DIR [--threads T]
int RunModelCommand(const std::vector<std::string>& args);
// plateau benchmark --model F --shape NxCxHxW [--threads T] [--iterations K] [--profile]
int BenchmarkCommand(const std::vector<std::string>& args);
// plateau plan --model F --shape NxCxHxW [--shape ...]
int PlanCommand(const std::vector<std::string>& args);
// plateau ocr -i INPUT [-i ...] [--save_path DIR] [--text_det_thresh 0.3 ...]: JSON Lines on stdout
int OcrCommand(const std::vector<std::string>& args);

}  // namespace plateau::cli
