// plateau_bench_engine_chart: draws the engine benchmark's ratio table as a PNG bar chart.
//
//   plateau_bench_engine_chart ROWS.tsv OUT.png [TITLE]
//
// ROWS.tsv: one case per line, tab-separated: label, plateau median ms, ONNX Runtime median ms, goal
// ratio (0: none). tools/bench_engine.sh writes it.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "charts/ratio_chart.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: plateau_bench_engine_chart ROWS.tsv OUT.png [TITLE]\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "plateau_bench_engine_chart: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::vector<plateau::charts::RatioBar> bars;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    plateau::charts::RatioBar bar;
    std::string value, reference, goal;
    if (!std::getline(fields, bar.label, '\t') || !std::getline(fields, value, '\t') ||
        !std::getline(fields, reference, '\t') || !std::getline(fields, goal, '\t')) {
      std::cerr << argv[1] << ":" << number << ": expected 4 tab-separated fields\n";
      return 1;
    }
    try {
      bar.value_ms = std::stod(value);
      bar.reference_ms = std::stod(reference);
      bar.goal = std::stod(goal);
    } catch (const std::exception&) {
      std::cerr << argv[1] << ":" << number << ": expected numbers, got '" << value << "', '" << reference
                << "', '" << goal << "'\n";
      return 1;
    }
    bars.push_back(bar);
  }
  const std::string title = argc == 4 ? argv[3] : "plateau / ONNX Runtime, median time per run";
  plateau::Status st = plateau::charts::WriteRatioChart(bars, title, "plateau", "ONNX Runtime", argv[2]);
  if (!st.ok()) {
    std::cerr << "plateau_bench_engine_chart: " << st.ToString() << "\n";
    return 1;
  }
  return 0;
}
