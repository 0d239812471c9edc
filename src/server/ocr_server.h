// plateau's HTTP server: PaddleX's OCR serving API over the OCR pipeline, with bounded concurrency
// and memory.
//
//   plateau::server::ServerOptions options;        // 127.0.0.1:8080, 1 worker, queue of 8
//   PLATEAU_ASSIGN_OR_RETURN(auto server, plateau::server::OcrServer::Create(options));
//   server->Start();
//   ...                                            // serve until told to stop (e.g. SIGTERM)
//   server->Stop();                                // drain: finish what was accepted, then return
//
// Endpoints:
//   POST /ocr      {"file": Base64, "fileType": 0|1|null, ...} (see ocr_request.h) ->
//                  {"logId", "errorCode": 0, "errorMsg": "Success",
//                   "result": {"ocrResults": [{"prunedResult", "ocrImage"}], "dataInfo"}}
//                  prunedResult is the pipeline's result JSON without input_path and page_index, one
//                  per image or PDF page (at most max_pdf_pages, the first ones), with "warnings" when
//                  decoding or rendering the page had any (io/image.h, io/pdf.h); dataInfo is
//                  {"width", "height", "type": "image"} or {"numPages", "pages": [{"width", "height"}],
//                  "type": "pdf"}. With visualize (the request's "visualize", or ServerOptions::
//                  visualize when absent or null, as PaddleX does) each result also has ocrImage, a
//                  Base64 JPEG of RenderResult (boxes on the page beside the text), inputImage (the page
//                  as received) and, when the page went through orientation classification,
//                  docPreprocessingImage (the page as turned), each scaled down to fit 2000 x 2000
//                  as PaddleX does by default; without, these keys are absent. The bodies are built
//                  by paddlex_response.h.
//   GET /health    {"logId", "errorCode": 0, "errorMsg": "Healthy"}
//   GET /metrics   Prometheus text (metrics.h)
// Errors are {"logId", "errorCode": <HTTP status>, "errorMsg": <what was wrong>}, as PaddleX sends them:
//   413  body over max_body_bytes: refused from its Content-Length before any of it is read (also in
//        answer to "Expect: 100-continue"), or, for a chunked body, as soon as it grows past the limit;
//        the connection is then closed
//   411  a chunked body sent anywhere but POST /ocr (it would be stored whole), refused before it is read
//   422  the body is not the request described above, or its file cannot be read as an image / a PDF,
//        or a page cannot fit under memory_limit even with nothing else running
//   503  the queue is full or the server is draining, or a page did not fit under memory_limit while
//        other workers held memory (they are made to hand it back); Retry-After says when to try again
//   500  an unexpected failure of the pipeline
//
// Concurrency: the models are loaded once; each of `workers` threads runs its own pipeline (OcrPipeline::
// Fork). HTTP connections are served by workers + queue + 4 threads, so that refusals, /health and
// /metrics stay quick while every worker is busy. Nothing here is global: two servers can coexist.
//
// Memory: each HTTP thread holds at most one request (its body, then the decoded file: about 2 x
// max_body_bytes at the peak), each worker one decoded page and its sessions' plans and arenas; so the
// whole is bounded by the options, not by the traffic.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "plateau/ocr.h"
#include "plateau/status.h"
#include "server/metrics.h"

namespace httplib {
class Server;
class Request;
class Response;
class ContentReader;
}  // namespace httplib

namespace plateau::server {

class HttpServer;
class WorkerPool;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see OcrServer::port)
  int workers = 1;  // >= 1
  int queue = 8;    // requests allowed to wait for a worker, >= 0
  size_t max_body_bytes = 32u << 20;
  // The longest a request may take to arrive (headers and body) before its connection is closed: a
  // client trickling bytes holds a serving thread no longer (each read alone times out after 30 s).
  // 120 s lets a 32 MiB body through at about 2 Mbit/s. 0: no limit.
  double request_read_seconds = 120;
  int max_pdf_pages = 10;                 // pages of a PDF that are read, >= 1
  int64_t max_image_pixels = 50'000'000;  // a bigger image or rendered page is refused (422)
  // Handing memory back is OcrPipeline::Trim (plans, arenas, freed heap) on the worker's own thread:
  double idle_trim_seconds = 0;  // > 0: a worker idle this long after a request trims once
  // > 0: a ceiling on the process's RSS, which the workers' pipelines keep to (OcrOptions::memory_limit,
  // shared by all: each sees the others' memory in RSS); a page that cannot fit is refused (503 or 422,
  // see above). A worker also trims after a request that leaves the RSS above it.
  size_t memory_limit = 0;
  int retry_after_seconds = 1;  // the Retry-After of a 503
  bool visualize = true;        // for requests without "visualize": PaddleX's default is to draw
  // Every worker builds every plan before the first request (OcrPipeline::WarmupEveryShape), and the
  // process's memory ceiling is computed: what the warm workers hold plus the largest page's buffers
  // for each worker at once. A memory_limit below it fails Create, naming both figures.
  bool warmup = false;
  OcrOptions ocr;  // the pipeline's models and defaults
};

class OcrServer {
 public:
  // Checks the options, loads the models, makes one pipeline per worker and binds host:port. Fails
  // (naming the option or the address) without serving anything.
  static StatusOr<std::unique_ptr<OcrServer>> Create(const ServerOptions& options);
  // Stop().
  ~OcrServer();

  // The bound port (the chosen one when options.port was 0).
  int port() const { return port_; }
  // The process's memory ceiling computed at Create with options.warmup, else 0.
  size_t ceiling_bytes() const { return ceiling_bytes_; }
  // Starts serving in a background thread. Call once.
  void Start();
  // Drains: stops accepting connections, answers every request already received (running or queued),
  // then returns. Idempotent; safe from any thread except the server's own.
  void Stop();

  // The /metrics text.
  std::string MetricsText() const;

 private:
  explicit OcrServer(const ServerOptions& options);
  void HandleOcr(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  std::string NewLogId();
  // On a worker's thread: Trim its pipeline, or record its memory figures for /metrics.
  void HandBackMemory(OcrPipeline& pipeline);
  void PublishStats(const OcrPipeline& pipeline);
  // On a worker's thread, after `pipeline` refused a page for memory: whether memory held elsewhere in
  // the process can go (another request is running, or idle workers hold arenas or plans, which they
  // are then made to hand back), so that the page may fit when retried.
  bool ReleaseOthersMemory(const OcrPipeline& pipeline);

  ServerOptions options_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<WorkerPool> pool_;
  ServerMetrics metrics_;
  size_t ceiling_bytes_ = 0;
  int port_ = 0;
  std::thread listener_;
  std::mutex stop_mu_;
  bool stopped_ = false;
  // Each worker's last published figures: sessions are read on their own thread only.
  struct WorkerMemory {
    size_t arena_bytes = 0;
    size_t plans_cached = 0;
  };
  mutable std::mutex stats_mu_;
  std::map<const OcrPipeline*, WorkerMemory> worker_memory_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace plateau::server
