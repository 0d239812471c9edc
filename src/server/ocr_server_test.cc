// The server over loopback with real HTTP: started and stopped by each test (in-process, or the plateau
// binary for the SIGTERM drain).
#include "server/ocr_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "common/process_memory.h"
#include "ocr/pipeline/pipeline_test_support.h"
#include "server/base64.h"

namespace plateau::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

using ::plateau::testing::kModels;
using ::plateau::testing::kSroie;
using ::plateau::testing::SroieLabels;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string FileBody(const std::string& bytes, const std::string& extra = "") {
  return "{\"file\": \"" + Base64Encode(bytes) + "\"" + extra + "}";
}

std::string EncodePng(const cv::Mat& image) {
  std::vector<uchar> buf;
  cv::imencode(".png", image, buf);
  return std::string(buf.begin(), buf.end());
}

struct Answer {
  int status = 0;  // 0: no HTTP response at all
  Json body;
  std::string retry_after;
};

Answer Post(int port, const std::string& body, const std::string& path = "/ocr") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(300, 0);
  cli.set_write_timeout(60, 0);
  auto res = cli.Post(path, body, "application/json");
  Answer a;
  if (!res) {
    a.body = {{"client_error", httplib::to_string(res.error())}};
    return a;
  }
  a.status = res->status;
  a.body = Json::parse(res->body, nullptr, false);
  a.retry_after = res->get_header_value("Retry-After");
  return a;
}

ServerOptions TestOptions(int workers, int queue) {
  ServerOptions o;
  o.port = 0;
  o.workers = workers;
  o.queue = queue;
  o.ocr.model_dir = kModels;
  o.ocr.threads = 1;
  o.visualize = false;  // only the requests that ask get pictures
  return o;
}

std::unique_ptr<OcrServer> StartServer(const ServerOptions& options) {
  auto server = OcrServer::Create(options);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  (*server)->Start();
  return std::move(server).value();
}

// A PDF of `pages` 200 x 100 pt pages, each with a black bar.
std::string BarsPdf(int pages) {
  std::string kids;
  for (int i = 0; i < pages; ++i) kids += std::to_string(3 + 2 * i) + " 0 R ";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>"};
  for (int i = 0; i < pages; ++i) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents " +
                      std::to_string(4 + 2 * i) + " 0 R >>");
    const std::string stream = "0 0 0 rg 20 40 160 20 re f";
    objects.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream +
                      "\nendstream");
  }
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof(line), "%010zu 00000 n \n", off);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// The labelled lines of SROIE receipt 000 found verbatim in a response's rec_texts.
int LabelsFound(const Json& body) {
  std::set<std::string> texts;
  for (const Json& page : body["result"]["ocrResults"]) {
    for (const Json& t : page["prunedResult"]["rec_texts"]) texts.insert(t.get<std::string>());
  }
  int found = 0;
  for (const std::string& label : SroieLabels(kSroie + "/box/000.csv")) found += texts.count(label) ? 1 : 0;
  return found;
}

// Sends raw bytes on a fresh connection and closes it without reading (a client that vanishes).
void SendAndVanish(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  close(fd);
}

// A raw connection to the server, for what an HTTP client library would hide: when the response
// arrives relative to what was sent.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  // Whether all of `bytes` was sent (false once the server has closed the connection).
  bool Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads what has arrived within `timeout_ms` (and what follows without a pause); true if the server
  // has closed its side.
  bool Receive(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) {
      char buf[65536];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return true;
      received_.append(buf, static_cast<size_t>(n));
      timeout_ms = 200;
    }
    return false;
  }
  const std::string& received() const { return received_; }
  // The status of the first response received (0: none), its header block and its body.
  int Status() const { return received_.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(received_.c_str() + 9) : 0; }
  std::string Headers() const { return received_.substr(0, received_.find("\r\n\r\n")); }
  Json Body() const {
    const size_t end = received_.find("\r\n\r\n");
    if (end == std::string::npos) return Json();
    return Json::parse(received_.substr(end + 4), nullptr, false);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

// `plateau serve` as a child process on a free port; SIGTERM and reaped by the destructor if still running.
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> flags) {
    log_ = fs::temp_directory_path() / ("plateau_serve_" + std::to_string(getpid()) + ".log");
    std::vector<std::string> args = {binary_, "serve", "--port", "0", "--model_dir", kModels};
    args.insert(args.end(), flags.begin(), flags.end());
    // Everything the child needs is made before fork: it only calls async-signal-safe functions.
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log_path = log_.string();
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      execv(binary_.c_str(), argv.data());
      _exit(127);
    }
    // The port is in the "listening on" line.
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 1200 && port_ == 0 && pid_ > 0; ++i) {
      std::smatch m;
      const std::string text = ReadFile(log_.string());
      if (std::regex_search(text, m, listening)) {
        port_ = std::stoi(m[1]);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGTERM);
      Wait();
    }
    fs::remove(log_);
  }

  pid_t pid() const { return pid_; }
  int port() const { return port_; }  // 0: did not start
  std::string log() const { return ReadFile(log_.string()); }
  // The child's exit status (waitpid's).
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }
  // VmRSS of the child, from /proc.
  size_t RssBytes() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
  }

 private:
  const std::string binary_ = PLATEAU_BINARY_DIR "/plateau";
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool reaped_ = false;
};

TEST(OcrServerTest, ReadsAReceiptInPaddleXsResponseShape) {
  SKIP_WITHOUT_MODELS();
  auto server = StartServer(TestOptions(1, 2));
  ASSERT_NE(server, nullptr);
  const std::string jpg = ReadFile(kSroie + "/img/000.jpg");
  const cv::Mat decoded = cv::imread(kSroie + "/img/000.jpg");
  Answer a = Post(server->port(), FileBody(jpg, ", \"fileType\": 1"));
  ASSERT_EQ(a.status, 200) << a.body.dump();
  EXPECT_EQ(a.body["errorCode"], 0);
  EXPECT_EQ(a.body["errorMsg"], "Success");
  EXPECT_EQ(a.body["logId"].get<std::string>().size(), 36u);
  const Json& result = a.body["result"];
  ASSERT_EQ(result["ocrResults"].size(), 1u);
  const Json& pruned = result["ocrResults"][0]["prunedResult"];
  EXPECT_FALSE(pruned.contains("input_path"));
  EXPECT_FALSE(pruned.contains("page_index"));
  // Orientation is off by default, and then the result has no doc_preprocessor_res (as in PaddleX).
  EXPECT_FALSE(pruned.contains("doc_preprocessor_res"));
  for (const char* key : {"model_settings", "dt_polys", "text_det_params", "rec_texts", "rec_scores",
                          "rec_polys", "rec_boxes", "textline_orientation_angles"}) {
    EXPECT_TRUE(pruned.contains(key)) << key;
  }
  // Not asked for, not drawn: PaddleX then leaves the key out (its response drops null fields).
  EXPECT_FALSE(result["ocrResults"][0].contains("ocrImage"));
  EXPECT_FALSE(result["ocrResults"][0].contains("inputImage"));
  EXPECT_EQ(result["dataInfo"], (Json{{"width", decoded.cols}, {"height", decoded.rows}, {"type", "image"}}));
  EXPECT_GE(LabelsFound(a.body), 5);

  // The per-request parameters reach the pipeline: a score threshold of 1 keeps no line.
  // With orientation on, its sub-result is pruned too.
  Answer strict = Post(server->port(),
                       FileBody(jpg, ", \"textRecScoreThresh\": 1.0, \"useDocOrientationClassify\": true"));
  ASSERT_EQ(strict.status, 200) << strict.body.dump();
  const Json& strict_pruned = strict.body["result"]["ocrResults"][0]["prunedResult"];
  EXPECT_TRUE(strict_pruned["rec_texts"].empty());
  EXPECT_EQ(strict_pruned["text_rec_score_thresh"], 1.0);
  ASSERT_TRUE(strict_pruned.contains("doc_preprocessor_res")) << strict_pruned.dump();
  EXPECT_FALSE(strict_pruned["doc_preprocessor_res"].contains("input_path"));
  EXPECT_FALSE(strict_pruned["doc_preprocessor_res"].contains("page_index"));
  EXPECT_EQ(strict_pruned["doc_preprocessor_res"]["angle"], 0);

  // visualize: the result picture, the page beside its text, as a Base64 JPEG.
  Answer drawn = Post(server->port(), FileBody(jpg, ", \"visualize\": true"));
  ASSERT_EQ(drawn.status, 200) << drawn.body.dump();
  const Json& image = drawn.body["result"]["ocrResults"][0]["ocrImage"];
  ASSERT_TRUE(image.is_string());
  auto jpeg = Base64Decode(image.get<std::string>());
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  const cv::Mat picture = cv::imdecode(std::vector<uchar>(jpeg->begin(), jpeg->end()), cv::IMREAD_COLOR);
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(picture.cols, 2 * decoded.cols);
  EXPECT_EQ(picture.rows, decoded.rows);
  // And the page as received; no docPreprocessingImage, the page was not preprocessed.
  const Json& input = drawn.body["result"]["ocrResults"][0]["inputImage"];
  ASSERT_TRUE(input.is_string());
  auto input_jpeg = Base64Decode(input.get<std::string>());
  ASSERT_TRUE(input_jpeg.ok());
  const cv::Mat input_picture =
      cv::imdecode(std::vector<uchar>(input_jpeg->begin(), input_jpeg->end()), cv::IMREAD_COLOR);
  EXPECT_EQ(input_picture.size(), decoded.size());
  EXPECT_FALSE(drawn.body["result"]["ocrResults"][0].contains("docPreprocessingImage"));

  httplib::Client cli("127.0.0.1", server->port());
  auto health = cli.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Json::parse(health->body)["errorMsg"], "Healthy");
}

// Every kind of bad request gets its status and a message, and the good request after them succeeds.
TEST(OcrServerTest, BadRequestsGetTheirStatusAndTheServerKeepsServing) {
  SKIP_WITHOUT_MODELS();
  ServerOptions options = TestOptions(1, 2);
  options.max_body_bytes = 1 << 20;
  options.max_image_pixels = 4'000'000;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  const std::string jpg = ReadFile(kSroie + "/img/000.jpg");

  // A 100000 x 100000 PNG header: refused from the header, before decoding.
  std::string huge_png = EncodePng(cv::Mat(8, 8, CV_8UC3, cv::Scalar(255, 255, 255)));
  const unsigned char dims[8] = {0x00, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0};
  huge_png.replace(16, 8, reinterpret_cast<const char*>(dims), 8);
  // A real image over the pixel limit (2001 x 2001 > 4e6).
  const std::string big_png = EncodePng(cv::Mat(2001, 2001, CV_8UC1, cv::Scalar(255)));

  struct Case {
    std::string name;
    std::string body;
    int status;
    std::string message;  // part of errorMsg
  };
  const std::vector<Case> cases = {
      {"malformed JSON", "{\"file\": \"abc", 422, "not valid JSON"},
      {"not an object", "\"just a string\"", 422, "JSON object"},
      {"missing file", "{\"fileType\": 1}", 422, "file: missing"},
      {"file of the wrong type", "{\"file\": [1, 2, 3]}", 422, "file: expected a string"},
      {"bad Base64", "{\"file\": \"not base64!\"}", 422, "Base64"},
      {"empty file", "{\"file\": \"\"}", 422, "file: empty"},
      {"URL", "{\"file\": \"http://example.com/receipt.jpg\"}", 422, "URLs are not fetched"},
      {"corrupt image", FileBody(std::string(500, '\x42')), 422, "not a readable image"},
      {"truncated JPEG", FileBody(jpg.substr(0, 600), ", \"fileType\": 1"), 422, "file"},
      {"PDF declared, image sent", FileBody(jpg, ", \"fileType\": 0"), 422, "file"},
      {"absurd declared size", FileBody(huge_png), 422, "100000x100000"},
      {"image over the pixel limit", FileBody(big_png), 422, "limit"},
      {"wrong-typed parameter", FileBody(jpg, ", \"textDetThresh\": \"high\""), 422, "textDetThresh"},
      {"parameter out of range", FileBody(jpg, ", \"textDetBoxThresh\": 7"), 422, "text_det_box_thresh"},
      {"unsupported module", FileBody(jpg, ", \"useDocUnwarping\": true"), 422, "useDocUnwarping"},
      {"body over max_body_bytes", "{\"file\": \"" + std::string(2 << 20, 'A') + "\"}", 413,
       "max_body_bytes"},
  };
  for (const Case& c : cases) {
    Answer a = Post(port, c.body);
    EXPECT_EQ(a.status, c.status) << c.name << ": " << a.body.dump();
    ASSERT_TRUE(a.body.is_object()) << c.name;
    EXPECT_EQ(a.body["errorCode"], c.status) << c.name;
    const std::string msg = a.body.value("errorMsg", "");
    EXPECT_NE(msg.find(c.message), std::string::npos) << c.name << ": '" << msg << "'";
  }

  Answer not_found = Post(port, "{}", "/predict");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body["errorCode"], 404);

  // Clients that vanish: mid-headers, and mid-body (a Content-Length the body never reaches).
  SendAndVanish(port, "POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Le");
  SendAndVanish(port,
                "POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 100000\r\n\r\n{\"file\": \"QUJD");
  // A body announced as far too large is answered 413 from its Content-Length.
  SendAndVanish(port, "POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n{");

  // A valid image with no text: a result with nothing in it.
  Answer blank = Post(port, FileBody(EncodePng(cv::Mat(64, 64, CV_8UC3, cv::Scalar(255, 255, 255)))));
  ASSERT_EQ(blank.status, 200) << blank.body.dump();
  EXPECT_TRUE(blank.body["result"]["ocrResults"][0]["prunedResult"]["rec_texts"].empty());

  Answer good = Post(port, FileBody(jpg));
  ASSERT_EQ(good.status, 200) << good.body.dump();
  EXPECT_GE(LabelsFound(good.body), 5);
}

// "visualize" absent or null follows the server's default (on unless told otherwise, as PaddleX's
// Serving.visualize); false leaves the picture keys out, as PaddleX's response does with null fields.
TEST(OcrServerTest, VisualizeFollowsTheRequestThenTheServerDefault) {
  SKIP_WITHOUT_MODELS();
  ServerOptions options = TestOptions(1, 2);
  options.visualize = ServerOptions().visualize;
  ASSERT_TRUE(options.visualize) << "PaddleX draws by default";
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  cv::Mat receipt = cv::imread(kSroie + "/img/000.jpg");
  const std::string png = EncodePng(receipt(cv::Rect(0, 0, receipt.cols, 240)).clone());
  struct Case {
    std::string extra;
    bool pictures;
  };
  for (const Case& c :
       std::vector<Case>{{"", true},
                         {", \"visualize\": null", true},
                         {", \"visualize\": false", false},
                         {", \"visualize\": true", true},
                         {", \"visualize\": true, \"useDocOrientationClassify\": true", true}}) {
    Answer a = Post(server->port(), FileBody(png, c.extra));
    ASSERT_EQ(a.status, 200) << c.extra << ": " << a.body.dump().substr(0, 300);
    const Json& item = a.body["result"]["ocrResults"][0];
    EXPECT_TRUE(item.contains("prunedResult")) << c.extra;
    EXPECT_EQ(item.contains("ocrImage"), c.pictures) << c.extra;
    EXPECT_EQ(item.contains("inputImage"), c.pictures) << c.extra;
    if (c.pictures) {
      EXPECT_TRUE(item["ocrImage"].is_string()) << c.extra;
      // A preprocessed page is shown only when there was preprocessing.
      const bool preprocessed = c.extra.find("useDocOrientationClassify") != std::string::npos;
      EXPECT_EQ(item.contains("docPreprocessingImage"), preprocessed) << c.extra;
    }
  }

  // Pictures over 2000 pixels either way are scaled down to fit 2000 x 2000, proportions kept (PaddleX's
  // default max_output_img_size): a 2400 x 300 page gives a 4800 x 300 ocrImage (page beside text),
  // scaled by 2000 / 4800 to 2000 x 125, and a 2000 x 250 inputImage.
  cv::Mat wide(300, 2400, CV_8UC3, cv::Scalar(255, 255, 255));
  receipt(cv::Rect(0, 0, receipt.cols, 240)).copyTo(wide(cv::Rect(0, 0, receipt.cols, 240)));
  Answer a = Post(server->port(), FileBody(EncodePng(wide)));
  ASSERT_EQ(a.status, 200) << a.body.dump().substr(0, 300);
  auto size_of = [](const Json& base64) {
    auto bytes = Base64Decode(base64.get<std::string>());
    if (!bytes.ok()) return cv::Size();
    return cv::imdecode(std::vector<uchar>(bytes->begin(), bytes->end()), cv::IMREAD_COLOR).size();
  };
  EXPECT_EQ(size_of(a.body["result"]["ocrResults"][0]["ocrImage"]), cv::Size(2000, 125));
  EXPECT_EQ(size_of(a.body["result"]["ocrResults"][0]["inputImage"]), cv::Size(2000, 250));
}

// A body over max_body_bytes is refused from its Content-Length before the client has sent it (with or
// without "Expect: 100-continue"), a chunked body stops being read at the limit (and is refused where it
// would not be), a body nothing reads ends the connection, and the server keeps serving.
TEST(OcrServerTest, BodyOverTheLimitIsRefusedBeforeItIsRead) {
  SKIP_WITHOUT_MODELS();
  ServerOptions options = TestOptions(1, 2);
  options.max_body_bytes = 1 << 20;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  const std::string head =
      "POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n";
  auto expect_413 = [](const RawClient& c, const std::string& what) {
    EXPECT_EQ(c.Status(), 413) << what << ": " << c.received().substr(0, 300);
    EXPECT_NE(c.Headers().find("Connection: close"), std::string::npos) << what << ": " << c.Headers();
    const Json body = c.Body();
    ASSERT_TRUE(body.is_object()) << what << ": " << c.received().substr(0, 300);
    EXPECT_EQ(body["errorCode"], 413) << what;
    EXPECT_NE(body.value("errorMsg", "").find("max_body_bytes"), std::string::npos) << what;
  };

  {  // Headers only: the 413 comes although no byte of the body was sent, and the server closes.
    RawClient c(port);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send(head + "\r\n"));
    EXPECT_TRUE(c.Receive(10000)) << "the connection should be closed after the 413";
    expect_413(c, "headers only");
  }
  {  // Part of the body sent, then waiting: the same.
    RawClient c(port);
    ASSERT_TRUE(c.Send(head + "\r\n{\"file\": \"" + std::string(1000, 'A')));
    EXPECT_TRUE(c.Receive(10000));
    expect_413(c, "part of the body");
  }
  {  // curl's way: the 413 instead of "100 Continue", with its length, and the body is never sent.
    RawClient c(port);
    ASSERT_TRUE(c.Send(head + "Expect: 100-continue\r\n\r\n"));
    EXPECT_TRUE(c.Receive(10000));
    EXPECT_EQ(c.received().find("100 Continue"), std::string::npos) << c.received();
    expect_413(c, "Expect: 100-continue");
    EXPECT_NE(c.Headers().find("Content-Length: "), std::string::npos) << c.Headers();
  }
  {  // Any path: a body too large for /predict is refused the same way, not read to find the 404.
    RawClient c(port);
    ASSERT_TRUE(c.Send("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"));
    EXPECT_TRUE(c.Receive(10000));
    expect_413(c, "unknown path");
  }
  {  // Chunked, no Content-Length: the 413 comes once the body passes the limit, not when it ends.
    RawClient c(port);
    ASSERT_TRUE(c.Send("POST /ocr HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'A') + "\r\n";
    size_t sent = 0;
    bool answered = false;
    // Up to 8 MB, a chunk at a time, looking for the answer after each.
    while (sent < (8u << 20) && !answered) {
      if (!c.Send(chunk)) break;
      sent += 0x10000;
      c.Receive(sent > options.max_body_bytes ? 50 : 0);
      answered = c.Status() != 0;
    }
    if (!answered) c.Receive(10000);
    expect_413(c, "chunked");
    // The answer came while the body was still coming: well before its 8 MB (loopback buffers aside).
    EXPECT_LT(sent, 4 * options.max_body_bytes) << "bytes sent before the 413";
  }

  {  // A chunked body anywhere else would be stored whole: 411 before it is read, then closed.
    RawClient c(port);
    ASSERT_TRUE(c.Send("POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    EXPECT_TRUE(c.Receive(10000));
    EXPECT_EQ(c.Status(), 411) << c.received();
    EXPECT_EQ(c.Body().value("errorCode", 0), 411) << c.received();
    EXPECT_NE(c.Body().value("errorMsg", "").find("Content-Length"), std::string::npos) << c.received();
  }
  {  // A body on a GET is not read: answered, then the connection is closed rather than the body being
     // taken for a second request.
    RawClient c(port);
    ASSERT_TRUE(c.Send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nGET /metrics HTTP/1.1"));
    EXPECT_TRUE(c.Receive(10000));
    EXPECT_EQ(c.Status(), 200) << c.received();
    EXPECT_EQ(c.received().find("HTTP/1.1", 1), std::string::npos) << "one response only: " << c.received();
  }

  // The server keeps serving, on new connections and kept-alive ones.
  httplib::Client cli("127.0.0.1", port);
  for (int i = 0; i < 2; ++i) {
    auto health = cli.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
  }
  Answer good = Post(port, FileBody(ReadFile(kSroie + "/img/000.jpg")));
  ASSERT_EQ(good.status, 200) << good.body.dump();
  EXPECT_GE(LabelsFound(good.body), 5);
}

TEST(OcrServerTest, ASlowSenderIsCutOffAtTheRequestReadLimit) {
  SKIP_WITHOUT_MODELS();
  ServerOptions options = TestOptions(1, 2);
  options.request_read_seconds = 1.5;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  RawClient c(port);
  ASSERT_TRUE(c.connected());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      c.Send("POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 1000\r\n\r\n"));
  // A byte every 100 ms: each read succeeds long before the 30 s read timeout, so only the limit on
  // the whole request ends it.
  bool closed = false;
  double held = 0;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = !c.Send("{") || c.Receive(100);
    held = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  EXPECT_TRUE(closed) << "the connection was still open after " << held << " s";
  EXPECT_GE(held, 1.4);
  EXPECT_LT(held, 5.0);
  EXPECT_NE(c.Status(), 200) << c.received();
  // The server goes on serving.
  Answer a = Post(port, "{\"file\": \"\"}");
  EXPECT_EQ(a.status, 422);
}

// A PDF of three pages with a cap of two: two results, dataInfo naming all three pages.
TEST(OcrServerTest, PdfPagesAreCapped) {
  SKIP_WITHOUT_MODELS();
  ServerOptions options = TestOptions(1, 2);
  options.max_pdf_pages = 2;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);

  const std::string pdf = BarsPdf(3);
  for (const std::string extra : {"", ", \"fileType\": 0"}) {
    Answer a = Post(server->port(), FileBody(pdf, extra));
    ASSERT_EQ(a.status, 200) << a.body.dump();
    EXPECT_EQ(a.body["result"]["ocrResults"].size(), 2u);
    const Json& info = a.body["result"]["dataInfo"];
    EXPECT_EQ(info["type"], "pdf");
    EXPECT_EQ(info["numPages"], 3);
    ASSERT_EQ(info["pages"].size(), 2u);
    // 144 DPI: 2 pixels per point.
    EXPECT_EQ(info["pages"][0], (Json{{"width", 400}, {"height", 200}}));
  }
  Answer corrupt = Post(server->port(), FileBody("%PDF-1.4\nnot really"));
  EXPECT_EQ(corrupt.status, 422) << corrupt.body.dump();
}

// What decoding or rendering said about the page reaches prunedResult's "warnings", as in the JSON of
// `plateau ocr`; a page without any has no such key.
TEST(OcrServerTest, WarningsOfTheDecodedPageReachTheResponse) {
  SKIP_WITHOUT_MODELS();
  auto server = StartServer(TestOptions(1, 2));
  ASSERT_NE(server, nullptr);
  const std::string jpg = ReadFile(kSroie + "/img/000.jpg");
  Answer whole = Post(server->port(), FileBody(jpg));
  ASSERT_EQ(whole.status, 200) << whole.body.dump();
  EXPECT_FALSE(whole.body["result"]["ocrResults"][0]["prunedResult"].contains("warnings"));

  // The receipt's first 60 %: the decoder fills in the rest.
  Answer cut = Post(server->port(), FileBody(jpg.substr(0, jpg.size() * 6 / 10)));
  ASSERT_EQ(cut.status, 200) << cut.body.dump();
  const Json& cut_result = cut.body["result"]["ocrResults"][0]["prunedResult"];
  ASSERT_TRUE(cut_result.contains("warnings")) << cut_result.dump();
  EXPECT_EQ(
      cut_result["warnings"],
      Json::array({"file: a JPEG that ends before its end-of-image marker (truncated); decoded partially, "
                   "the rest of the image is filler"}));
  EXPECT_FALSE(cut_result["rec_texts"].empty());

  // A PDF whose first content stream declares 5 bytes but holds more: poppler complains and draws the
  // page anyway. The complaint is the first page's warning; the second page has none.
  std::string pdf = BarsPdf(2);
  const size_t at = pdf.find("/Length ") + 8;
  const size_t digits = pdf.find(' ', at) - at;
  pdf.replace(at, digits, "5" + std::string(digits - 1, ' '));  // same width: the offsets stay right
  Answer damaged = Post(server->port(), FileBody(pdf));
  ASSERT_EQ(damaged.status, 200) << damaged.body.dump();
  const Json& pages = damaged.body["result"]["ocrResults"];
  ASSERT_EQ(pages.size(), 2u);
  ASSERT_TRUE(pages[0]["prunedResult"].contains("warnings")) << pages[0].dump();
  ASSERT_FALSE(pages[0]["prunedResult"]["warnings"].empty());
  const std::string first = pages[0]["prunedResult"]["warnings"][0].get<std::string>();
  EXPECT_EQ(first.rfind("file: page 0: poppler error", 0), 0u) << first;
  EXPECT_FALSE(pages[1]["prunedResult"].contains("warnings")) << pages[1].dump();
}

// Workers 2, queue 4: 20 requests at once are each answered 200 or 503 (with Retry-After); none fails
// or hangs, and the server then answers normally.
TEST(OcrServerTest, OverloadGivesOnly200sAnd503s) {
  SKIP_WITHOUT_MODELS();
  auto server = StartServer(TestOptions(2, 4));
  ASSERT_NE(server, nullptr);
  // The top of a receipt: quick to read, still real text.
  cv::Mat receipt = cv::imread(kSroie + "/img/000.jpg");
  const std::string body = FileBody(EncodePng(receipt(cv::Rect(0, 0, receipt.cols, 240)).clone()));

  constexpr int kClients = 20;
  std::vector<Answer> answers(kClients);
  std::vector<std::thread> clients;
  std::atomic<int> ready{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kClients) std::this_thread::yield();
      answers[i] = Post(server->port(), body);
    });
  }
  for (std::thread& t : clients) t.join();
  int ok = 0, busy = 0;
  for (const Answer& a : answers) {
    if (a.status == 200) {
      ++ok;
      EXPECT_EQ(a.body["errorCode"], 0);
    } else {
      EXPECT_EQ(a.status, 503) << a.body.dump();
      EXPECT_EQ(a.body["errorCode"], 503);
      EXPECT_EQ(a.retry_after, "1");
      ++busy;
    }
  }
  EXPECT_EQ(ok + busy, kClients);
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 1);
  EXPECT_LE(ok, kClients);

  Answer after = Post(server->port(), body);
  EXPECT_EQ(after.status, 200);
  const std::string metrics = server->MetricsText();
  EXPECT_NE(metrics.find("plateau_http_responses_total{code=\"503\"} " + std::to_string(busy)),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("plateau_ocr_rejected_total " + std::to_string(busy)), std::string::npos);
  EXPECT_NE(metrics.find("plateau_queue_depth 0"), std::string::npos);
  EXPECT_NE(metrics.find("plateau_workers 2"), std::string::npos);
  EXPECT_NE(metrics.find("plateau_ocr_request_duration_seconds_count " + std::to_string(kClients + 1)),
            std::string::npos);
}

// /metrics shows the workers' plans and arenas; a worker idle for idle_trim_seconds hands them back.
TEST(OcrServerTest, IdleWorkersTrimAndMetricsShowIt) {
  SKIP_WITHOUT_MODELS();
  ServerOptions options = TestOptions(1, 1);
  options.idle_trim_seconds = 0.5;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  cv::Mat receipt = cv::imread(kSroie + "/img/000.jpg");
  Answer a = Post(server->port(), FileBody(EncodePng(receipt(cv::Rect(0, 0, receipt.cols, 120)).clone())));
  ASSERT_EQ(a.status, 200) << a.body.dump();

  // The value of a metric line "name value".
  auto metric = [&](const std::string& name) -> long long {
    const std::string text = server->MetricsText();
    const size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + name.size() + 2));
  };
  // Right after the request the worker holds plans (three models ran); then it goes idle and trims.
  bool held = false, trimmed = false;
  for (int i = 0; i < 500 && !trimmed; ++i) {
    const long long plans = metric("plateau_plans_cached");
    ASSERT_GE(plans, 0) << server->MetricsText();
    if (plans > 0) held = true;
    if (held && plans == 0) trimmed = metric("plateau_arena_bytes") == 0;
    if (!trimmed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(held) << server->MetricsText();
  EXPECT_TRUE(trimmed) << server->MetricsText();
  EXPECT_GT(metric("plateau_process_resident_memory_bytes"), 0);

  // A trimmed worker plans again on the next request.
  Answer again =
      Post(server->port(), FileBody(EncodePng(receipt(cv::Rect(0, 0, receipt.cols, 120)).clone())));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["result"]["ocrResults"][0]["prunedResult"]["rec_texts"],
            a.body["result"]["ocrResults"][0]["prunedResult"]["rec_texts"]);
}

// 1000 requests with images of six sizes to the plateau binary: after a warm-up that has seen every size,
// the server process's resident memory grows by less than 2 MB.
TEST(OcrServerTest, MemoryIsFlatOverAThousandRequests) {
  SKIP_WITHOUT_MODELS();
  ServeProcess server({"--workers", "1", "--threads", "1"});
  ASSERT_GT(server.port(), 0) << server.log();
  cv::Mat receipt = cv::imread(kSroie + "/img/000.jpg");
  // One labelled line of the receipt (TAN WOON YANN at 72,25 - 326,64) with a margin, at six scales.
  cv::Mat line = receipt(cv::Rect(60, 15, 280, 60)).clone();
  std::vector<std::string> bodies;
  // Six sizes: their detection and recognition shapes all fit the sessions' plan caches (capacity 8),
  // so after warm-up no plan is built again. (Ten sizes make the caches evict and rebuild plans on
  // every cycle; RSS then creeps by about 2 MB per 800 requests, see docs/BENCHMARKS.md.)
  for (int i = 0; i < 6; ++i) {
    const double scale = 0.5 + 0.1 * i;
    cv::Mat scaled;
    cv::resize(line, scaled, cv::Size(), scale, scale, cv::INTER_AREA);
    bodies.push_back(FileBody(EncodePng(scaled)));
  }
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(120, 0);
  size_t warm_rss = 0;
  for (int i = 0; i < 1000; ++i) {
    auto res = cli.Post("/ocr", bodies[i % bodies.size()], "application/json");
    ASSERT_TRUE(res) << "request " << i;
    ASSERT_EQ(res->status, 200) << res->body;
    if (i < static_cast<int>(bodies.size())) {
      // The line is printed in lower case; small scales lose the spaces.
      std::string text =
          Json::parse(res->body)["result"]["ocrResults"][0]["prunedResult"]["rec_texts"].dump();
      std::erase(text, ' ');
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_NE(text.find("tanwoonyann"), std::string::npos) << "scale " << i << ": " << res->body;
    }
    if (i == 199) warm_rss = server.RssBytes();
    if (i % 100 == 99)
      std::cout << "server RSS after " << i + 1 << " requests: " << server.RssBytes() << "\n";
  }
  const size_t end_rss = server.RssBytes();
  const double growth_mb = (static_cast<double>(end_rss) - static_cast<double>(warm_rss)) / (1 << 20);
  std::cout << "server RSS after 200 requests " << warm_rss / (1 << 20) << " MB, after 1000 "
            << end_rss / (1 << 20) << " MB, growth " << growth_mb << " MB\n";
  EXPECT_GT(warm_rss, 0u);
  EXPECT_LT(growth_mb, 2.0);
}

// The binary: SIGTERM while a request runs -> that request is answered, new connections are refused,
// the process exits 0.
// --memory_limit reaches the workers' pipelines, whose plans are built as pages need them (--no_warmup;
// warm, a limit below the ceiling is refused at start): a page that cannot fit under it is refused (422,
// as no other request was running) with the figures in errorMsg, without the process going over the limit;
// /metrics counts it; the pages that fit before and after are read.
TEST(OcrServerTest, MemoryLimitRefusesAPageThatCannotFit) {
  SKIP_WITHOUT_MODELS();
  constexpr size_t kLimit = 400u << 20;
  ServeProcess server({"--workers", "1", "--threads", "1", "--visualize", "false", "--memory_limit",
                       std::to_string(kLimit), "--no_warmup"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string receipt = FileBody(ReadFile(kSroie + "/img/000.jpg"));
  Answer before = Post(server.port(), receipt);
  ASSERT_EQ(before.status, 200) << before.body.dump();
  EXPECT_GE(LabelsFound(before.body), 5);

  // 4000 x 3000 on the whole page (tiles would fit it): detection's input tensor alone is 3 x 4000 x 3008
  // floats (144 MB), the first feature map at half resolution with 32 channels 385 MB more: far over
  // 400 MB with the models loaded.
  Answer big =
      Post(server.port(), FileBody(EncodePng(cv::Mat(3000, 4000, CV_8UC3, cv::Scalar(255, 255, 255))),
                                   ", \"textDetTiled\": false"));
  EXPECT_EQ(big.status, 422) << big.body.dump();
  EXPECT_EQ(big.body.value("errorCode", 0), 422);
  EXPECT_NE(big.body.value("errorMsg", "").find("memory_limit"), std::string::npos) << big.body.dump();
  EXPECT_LT(server.RssBytes(), kLimit);
  std::cout << "refused: " << big.body.value("errorMsg", "") << "\n";

  httplib::Client cli("127.0.0.1", server.port());
  auto metrics = cli.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nplateau_ocr_memory_refused_total 1\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("\nplateau_memory_limit_bytes " + std::to_string(kLimit) + "\n"),
            std::string::npos)
      << metrics->body;

  Answer after = Post(server.port(), receipt);
  ASSERT_EQ(after.status, 200) << after.body.dump();
  EXPECT_EQ(after.body["result"]["ocrResults"][0]["prunedResult"]["rec_texts"],
            before.body["result"]["ocrResults"][0]["prunedResult"]["rec_texts"]);
}

// Two workers under one --memory_limit: when the worker that refuses a page is not the one holding
// memory, the holder is made to hand it back and the answer is 503 + Retry-After (the retry may fit);
// once nothing else holds memory, the refusal is 422. Which worker takes which request is not fixed, so
// either order is accepted, but it ends in a 422 within two tries, and a receipt is read after.
TEST(OcrServerTest, MemoryLimitIs503WhileOtherWorkersHoldMemory) {
  SKIP_WITHOUT_MODELS();
  constexpr size_t kLimit = 450u << 20;
  ServeProcess server({"--workers", "2", "--threads", "1", "--visualize", "false", "--memory_limit",
                       std::to_string(kLimit), "--no_warmup"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string receipt = FileBody(ReadFile(kSroie + "/img/000.jpg"));
  ASSERT_EQ(Post(server.port(), receipt).status, 200);
  // Whole-page detection: its arena follows the page (about 850 MiB here), which tiles would not.
  const std::string big = FileBody(EncodePng(cv::Mat(3000, 4000, CV_8UC3, cv::Scalar(255, 255, 255))),
                                   ", \"textDetTiled\": false");
  Answer first = Post(server.port(), big);
  ASSERT_TRUE(first.status == 503 || first.status == 422) << first.body.dump();
  std::cout << "first refusal: " << first.status << "\n";
  int refusals = 1;
  if (first.status == 503) {
    EXPECT_EQ(first.retry_after, "1");
    EXPECT_NE(first.body.value("errorMsg", "").find("retry later"), std::string::npos) << first.body.dump();
    Answer second = Post(server.port(), big);
    EXPECT_EQ(second.status, 422) << second.body.dump();
    ++refusals;
  }
  EXPECT_LT(server.RssBytes(), kLimit);
  httplib::Client cli("127.0.0.1", server.port());
  auto metrics = cli.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nplateau_ocr_memory_refused_total " + std::to_string(refusals) + "\n"),
            std::string::npos)
      << metrics->body;
  Answer after = Post(server.port(), receipt);
  ASSERT_EQ(after.status, 200) << after.body.dump();
  EXPECT_GE(LabelsFound(after.body), 5);
}

TEST(OcrServerTest, SigtermDrainsAndExitsZero) {
  SKIP_WITHOUT_MODELS();
  ServeProcess server({"--workers", "1"});
  const int port = server.port();
  ASSERT_GT(port, 0) << server.log();
  const pid_t pid = server.pid();

  Answer running;
  std::thread client([&] { running = Post(port, FileBody(ReadFile(kSroie + "/img/000.jpg"))); });
  // Wait until the request is on a worker.
  httplib::Client probe("127.0.0.1", port);
  bool busy = false;
  for (int i = 0; i < 600 && !busy; ++i) {
    auto m = probe.Get("/metrics");
    busy = m && m->body.find("plateau_workers_busy 1") != std::string::npos;
    if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  probe.stop();
  EXPECT_TRUE(busy) << server.log();
  if (!busy) {
    client.join();
    return;
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client late("127.0.0.1", port);
  late.set_connection_timeout(2, 0);
  auto refused = late.Get("/health");
  EXPECT_FALSE(refused) << "a connection after SIGTERM was served";

  client.join();
  EXPECT_EQ(running.status, 200) << running.body.dump();
  EXPECT_GE(LabelsFound(running.body), 5);
  const int wstatus = server.Wait();
  EXPECT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << server.log();
}

// `plateau serve --request_read_seconds` sets the limit on a request's arrival: a sender trickling a
// byte every 100 ms is cut off after it, not after the default 120 s.
TEST(OcrServerTest, ServeTakesTheRequestReadLimitFromItsFlag) {
  SKIP_WITHOUT_MODELS();
  ServeProcess server({"--workers", "1", "--threads", "1", "--request_read_seconds", "1"});
  const int port = server.port();
  ASSERT_GT(port, 0) << server.log();
  RawClient c(port);
  ASSERT_TRUE(c.connected());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      c.Send("POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 1000\r\n\r\n"));
  bool closed = false;
  double held = 0;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = !c.Send("{") || c.Receive(100);
    held = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  EXPECT_TRUE(closed) << "the connection was still open after " << held << " s";
  EXPECT_GE(held, 0.9);
  EXPECT_LT(held, 5.0);
  Answer a = Post(port, "{\"file\": \"\"}");
  EXPECT_EQ(a.status, 422);
}

}  // namespace
}  // namespace plateau::server
