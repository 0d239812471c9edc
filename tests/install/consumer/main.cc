// A program outside the plateau tree that uses the installed package: reads the images given on the
// command line and prints one JSON line per page, as `plateau ocr` does. It names no model directory, so
// the library finds the installed models (share/plateau/models beside libplateau.so).
#include <plateau/model_dir.h>
#include <plateau/ocr.h>

#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: plateau_consumer IMAGE [IMAGE ...]\n";
    return 2;
  }
  auto pipeline = plateau::OcrPipeline::Create(plateau::OcrOptions{});
  if (!pipeline.ok()) {
    std::cerr << pipeline.status().ToString() << "\n";
    return 1;
  }
  std::vector<plateau::OcrInput> inputs;
  for (int i = 1; i < argc; ++i) inputs.push_back(plateau::OcrInput::Path(argv[i]));
  auto results = (*pipeline)->Predict(std::move(inputs));
  if (!results.ok()) {
    std::cerr << results.status().ToString() << "\n";
    return 1;
  }
  int failed = 0;
  for (const plateau::OcrResult& r : *results) {
    std::cout << plateau::ToJson(r) << "\n";
    if (!r.error.ok()) ++failed;
  }
  std::cerr << "models from " << (*pipeline)->options().model_dir << "\n";
  return failed == 0 ? 0 : 1;
}
