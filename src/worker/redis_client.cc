#include "worker/redis_client.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <thread>

namespace plateau::worker {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = r->type == REDIS_REPLY_STRING ? RedisReply::Type::kString : RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

// Error replies that say "not now" rather than "never": Redis loading its data after a restart, a
// script running too long, a replica without its master.
bool IsTransientError(const std::string& text) {
  for (const char* kind : {"LOADING", "BUSY ", "TRYAGAIN", "MASTERDOWN"}) {
    if (text.rfind(kind, 0) == 0) return true;
  }
  return false;
}

bool ParsePort(const std::string& text, int* port) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  *port = std::atoi(text.c_str());
  return *port >= 1 && *port <= 65535;
}

}  // namespace

std::string RedisAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
}

StatusOr<RedisAddress> ParseRedisUrl(const std::string& url) {
  RedisAddress a;
  std::string rest = url;
  const std::string scheme = "redis://";
  if (rest.rfind(scheme, 0) == 0) {
    rest = rest.substr(scheme.size());
  } else if (rest.find("://") != std::string::npos) {
    return Status::InvalidArgument("redis URL '" + url + "': only redis:// is supported (no TLS here)");
  }
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    const std::string credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = credentials.find(':');
    if (colon == std::string::npos) {
      a.password = credentials;  // redis://secret@host, as redis-cli -u reads it
    } else {
      a.user = credentials.substr(0, colon);
      a.password = credentials.substr(colon + 1);
    }
  }
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      char* end = nullptr;
      errno = 0;
      const long v = std::strtol(db.c_str(), &end, 10);
      if (errno != 0 || *end != '\0' || v < 0 || v > 1000000) {
        return Status::InvalidArgument("redis URL '" + url + "': database '" + db + "' is not a number >= 0");
      }
      a.db = static_cast<int>(v);
    }
  }
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) {
      return Status::InvalidArgument("redis URL '" + url + "': '[' without ']' around an IPv6 address");
    }
    a.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        return Status::InvalidArgument("redis URL '" + url + "': expected ':port' after the address");
      }
      port = rest.substr(close + 2);
    }
  } else {
    const size_t colon = rest.find(':');
    if (colon != std::string::npos) {
      port = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (!rest.empty()) a.host = rest;
  }
  if (!port.empty() && !ParsePort(port, &a.port)) {
    return Status::InvalidArgument("redis URL '" + url + "': port '" + port + "' is not in 1..65535");
  }
  if (a.host.empty()) return Status::InvalidArgument("redis URL '" + url + "': the host is empty");
  return a;
}

bool IsRedisError(const Status& status, const std::string& kind) {
  return !status.ok() && status.message().rfind("redis: " + kind, 0) == 0;
}

RedisClient::RedisClient(RedisClientOptions options) : options_(std::move(options)) {}

RedisClient::~RedisClient() { Drop(); }

void RedisClient::Drop() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

Status RedisClient::Connect() {
  const RedisAddress& a = options_.address;
  ctx_ = redisConnectWithTimeout(a.host.c_str(), a.port, ToTimeval(options_.connect_timeout));
  if (ctx_ == nullptr) return Status::ResourceExhausted("cannot allocate a Redis connection");
  if (ctx_->err != 0) {
    const std::string why = ctx_->errstr;
    Drop();
    return Status::FailedPrecondition("cannot connect to redis at " + a.ToString() + ": " + why);
  }
  redisSetTimeout(ctx_, ToTimeval(options_.io_timeout));
  redisEnableKeepAlive(ctx_);
  auto setup = [&](const std::vector<std::string>& argv, const std::string& what) -> Status {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& s : argv) {
      ptrs.push_back(s.data());
      lens.push_back(s.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    if (r == nullptr) {
      const std::string why = ctx_->errstr;
      Drop();
      return Status::FailedPrecondition("lost redis at " + a.ToString() + " during " + what + ": " + why);
    }
    Status st;
    if (r->type == REDIS_REPLY_ERROR) {
      st = Status::InvalidArgument("redis at " + a.ToString() + " refused " + what + ": " +
                                   std::string(r->str, r->len));
    }
    freeReplyObject(r);
    return st;
  };
  Status st;
  if (!a.password.empty()) {
    st = a.user.empty() ? setup({"AUTH", a.password}, "AUTH") : setup({"AUTH", a.user, a.password}, "AUTH");
  }
  if (st.ok() && a.db != 0) st = setup({"SELECT", std::to_string(a.db)}, "SELECT " + std::to_string(a.db));
  if (!st.ok() && ctx_ != nullptr) Drop();
  return st;
}

StatusOr<RedisReply> RedisClient::Command(const std::vector<std::string>& argv,
                                          const std::function<bool()>& give_up) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const std::string& s : argv) {
    ptrs.push_back(s.data());
    lens.push_back(s.size());
  }
  auto backoff = options_.initial_backoff;
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      if (give_up && give_up()) {
        return Status::FailedPrecondition("gave up on redis at " + options_.address.ToString() +
                                          " (stopping): " + last_error);
      }
      if (options_.log) {
        options_.log(last_error + "; retrying in " + std::to_string(backoff.count()) + " ms");
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    if (ctx_ == nullptr) {
      Status st = Connect();
      // A refused password or database is a setting to fix, not an outage to wait out.
      if (st.code() == StatusCode::kInvalidArgument) return st;
      if (!st.ok()) {
        last_error = st.message();
        continue;
      }
      if (was_connected_) {
        ++reconnects_;
        if (options_.on_reconnect) options_.on_reconnect();
        if (options_.log) options_.log("reconnected to redis at " + options_.address.ToString());
      }
      was_connected_ = true;
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    if (r == nullptr) {
      last_error = "lost redis at " + options_.address.ToString() + " (" + ctx_->errstr + ") during " +
                   (argv.empty() ? std::string("?") : argv[0]);
      Drop();
      continue;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      std::string text(r->str, r->len);
      freeReplyObject(r);
      if (IsTransientError(text)) {
        last_error = "redis at " + options_.address.ToString() + " is not ready: " + text;
        continue;
      }
      return Status::FailedPrecondition("redis: " + text);
    }
    RedisReply reply = Convert(r);
    freeReplyObject(r);
    return reply;
  }
}

}  // namespace plateau::worker
