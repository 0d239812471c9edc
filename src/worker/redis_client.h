// A Redis connection for plateau's queue (worker, submit, results) that survives Redis going away: a
// command whose connection is lost is sent again on a new connection, after a pause that doubles from
// `initial_backoff` to `max_backoff`, until it gets a reply or the caller says to give up.
//
//   PLATEAU_ASSIGN_OR_RETURN(plateau::worker::RedisAddress address,
//                            plateau::worker::ParseRedisUrl("redis://:secret@10.0.0.5:6379/2"));
//   plateau::worker::RedisClient redis({.address = address});
//   PLATEAU_ASSIGN_OR_RETURN(plateau::worker::RedisReply len, redis.Command({"XLEN", "plateau:jobs"}));
//
// Retrying a command is only safe when sending it twice does no harm; plateau's queue is built so that
// every command it sends is (queue.h says how). Threads: one client per thread (hiredis contexts are not
// thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "plateau/status.h"

struct redisContext;

namespace plateau::worker {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;  // ACL user; empty: the default user
  std::string password;
  int db = 0;
  // host:port/db, without the credentials (for messages).
  std::string ToString() const;
};

// redis://[[user]:password@]host[:port][/db], or host[:port]; an IPv6 host is written in brackets.
// Fails naming the part that is wrong.
StatusOr<RedisAddress> ParseRedisUrl(const std::string& url);

// A reply, detached from hiredis.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // kString, kStatus
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
};

struct RedisClientOptions {
  RedisAddress address;
  // A reply slower than this counts as a lost connection. Must exceed the longest BLOCK a caller uses.
  std::chrono::milliseconds io_timeout{15000};
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Told about each lost connection and each reconnection (one line each); may be empty.
  std::function<void(const std::string&)> log;
  // Called after each reconnection; may be empty.
  std::function<void()> on_reconnect;
};

class RedisClient {
 public:
  explicit RedisClient(RedisClientOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends the command and returns its reply. On a lost connection (refused, reset, timed out) it
  // connects again, with backoff, and sends the command again, until a reply comes or `give_up` (checked
  // before each attempt; may be empty: never) returns true, which gives FailedPrecondition. An error
  // reply from Redis gives FailedPrecondition whose message starts with "redis: " and Redis's own text
  // ("redis: NOGROUP ..."), and is not retried; neither is a refused AUTH or SELECT.
  StatusOr<RedisReply> Command(const std::vector<std::string>& argv,
                               const std::function<bool()>& give_up = nullptr);

  // Connections lost since the client was made.
  uint64_t reconnects() const { return reconnects_; }
  const RedisAddress& address() const { return options_.address; }

 private:
  // Connects, authenticates and selects the database; an I/O failure leaves ctx_ null.
  Status Connect();
  void Drop();

  RedisClientOptions options_;
  redisContext* ctx_ = nullptr;
  uint64_t reconnects_ = 0;
  bool was_connected_ = false;
};

// Whether a Command error is Redis's error reply of this kind ("NOGROUP", "BUSYGROUP", ...).
bool IsRedisError(const Status& status, const std::string& kind);

}  // namespace plateau::worker
