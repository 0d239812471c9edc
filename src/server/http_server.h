// cpp-httplib's Server with a bound on request bodies that holds before the body is read, and with the
// connection handling that needs.
//
// Debian's cpp-httplib (0.11) checks its payload limit only when a body is read, and then reads the whole
// oversized body to discard it; it also keeps a connection open after a response that left a body unread,
// so the rest of that body would be taken for the next request. HttpServer serves each connection itself
// (still through httplib's request parsing and routing) so that:
//   - a request whose Content-Length exceeds max_body_bytes is answered 413 right after its headers,
//     whatever its path: with "Expect: 100-continue" (curl's way for big bodies) the client is told
//     instead of the 100 and never sends the body; without it, the 413 goes out while the body is still
//     on its way;
//   - a chunked body (no Content-Length) is taken only where a handler reads it as a stream and stops at
//     the limit (`streams_body`); anywhere else httplib would store it whole, whatever its size, so it
//     is refused with 411 Length Required, again before it is read;
//   - a handler that stops reading a body (a chunked body grown past the limit, a broken transfer) can
//     ask for its connection to be closed after the response (CloseConnectionAfterResponse);
//   - such a connection is closed gracefully: the response is sent, our side is shut for writing, and
//     what the client still sends is discarded for at most a couple of seconds, so that the client reads
//     the response instead of a connection reset. Nothing of the discarded body is kept.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace plateau::server {

class HttpServer : public httplib::Server {
 public:
  // `error_body(status, message)` makes the body of the refusals above. `streams_body` says whether a
  // request (its method and path) goes to a handler that reads its body through a ContentReader and
  // stops at max_body_bytes.
  HttpServer(size_t max_body_bytes, const std::function<std::string(int, const std::string&)>& error_body,
             std::function<bool(const httplib::Request&)> streams_body);

  // listen() again on the bound socket with a longer backlog (httplib's is 5, fixed when Debian built
  // it: a burst of connections beyond it has its handshakes dropped and retried seconds later).
  void RaiseBacklog(int backlog);

  // From a handler, on the thread serving the request: closes its connection once the response is sent
  // (gracefully, see above) and says so in the response's Connection header.
  void CloseConnectionAfterResponse(httplib::Response& res);

  // The longest a request may take to arrive, headers and body, from its first byte; reads past it fail
  // and the connection is closed, so that a client sending a few bytes at a time cannot hold a serving
  // thread for longer (the read timeout alone is per read). Zero: no limit. Set before listening.
  void set_request_read_limit(std::chrono::milliseconds limit) { request_read_limit_ = limit; }

  // Whether the request's Content-Length says its body is over the limit.
  bool DeclaresTooLargeBody(const httplib::Request& req) const;
  // The errorMsg of a 413.
  std::string TooLargeMessage() const;

 private:
  struct Connection {
    bool close_after_response = false;
  };

  bool process_and_close_socket(socket_t sock) override;
  // The status and message of a request refused from its headers alone (status 0: not refused).
  std::pair<int, std::string> RefusalFromHeaders(const httplib::Request& req) const;
  // Whether part of the request's body will be left unread on the connection.
  bool LeavesBodyUnread(const httplib::Request& req) const;
  // Waits for the next request on a kept-alive connection; false when the wait times out, the client
  // closes or the server stops.
  bool WaitForNextRequest(socket_t sock, bool have_buffered_bytes) const;

  const size_t max_body_bytes_;
  std::chrono::milliseconds request_read_limit_{0};
  const std::function<bool(const httplib::Request&)> streams_body_;
  // The connection each serving thread is on (a thread serves one connection at a time).
  std::mutex connections_mu_;
  std::map<std::thread::id, Connection*> connections_;
};

}  // namespace plateau::server
