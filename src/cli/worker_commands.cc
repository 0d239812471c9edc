// plateau worker / submit / results: the OCR job queue on Redis Streams (src/worker).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/ocr_flags.h"
#include "server/base64.h"
#include "server/ocr_request.h"
#include "worker/job_queue.h"
#include "worker/ocr_worker.h"

namespace plateau::cli {
namespace {

using Json = nlohmann::ordered_json;

const FlagSpec kRedisFlag = {"redis",
                             "redis://[[user]:password@]host[:port][/db] (default redis://127.0.0.1:6379/0)",
                             false,
                             false,
                             {}};
const FlagSpec kQueueFlag = {
    "queue", "the queue's name, the prefix of its Redis keys (default plateau)", false, false, {}};

int Fail(const std::string& command, const Status& s) {
  std::cerr << "plateau " << command << ": " << s.ToString() << "\n";
  return 1;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

StatusOr<worker::RedisAddress> RedisFromFlags(const Flags& flags) {
  auto address = worker::ParseRedisUrl(flags.Get("redis", "redis://127.0.0.1:6379/0"));
  if (!address.ok()) return address.status().WithContext("flag --redis");
  return address;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void PrintLocked(std::ostream& os, const std::string& line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  os << line << "\n" << std::flush;
}

// --- worker ------------------------------------------------------------------------------------------

// The worker's own flags; the pipeline's follow them (cli/ocr_flags.h) and set the defaults that a job's
// parameters override. --threads and --memory_limit are the worker's: a share of the cores, and a
// ceiling the whole process keeps to.
const std::vector<FlagSpec> kWorkerSpecs = {
    kRedisFlag,
    kQueueFlag,
    {"name", "this worker's name in the queue's consumer group (default hostname:pid)", false, false, {}},
    {"workers",
     "OCR threads, each with its own sessions and one job at a time; models loaded once (default 1)",
     false,
     false,
     {}},
    {"threads", "intra-op threads per OCR thread (default: cores / workers, at least 1)", false, false, {}},
    {"memory_limit",
     "ceiling on the process's RSS in bytes: a job is taken only under it, and each page is kept under it "
     "(default 0: none)",
     false,
     false,
     {}},
    {"visibility_timeout",
     "seconds after which a job whose worker went quiet is taken by another (default 60)",
     false,
     false,
     {}},
    {"max_attempts",
     "failed runs of a job before it goes to the dead-letter stream (default 3)",
     false,
     false,
     {}},
    {"stats_seconds",
     "print the stats line every this many seconds (default 30; 0: only at exit)",
     false,
     false,
     {}},
    {"warmup",
     "build every plan before the first job, so memory is flat from it (the default)",
     false,
     true,
     {}},
    NoWarmupSpec(),
};

StatusOr<worker::WorkerOptions> ParseWorkerOptions(const Flags& flags) {
  worker::WorkerOptions o;
  PLATEAU_ASSIGN_OR_RETURN(o.redis, RedisFromFlags(flags));
  o.queue = flags.Get("queue", o.queue);
  if (o.queue.empty()) return Status::InvalidArgument("flag --queue: empty");
  o.name = flags.Get("name");
  PLATEAU_ASSIGN_OR_RETURN(long long workers, flags.GetInt("workers", o.workers, 1, 256));
  o.workers = static_cast<int>(workers);
  const long long fair = std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(o.workers));
  PLATEAU_ASSIGN_OR_RETURN(long long threads, flags.GetInt("threads", fair, 0, 1024));
  o.ocr.threads = static_cast<int>(threads);
  PLATEAU_ASSIGN_OR_RETURN(long long limit, flags.GetInt("memory_limit", 0, 0, 1ll << 50));
  o.memory_limit = static_cast<size_t>(limit);
  PLATEAU_ASSIGN_OR_RETURN(double visibility, flags.GetDouble("visibility_timeout", 60));
  if (!(visibility >= 2 && visibility <= 86400 * 7)) {
    return Status::InvalidArgument("flag --visibility_timeout: expected 2 .. 604800 seconds");
  }
  o.visibility_timeout = std::chrono::milliseconds(static_cast<long long>(visibility * 1000));
  PLATEAU_ASSIGN_OR_RETURN(long long attempts, flags.GetInt("max_attempts", o.max_attempts, 1, 1000));
  o.max_attempts = static_cast<int>(attempts);
  PLATEAU_ASSIGN_OR_RETURN(double stats, flags.GetDouble("stats_seconds", 30));
  if (!(stats >= 0 && stats < 1e7)) return Status::InvalidArgument("flag --stats_seconds: expected >= 0");
  o.stats_interval = std::chrono::milliseconds(static_cast<long long>(stats * 1000));
  PLATEAU_RETURN_IF_ERROR(ApplyOcrOptionFlags(flags, kWorkerSpecs, &o.ocr));
  PLATEAU_ASSIGN_OR_RETURN(o.warmup, WarmupFromFlags(flags, o.ocr.text_det_tiled));
  return o;
}

// --- submit ------------------------------------------------------------------------------------------

const std::vector<FlagSpec> kSubmitSpecs = {
    {"input",
     "image, PDF or directory of them (its files in name order, not recursive); repeatable",
     true,
     false,
     {"i"}},
    kRedisFlag,
    kQueueFlag,
    {"inline",
     "send each file's bytes in the job (Base64, as /ocr's file) instead of its path, for workers "
     "without the same storage",
     false,
     true,
     {}},
    {"params",
     "JSON object of pipeline parameters in PaddleX's names, for every job, e.g. "
     "'{\"textDetThresh\": 0.3, \"useTextlineOrientation\": false}'",
     false,
     false,
     {}},
    {"id_prefix", "prefix of each job's id (the id is prefix + the path as given)", false, false, {}},
};

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open for reading");
  std::ostringstream os;
  os << in.rdbuf();
  if (in.bad()) return Status::DataLoss(path + ": read failed");
  return os.str();
}

// The files the inputs stand for, in the order the ocr command reads them.
StatusOr<std::vector<std::string>> ListInputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(in, ec)) {
      files.push_back(in);
      continue;
    }
    const StatusOr<std::vector<std::string>> listed = ListOcrInputFiles(in);
    if (!listed.ok()) return listed.status().WithContext("flag --input");
    files.insert(files.end(), listed->begin(), listed->end());
  }
  return files;
}

// --- results -----------------------------------------------------------------------------------------

const std::vector<FlagSpec> kResultsSpecs = {
    kRedisFlag,
    kQueueFlag,
    {"wait",
     "wait until this many jobs have been answered (results or dead letter) (default 0: print what is there)",
     false,
     false,
     {}},
    {"timeout", "give up waiting after this many seconds, exit code 2 (default 0: never)", false, false, {}},
    {"with_job", "add the job's id to each line: {\"job\": id, \"res\": ...}", false, true, {}},
    {"stats", "print the latest stats line of every worker of the queue instead", false, true, {}},
};

std::string WithJob(const std::string& job, const std::string& line) {
  // The line is a JSON object; the id goes first.
  if (line.size() < 2 || line[0] != '{') return line;
  return "{\"job\":" + Dump(Json(job)) + "," + line.substr(1);
}

}  // namespace

int WorkerCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout
        << "usage: plateau worker [--redis URL] [--queue plateau] [--workers N] [--memory_limit BYTES] ...\n"
           "Takes OCR jobs from the queue's Redis stream, writes their results and acknowledges\n"
           "them; a job whose worker dies is taken over after --visibility_timeout. Prints a stats\n"
           "line (JSON) on stderr every --stats_seconds and at exit. SIGTERM or SIGINT drains\n"
           "(running jobs finish and are answered, nothing new is taken) and exits 0; a second one\n"
           "stops waiting for an unreachable Redis.\n"
        << FlagsHelp(WithOcrOptionFlags(kWorkerSpecs));
    return 0;
  }
  auto flags = Flags::Parse(WithOcrOptionFlags(kWorkerSpecs), args, 2);
  if (!flags.ok()) return Fail("worker", flags.status());
  auto options = ParseWorkerOptions(*flags);
  if (!options.ok()) return Fail("worker", options.status());

  // Every thread made from here on (OpenMP's included) has the stop signals blocked; they are taken by
  // sigtimedwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto log = [](const std::string& line) { PrintLocked(std::cerr, "plateau worker: " + line); };
  auto w = worker::OcrWorker::Create(*options, log);
  if (!w.ok()) return Fail("worker", w.status());
  (*w)->Start();
  log("started " + (*w)->name() + " on queue " + options->queue + " at redis " + options->redis.ToString() +
      " (" + std::to_string(options->workers) + " thread" + (options->workers == 1 ? "" : "s") + ")");

  std::atomic<bool> drained{false};
  std::thread drainer;
  int signals = 0;
  while (!drained) {
    timespec tick = {0, 200'000'000};
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig < 0) continue;
    ++signals;
    if (signals == 1) {
      log(std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") +
          ": draining (running jobs finish and are answered; nothing new is taken)");
      drainer = std::thread([&] {
        (*w)->Stop();
        drained = true;
      });
    } else {
      log("second signal: no longer waiting for redis; unanswered jobs stay pending for other workers");
      (*w)->Abort();
    }
  }
  drainer.join();
  log("stopped: " + (*w)->StatsLine());
  return 0;
}

int SubmitCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << "usage: plateau submit -i INPUT [-i ...] [--redis URL] [--queue plateau] [--inline] "
                 "[--params JSON]\n"
                 "Adds a job per file (a PDF is one job, with a result per page) to the queue. A job id\n"
                 "already submitted to the queue is skipped, so submitting again after an interruption\n"
                 "adds only what is missing. Prints the number of jobs added and skipped on stderr.\n"
              << FlagsHelp(kSubmitSpecs);
    return 0;
  }
  auto flags = Flags::Parse(kSubmitSpecs, args, 2);
  if (!flags.ok()) return Fail("submit", flags.status());
  if (flags->GetAll("input").empty())
    return Fail("submit", Status::InvalidArgument("flag --input (-i) is required"));
  auto address = RedisFromFlags(*flags);
  if (!address.ok()) return Fail("submit", address.status());
  const std::string queue = flags->Get("queue", "plateau");
  Json params = Json::object();
  if (flags->Has("params")) {
    try {
      params = Json::parse(flags->Get("params"));
    } catch (const std::exception& e) {
      return Fail("submit", Status::InvalidArgument(std::string("flag --params: not JSON: ") + e.what()));
    }
    if (!params.is_object()) {
      return Fail("submit", Status::InvalidArgument("flag --params: expected a JSON object such as "
                                                    "{\"textDetThresh\": 0.3}"));
    }
    for (const char* reserved : {"file", "path"}) {
      if (params.contains(reserved)) {
        return Fail("submit", Status::InvalidArgument(std::string("flag --params: '") + reserved +
                                                      "' is set by submit from --input"));
      }
    }
    // The same checks a worker makes, before anything is queued.
    Json probe = params;
    probe["path"] = "probe";
    if (auto st = server::ParseOcrJob(Dump(probe)); !st.ok()) {
      return Fail("submit", st.status().WithContext("flag --params"));
    }
  }
  auto files = ListInputs(flags->GetAll("input"));
  if (!files.ok()) return Fail("submit", files.status());
  const bool inline_bytes = flags->Has("inline");
  const std::string prefix = flags->Get("id_prefix");

  worker::RedisClientOptions ro;
  ro.address = *address;
  ro.log = [](const std::string& line) { std::cerr << "plateau submit: redis: " << line << "\n"; };
  worker::RedisClient redis(ro);
  const worker::QueueKeys keys(queue);
  if (Status st = worker::EnsureQueue(redis, keys); !st.ok()) return Fail("submit", st);
  size_t added = 0, skipped = 0, failed = 0;
  for (const std::string& file : *files) {
    Json request = params;
    if (inline_bytes) {
      auto bytes = ReadFile(file);
      if (!bytes.ok()) {
        std::cerr << "plateau submit: " << bytes.status().ToString() << " (not submitted)\n";
        ++failed;
        continue;
      }
      request["file"] = server::Base64Encode(*bytes);
    } else {
      request["path"] = file;
    }
    worker::JobSpec job{prefix + file, file, Dump(request)};
    auto r = worker::SubmitJob(redis, keys, job);
    if (!r.ok()) return Fail("submit", r.status().WithContext(file));
    ++(*r ? added : skipped);
  }
  std::cerr << "plateau submit: " << added << " job" << (added == 1 ? "" : "s") << " added to queue " << queue
            << " at redis " << address->ToString() << ", " << skipped << " already submitted"
            << (failed ? ", " + std::to_string(failed) + " unreadable" : "") << "\n";
  return failed ? 1 : 0;
}

int ResultsCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout
        << "usage: plateau results [--redis URL] [--queue plateau] [--wait N] [--timeout S] [--with_job]\n"
           "Prints the queue's results, one JSON line per image or PDF page as plateau ocr prints\n"
           "them, then its dead letters (jobs given up on) as error lines; with --wait, waits until\n"
           "N jobs have been answered. Counts on stderr. Exit code 1 if there are dead letters, 2 on\n"
           "timeout.\n"
        << FlagsHelp(kResultsSpecs);
    return 0;
  }
  auto flags = Flags::Parse(kResultsSpecs, args, 2);
  if (!flags.ok()) return Fail("results", flags.status());
  auto address = RedisFromFlags(*flags);
  if (!address.ok()) return Fail("results", address.status());
  const worker::QueueKeys keys(flags->Get("queue", "plateau"));
  auto wait = flags->GetInt("wait", 0, 0, 1ll << 40);
  if (!wait.ok()) return Fail("results", wait.status());
  auto timeout = flags->GetDouble("timeout", 0);
  if (!timeout.ok()) return Fail("results", timeout.status());
  const bool with_job = flags->Has("with_job");

  worker::RedisClientOptions ro;
  ro.address = *address;
  ro.log = [](const std::string& line) { std::cerr << "plateau results: redis: " << line << "\n"; };
  worker::RedisClient redis(ro);

  if (flags->Has("stats")) {
    auto r = redis.Command({"HGETALL", keys.stats});
    if (!r.ok()) return Fail("results", r.status());
    for (size_t i = 0; i + 1 < r->elements.size(); i += 2) std::cout << r->elements[i + 1].str << "\n";
    return 0;
  }

  const auto start = std::chrono::steady_clock::now();
  std::string after_results = "0", after_dead = "0";
  std::set<std::string> answered;
  long long pages = 0, dead = 0;
  for (;;) {
    bool got = false;
    for (bool dead_stream : {false, true}) {
      std::string& after = dead_stream ? after_dead : after_results;
      auto entries = worker::ReadStream(redis, dead_stream ? keys.dead : keys.results, after, 500,
                                        std::chrono::milliseconds(0));
      if (!entries.ok()) return Fail("results", entries.status());
      for (const worker::StreamEntry& e : *entries) {
        got = true;
        after = e.id;
        const std::string job = e.Get("job");
        std::string line = e.Get("result");
        if (dead_stream) {
          ++dead;
          if (line.empty()) {
            Json res;
            res["input_path"] = e.Get("label");
            res["page_index"] = nullptr;
            res["error"] = e.Get("error");
            line = Dump(Json{{"res", res}});
          }
        } else {
          ++pages;
        }
        answered.insert(job);
        std::cout << (with_job ? WithJob(job, line) : line) << "\n";
      }
    }
    std::cout << std::flush;
    if (got) continue;
    if (static_cast<long long>(answered.size()) >= *wait) break;
    if (*timeout > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > *timeout) {
      std::cerr << "plateau results: timed out after " << *timeout << " s with " << answered.size() << " of "
                << *wait << " jobs answered\n";
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  auto counts = worker::CountQueue(redis, keys);
  std::cerr << "plateau results: " << answered.size() << " jobs answered: " << pages << " results, " << dead
            << " dead letters";
  if (counts.ok())
    std::cerr << "; " << counts->waiting << " jobs unanswered (" << counts->pending << " running)";
  std::cerr << "\n";
  return dead > 0 ? 1 : 0;
}

}  // namespace plateau::cli
