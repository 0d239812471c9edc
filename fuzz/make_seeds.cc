// Writes the seed corpus of every fuzz target into a directory of the build, from the evaluation images
// and small inputs made here (encoded images, .npy tensors, ONNX models, request bodies), so that no
// binary seed lives in the repository.
//
//   plateau_fuzz_seeds <out_dir> <eval_dir> <models_dir>
//
// Creates <out_dir>/<target>/ for image_header, image_decode, base64, ocr_request, npy and onnx. A missing
// eval or models directory only means fewer seeds (it is named on stderr).
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/npy.h"
#include "server/base64.h"

namespace fs = std::filesystem;

namespace {

int written = 0;

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out << bytes;
  ++written;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Encode(const cv::Mat& image, const std::string& ext) {
  std::vector<uchar> buf;
  if (!cv::imencode(ext, image, buf)) return "";
  return std::string(buf.begin(), buf.end());
}

// Small images of every format OpenCV writes, in several channel layouts.
std::vector<std::pair<std::string, std::string>> TinyImages() {
  std::vector<std::pair<std::string, std::string>> out;
  cv::Mat bgr(7, 5, CV_8UC3), grey(3, 9, CV_8UC1), bgra(4, 4, CV_8UC4), deep(2, 3, CV_16UC1);
  cv::randu(bgr, 0, 255);
  cv::randu(grey, 0, 255);
  cv::randu(bgra, 0, 255);
  cv::randu(deep, 0, 65535);
  const std::vector<std::pair<std::string, cv::Mat>> images = {
      {"bgr", bgr}, {"grey", grey}, {"bgra", bgra}, {"deep", deep}};
  for (const auto& [name, image] : images) {
    for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".tif"}) {
      std::string bytes = Encode(image, ext);
      if (!bytes.empty()) out.emplace_back(name + ext, bytes);
    }
  }
  // GIF: OpenCV does not write it; a 1x1 image by hand.
  out.emplace_back("one.gif", std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
                                          "!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00"
                                          "\x00\x02\x02\x44\x01\x00;",
                                          43));
  return out;
}

// Up to `per_dir` files of each evaluation folder; only the first `max_bytes` of each (headers are at
// the start, and short inputs keep the fuzzer fast).
std::vector<std::pair<std::string, std::string>> EvalImages(const fs::path& eval, size_t per_dir,
                                                            size_t max_bytes) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  if (!fs::is_directory(eval, ec)) {
    std::fprintf(stderr, "plateau_fuzz_seeds: no evaluation images at %s\n", eval.c_str());
    return out;
  }
  for (const auto& dir : fs::recursive_directory_iterator(eval, ec)) {
    if (!dir.is_directory()) continue;
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      const std::string ext = f.path().extension().string();
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".tif" || ext == ".webp" ||
          ext == ".bmp" || ext == ".gif") {
        files.push_back(f.path());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.size() > per_dir) files.resize(per_dir);
    for (const fs::path& f : files) {
      std::string bytes = ReadFile(f);
      if (bytes.size() > max_bytes) bytes.resize(max_bytes);
      out.emplace_back(dir.path().filename().string() + "_" + f.filename().string(), bytes);
    }
  }
  return out;
}

std::string Request(const std::string& file, const std::string& fields) {
  return "{\"file\": \"" + file + "\"" + fields + "}";
}

// --- ONNX ------------------------------------------------------------------------------------------------

onnx::ModelProto NewModel(int opset) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  onnx::OperatorSetIdProto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  return m;
}

void AddInput(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name(name);
  onnx::TypeProto::Tensor* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) {
    if (d < 0) {
      tt->mutable_shape()->add_dim()->set_dim_param("n");
    } else {
      tt->mutable_shape()->add_dim()->set_dim_value(d);
    }
  }
}

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& in,
                         const std::vector<std::string>& out) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + out[0]);
  for (const auto& i : in) n->add_input(i);
  for (const auto& o : out) n->add_output(o);
  return n;
}

void AddWeights(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  std::vector<float> values(static_cast<size_t>(n));
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.01f * static_cast<float>(i % 7) - 0.03f;
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

void AddInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void AddInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

std::string Serialize(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

// A few small graphs with the ops the OCR models use: convolution, activations, pooling, reshapes,
// matrix products, softmax, resize.
std::vector<std::pair<std::string, std::string>> SmallModels() {
  std::vector<std::pair<std::string, std::string>> out;
  {
    onnx::ModelProto m = NewModel(11);
    onnx::GraphProto* g = m.mutable_graph();
    AddInput(g, "x", {-1, 3, -1, -1});
    AddWeights(g, "w", {4, 3, 3, 3});
    AddWeights(g, "b", {4});
    onnx::NodeProto* conv = AddNode(g, "Conv", {"x", "w", "b"}, {"c"});
    AddInts(conv, "kernel_shape", {3, 3});
    AddInts(conv, "pads", {1, 1, 1, 1});
    AddInts(conv, "strides", {2, 2});
    AddNode(g, "Relu", {"c"}, {"r"});
    onnx::NodeProto* pool = AddNode(g, "MaxPool", {"r"}, {"p"});
    AddInts(pool, "kernel_shape", {2, 2});
    AddInts(pool, "strides", {2, 2});
    AddNode(g, "Sigmoid", {"p"}, {"y"});
    g->add_output()->set_name("y");
    out.emplace_back("conv_relu_pool.onnx", Serialize(m));
  }
  {
    onnx::ModelProto m = NewModel(13);
    onnx::GraphProto* g = m.mutable_graph();
    AddInput(g, "x", {1, 8, 4});
    AddWeights(g, "w", {4, 6});
    AddNode(g, "MatMul", {"x", "w"}, {"m"});
    AddWeights(g, "b", {6});
    AddNode(g, "Add", {"m", "b"}, {"a"});
    onnx::NodeProto* t = AddNode(g, "Transpose", {"a"}, {"t"});
    AddInts(t, "perm", {0, 2, 1});
    onnx::NodeProto* s = AddNode(g, "Softmax", {"t"}, {"y"});
    AddInt(s, "axis", -1);
    g->add_output()->set_name("y");
    out.emplace_back("matmul_softmax.onnx", Serialize(m));
  }
  {
    onnx::ModelProto m = NewModel(11);
    onnx::GraphProto* g = m.mutable_graph();
    AddInput(g, "x", {1, 2, -1, -1});
    AddWeights(g, "roi", {0});
    AddWeights(g, "scales", {4});
    g->mutable_initializer(1)->set_raw_data(std::string("\0\0\x80?\0\0\x80?\0\0\0@\0\0\0@", 16));
    onnx::NodeProto* r = AddNode(g, "Resize", {"x", "roi", "scales"}, {"u"});
    onnx::AttributeProto* mode = r->add_attribute();
    mode->set_name("mode");
    mode->set_type(onnx::AttributeProto::STRING);
    mode->set_s("nearest");
    onnx::NodeProto* gap = AddNode(g, "GlobalAveragePool", {"u"}, {"gp"});
    (void)gap;
    onnx::NodeProto* f = AddNode(g, "Flatten", {"gp"}, {"y"});
    AddInt(f, "axis", 1);
    g->add_output()->set_name("y");
    out.emplace_back("resize_pool_flatten.onnx", Serialize(m));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <out_dir> <eval_dir> <models_dir>\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1], eval = argv[2], models = argv[3];
  const auto tiny = TinyImages();
  const auto real = EvalImages(eval, 12, 16 << 10);

  for (const auto& [name, bytes] : tiny) Write(out / "image_header", name, bytes);
  for (const auto& [name, bytes] : real) Write(out / "image_header", name, bytes);
  for (const auto& [name, bytes] : tiny) Write(out / "image_decode", name, bytes);
  for (const auto& [name, bytes] : real) Write(out / "image_decode", name, bytes);

  using plateau::server::Base64Encode;
  for (const auto& [name, bytes] : tiny) Write(out / "base64", name + ".b64", Base64Encode(bytes));
  Write(out / "base64", "wrapped.b64", "aGVs\nbG8g\r\nd29y bGQ=\n");
  Write(out / "base64", "pad1.b64", "YQ==");
  Write(out / "base64", "pad2.b64", "YWI=");
  Write(out / "base64", "empty.b64", "");

  const std::string png = Base64Encode(tiny.front().second);
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"minimal.json", Request(png, "")},
      {"all_fields.json",
       Request(png, R"(, "fileType": 1, "useDocOrientationClassify": false, "useDocUnwarping": null,
        "useTextlineOrientation": true, "textDetLimitSideLen": 736, "textDetLimitType": "max",
        "textDetThresh": 0.25, "textDetBoxThresh": 0.5, "textDetUnclipRatio": 2.0,
        "textRecScoreThresh": 0.4, "visualize": true, "other": [1, {"a": null}])")},
      {"nulls.json", Request(png, R"(, "fileType": null, "textDetThresh": null, "visualize": null)")},
      {"pdf.json", Request(Base64Encode("%PDF-1.4\n%%EOF\n"), R"(, "fileType": 0)")},
      {"url.json", Request("https://example.com/a.png", "")},
      {"unicode.json", "{\"file\": \"\\u0041QID\", \"x\": \"\\ud83d\\ude00\"}"},
      {"not_object.json", "[1, 2, 3]"},
  };
  for (const auto& [name, bytes] : bodies) Write(out / "ocr_request", name, bytes);

  using plateau::DType;
  using plateau::Shape;
  const std::vector<std::pair<DType, Shape>> tensors = {
      {DType::kFloat32, Shape{1, 3, 4, 5}}, {DType::kInt32, Shape{7}},  {DType::kInt64, Shape{2, 2}},
      {DType::kUInt8, Shape{3, 1, 2}},      {DType::kFloat32, Shape{}}, {DType::kFloat32, Shape{0, 4}}};
  int index = 0;
  for (const auto& [dtype, shape] : tensors) {
    auto t = plateau::Tensor::Zeros(dtype, shape);
    if (!t.ok()) continue;
    auto* p = static_cast<unsigned char*>(t->data());
    for (size_t i = 0; p != nullptr && i < t->byte_size(); ++i) p[i] = static_cast<unsigned char>(i * 37);
    Write(out / "npy", "t" + std::to_string(index++) + ".npy", plateau::io::EncodeNpy(t->view()));
  }

  for (const auto& [name, bytes] : SmallModels()) Write(out / "onnx", name, bytes);
  // The smallest real model (the textline orientation classifier) as it is shipped.
  const fs::path cls = models / "ch_ppocr_mobile_v2.0_cls_infer.onnx";
  std::error_code ec;
  if (fs::exists(cls, ec)) {
    Write(out / "onnx", "cls.onnx", ReadFile(cls));
  } else {
    std::fprintf(stderr, "plateau_fuzz_seeds: %s missing (run `make models`)\n", cls.c_str());
  }

  std::printf("plateau_fuzz_seeds: %d seeds in %s\n", written, out.c_str());
  return 0;
}
