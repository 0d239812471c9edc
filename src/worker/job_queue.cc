#include "worker/job_queue.h"

#include <cstdlib>

namespace plateau::worker {
namespace {

// Scripts run atomically in Redis, so "acknowledge, and write only if this was the first
// acknowledgement" cannot interleave with another worker's answer to the same job. They are sent whole
// (EVAL) rather than by hash: after a restart Redis has forgotten loaded scripts, and they are small
// next to a job.

// KEYS: jobs, ids. ARGV: job id, label, request.
constexpr const char* kSubmitScript = R"lua(
if redis.call('HSETNX', KEYS[2], ARGV[1], '1') == 0 then return false end
return redis.call('XADD', KEYS[1], '*', 'job', ARGV[1], 'label', ARGV[2], 'request', ARGV[3], 'attempts', '0')
)lua";

// KEYS: jobs, results. ARGV: group, entry id, job id, worker, then one result per page.
constexpr const char* kFinishScript = R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
local pages = #ARGV - 4
for i = 5, #ARGV do
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[3], 'page', tostring(i - 5), 'pages', tostring(pages),
             'result', ARGV[i], 'worker', ARGV[4])
end
return 1
)lua";

// KEYS: jobs, dead. ARGV: group, entry id, job id, label, request, attempts, error, worker, dead (1/0),
// result.
constexpr const char* kFailScript = R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
if ARGV[9] == '1' then
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[3], 'label', ARGV[4], 'error', ARGV[7], 'attempts', ARGV[6],
             'worker', ARGV[8], 'result', ARGV[10], 'request', ARGV[5])
else
  redis.call('XADD', KEYS[1], '*', 'job', ARGV[3], 'label', ARGV[4], 'request', ARGV[5], 'attempts',
             ARGV[6], 'error', ARGV[7])
end
return 1
)lua";

StatusOr<StreamEntry> ToEntry(const RedisReply& r) {
  if (!r.is_array() || r.elements.size() != 2 || r.elements[0].type != RedisReply::Type::kString) {
    return Status::Internal("unexpected stream entry in a Redis reply");
  }
  StreamEntry e;
  e.id = r.elements[0].str;
  const RedisReply& f = r.elements[1];
  for (size_t i = 0; i + 1 < f.elements.size(); i += 2) {
    e.fields.emplace_back(f.elements[i].str, f.elements[i + 1].str);
  }
  return e;
}

TakenJob ToJob(const StreamEntry& e) {
  TakenJob j;
  j.entry_id = e.id;
  j.id = e.Get("job");
  j.label = e.Get("label");
  if (j.label.empty()) j.label = j.id;
  j.request = e.Get("request");
  j.attempts = std::atoi(e.Get("attempts").c_str());
  j.error = e.Get("error");
  return j;
}

StatusOr<RedisReply> Eval(RedisClient& redis, const char* script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args,
                          const std::function<bool()>& give_up = nullptr) {
  std::vector<std::string> argv = {"EVAL", script, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return redis.Command(argv, give_up);
}

}  // namespace

QueueKeys::QueueKeys(const std::string& prefix)
    : jobs(prefix + ":jobs"),
      results(prefix + ":results"),
      dead(prefix + ":dead"),
      ids(prefix + ":ids"),
      stats(prefix + ":stats") {}

std::string StreamEntry::Get(const std::string& name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return "";
}

Status EnsureQueue(RedisClient& redis, const QueueKeys& keys) {
  auto r = redis.Command({"XGROUP", "CREATE", keys.jobs, QueueKeys::kGroup, "0", "MKSTREAM"});
  if (!r.ok() && !IsRedisError(r.status(), "BUSYGROUP")) return r.status();
  return Status::Ok();
}

StatusOr<bool> SubmitJob(RedisClient& redis, const QueueKeys& keys, const JobSpec& job) {
  PLATEAU_ASSIGN_OR_RETURN(
      RedisReply r, Eval(redis, kSubmitScript, {keys.jobs, keys.ids}, {job.id, job.label, job.request}));
  return !r.is_nil();
}

StatusOr<std::optional<TakenJob>> TakeJob(RedisClient& redis, const QueueKeys& keys,
                                          const std::string& consumer,
                                          std::chrono::milliseconds visibility_timeout,
                                          std::chrono::milliseconds block,
                                          const std::function<bool()>& give_up) {
  for (int round = 0; round < 2; ++round) {
    // Jobs whose holder went quiet come first: they have waited longest.
    auto claimed = redis.Command({"XAUTOCLAIM", keys.jobs, QueueKeys::kGroup, consumer,
                                  std::to_string(visibility_timeout.count()), "0-0", "COUNT", "1"},
                                 give_up);
    if (!claimed.ok() && IsRedisError(claimed.status(), "NOGROUP") && round == 0) {
      // Redis restarted without the queue (no persistence) or the stream was deleted.
      PLATEAU_RETURN_IF_ERROR(EnsureQueue(redis, keys));
      continue;
    }
    if (!claimed.ok()) return claimed.status();
    if (claimed->is_array() && claimed->elements.size() >= 2 && claimed->elements[1].is_array()) {
      for (const RedisReply& raw : claimed->elements[1].elements) {
        if (raw.is_nil()) continue;  // deleted meanwhile
        PLATEAU_ASSIGN_OR_RETURN(StreamEntry e, ToEntry(raw));
        TakenJob job = ToJob(e);
        job.reclaimed = true;
        auto pending = redis.Command({"XPENDING", keys.jobs, QueueKeys::kGroup, e.id, e.id, "1"}, give_up);
        if (pending.ok() && pending->is_array() && !pending->elements.empty() &&
            pending->elements[0].elements.size() >= 4) {
          job.deliveries = pending->elements[0].elements[3].integer;
        }
        return std::optional<TakenJob>(std::move(job));
      }
    }
    auto read = redis.Command({"XREADGROUP", "GROUP", QueueKeys::kGroup, consumer, "COUNT", "1", "BLOCK",
                               std::to_string(block.count()), "STREAMS", keys.jobs, ">"},
                              give_up);
    if (!read.ok() && IsRedisError(read.status(), "NOGROUP") && round == 0) {
      PLATEAU_RETURN_IF_ERROR(EnsureQueue(redis, keys));
      continue;
    }
    if (!read.ok()) return read.status();
    if (read->is_nil() || read->elements.empty()) return std::optional<TakenJob>();
    const RedisReply& stream = read->elements[0];
    if (!stream.is_array() || stream.elements.size() < 2 || stream.elements[1].elements.empty()) {
      return std::optional<TakenJob>();
    }
    PLATEAU_ASSIGN_OR_RETURN(StreamEntry e, ToEntry(stream.elements[1].elements[0]));
    return std::optional<TakenJob>(ToJob(e));
  }
  return std::optional<TakenJob>();
}

Status TouchJobs(RedisClient& redis, const QueueKeys& keys, const std::string& consumer,
                 const std::vector<std::string>& entry_ids, const std::function<bool()>& give_up) {
  if (entry_ids.empty()) return Status::Ok();
  // XCLAIM with JUSTID resets the idle time without counting a delivery.
  std::vector<std::string> argv = {"XCLAIM", keys.jobs, QueueKeys::kGroup, consumer, "0"};
  argv.insert(argv.end(), entry_ids.begin(), entry_ids.end());
  argv.push_back("JUSTID");
  auto r = redis.Command(argv, give_up);
  return r.ok() ? Status::Ok() : r.status();
}

StatusOr<bool> FinishJob(RedisClient& redis, const QueueKeys& keys, const TakenJob& job,
                         const std::string& worker, const std::vector<std::string>& results,
                         const std::function<bool()>& give_up) {
  std::vector<std::string> args = {QueueKeys::kGroup, job.entry_id, job.id, worker};
  args.insert(args.end(), results.begin(), results.end());
  PLATEAU_ASSIGN_OR_RETURN(RedisReply r,
                           Eval(redis, kFinishScript, {keys.jobs, keys.results}, args, give_up));
  return r.integer == 1;
}

StatusOr<bool> FailJob(RedisClient& redis, const QueueKeys& keys, const TakenJob& job,
                       const std::string& worker, int attempts, const std::string& error, bool dead,
                       const std::string& result, const std::function<bool()>& give_up) {
  PLATEAU_ASSIGN_OR_RETURN(RedisReply r,
                           Eval(redis, kFailScript, {keys.jobs, keys.dead},
                                {QueueKeys::kGroup, job.entry_id, job.id, job.label, job.request,
                                 std::to_string(attempts), error, worker, dead ? "1" : "0", result},
                                give_up));
  return r.integer == 1;
}

StatusOr<bool> RemoveIdleConsumer(RedisClient& redis, const QueueKeys& keys, const std::string& consumer,
                                  const std::function<bool()>& give_up) {
  PLATEAU_ASSIGN_OR_RETURN(
      RedisReply pending,
      redis.Command({"XPENDING", keys.jobs, QueueKeys::kGroup, "-", "+", "1", consumer}, give_up));
  if (!pending.is_array() || !pending.elements.empty()) return false;
  PLATEAU_ASSIGN_OR_RETURN(
      RedisReply removed,
      redis.Command({"XGROUP", "DELCONSUMER", keys.jobs, QueueKeys::kGroup, consumer}, give_up));
  return removed.integer == 0;
}

StatusOr<QueueCounts> CountQueue(RedisClient& redis, const QueueKeys& keys) {
  QueueCounts c;
  PLATEAU_ASSIGN_OR_RETURN(RedisReply jobs, redis.Command({"XLEN", keys.jobs}));
  c.waiting = jobs.integer;
  auto pending = redis.Command({"XPENDING", keys.jobs, QueueKeys::kGroup});
  if (pending.ok() && pending->is_array() && !pending->elements.empty())
    c.pending = pending->elements[0].integer;
  if (!pending.ok() && !IsRedisError(pending.status(), "NOGROUP")) return pending.status();
  PLATEAU_ASSIGN_OR_RETURN(RedisReply results, redis.Command({"XLEN", keys.results}));
  c.results = results.integer;
  PLATEAU_ASSIGN_OR_RETURN(RedisReply dead, redis.Command({"XLEN", keys.dead}));
  c.dead = dead.integer;
  return c;
}

StatusOr<std::vector<StreamEntry>> ReadStream(RedisClient& redis, const std::string& stream,
                                              const std::string& after, size_t count,
                                              std::chrono::milliseconds block) {
  std::vector<std::string> argv = {"XREAD", "COUNT", std::to_string(count)};
  if (block.count() > 0) {
    argv.push_back("BLOCK");
    argv.push_back(std::to_string(block.count()));
  }
  argv.insert(argv.end(), {"STREAMS", stream, after});
  PLATEAU_ASSIGN_OR_RETURN(RedisReply r, redis.Command(argv));
  std::vector<StreamEntry> out;
  if (r.is_nil() || r.elements.empty()) return out;
  for (const RedisReply& raw : r.elements[0].elements[1].elements) {
    PLATEAU_ASSIGN_OR_RETURN(StreamEntry e, ToEntry(raw));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace plateau::worker
