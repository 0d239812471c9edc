#include "server/ocr_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>

#include "common/process_memory.h"
#include "io/image.h"
#include "io/pdf.h"
#include "server/http_server.h"
#include "server/ocr_request.h"
#include "server/paddlex_response.h"
#include "server/worker_pool.h"

namespace plateau::server {
namespace {

using Json = nlohmann::ordered_json;

// What was wrong with the request is the client's to fix (422); a failure inside the pipeline that no
// input should cause is ours (500).
int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInternal:
    case StatusCode::kFailedPrecondition:
      return 500;
    default:
      return 422;
  }
}

struct Reply {
  int status = 200;
  std::string body;
  bool memory_refused = false;  // a page did not fit under the memory limit
};

Reply Fail(const std::string& log_id, const Status& s) {
  const int status = HttpStatusOf(s);
  return {status, ErrorBody(log_id, status, s.message())};
}

// A page the pipeline refused because it would not fit under the memory limit. What fits depends on
// what the rest of the process holds at that moment: other workers' requests, and the arenas and plans
// idle workers keep. When some of that can go (a request running elsewhere will end; idle workers are
// told to hand theirs back), the same page may fit a moment later, so the answer is 503 with
// Retry-After: the server is short of memory for now, as it is short of workers when its queue is full.
// When nothing else holds memory, the page was measured against the process at rest (the pipeline has
// already emptied its own other sessions), so trying again would only fail again: 422, as for an image
// over max_image_pixels, with the pipeline's figures in errorMsg.
Reply RefusedForMemory(const std::string& log_id, const Status& s, bool may_fit_later) {
  const int status = may_fit_later ? 503 : 422;
  return {
      status,
      ErrorBody(log_id, status,
                s.message() + (may_fit_later
                                   ? " (other workers held memory, which they are handing back; retry later)"
                                   : " (the server's --memory_limit is too low for this page)")),
      true};
}

// The OCR of one request, on a worker's pipeline.
Reply RunOcr(OcrPipeline& pipeline, OcrRequest& req, const ServerOptions& options, const std::string& log_id,
             const std::function<bool()>& may_fit_later) {
  Json results = Json::array();
  const bool visualize = req.visualize.value_or(options.visualize);
  // `warnings` are what decoding or rendering the page said (a truncated image, poppler's complaints
  // about a damaged PDF); they join the pipeline's own in prunedResult's "warnings", present only when
  // there are any, as in the JSON of `plateau ocr`.
  auto run_page = [&](const cv::Mat& page, const std::vector<std::string>& warnings) -> Status {
    PLATEAU_ASSIGN_OR_RETURN(OcrRange range,
                             pipeline.Predict({OcrInput::Image(page, "file")}, req.overrides));
    for (const OcrResult& r : range) {
      if (!r.error.ok()) return r.error;
      PLATEAU_ASSIGN_OR_RETURN(Json entry, OcrResultEntry(r, page, warnings, visualize));
      results.push_back(std::move(entry));
    }
    return Status::Ok();
  };

  auto page_failed = [&](const Status& st) {
    if (st.code() == StatusCode::kResourceExhausted && options.memory_limit > 0)
      return RefusedForMemory(log_id, st, may_fit_later());
    return Fail(log_id, st);
  };

  Json data_info;
  const bool is_pdf = req.file_type.has_value() ? *req.file_type == 0 : io::LooksLikePdf(req.file);
  if (is_pdf) {
    auto doc = io::PdfDocument::Open(std::move(req.file), "file");
    if (!doc.ok()) return Fail(log_id, Status::InvalidArgument(doc.status().message()));
    const int num_pages = (*doc)->num_pages();
    if (num_pages <= 0) return Fail(log_id, Status::InvalidArgument("file: the PDF has no pages"));
    // Paged here rather than by the pipeline (which reads a PDF given as OcrInput::Bytes page by page):
    // the response needs what the pipeline's results do not carry, the page count, each page as
    // rendered before any turning (inputImage), the cap of max_pdf_pages, and the server's own
    // max_image_pixels for rendering.
    std::vector<cv::Size> page_sizes;
    for (int i = 0; i < std::min(num_pages, options.max_pdf_pages); ++i) {
      // What poppler said while opening the file belongs to the first page, as in `plateau ocr`.
      std::vector<std::string> warnings;
      if (i == 0) warnings = (*doc)->open_warnings();
      auto page = (*doc)->RenderPage(i, io::kDefaultPdfDpi, options.max_image_pixels, &warnings);
      // RenderPage's error names the page already ("file: page 3 would render at ...").
      if (!page.ok()) return Fail(log_id, page.status());
      page_sizes.push_back(page->size());
      Status st = run_page(*page, warnings);
      if (!st.ok()) return page_failed(st.WithContext("page " + std::to_string(i)));
    }
    data_info = PdfDataInfo(num_pages, page_sizes);
  } else {
    std::vector<std::string> warnings;
    auto image = io::DecodeImage(req.file, "file", options.max_image_pixels, &warnings);
    if (!image.ok()) return Fail(log_id, Status::InvalidArgument(image.status().message()));
    std::string().swap(req.file);
    data_info = ImageDataInfo(image->size());
    Status st = run_page(*image, warnings);
    if (!st.ok()) return page_failed(st);
  }

  return {200, SuccessBody(log_id, std::move(results), std::move(data_info))};
}

Status CheckOptions(const ServerOptions& o) {
  auto fail = [](const std::string& what) { return Status::InvalidArgument(what); };
  if (o.host.empty()) return fail("host is empty; expected an address such as 127.0.0.1");
  if (o.port < 0 || o.port > 65535) return fail("port = " + std::to_string(o.port) + "; expected 0..65535");
  if (o.workers < 1 || o.workers > 256)
    return fail("workers = " + std::to_string(o.workers) + "; expected 1..256");
  if (o.queue < 0 || o.queue > 100000)
    return fail("queue = " + std::to_string(o.queue) + "; expected 0..100000");
  if (o.max_body_bytes < 1) return fail("max_body_bytes must be at least 1");
  if (!(o.request_read_seconds >= 0 && o.request_read_seconds <= 86400))
    return fail("request_read_seconds must be within 0..86400 (0: no limit)");
  if (o.max_pdf_pages < 1)
    return fail("max_pdf_pages = " + std::to_string(o.max_pdf_pages) + "; expected >= 1");
  if (o.max_image_pixels < 1) return fail("max_image_pixels must be at least 1");
  if (!(o.idle_trim_seconds >= 0)) return fail("idle_trim_seconds must be >= 0 (0: never)");
  if (o.retry_after_seconds < 0) return fail("retry_after_seconds must be >= 0");
  return Status::Ok();
}

// Keeps a request's memory and the promise of its reply together while it waits for and runs on a worker.
struct PendingOcr {
  OcrRequest request;
  std::string log_id;
  std::promise<Reply> reply;
};

}  // namespace

OcrServer::OcrServer(const ServerOptions& options) : options_(options), rng_(std::random_device{}()) {}

OcrServer::~OcrServer() { Stop(); }

StatusOr<std::unique_ptr<OcrServer>> OcrServer::Create(const ServerOptions& options) {
  PLATEAU_RETURN_IF_ERROR(CheckOptions(options));
  std::vector<std::unique_ptr<OcrPipeline>> pipelines;
  // One ceiling for the whole process, the same on every worker: each pipeline reads the process's RSS,
  // so the others' memory counts against it (docs/MEMORY.md, "Budget"); a share per worker would refuse
  // a large page that the whole budget fits while the other workers are idle and trimmed.
  OcrOptions ocr = options.ocr;
  if (options.memory_limit > 0) ocr.memory_limit = options.memory_limit;
  PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<OcrPipeline> first, OcrPipeline::Create(ocr));
  for (int i = 1; i < options.workers; ++i) {
    PLATEAU_ASSIGN_OR_RETURN(std::unique_ptr<OcrPipeline> sibling, first->Fork());
    pipelines.push_back(std::move(sibling));
  }
  pipelines.insert(pipelines.begin(), std::move(first));
  size_t ceiling = 0;
  if (options.warmup) {
    std::vector<OcrPipeline*> workers;
    for (const auto& p : pipelines) workers.push_back(p.get());
    // Each worker may hold a largest page at once; a result goes out with its reply, none waits.
    PLATEAU_ASSIGN_OR_RETURN(MemoryCeiling all, OcrPipeline::ComputeMemoryCeiling(workers, 0));
    ceiling = all.ceiling_bytes;
    if (options.memory_limit > 0 && options.memory_limit < ceiling) {
      return Status::InvalidArgument(
          "memory_limit " + std::to_string(options.memory_limit) + " bytes is below the memory ceiling of " +
          std::to_string(options.workers) + " warm worker(s), " + std::to_string(ceiling) +
          " bytes; raise it, or run fewer workers or a lower text_det_max_side_limit");
    }
  }

  std::unique_ptr<OcrServer> s(new OcrServer(options));
  s->ceiling_bytes_ = ceiling;
  OcrServer* self = s.get();
  const auto idle_after = std::chrono::milliseconds(static_cast<int64_t>(options.idle_trim_seconds * 1000));
  s->pool_ = std::make_unique<WorkerPool>(std::move(pipelines), static_cast<size_t>(options.queue),
                                          idle_after, [self](OcrPipeline& p) { self->HandBackMemory(p); });

  // A body declared over max_body_bytes is answered 413 before any of it is read (http_server.h).
  s->http_ = std::make_unique<HttpServer>(
      options.max_body_bytes,
      [self](int status, const std::string& message) { return ErrorBody(self->NewLogId(), status, message); },
      // HandleOcr reads its body as a stream and stops at the limit.
      [](const httplib::Request& req) { return req.method == "POST" && req.path == "/ocr"; });
  HttpServer& http = *s->http_;
  const size_t http_threads = static_cast<size_t>(options.workers) + static_cast<size_t>(options.queue) + 4;
  http.new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  http.set_read_timeout(30);
  http.set_write_timeout(30);
  http.set_request_read_limit(
      std::chrono::milliseconds(static_cast<long long>(options.request_read_seconds * 1000.0)));

  http.Post("/ocr", [self](const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& reader) { self->HandleOcr(req, res, reader); });
  http.Get("/health", [self](const httplib::Request&, httplib::Response& res) {
    Json j;
    j["logId"] = self->NewLogId();
    j["errorCode"] = 0;
    j["errorMsg"] = "Healthy";
    res.set_content(Dump(j), "application/json");
  });
  http.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Errors httplib produces itself (unknown path, body over the limit, unreadable request) get the
  // same JSON shape as ours; responses that already carry a body are left alone.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([self](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        switch (res.status) {
          case 404:
            message = "no such endpoint: " + req.method + " " + req.path +
                      " (this server has POST /ocr, GET /health and GET /metrics)";
            break;
          case 413:
            message = self->http_->TooLargeMessage();
            break;
          default:
            message = "the request was refused (HTTP " + std::to_string(res.status) + ")";
        }
        res.set_content(ErrorBody(self->NewLogId(), res.status, message), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_logger([self](const httplib::Request&, const httplib::Response& res) {
    self->metrics_.CountResponse(res.status);
  });

  if (options.port == 0) {
    s->port_ = http.bind_to_any_port(options.host);
    if (s->port_ < 0) s->port_ = 0;
  } else if (http.bind_to_port(options.host, options.port)) {
    s->port_ = options.port;
  }
  if (s->port_ != 0) http.RaiseBacklog(1024);
  if (s->port_ == 0) {
    return Status::FailedPrecondition("cannot listen on " + options.host + ":" +
                                      std::to_string(options.port) +
                                      " (address in use, not local, or not permitted)");
  }
  return s;
}

void OcrServer::Start() {
  listener_ = std::thread([this] { http_->listen_after_bind(); });
  // Stop() is only effective once httplib reports running, so Start returns after that.
  while (!http_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void OcrServer::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  // Closing the listening socket ends the accept loop; listen_after_bind then waits for every HTTP
  // thread, each of which finishes its request (waiting for its worker) first.
  if (listener_.joinable()) {
    http_->stop();
    listener_.join();
  }
  pool_->Shutdown();
}

std::string OcrServer::NewLogId() {
  uint64_t hi, lo;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    hi = rng_();
    lo = rng_();
  }
  // A version 4 UUID, as PaddleX's logId is.
  hi = (hi & ~0xF000ull) | 0x4000ull;
  lo = (lo & ~(0xC000ull << 48)) | (0x8000ull << 48);
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return text;
}

bool OcrServer::ReleaseOthersMemory(const OcrPipeline& pipeline) {
  if (pool_->busy() > 1) return true;  // a running request's memory goes when it ends
  bool others_hold = false;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const auto& [other, m] : worker_memory_) {
      if (other != &pipeline && (m.arena_bytes > 0 || m.plans_cached > 0)) others_hold = true;
    }
  }
  if (!others_hold) return false;
  pool_->TrimIdle(std::chrono::seconds(5));
  return true;
}

void OcrServer::HandBackMemory(OcrPipeline& pipeline) {
  // The server owns its process: the code pages the workers ran go back as well.
  pipeline.Trim({.drop_code_pages = true});
  PublishStats(pipeline);
}

void OcrServer::PublishStats(const OcrPipeline& pipeline) {
  const MemoryStats stats = pipeline.memory_stats();
  std::lock_guard<std::mutex> lock(stats_mu_);
  WorkerMemory& m = worker_memory_[&pipeline];
  m.arena_bytes = stats.arena_bytes();
  m.plans_cached = 0;
  for (const ModelMemoryStats& model : stats.models) m.plans_cached += model.plans_cached;
}

std::string OcrServer::MetricsText() const {
  MetricsSnapshot snap;
  snap.queue_depth = pool_->queued();
  snap.busy_workers = pool_->busy();
  snap.workers = pool_->workers();
  const ProcessMemory mem = ReadProcessMemory();
  snap.rss_bytes = mem.rss_bytes;
  snap.peak_rss_bytes = mem.peak_rss_bytes;
  snap.memory_limit_bytes = options_.memory_limit;
  snap.have_engine_stats = true;
  std::lock_guard<std::mutex> lock(stats_mu_);
  for (const auto& [pipeline, m] : worker_memory_) {
    snap.arena_bytes += m.arena_bytes;
    snap.plans_cached += m.plans_cached;
  }
  return metrics_.Render(snap);
}

void OcrServer::HandleOcr(const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
  const auto start = std::chrono::steady_clock::now();
  const std::string log_id = NewLogId();
  auto reply = [&](int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
    metrics_.ObserveOcrSeconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };

  std::string body;
  if (req.has_header("Content-Length")) {
    body.reserve(std::min<size_t>(req.get_header_value<uint64_t>("Content-Length"), options_.max_body_bytes));
  }
  bool too_big = false;
  const bool read = reader([&](const char* data, size_t n) {
    // Bodies without a Content-Length (chunked) are bounded here as they arrive.
    if (body.size() + n > options_.max_body_bytes) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (!read) {
    // The rest of the body, if any, is not read: the connection ends with this response.
    http_->CloseConnectionAfterResponse(res);
    if (too_big || res.status == 413) return reply(413, ErrorBody(log_id, 413, http_->TooLargeMessage()));
    // Most likely the client went away; the answer is for the log, if anyone still reads it.
    metrics_.CountDropped();
    return reply(400, ErrorBody(log_id, 400,
                                "the request body could not be read (connection closed or "
                                "malformed transfer encoding)"));
  }

  auto parsed = ParseOcrRequest(std::move(body));
  if (!parsed.ok()) return reply(422, ErrorBody(log_id, 422, parsed.status().message()));

  auto pending = std::make_shared<PendingOcr>();
  pending->request = std::move(parsed).value();
  pending->log_id = log_id;
  std::future<Reply> future = pending->reply.get_future();
  const bool accepted = pool_->TrySubmit([this, pending](OcrPipeline& pipeline) {
    Reply r;
    try {
      r = RunOcr(pipeline, pending->request, options_, pending->log_id,
                 [this, &pipeline] { return ReleaseOthersMemory(pipeline); });
    } catch (const std::exception& e) {
      r = {500, ErrorBody(pending->log_id, 500, std::string("internal error: ") + e.what())};
    }
    pending->request = OcrRequest();
    pending->reply.set_value(std::move(r));
    // After the reply is on its way: the figures /metrics shows, and trimming when over the limit.
    if (options_.memory_limit > 0 && ReadProcessMemory().rss_bytes > options_.memory_limit) {
      HandBackMemory(pipeline);
    } else {
      PublishStats(pipeline);
    }
  });
  if (!accepted) {
    metrics_.CountRejected();
    res.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
    return reply(503, ErrorBody(log_id, 503,
                                "the server is busy (" + std::to_string(options_.workers) +
                                    " workers running, queue of " + std::to_string(options_.queue) +
                                    " full) or shutting down; retry later"));
  }
  Reply r = future.get();
  if (r.memory_refused) {
    metrics_.CountMemoryRefused();
    if (r.status == 503) res.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
  }
  reply(r.status, r.body);
}

}  // namespace plateau::server
