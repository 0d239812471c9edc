// Load client for `plateau serve`: C connections (keep-alive, one thread each) send POST /ocr with the
// same image until R requests have been sent in total, then one markdown table row is printed:
//
//   | clients | requests | 200 | 503 | other | throughput req/s | p50 ms | p90 ms | p99 ms | max ms |
//
//   plateau_bench_server_client --port 8080 --image receipt.jpg --clients 4 --requests 40 [--warmup 2]
//
// Latency is per request, from sending to the whole response read. Warm-up requests (sent first, one
// at a time) are not counted. Exit code 1 if any request got no HTTP response at all.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/base64.h"

namespace {

struct Args {
  int port = 8080;
  std::string host = "127.0.0.1";
  std::string image;
  int clients = 1;
  int requests = 20;
  int warmup = 2;
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      a->port = std::stoi(v);
    else if (k == "--host")
      a->host = v;
    else if (k == "--image")
      a->image = v;
    else if (k == "--clients")
      a->clients = std::stoi(v);
    else if (k == "--requests")
      a->requests = std::stoi(v);
    else if (k == "--warmup")
      a->warmup = std::stoi(v);
    else {
      std::cerr << "bench client: unknown flag " << k << "\n";
      return false;
    }
  }
  if (a->image.empty() || a->clients < 1 || a->requests < 1) {
    std::cerr
        << "usage: plateau_bench_server_client --port P --image FILE --clients C --requests R [--warmup W]\n";
    return false;
  }
  return true;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1,
                            static_cast<size_t>(std::llround(p / 100.0 * static_cast<double>(v.size() - 1))));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  std::ifstream in(args.image, std::ios::binary);
  if (!in) {
    std::cerr << "bench client: cannot read " << args.image << "\n";
    return 2;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  // The OCR alone: no result pictures (the server would draw them by default, as PaddleX does).
  const std::string body =
      "{\"file\": \"" + plateau::server::Base64Encode(bytes.str()) + "\", \"visualize\": false}";

  for (int i = 0; i < args.warmup; ++i) {
    httplib::Client cli(args.host, args.port);
    cli.set_read_timeout(600, 0);
    auto res = cli.Post("/ocr", body, "application/json");
    if (!res || res->status != 200) {
      std::cerr << "bench client: warm-up request failed"
                << (res ? " with " + std::to_string(res->status) : "") << "\n";
      return 1;
    }
  }

  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  int ok = 0, busy = 0, other = 0, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < args.clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client cli(args.host, args.port);
      cli.set_keep_alive(true);
      cli.set_read_timeout(600, 0);
      while (next.fetch_add(1) < args.requests) {
        const auto t0 = std::chrono::steady_clock::now();
        auto res = cli.Post("/ocr", body, "application/json");
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard<std::mutex> lock(mu);
        if (!res) {
          ++failed;
          continue;
        }
        if (res->status == 200) {
          ++ok;
          latencies_ms.push_back(ms);
        } else if (res->status == 503) {
          ++busy;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("| %d | %d | %d | %d | %d | %.2f | %.0f | %.0f | %.0f | %.0f |\n", args.clients, args.requests,
              ok, busy, other + failed, ok / seconds, Percentile(latencies_ms, 50),
              Percentile(latencies_ms, 90), Percentile(latencies_ms, 99), Percentile(latencies_ms, 100));
  return failed > 0 ? 1 : 0;
}
