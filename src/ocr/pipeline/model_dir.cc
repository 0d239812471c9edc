#include "plateau/model_dir.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "plateau/ocr.h"

// Set by CMake from the install layout: the share directory under the configured prefix, and the way from
// the bin and lib directories to it, which stays right when `cmake --install --prefix` moves the tree.
#ifndef PLATEAU_INSTALL_MODEL_DIR
#define PLATEAU_INSTALL_MODEL_DIR ""
#endif
#ifndef PLATEAU_BINDIR_TO_MODELS
#define PLATEAU_BINDIR_TO_MODELS "../share/plateau/models"
#endif
#ifndef PLATEAU_LIBDIR_TO_MODELS
#define PLATEAU_LIBDIR_TO_MODELS "../share/plateau/models"
#endif

namespace plateau {
namespace fs = std::filesystem;

const char kFetchModelsHint[] =
    "fetch them with `make models` in a plateau checkout (scripts/fetch-models.sh), then install them "
    "with `make install` or point PLATEAU_MODEL_DIR at that models/ directory";

const std::vector<std::string>& ModelFileNames() {
  static const std::vector<std::string> kNames = [] {
    OcrOptions o;
    return std::vector<std::string>{o.det_model, o.rec_model, o.cls_model, o.rec_dict};
  }();
  return kNames;
}

namespace {

// Why `dir` cannot be used, or "" when it holds every model file.
std::string WhyNot(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "no such directory";
  std::string missing;
  for (const std::string& name : ModelFileNames()) {
    if (fs::is_regular_file(fs::path(dir) / name, ec)) continue;
    missing += (missing.empty() ? "" : ", ") + name;
  }
  return missing.empty() ? "" : "missing " + missing;
}

std::string Absolute(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  return ec ? dir : p.string();
}

}  // namespace

std::vector<std::string> InstalledModelDirs() {
  std::vector<std::string> dirs;
  std::set<std::string> seen;
  auto add = [&](const fs::path& p) {
    const std::string s = Absolute(p.lexically_normal().string());
    if (!s.empty() && seen.insert(s).second) dirs.push_back(s);
  };
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) add(exe.parent_path() / PLATEAU_BINDIR_TO_MODELS);
  // The shared library (libplateau.so) may live under another prefix than the program that loads it.
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&InstalledModelDirs), &info) != 0 && info.dli_fname != nullptr) {
    const fs::path lib(info.dli_fname);
    if (lib.filename().string().rfind("libplateau", 0) == 0)
      add(lib.parent_path() / PLATEAU_LIBDIR_TO_MODELS);
  }
  if (PLATEAU_INSTALL_MODEL_DIR[0] != '\0') add(PLATEAU_INSTALL_MODEL_DIR);
  return dirs;
}

StatusOr<std::string> FindModelDir(const std::string& model_dir, const std::vector<std::string>& extra_dirs) {
  if (!model_dir.empty()) {
    const std::string why = WhyNot(model_dir);
    if (why.empty()) return model_dir;
    return Status::NotFound("model_dir '" + model_dir + "' (" + Absolute(model_dir) + "): " + why + "; " +
                            kFetchModelsHint);
  }
  if (const char* env = std::getenv("PLATEAU_MODEL_DIR"); env != nullptr && env[0] != '\0') {
    const std::string why = WhyNot(env);
    if (why.empty()) return std::string(env);
    return Status::NotFound(std::string("PLATEAU_MODEL_DIR='") + env + "': " + why + "; " + kFetchModelsHint);
  }
  std::vector<std::string> places = extra_dirs;
  for (const std::string& d : InstalledModelDirs()) places.push_back(d);
  places.push_back("models");
  std::string looked = "PLATEAU_MODEL_DIR (not set)";
  for (const std::string& dir : places) {
    const std::string why = WhyNot(dir);
    if (why.empty()) return dir;
    looked += "; " + (dir == "models" ? "./models (" + Absolute(dir) + ")" : dir) + " (" + why + ")";
  }
  return Status::NotFound("no models found; looked in " + looked + ". To get them, " + kFetchModelsHint +
                          " (or pass the directory: --model_dir, model_dir=)");
}

}  // namespace plateau
