#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/process_memory.h"

namespace {

void Usage() {
  std::cout << "plateau: document OCR with predictable memory\n\n"
               "usage: plateau COMMAND [flags]   (plateau COMMAND --help for its flags)\n\n"
               "engine commands:\n"
               "  run_model   run one ONNX model on .npy inputs, write .npy outputs\n"
               "  benchmark   time a model on a random input of a given shape\n"
               "  plan        print the memory plan of a model for an input shape\n\n"
               "pipelines:\n"
               "  ocr         text of images, PDFs and directories of them, as JSON Lines\n"
               "  memcheck    run the pipeline repeatedly: warm-up or leak, from RSS after every run\n"
               "  serve       HTTP server with PaddleX's OCR API (POST /ocr, /health, /metrics)\n"
               "  worker      take OCR jobs from a Redis stream, write their results (docs/SCALING.md)\n"
               "  submit      add files, directories or PDFs to the Redis job queue\n"
               "  results     print (and wait for) the queue's results and dead letters\n\n"
               "single modules (image files in, JSON Lines out):\n"
               "  text_detection                      text boxes of an image\n"
               "  text_recognition                    text of a cropped line image\n"
               "  textline_orientation_classification 0 or 180 degrees of a line image\n"
               "  doc_img_orientation_classification  0, 90, 180 or 270 degrees of a page\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    Usage();
    return args.size() < 2 ? 2 : 0;
  }
  // Before anything allocates: pages come in many sizes (common/process_memory.h).
  plateau::FixMmapThreshold();
  const std::string& cmd = args[1];
  if (cmd == "run_model") return plateau::cli::RunModelCommand(args);
  if (cmd == "benchmark") return plateau::cli::BenchmarkCommand(args);
  if (cmd == "plan") return plateau::cli::PlanCommand(args);
  if (cmd == "ocr") return plateau::cli::OcrCommand(args);
  if (cmd == "memcheck") return plateau::cli::MemcheckCommand(args);
  if (cmd == "serve") return plateau::cli::ServeCommand(args);
  if (cmd == "worker") return plateau::cli::WorkerCommand(args);
  if (cmd == "submit") return plateau::cli::SubmitCommand(args);
  if (cmd == "results") return plateau::cli::ResultsCommand(args);
  if (cmd == "text_detection") return plateau::cli::TextDetectionCommand(args);
  if (cmd == "text_recognition") return plateau::cli::TextRecognitionCommand(args);
  if (cmd == "textline_orientation_classification") return plateau::cli::TextlineOrientationCommand(args);
  if (cmd == "doc_img_orientation_classification") return plateau::cli::DocOrientationCommand(args);
  std::cerr << "plateau: unknown command '" << cmd << "' (run plateau --help for the commands)\n";
  return 2;
}
