// Command-line flags of the plateau CLI: `--name value` or `--name=value`, some repeatable. Every flag a
// command accepts is declared up front, so an unknown flag or a missing value is refused before any
// work starts, naming the flag.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plateau/status.h"

namespace plateau::cli {

struct FlagSpec {
  std::string name;  // without dashes
  std::string help;
  bool repeated = false;
  bool is_switch = false;  // takes no value (e.g. --profile)
  // Extra spellings of the same flag (e.g. "i" for "input"), written with one dash.
  std::vector<std::string> short_names;
};

class Flags {
 public:
  // Parses args[start..]. Fails naming the offending flag.
  static StatusOr<Flags> Parse(const std::vector<FlagSpec>& specs, const std::vector<std::string>& args,
                               size_t start);
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  // The last value given, or `dflt`.
  std::string Get(const std::string& name, const std::string& dflt = "") const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
  // Integer value; fails naming the flag when the text is not an integer in [min, max].
  StatusOr<long long> GetInt(const std::string& name, long long dflt, long long min, long long max) const;
  StatusOr<double> GetDouble(const std::string& name, double dflt) const;
  // A required flag's value; fails naming the flag when absent.
  StatusOr<std::string> Require(const std::string& name) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

// --no_warmup, beside --warmup in the commands that run a pipeline (ocr, memcheck, serve, worker). Every
// plan is built at start by default, so that memory is flat from the first page; --no_warmup builds each
// when a page first needs it (a lower peak for a few similar pages, but RSS climbs while new shapes come).
FlagSpec NoWarmupSpec();  // a function: the commands' flag tables are built during static initialisation
// Whether to warm up: true unless --no_warmup; both flags at once are refused. Whole-page detection
// (`tiled_detection` false) has no fixed set of shapes to build: it warms up only when --warmup asks,
// which then fails naming the reason.
StatusOr<bool> WarmupFromFlags(const Flags& flags, bool tiled_detection);

// "  --name VALUE   help" lines for usage text.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace plateau::cli
