#include "cli/flags.h"

#include <cerrno>
#include <cstdlib>

namespace plateau::cli {

StatusOr<Flags> Flags::Parse(const std::vector<FlagSpec>& specs, const std::vector<std::string>& args,
                             size_t start) {
  Flags flags;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name, value;
    bool has_value = false;
    if (a.rfind("--", 0) == 0) {
      name = a.substr(2);
    } else if (a.size() > 1 && a[0] == '-') {
      name = a.substr(1);
    } else {
      return Status::InvalidArgument("unexpected argument '" + a + "' (flags look like --name value)");
    }
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
      for (const std::string& alias : s.short_names) {
        if (alias == name) spec = &s;
      }
    }
    if (spec == nullptr) {
      return Status::InvalidArgument("unknown flag '" + a + "' (run with --help for the flags)");
    }
    if (spec->is_switch) {
      if (has_value) return Status::InvalidArgument("flag --" + spec->name + " takes no value");
      flags.values_[spec->name].push_back("true");
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("flag --" + spec->name + " needs a value");
      value = args[++i];
    }
    auto& slot = flags.values_[spec->name];
    if (!spec->repeated && !slot.empty()) {
      return Status::InvalidArgument("flag --" + spec->name + " given more than once");
    }
    slot.push_back(value);
  }
  return flags;
}

std::string Flags::Get(const std::string& name, const std::string& dflt) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? dflt : it->second.back();
}

const std::vector<std::string>& Flags::GetAll(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

StatusOr<long long> Flags::GetInt(const std::string& name, long long dflt, long long min,
                                  long long max) const {
  if (!Has(name)) return dflt;
  std::string text = Get(name);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max) {
    return Status::InvalidArgument("flag --" + name + ": '" + text + "' is not an integer in [" +
                                   std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

StatusOr<double> Flags::GetDouble(const std::string& name, double dflt) const {
  if (!Has(name)) return dflt;
  std::string text = Get(name);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0) {
    return Status::InvalidArgument("flag --" + name + ": '" + text + "' is not a number");
  }
  return v;
}

StatusOr<std::string> Flags::Require(const std::string& name) const {
  if (!Has(name)) return Status::InvalidArgument("flag --" + name + " is required");
  return Get(name);
}

FlagSpec NoWarmupSpec() {
  return {"no_warmup",
          "build each plan when a page first needs it instead: a lower peak for a few similar pages, but RSS "
          "climbs until every shape has been met",
          false,
          true,
          {}};
}

StatusOr<bool> WarmupFromFlags(const Flags& flags, bool tiled_detection) {
  if (flags.Has("warmup") && flags.Has("no_warmup")) {
    return Status::InvalidArgument("flags --warmup and --no_warmup: give one or the other");
  }
  if (!tiled_detection) return flags.Has("warmup");
  return !flags.Has("no_warmup");
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const FlagSpec& s : specs) {
    std::string left = "  --" + s.name + (s.is_switch ? "" : " VALUE");
    if (left.size() < 34) left.resize(34, ' ');
    out += left + " " + s.help + (s.repeated ? " (repeatable)" : "") + "\n";
  }
  return out;
}

}  // namespace plateau::cli
