#include "server/http_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace plateau::server {
namespace {

using Clock = std::chrono::steady_clock;

int ToMilliseconds(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// Whether `sock` becomes ready for `events` within `timeout_ms`.
bool WaitFor(socket_t sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

// A connection's byte stream for httplib's request parser, with httplib's timeouts. Reads are buffered:
// the parser reads the request line and headers a byte at a time.
class SocketStream final : public httplib::Stream {
 public:
  SocketStream(socket_t sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  // Reads of the current request fail from `deadline` on, however steadily the bytes trickle in.
  void set_read_deadline(Clock::time_point deadline) { deadline_ = deadline; }

  bool is_readable() const override { return buffered() > 0 || WaitForBytes(); }
  bool is_writable() const override { return WaitFor(sock_, POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (buffered() == 0) {
      if (!WaitForBytes()) return -1;
      // A large read (a body) goes straight to its destination.
      if (size >= sizeof(buffer_)) return Receive(ptr, size);
      const ssize_t n = Receive(buffer_, sizeof(buffer_));
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, buffered());
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) Describe(addr, len, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) Describe(addr, len, ip, port);
  }
  socket_t socket() const override { return sock_; }

  size_t buffered() const { return end_ - begin_; }

 private:
  // Waits for bytes up to the read timeout, and never past the request's deadline.
  bool WaitForBytes() const {
    const auto now = Clock::now();
    if (now >= deadline_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
    return WaitFor(sock_, POLLIN, static_cast<int>(std::min<long long>(read_timeout_ms_, left + 1)));
  }

  ssize_t Receive(char* ptr, size_t size) {
    ssize_t n;
    do {
      n = ::recv(sock_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  static void Describe(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv, sizeof(serv),
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }

  const socket_t sock_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  Clock::time_point deadline_ = Clock::time_point::max();
  char buffer_[16384];
  size_t begin_ = 0;
  size_t end_ = 0;
};

// Closes a connection whose client may still be sending a body we will not read. Closing at once with
// unread bytes makes the kernel reset the connection, and a reset can destroy the response before the
// client reads it; so our side is shut for writing (the response is complete, the client sees its end),
// and what arrives is discarded until the client closes, goes quiet for half a second, or two seconds
// have passed.
bool IsChunked(const httplib::Request& req) {
  std::string te = req.get_header_value("Transfer-Encoding");
  std::transform(te.begin(), te.end(), te.begin(), [](unsigned char c) { return std::tolower(c); });
  return te.find("chunked") != std::string::npos;
}

void CloseGracefully(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  char scratch[16384];
  while (Clock::now() < deadline && WaitFor(sock, POLLIN, 500)) {
    const ssize_t n = ::recv(sock, scratch, sizeof(scratch), 0);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  ::close(sock);
}

}  // namespace

HttpServer::HttpServer(size_t max_body_bytes,
                       const std::function<std::string(int, const std::string&)>& error_body,
                       std::function<bool(const httplib::Request&)> streams_body)
    : max_body_bytes_(max_body_bytes), streams_body_(std::move(streams_body)) {
  // The limit httplib applies itself when it reads a body with a Content-Length.
  set_payload_max_length(max_body_bytes);
  // Before anything reads the body: a request refused from its headers is answered here, whatever
  // its path.
  set_pre_routing_handler([this, error_body](const httplib::Request& req, httplib::Response& res) {
    const auto [status, message] = RefusalFromHeaders(req);
    if (status == 0) return HandlerResponse::Unhandled;
    res.status = status;
    res.set_content(error_body(status, message), "application/json");
    return HandlerResponse::Handled;
  });
  // A client waiting for "100 Continue" gets the refusal instead and does not send the body. httplib
  // writes this response without computing its length, so the header is set here.
  set_expect_100_continue_handler([this, error_body](const httplib::Request& req, httplib::Response& res) {
    const auto [status, message] = RefusalFromHeaders(req);
    if (status == 0) return 100;
    res.status = status;
    res.set_content(error_body(status, message), "application/json");
    res.set_header("Content-Length", std::to_string(res.body.size()));
    return status;
  });
}

std::string HttpServer::TooLargeMessage() const {
  return "the body is larger than this server's limit of " + std::to_string(max_body_bytes_) +
         " bytes (max_body_bytes)";
}

std::pair<int, std::string> HttpServer::RefusalFromHeaders(const httplib::Request& req) const {
  if (DeclaresTooLargeBody(req)) return {413, TooLargeMessage()};
  if (IsChunked(req) && !streams_body_(req)) {
    return {411, "a body without Content-Length (chunked) is not accepted by " + req.method + " " + req.path +
                     "; send its Content-Length"};
  }
  return {0, ""};
}

bool HttpServer::LeavesBodyUnread(const httplib::Request& req) const {
  if (RefusalFromHeaders(req).first != 0) return true;
  // httplib reads the bodies of these methods only; another method's body would be taken for the next
  // request.
  const bool read =
      req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
  return !read && (IsChunked(req) || req.get_header_value<uint64_t>("Content-Length") > 0);
}

void HttpServer::RaiseBacklog(int backlog) {
  const socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, backlog);
}

bool HttpServer::DeclaresTooLargeBody(const httplib::Request& req) const {
  if (!req.has_header("Content-Length")) return false;
  const std::string value = req.get_header_value("Content-Length");
  // A length that does not parse is left to httplib (it answers 400); digits beyond uint64 are too large.
  if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  errno = 0;
  const unsigned long long length = std::strtoull(value.c_str(), nullptr, 10);
  return errno == ERANGE || length > max_body_bytes_;
}

void HttpServer::CloseConnectionAfterResponse(httplib::Response& res) {
  res.set_header("Connection", "close");
  std::lock_guard<std::mutex> lock(connections_mu_);
  auto it = connections_.find(std::this_thread::get_id());
  if (it != connections_.end()) it->second->close_after_response = true;
}

bool HttpServer::WaitForNextRequest(socket_t sock, bool have_buffered_bytes) const {
  if (have_buffered_bytes) return true;
  // In short steps, so that a server told to stop does not wait for idle clients.
  const auto deadline = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
  while (svr_sock_ != INVALID_SOCKET) {
    if (WaitFor(sock, POLLIN, 50)) return true;
    if (Clock::now() >= deadline) return false;
  }
  return false;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  Connection connection;
  {
    std::lock_guard<std::mutex> lock(connections_mu_);
    connections_[std::this_thread::get_id()] = &connection;
  }
  SocketStream stream(sock, ToMilliseconds(read_timeout_sec_, read_timeout_usec_),
                      ToMilliseconds(write_timeout_sec_, write_timeout_usec_));
  // Runs once a request's headers are parsed, before anything else looks at it.
  auto on_headers = [this, &connection](httplib::Request& req) {
    if (LeavesBodyUnread(req)) {
      connection.close_after_response = true;
      req.headers.erase("Connection");
      req.headers.emplace("Connection", "close");  // so the response says it
    }
  };
  bool ok = true;
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    if (!WaitForNextRequest(sock, stream.buffered() > 0)) break;
    stream.set_read_deadline(request_read_limit_.count() > 0 ? Clock::now() + request_read_limit_
                                                             : Clock::time_point::max());
    bool client_closes = false;
    ok = process_request(stream, /*close_connection=*/left == 1, client_closes, on_headers);
    if (!ok || client_closes || connection.close_after_response) break;
  }
  {
    std::lock_guard<std::mutex> lock(connections_mu_);
    connections_.erase(std::this_thread::get_id());
  }
  if (connection.close_after_response) {
    CloseGracefully(sock);
  } else {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
  return ok;
}

}  // namespace plateau::server
