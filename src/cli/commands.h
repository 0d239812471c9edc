// The plateau CLI's subcommands. Each returns the process exit code and prints its own output; errors go
// to stderr as one line naming what was wrong.
#pragma once

#include <string>
#include <vector>

#include "plateau/ocr.h"

namespace plateau::cli {

// --warmup of ocr and memcheck: builds every plan of every worker (OcrPipeline::ComputeMemoryCeiling;
// one pipeline, or several run by PredictParallel, whose waiting results count too), prints the memory
// ceiling on stderr, and refuses a memory_limit below it (InvalidArgument naming both figures).
Status WarmUpToCeiling(const std::vector<OcrPipeline*>& workers);

// plateau run_model --model F --input NAME=in.npy [...] --output DIR [--threads T]
int RunModelCommand(const std::vector<std::string>& args);
// plateau benchmark --model F --shape NxCxHxW [--threads T] [--iterations K] [--profile]
int BenchmarkCommand(const std::vector<std::string>& args);
// plateau plan --model F --shape NxCxHxW [--shape ...]
int PlanCommand(const std::vector<std::string>& args);
// plateau ocr -i INPUT [-i ...] [--save_path DIR] [--text_det_thresh 0.3 ...]: JSON Lines on stdout
int OcrCommand(const std::vector<std::string>& args);
// plateau memcheck -i INPUT [--iterations N] [--vary_sizes] [--plot F.png] [--json]: RSS after every
// pipeline run, warm-up vs growth; exit 0 stable, 1 growing, 2 error
int MemcheckCommand(const std::vector<std::string>& args);
// Single modules on image files, one JSON line each: text_detection (dt_polys, dt_scores),
// text_recognition (rec_text, rec_score) of line images, textline_orientation_classification (class_ids,
// scores, label_names) of line images.
int TextDetectionCommand(const std::vector<std::string>& args);
int TextRecognitionCommand(const std::vector<std::string>& args);
int TextlineOrientationCommand(const std::vector<std::string>& args);
// doc_img_orientation_classification: class_ids, scores, label_names ("0", "90", "180", "270": degrees to
// turn the page counter-clockwise) of page images, from --model or estimated without one.
int DocOrientationCommand(const std::vector<std::string>& args);
// plateau serve [--host H] [--port P] [--workers N] [--queue M] ...: the HTTP server (src/server)
int ServeCommand(const std::vector<std::string>& args);
// The job queue on Redis Streams (src/worker): plateau worker [--redis URL] [--workers N] ...; plateau
// submit -i INPUT [...]; plateau results [--wait N]
int WorkerCommand(const std::vector<std::string>& args);
int SubmitCommand(const std::vector<std::string>& args);
int ResultsCommand(const std::vector<std::string>& args);

}  // namespace plateau::cli
