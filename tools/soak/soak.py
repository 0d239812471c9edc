#!/usr/bin/python3
"""Soak test of `plateau serve`: drives the server over loopback at a multiple of its measured capacity
for a set time with a mix of good and bad requests, and checks that it only ever answers 200, 4xx or
503, never dies, and that its RSS stays flat after warm-up. Prints the figures as a markdown table.

  tools/soak/soak.py --plateau build/plateau --models models --image ../shared/eval/sroie/img/000.jpg
  tools/soak/soak.py ... --seconds 600 --load 2.0 --workers 2 --queue 4

The mix per request: good image, good PDF (one page drawn here), malformed JSON, bad Base64, a body over
--max_body_bytes (refused from its Content-Length), a slow sender (a few bytes a second), and a client
that closes the connection halfway through its body. Slow senders and disconnects get no answer by
design; the tool reports how long the server let a slow sender hold its connection.
Exit status: 0 when every answer was allowed and the server survived, 1 otherwise.
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time


def make_pdf():
    """A one-page PDF (letter size) with a few black bars, built by hand."""
    stream = b"0 0 0 rg 72 700 300 14 re f 72 660 220 14 re f 72 620 260 14 re f"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


class Soak:
    def __init__(self, args, port, server):
        self.args = args
        self.port = port
        self.server = server
        with open(args.image, "rb") as f:
            image = f.read()
        self.good_image = json.dumps({"file": base64.b64encode(image).decode(), "fileType": 1}).encode()
        self.good_pdf = json.dumps({"file": base64.b64encode(make_pdf()).decode(), "fileType": 0}).encode()
        self.lock = threading.Lock()
        self.counts = {}        # (kind, status) -> n
        self.latency = []       # seconds, accepted good requests after warm-up
        self.bad_outcomes = []  # descriptions of answers outside 200 / 4xx / 503
        self.slow_held = []     # seconds a slow sender was connected before the server closed
        self.in_flight = 0

    def count(self, kind, status):
        with self.lock:
            self.counts[(kind, status)] = self.counts.get((kind, status), 0) + 1

    def post(self, kind, body, timeout=300):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        start = time.monotonic()
        try:
            conn.request("POST", "/ocr", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as e:
            status = "error: %s" % type(e).__name__
        finally:
            conn.close()
        elapsed = time.monotonic() - start
        self.count(kind, status)
        allowed = status == 200 or status == 503 or (isinstance(status, int) and 400 <= status < 500)
        if not allowed:
            with self.lock:
                self.bad_outcomes.append("%s -> %s" % (kind, status))
        return status, elapsed

    def oversized(self):
        # Only the headers: the server must refuse from Content-Length without reading the body.
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            s.sendall(b"POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % (self.args.max_body_bytes + 1))
            data = s.recv(4096)
            m = re.match(rb"HTTP/1\.[01] (\d+)", data)
            status = int(m.group(1)) if m else "error: no status line"
        except OSError as e:
            status = "error: %s" % type(e).__name__
        finally:
            s.close()
        self.count("oversized", status)
        if status != 413:
            with self.lock:
                self.bad_outcomes.append("oversized -> %s" % status)

    def slow_sender(self):
        # A valid request whose body trickles in at a few bytes a second; gives up after --slow_cap s.
        body = self.good_image
        s = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        start = time.monotonic()
        closed_by_server = False
        try:
            s.sendall(b"POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            sent = 0
            while time.monotonic() - start < self.args.slow_cap and sent < len(body):
                s.sendall(body[sent:sent + 4])
                sent += 4
                time.sleep(1.0)
        except OSError:
            closed_by_server = True
        finally:
            s.close()
        held = time.monotonic() - start
        with self.lock:
            self.slow_held.append((held, closed_by_server))
        self.count("slow sender", "closed by server" if closed_by_server else "gave up at cap")

    def disconnect(self):
        body = self.good_image
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            s.sendall(b"POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            s.sendall(body[: len(body) // 2])
            s.close()
        except OSError:
            pass
        self.count("disconnect", "sent half")

    def one(self, kind, warm):
        try:
            if kind == "image":
                status, elapsed = self.post(kind, self.good_image)
                if status == 200 and warm:
                    with self.lock:
                        self.latency.append(elapsed)
            elif kind == "pdf":
                self.post(kind, self.good_pdf)
            elif kind == "bad json":
                self.post(kind, b'{"file": "abc", "fileType": 1,,}')
            elif kind == "bad base64":
                self.post(kind, b'{"file": "not*base64!", "fileType": 1}')
            elif kind == "oversized":
                self.oversized()
            elif kind == "slow sender":
                self.slow_sender()
            elif kind == "disconnect":
                self.disconnect()
        finally:
            with self.lock:
                self.in_flight -= 1


def wait_for_port(log_path, proc):
    for _ in range(1200):
        if proc.poll() is not None:
            return None
        with open(log_path) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plateau", default="build/plateau")
    ap.add_argument("--models", default="models")
    ap.add_argument("--image", default="../shared/eval/sroie/img/000.jpg")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--load", type=float, default=2.0, help="offered load as a multiple of capacity")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queue", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max_body_bytes", type=int, default=8 << 20)
    ap.add_argument("--slow_cap", type=float, default=90, help="seconds a slow sender keeps trying")
    ap.add_argument("--max_slow", type=int, default=2, help="slow senders at once")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    random.seed(args.seed)

    log_path = "/tmp/plateau_soak_%d.log" % os.getpid()
    log = open(log_path, "w")
    server = subprocess.Popen([args.plateau, "serve", "--port", "0", "--workers", str(args.workers),
                               "--queue", str(args.queue), "--threads", str(args.threads),
                               "--max_body_bytes", str(args.max_body_bytes), "--model_dir", args.models],
                              stdout=log, stderr=log)
    port = wait_for_port(log_path, server)
    if port is None:
        print("soak: the server did not start; its log:", file=sys.stderr)
        print(open(log_path).read(), file=sys.stderr)
        return 1
    soak = Soak(args, port, server)

    # Capacity: one client, good requests back to back, after two warm-up requests.
    for _ in range(2):
        soak.post("warm-up", soak.good_image)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 20 or n < 3:
        soak.post("capacity", soak.good_image)
        n += 1
    per_request = (time.monotonic() - t0) / n
    capacity = min(args.workers, os.cpu_count() or 1) / per_request
    rate = args.load * capacity
    print("soak: %.0f ms per request alone; capacity ~%.2f req/s with %d workers; offering %.2f req/s "
          "for %.0f s" % (per_request * 1000, capacity, args.workers, rate, args.seconds), flush=True)

    kinds = [("image", 0.62), ("pdf", 0.06), ("bad json", 0.08), ("bad base64", 0.08), ("oversized", 0.05),
             ("slow sender", 0.04), ("disconnect", 0.07)]
    start = time.monotonic()
    warm_after = start + min(60.0, args.seconds * 0.2)
    rss = []  # (t, MiB)
    next_send = start
    next_sample = start
    threads = []
    slow_now = []
    while True:
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        if server.poll() is not None:
            soak.bad_outcomes.append("the server exited with %s" % server.returncode)
            break
        if now >= next_sample:
            rss.append((now - start, rss_mib(server.pid)))
            next_sample += 5.0
        if now >= next_send:
            r = random.random()
            kind = kinds[-1][0]
            for k, p in kinds:
                if r < p:
                    kind = k
                    break
                r -= p
            slow_now = [t for t in slow_now if t.is_alive()]
            if kind == "slow sender" and len(slow_now) >= args.max_slow:
                kind = "image"
            with soak.lock:
                soak.in_flight += 1
            t = threading.Thread(target=soak.one, args=(kind, now >= warm_after), daemon=True)
            t.start()
            threads.append(t)
            if kind == "slow sender":
                slow_now.append(t)
            next_send += random.expovariate(rate)
        time.sleep(min(0.01, max(0.0, next_send - time.monotonic())))
    for t in threads:
        t.join(timeout=max(args.slow_cap, 300))
    rss.append((time.monotonic() - start, rss_mib(server.pid)))
    alive = server.poll() is None
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()

    warm = [m for t, m in rss if m is not None and t >= warm_after - start]
    print()
    print("| kind | answer | count |")
    print("|---|---|---:|")
    for (kind, status), c in sorted(soak.counts.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        print("| %s | %s | %d |" % (kind, status, c))
    print()
    accepted = soak.latency
    print("accepted good images after warm-up: %d; latency p50 %.0f ms, p99 %.0f ms, max %.0f ms" % (
        len(accepted), percentile(accepted, 50) * 1000, percentile(accepted, 99) * 1000,
        (max(accepted) if accepted else float("nan")) * 1000))
    if warm:
        print("server RSS after warm-up: first %.0f MiB, min %.0f, max %.0f, last %.0f MiB (%d samples)" % (
            warm[0], min(warm), max(warm), warm[-1], len(warm)))
    if soak.slow_held:
        by_server = [h for h, c in soak.slow_held if c]
        print("slow senders: %d; closed by the server: %d (held up to %.0f s); still connected at the %.0f s "
              "cap: %d" % (len(soak.slow_held), len(by_server), max(by_server) if by_server else 0,
                           args.slow_cap, len(soak.slow_held) - len(by_server)))
    print("server alive at the end: %s" % ("yes" if alive else "NO"))
    if soak.bad_outcomes:
        print("answers outside 200 / 4xx / 503 (%d): %s" % (len(soak.bad_outcomes), "; ".join(soak.bad_outcomes[:10])))
    os.unlink(log_path)
    return 0 if alive and not soak.bad_outcomes else 1


if __name__ == "__main__":
    sys.exit(main())
