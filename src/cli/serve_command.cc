#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/ocr_flags.h"
#include "server/ocr_server.h"

namespace plateau::cli {
namespace {

// The server's own flags; the pipeline's follow them (cli/ocr_flags.h) and set the workers' defaults,
// which a request's parameters override. --threads, --memory_limit and --max_image_pixels are the
// server's: their defaults and meaning differ from the ocr command's.
const std::vector<FlagSpec> kServeSpecs = {
    {"host", "address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)", false, false, {}},
    {"port", "port (default 8080; 0 picks a free one)", false, false, {}},
    {"workers",
     "OCR workers, each with its own sessions; models are loaded once (default 1)",
     false,
     false,
     {}},
    {"queue",
     "requests that may wait for a worker; more get 503 + Retry-After (default 8)",
     false,
     false,
     {}},
    {"memory_limit",
     "ceiling on the process's RSS in bytes, kept by every worker; a page that cannot fit is refused "
     "(503 while other workers hold memory, else 422) (default 0: none)",
     false,
     false,
     {}},
    {"max_body_bytes", "largest request body; a bigger one gets 413 (default 33554432)", false, false, {}},
    {"request_read_seconds",
     "the longest a request may take to arrive, headers and body; a slower client's connection is "
     "closed (default 120; 0: no limit)",
     false,
     false,
     {}},
    {"idle_trim_seconds", "a worker idle this long hands memory back (default 0: never)", false, false, {}},
    {"max_pdf_pages", "pages of a PDF that are read, the first ones (default 10)", false, false, {}},
    {"max_image_pixels", "largest image or rendered page in pixels (default 50000000)", false, false, {}},
    {"visualize",
     "true or false: draw the result pictures (ocrImage...) for requests that do not say (default true, "
     "as PaddleX)",
     false,
     false,
     {}},
    {"warmup",
     "every worker builds every plan before the first request; the memory ceiling is printed and a "
     "--memory_limit below it refused (the default)",
     false,
     true,
     {}},
    NoWarmupSpec(),
    {"threads", "intra-op threads per worker (default: cores / workers, at least 1)", false, false, {}},
};

int Fail(const Status& s) {
  std::cerr << "plateau serve: " << s.ToString() << "\n";
  return 1;
}

StatusOr<server::ServerOptions> ParseServeOptions(const Flags& flags) {
  server::ServerOptions o;
  o.host = flags.Get("host", o.host);
  PLATEAU_ASSIGN_OR_RETURN(long long port, flags.GetInt("port", o.port, 0, 65535));
  o.port = static_cast<int>(port);
  PLATEAU_ASSIGN_OR_RETURN(long long workers, flags.GetInt("workers", o.workers, 1, 256));
  o.workers = static_cast<int>(workers);
  PLATEAU_ASSIGN_OR_RETURN(long long queue, flags.GetInt("queue", o.queue, 0, 100000));
  o.queue = static_cast<int>(queue);
  PLATEAU_ASSIGN_OR_RETURN(long long limit, flags.GetInt("memory_limit", 0, 0, 1ll << 50));
  o.memory_limit = static_cast<size_t>(limit);
  PLATEAU_ASSIGN_OR_RETURN(
      long long body, flags.GetInt("max_body_bytes", static_cast<long long>(o.max_body_bytes), 1, 1ll << 40));
  o.max_body_bytes = static_cast<size_t>(body);
  PLATEAU_ASSIGN_OR_RETURN(double read_limit,
                           flags.GetDouble("request_read_seconds", o.request_read_seconds));
  if (!(read_limit >= 0 && read_limit <= 86400)) {
    return Status::InvalidArgument("flag --request_read_seconds: expected 0..86400 (0: no limit)");
  }
  o.request_read_seconds = read_limit;
  PLATEAU_ASSIGN_OR_RETURN(double idle, flags.GetDouble("idle_trim_seconds", 0));
  if (!(idle >= 0 && idle < 1e7)) return Status::InvalidArgument("flag --idle_trim_seconds: expected >= 0");
  o.idle_trim_seconds = idle;
  PLATEAU_ASSIGN_OR_RETURN(long long pages, flags.GetInt("max_pdf_pages", o.max_pdf_pages, 1, 100000));
  o.max_pdf_pages = static_cast<int>(pages);
  PLATEAU_ASSIGN_OR_RETURN(long long pixels,
                           flags.GetInt("max_image_pixels", o.max_image_pixels, 1, 1ll << 40));
  o.max_image_pixels = pixels;
  const std::string visualize = flags.Get("visualize", o.visualize ? "true" : "false");
  if (visualize != "true" && visualize != "false") {
    return Status::InvalidArgument("flag --visualize: '" + visualize + "'; expected true or false");
  }
  o.visualize = visualize == "true";
  PLATEAU_RETURN_IF_ERROR(ApplyOcrOptionFlags(flags, kServeSpecs, &o.ocr));
  PLATEAU_ASSIGN_OR_RETURN(o.warmup, WarmupFromFlags(flags, o.ocr.text_det_tiled));
  // Workers run side by side; giving each all the cores would only make them fight over them.
  const long long fair = std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(o.workers));
  PLATEAU_ASSIGN_OR_RETURN(long long threads, flags.GetInt("threads", fair, 0, 1024));
  o.ocr.threads = static_cast<int>(threads);
  return o;
}

}  // namespace

int ServeCommand(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << "usage: plateau serve [--host 127.0.0.1] [--port 8080] [--workers N] [--queue M] ...\n"
                   "Serves PaddleX's OCR API: POST /ocr, GET /health, GET /metrics. SIGTERM or SIGINT\n"
                   "drains (stops accepting, answers what was accepted) and exits 0.\n"
                << FlagsHelp(WithOcrOptionFlags(kServeSpecs));
      return 0;
    }
  }
  auto flags = Flags::Parse(WithOcrOptionFlags(kServeSpecs), args, 2);
  if (!flags.ok()) return Fail(flags.status());
  auto options = ParseServeOptions(*flags);
  if (!options.ok()) return Fail(options.status());

  // The signals are taken by sigwait below, so every thread (made from here on) must have them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that hangs up must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  // (main has fixed glibc's mmap threshold for every command, request buffers included.)
  // glibc gives each new thread its own heap (arena), up to 8 per core; a request lands on any of the
  // HTTP threads, so each heap would warm up to the largest request separately and the process would
  // keep growing long after warm-up. Two shared heaps cost little contention next to the OCR itself.
  mallopt(M_ARENA_MAX, 2);

  auto server = server::OcrServer::Create(*options);
  if (!server.ok()) return Fail(server.status());
  (*server)->Start();
  std::cerr << "plateau serve: listening on http://" << options->host << ":" << (*server)->port() << " ("
            << options->workers << " worker" << (options->workers == 1 ? "" : "s") << ", queue "
            << options->queue;
  if ((*server)->ceiling_bytes() > 0) {
    std::cerr << ", memory ceiling " << (((*server)->ceiling_bytes() + (1u << 19)) >> 20) << " MiB";
  }
  std::cerr << ")\n" << std::flush;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "plateau serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": draining (no new connections; finishing accepted requests)\n"
            << std::flush;
  (*server)->Stop();
  std::cerr << "plateau serve: stopped\n";
  return 0;
}

}  // namespace plateau::cli
