// plateau's job queue on Redis Streams: what `plateau submit` writes, what `plateau worker` takes and
// answers, what `plateau results` reads. Every key starts with a prefix (the queue's name, "plateau" by
// default), so that several queues can share one Redis:
//
//   {q}:jobs      stream of jobs waiting or running: fields job (the job's id), label (what results
//                 report as input_path), request (JSON: the /ocr body of ocr_request.h, with "path"
//                 allowed instead of "file"), attempts (failed runs so far), error (of the last one)
//   {q}:jobs      consumer group "workers": each entry is delivered to one worker, stays pending until
//                 it is answered, and is reclaimed by another worker (XAUTOCLAIM) when its holder has
//                 not touched it for the visibility timeout
//   {q}:results   stream, one entry per result: job, page (0-based within the job), pages (results of the
//                 job), result (the JSON line `plateau ocr` prints for that image or PDF page), worker
//   {q}:dead      stream of jobs given up on: job, label, error, attempts, worker, request, and result
//                 (the error line `plateau ocr` prints for the input) when the pipeline gave one
//   {q}:ids       hash of every job id submitted, which makes submitting idempotent
//   {q}:stats     hash: worker name -> its latest stats line (JSON)
//
// Exactly one answer per job: a worker answers (results, retry or dead letter) with a script that first
// acknowledges the job's entry and writes nothing unless that acknowledgement was the first. A job run
// twice (its worker was thought dead, or a reply was lost and the command sent again) is therefore
// answered once. The answered entry is deleted from {q}:jobs, which so holds only unanswered jobs.
// Every function here may be retried after a lost connection (RedisClient does so).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "plateau/status.h"
#include "worker/redis_client.h"

namespace plateau::worker {

struct QueueKeys {
  explicit QueueKeys(const std::string& prefix);
  std::string jobs, results, dead, ids, stats;
  static constexpr const char* kGroup = "workers";
};

// One job as submitted.
struct JobSpec {
  std::string id;       // unique within the queue
  std::string label;    // reported as input_path (the path as given for files)
  std::string request;  // JSON, see above
};

// A job as a worker holds it.
struct TakenJob {
  std::string entry_id;  // in {q}:jobs
  std::string id, label, request;
  int attempts = 0;          // failed runs before this one
  std::string error;         // of the last failed run
  bool reclaimed = false;    // taken over from a worker that stopped answering
  long long deliveries = 1;  // times the entry was handed to a worker (reclaims included)
};

// Creates the stream and its consumer group if missing (idempotent).
Status EnsureQueue(RedisClient& redis, const QueueKeys& keys);

// Adds the job unless a job with its id was ever submitted to this queue. Returns whether it was added.
StatusOr<bool> SubmitJob(RedisClient& redis, const QueueKeys& keys, const JobSpec& job);

// Takes one job for `consumer`: first a job pending longer than `visibility_timeout` with another
// consumer (reclaimed), else a new one, waiting up to `block` for it. nullopt: none came in time.
// `give_up` as RedisClient::Command. Recreates the consumer group when Redis lost it.
StatusOr<std::optional<TakenJob>> TakeJob(RedisClient& redis, const QueueKeys& keys,
                                          const std::string& consumer,
                                          std::chrono::milliseconds visibility_timeout,
                                          std::chrono::milliseconds block,
                                          const std::function<bool()>& give_up = nullptr);

// Resets the idle time of jobs this worker still holds, so that they are not reclaimed while it works.
Status TouchJobs(RedisClient& redis, const QueueKeys& keys, const std::string& consumer,
                 const std::vector<std::string>& entry_ids, const std::function<bool()>& give_up = nullptr);

// Answers with results (one JSON line per image or PDF page). Returns false when the job had already
// been answered (nothing written).
StatusOr<bool> FinishJob(RedisClient& redis, const QueueKeys& keys, const TakenJob& job,
                         const std::string& worker, const std::vector<std::string>& results,
                         const std::function<bool()>& give_up = nullptr);

// Answers with a failure: puts the job back at the end of {q}:jobs with `attempts` and `error`, or,
// when `dead`, moves it to {q}:dead (with `result`, the pipeline's error line, if not empty). Returns
// false when the job had already been answered.
StatusOr<bool> FailJob(RedisClient& redis, const QueueKeys& keys, const TakenJob& job,
                       const std::string& worker, int attempts, const std::string& error, bool dead,
                       const std::string& result = "", const std::function<bool()>& give_up = nullptr);

// Drops `consumer` from the group if it holds no job (a stopped worker's tidy-up). Returns whether it
// did.
StatusOr<bool> RemoveIdleConsumer(RedisClient& redis, const QueueKeys& keys, const std::string& consumer,
                                  const std::function<bool()>& give_up = nullptr);

// Counts, for `plateau results` and tests.
struct QueueCounts {
  long long waiting = 0;  // entries of {q}:jobs not yet delivered or pending (all unanswered jobs)
  long long pending = 0;  // of those, delivered and not answered
  long long results = 0;  // entries of {q}:results
  long long dead = 0;     // entries of {q}:dead
};
StatusOr<QueueCounts> CountQueue(RedisClient& redis, const QueueKeys& keys);

// An entry of a stream as field -> value pairs (XRANGE / XREAD's shape).
struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  // The value of `name`, or "".
  std::string Get(const std::string& name) const;
};
// Entries of `stream` after `after` ("0" for all), at most `count`, waiting up to `block` (0: none) for
// the first when there is none.
StatusOr<std::vector<StreamEntry>> ReadStream(RedisClient& redis, const std::string& stream,
                                              const std::string& after, size_t count,
                                              std::chrono::milliseconds block);

}  // namespace plateau::worker
