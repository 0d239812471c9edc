// plateau._plateau: the Python extension over include/plateau/ (the pure-Python layer in python/plateau/
// gives it PaddleOCR's API). It only converts: options from a dict, inputs from Python objects, results to
// JSON text and NumPy arrays, Status to exceptions.
//
// Threads: every call that runs the pipeline releases the GIL, so other Python threads (and other
// instances) run meanwhile. An OcrPipeline is not thread-safe, so an instance refuses a call while
// another thread is inside one (RuntimeError), instead of corrupting both results.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plateau/memory.h"
#include "plateau/model_dir.h"
#include "plateau/ocr.h"

namespace py = pybind11;

namespace plateau::python {
namespace {

// The Status as the Python exception a caller would expect: bad values -> ValueError, missing files ->
// FileNotFoundError, unsupported -> NotImplementedError, anything else -> RuntimeError. The message is
// the Status text.
[[noreturn]] void Raise(const Status& s) {
  const std::string m = s.ToString();
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      throw py::value_error(m);
    case StatusCode::kNotFound:
      PyErr_SetString(PyExc_FileNotFoundError, m.c_str());
      throw py::error_already_set();
    case StatusCode::kUnimplemented:
      PyErr_SetString(PyExc_NotImplementedError, m.c_str());
      throw py::error_already_set();
    default:
      throw std::runtime_error(m);
  }
}

template <typename T>
T ValueOr(StatusOr<T> s) {
  if (!s.ok()) Raise(s.status());
  return std::move(s).value();
}

// Options by OcrOptions' field names; the Python layer maps PaddleOCR's keywords onto them and checks
// their types, so an unknown name here is the layer's mistake.
// The parameters a call may override as well as the pipeline set (OcrOverrides' fields, which OcrOptions
// has under the same names): sets `o`'s field named `k` and returns true, or returns false for another
// name. T is OcrOptions (plain fields) or OcrOverrides (optionals).
template <typename T>
bool SetPageParameter(T& o, const std::string& k, py::handle v) {
  if (k == "use_doc_orientation_classify")
    o.use_doc_orientation_classify = py::cast<bool>(v);
  else if (k == "use_textline_orientation")
    o.use_textline_orientation = py::cast<bool>(v);
  else if (k == "textline_orientation_thresh")
    o.textline_orientation_thresh = py::cast<double>(v);
  else if (k == "textline_orientation_page_thresh")
    o.textline_orientation_page_thresh = py::cast<double>(v);
  else if (k == "text_det_limit_side_len")
    o.text_det_limit_side_len = py::cast<int>(v);
  else if (k == "text_det_limit_type")
    o.text_det_limit_type = py::cast<std::string>(v);
  else if (k == "text_det_thresh")
    o.text_det_thresh = py::cast<double>(v);
  else if (k == "text_det_box_thresh")
    o.text_det_box_thresh = py::cast<double>(v);
  else if (k == "text_det_unclip_ratio")
    o.text_det_unclip_ratio = py::cast<double>(v);
  else if (k == "text_det_max_side_limit")
    o.text_det_max_side_limit = py::cast<int>(v);
  else if (k == "text_det_tiled")
    o.text_det_tiled = py::cast<bool>(v);
  else if (k == "text_rec_score_thresh")
    o.text_rec_score_thresh = py::cast<double>(v);
  else if (k == "text_rec_space_gaps")
    o.text_rec_space_gaps = py::cast<bool>(v);
  else if (k == "text_rec_fold_fullwidth")
    o.text_rec_fold_fullwidth = py::cast<bool>(v);
  else if (k == "text_recognition_batch_size")
    o.text_recognition_batch_size = py::cast<int>(v);
  else if (k == "textline_orientation_batch_size")
    o.textline_orientation_batch_size = py::cast<int>(v);
  else if (k == "timing")
    o.timing = py::cast<bool>(v);
  else
    return false;
  return true;
}

OcrOptions ParseOptions(const py::dict& d) {
  OcrOptions o;
  for (auto item : d) {
    const std::string k = py::cast<std::string>(item.first);
    py::handle v = item.second;
    if (SetPageParameter(o, k, v)) continue;
    if (k == "model_dir")
      o.model_dir = py::cast<std::string>(v);
    else if (k == "det_model")
      o.det_model = py::cast<std::string>(v);
    else if (k == "rec_model")
      o.rec_model = py::cast<std::string>(v);
    else if (k == "cls_model")
      o.cls_model = py::cast<std::string>(v);
    else if (k == "rec_dict")
      o.rec_dict = py::cast<std::string>(v);
    else if (k == "doc_orientation_model")
      o.doc_orientation_model = py::cast<std::string>(v);
    else if (k == "threads")
      o.threads = py::cast<int>(v);
    else if (k == "idle_trim_seconds")
      o.idle_trim_seconds = py::cast<int>(v);
    else if (k == "memory_limit")
      o.memory_limit = py::cast<size_t>(v);
    else if (k == "fix_mmap_threshold")
      o.fix_mmap_threshold = py::cast<bool>(v);
    else if (k == "max_image_pixels")
      o.max_image_pixels = py::cast<int64_t>(v);
    else
      throw py::value_error("unknown pipeline option '" + k + "'");
  }
  return o;
}

OcrOverrides ParseOverrides(const py::dict& d) {
  OcrOverrides o;
  for (auto item : d) {
    const std::string k = py::cast<std::string>(item.first);
    if (!SetPageParameter(o, k, item.second)) throw py::value_error("unknown predict option '" + k + "'");
  }
  return o;
}

// A cv::Mat as a NumPy array sharing its pixels; the capsule keeps the Mat's buffer alive.
py::array MatToArray(const cv::Mat& mat, bool writeable) {
  CV_Assert(mat.depth() == CV_8U);
  auto* keep = new cv::Mat(mat);
  py::capsule owner(keep, [](void* p) { delete static_cast<cv::Mat*>(p); });
  std::vector<py::ssize_t> shape = {mat.rows, mat.cols};
  std::vector<py::ssize_t> strides = {static_cast<py::ssize_t>(mat.step[0]),
                                      static_cast<py::ssize_t>(mat.elemSize())};
  if (mat.channels() > 1) {
    shape.push_back(mat.channels());
    strides.push_back(1);
  }
  py::array a(py::dtype::of<uint8_t>(), shape, strides, keep->data, owner);
  if (!writeable) a.attr("flags").attr("writeable") = false;
  return a;
}

// One result: the C++ OcrResult, kept for drawing the picture and for its page pixels.
class Page {
 public:
  explicit Page(OcrResult r) : r_(std::move(r)) {}
  std::string Json(int indent) const { return ToJson(r_, indent); }
  const std::string& InputPath() const { return r_.input_path; }
  py::object Error() const { return r_.error.ok() ? py::none() : py::object(py::str(r_.error.ToString())); }
  py::object Image() const {
    if (r_.page_image.empty()) return py::none();
    return MatToArray(r_.page_image, false);
  }
  py::array Render() const {
    StatusOr<cv::Mat> img = Status::Internal("not drawn");
    {
      py::gil_scoped_release nogil;
      img = RenderResult(r_);
    }
    return MatToArray(ValueOr(std::move(img)), true);
  }
  void SavePng(const std::string& path) const {
    Status st;
    {
      py::gil_scoped_release nogil;
      auto img = RenderResult(r_);
      st = img.ok() ? WritePng(*img, path) : img.status();
    }
    if (!st.ok()) Raise(st);
  }

 private:
  OcrResult r_;
};

class Pipeline;

// Marks a pipeline busy for one call; a second thread entering meanwhile gets a RuntimeError.
class BusyGuard {
 public:
  BusyGuard(std::atomic<bool>& busy, std::mutex& run) : busy_(busy) {
    if (busy_.exchange(true)) {
      throw std::runtime_error(
          "this PaddleOCR instance is already running in another thread; an instance runs one call at a "
          "time (its sessions hold one page's state): give each thread its own instance");
    }
    lock_ = std::unique_lock<std::mutex>(run);
  }
  ~BusyGuard() {
    lock_.unlock();
    busy_ = false;
  }

 private:
  std::atomic<bool>& busy_;
  std::unique_lock<std::mutex> lock_;
};

// One input of predict, as the Python layer passes it: ("path", str), ("bytes", bytes) or ("array",
// uint8/uint16 C-contiguous ndarray of 2 or 3 dimensions), with a label for messages.
OcrInput ToInput(const py::tuple& t, py::list& keep_alive) {
  const std::string kind = py::cast<std::string>(t[0]);
  const std::string label = py::cast<std::string>(t[2]);
  if (kind == "path") return OcrInput::Path(py::cast<std::string>(t[1]));
  if (kind == "bytes") return OcrInput::Bytes(py::cast<std::string>(py::bytes(t[1])), label);
  if (kind != "array") throw py::value_error("unknown input kind '" + kind + "'");
  py::array a = py::reinterpret_borrow<py::array>(t[1]);
  if (!(a.flags() & py::array::c_style)) throw py::value_error(label + ": the array must be C-contiguous");
  int depth = -1;
  if (a.dtype().is(py::dtype::of<uint8_t>())) depth = CV_8U;
  if (a.dtype().is(py::dtype::of<uint16_t>())) depth = CV_16U;
  if (depth < 0 || (a.ndim() != 2 && a.ndim() != 3)) {
    throw py::value_error(label + ": expected a uint8 or uint16 array of shape (H, W) or (H, W, C)");
  }
  const int channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
  // The Mat borrows the array's pixels (no copy); the range keeps the array alive until it ends.
  cv::Mat m(static_cast<int>(a.shape(0)), static_cast<int>(a.shape(1)), CV_MAKETYPE(depth, channels),
            const_cast<void*>(a.data()), static_cast<size_t>(a.strides(0)));
  keep_alive.append(a);
  return OcrInput::Image(m, label);
}

class Range;

class Pipeline {
 public:
  Pipeline(const py::dict& options, bool warmup) {
    OcrOptions o = ParseOptions(options);
    StatusOr<std::unique_ptr<OcrPipeline>> p = Status::Internal("not created");
    Status warm;
    {
      py::gil_scoped_release nogil;
      p = OcrPipeline::Create(o);
      if (p.ok() && warmup) warm = (*p)->WarmupEveryShape();
    }
    pipeline_ = ValueOr(std::move(p));
    if (!warm.ok()) Raise(warm);
    if (o.idle_trim_seconds > 0) trimmer_ = std::thread([this] { TrimWhenIdle(); });
  }
  // Locking and joining throw only on a broken mutex or thread, a bug that terminating reports.
  ~Pipeline() {  // NOLINT(bugprone-exception-escape)
    if (trimmer_.joinable()) {
      {
        std::lock_guard<std::mutex> l(stop_mu_);
        stop_ = true;
      }
      stop_cv_.notify_all();
      py::gil_scoped_release nogil;
      trimmer_.join();
    }
  }

  std::unique_ptr<Range> Predict(const py::list& inputs, const py::dict& overrides);

  // One step of a range: the next result, or nullopt at the end.
  std::optional<OcrResult> Step(OcrRange& range, OcrRange::Iterator& it, bool& started) {
    BusyGuard guard(busy_, run_mu_);
    py::gil_scoped_release nogil;
    if (!started) {
      started = true;
      it = range.begin();
    } else {
      ++it;
    }
    if (it == range.end()) return std::nullopt;
    return *it;
  }

  std::string MemoryStatsJson() {
    BusyGuard guard(busy_, run_mu_);
    return ToJson(pipeline_->memory_stats());
  }
  void Trim() {
    BusyGuard guard(busy_, run_mu_);
    py::gil_scoped_release nogil;
    pipeline_->Trim();
  }
  py::dict PredictMemory(int width, int height, const std::vector<std::pair<int, int>>& lines,
                         const py::dict& overrides) {
    OcrOverrides ov = ParseOverrides(overrides);
    std::vector<cv::Size> text_lines;
    for (const auto& [w, h] : lines) text_lines.emplace_back(w, h);
    BusyGuard guard(busy_, run_mu_);
    StatusOr<MemoryPrediction> p = Status::Internal("not predicted");
    {
      py::gil_scoped_release nogil;
      p = pipeline_->PredictMemory(cv::Size(width, height), text_lines, ov);
    }
    const MemoryPrediction m = ValueOr(std::move(p));
    py::dict d;
    d["det_arena_bytes"] = m.det_arena_bytes;
    d["cls_arena_bytes"] = m.cls_arena_bytes;
    d["rec_arena_bytes"] = m.rec_arena_bytes;
    d["new_plan_bytes"] = m.new_plan_bytes;
    d["new_plans"] = m.new_plans;
    d["new_packed_weights_bytes"] = m.new_packed_weights_bytes;
    d["working_bytes"] = m.working_bytes;
    d["new_arena_bytes"] = m.new_arena_bytes;
    d["total_new_bytes"] = m.total_new_bytes;
    d["peak_bytes"] = m.peak_bytes;
    return d;
  }
  std::string ModelDir() const { return pipeline_->options().model_dir; }

 private:
  // idle_trim_seconds: hands memory back once the instance has been idle that long, from its own thread,
  // skipping any moment a call is running.
  void TrimWhenIdle() {
    std::unique_lock<std::mutex> l(stop_mu_);
    while (!stop_cv_.wait_for(l, std::chrono::milliseconds(500), [this] { return stop_; })) {
      std::unique_lock<std::mutex> run(run_mu_, std::try_to_lock);
      if (run.owns_lock() && !busy_) pipeline_->TrimIfIdle();
    }
  }

  std::unique_ptr<OcrPipeline> pipeline_;
  std::atomic<bool> busy_{false};
  std::mutex run_mu_;
  std::thread trimmer_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

// The lazy results of one predict call; each __next__ runs one page with the GIL released.
class Range {
 public:
  Range(Pipeline* pipeline, OcrRange range, py::list keep_alive)
      : pipeline_(pipeline), range_(std::move(range)), keep_alive_(std::move(keep_alive)) {}
  Page Next() {
    if (done_) throw py::stop_iteration();
    std::optional<OcrResult> r = pipeline_->Step(range_, it_, started_);
    if (!r) {
      done_ = true;
      throw py::stop_iteration();
    }
    return Page(std::move(*r));
  }

 private:
  Pipeline* pipeline_;
  OcrRange range_;
  OcrRange::Iterator it_;
  bool started_ = false;
  bool done_ = false;
  py::list keep_alive_;
};

std::unique_ptr<Range> Pipeline::Predict(const py::list& inputs, const py::dict& overrides) {
  std::vector<OcrInput> in;
  py::list keep;
  for (py::handle h : inputs) in.push_back(ToInput(py::reinterpret_borrow<py::tuple>(h), keep));
  const OcrOverrides ov = ParseOverrides(overrides);
  BusyGuard guard(busy_, run_mu_);
  StatusOr<OcrRange> r = pipeline_->Predict(std::move(in), ov);
  return std::make_unique<Range>(this, ValueOr(std::move(r)), std::move(keep));
}

}  // namespace
}  // namespace plateau::python

PYBIND11_MODULE(_plateau, m) {
  using namespace plateau::python;
  m.doc() = "plateau's OCR pipeline (the C++ library); use the plateau package, not this module";

  m.def(
      "find_model_dir",
      [](const std::string& model_dir, const std::vector<std::string>& extra_dirs) {
        return ValueOr(plateau::FindModelDir(model_dir, extra_dirs));
      },
      py::arg("model_dir") = "", py::arg("extra_dirs") = std::vector<std::string>{});
  m.def("model_file_names", [] { return plateau::ModelFileNames(); });
  m.def("is_input_file", [](const std::string& p) { return plateau::IsOcrInputFile(p); });

  py::class_<Page>(m, "Page")
      .def("json", &Page::Json, py::arg("indent") = -1)
      .def_property_readonly("error", &Page::Error)
      .def_property_readonly("input_path", &Page::InputPath)
      .def("image", &Page::Image)
      .def("render", &Page::Render)
      .def("save_png", &Page::SavePng, py::arg("path"));

  py::class_<Range>(m, "Range")
      .def("__iter__", [](Range& r) -> Range& { return r; })
      .def("__next__", &Range::Next);

  py::class_<Pipeline>(m, "Pipeline")
      .def(py::init<const py::dict&, bool>(), py::arg("options"), py::arg("warmup") = false)
      .def("predict", &Pipeline::Predict, py::arg("inputs"), py::arg("overrides") = py::dict(),
           py::keep_alive<0, 1>())
      .def("memory_stats_json", &Pipeline::MemoryStatsJson)
      .def("trim", &Pipeline::Trim)
      .def("predict_memory", &Pipeline::PredictMemory, py::arg("width"), py::arg("height"),
           py::arg("text_lines") = std::vector<std::pair<int, int>>{}, py::arg("overrides") = py::dict())
      .def_property_readonly("model_dir", &Pipeline::ModelDir);
}
