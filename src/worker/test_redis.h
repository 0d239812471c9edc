// Test support: a redis-server of the test's own (Debian's /usr/bin/redis-server) on a free loopback port,
// in a temporary directory removed afterwards, with AOF on and fsync at every write, killed with the
// test (or with the thread that started it).
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "worker/redis_client.h"

namespace plateau::worker {

// A redis-server of the test's own on a free loopback port, in a temporary directory, with AOF on.
class TestRedis {
 public:
  TestRedis() {
    char tmpl[] = "/tmp/plateau-redis-XXXXXX";
    dir_ = mkdtemp(tmpl);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    close(s);
  }
  ~TestRedis() {
    Kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static bool Available() { return access("/usr/bin/redis-server", X_OK) == 0; }

  // Starts the server (again, after Kill, from its AOF). It is killed when the thread that started it
  // ends, so start it from the test's own thread.
  void Start() {
    // Everything the child needs is made before fork: a child of a threaded process may not allocate.
    const std::string port = std::to_string(port_);
    const std::string log = dir_ + "/redis.log";
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--dir",
            dir_.c_str(), "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile",
            log.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  RedisClientOptions Options() const {
    RedisClientOptions o;
    o.address.port = port_;
    o.initial_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(200);
    return o;
  }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace plateau::worker

#define SKIP_WITHOUT_REDIS()                                                                               \
  do {                                                                                                     \
    if (!::plateau::worker::TestRedis::Available()) GTEST_SKIP() << "redis-server missing: run make deps"; \
  } while (0)
