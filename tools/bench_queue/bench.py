#!/usr/bin/python3
"""Throughput and memory of `plateau worker` processes on a Redis queue (docs/SCALING.md).

Starts its own redis-server on a free loopback port (temporary directory, AOF on), submits --jobs jobs by
path (the SROIE receipts in name order, over and over), starts --processes worker processes with
--threads intra-op threads each, and samples every worker's RSS (VmRSS of /proc/PID/status) once a second
until every job is answered. Prints one markdown row per run:

  processes | threads | jobs | seconds (first result to last) | pages/s | CPU seconds per page (all
  workers, first result to last) | mean load average | RSS per worker at 10% / 50% / 100% of the jobs
  and its peak, MiB

and, with --series FILE, writes every sample as JSON (time, results so far, RSS per worker).
Everything it starts is killed when it ends.
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plateau", default="build/plateau")
    ap.add_argument("--models", default="models")
    ap.add_argument("--images", default="../shared/eval/sroie/img")
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--worker_args", default="", help="more flags for plateau worker, space-separated")
    ap.add_argument("--series", default="")
    args = ap.parse_args()

    images = sorted(os.path.join(args.images, n) for n in os.listdir(args.images) if n.endswith(".jpg"))
    tmp = tempfile.mkdtemp(prefix="plateau-bench-queue-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    try:
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                                  "--appendonly", "yes", "--save", "", "--logfile", os.path.join(tmp, "redis.log")],
                                 preexec_fn=die_with_parent)
        procs.append(redis)

        def cli(*a):
            return subprocess.run(["redis-cli", "-p", str(port), *a], capture_output=True, text=True).stdout.strip()

        for _ in range(100):
            if cli("PING") == "PONG":
                break
            time.sleep(0.1)
        url = "redis://127.0.0.1:%d" % port
        for r in range((args.jobs + len(images) - 1) // len(images)):
            batch = images[:min(len(images), args.jobs - r * len(images))]
            cmd = [args.plateau, "submit", "--redis", url, "--id_prefix", "r%d/" % r]
            for p in batch:
                cmd += ["-i", p]
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        workers = []
        for i in range(args.processes):
            w = subprocess.Popen([args.plateau, "worker", "--redis", url, "--name", "w%d" % i, "--threads",
                                  str(args.threads), "--model_dir", args.models, "--stats_seconds", "0"] +
                                 args.worker_args.split(), stderr=open(os.path.join(tmp, "w%d.log" % i), "w"),
                                 env=env, preexec_fn=die_with_parent)
            procs.append(w)
            workers.append(w)
        start = time.time()
        samples = []
        first_result = None
        while True:
            done = int(cli("XLEN", "plateau:results") or 0) + int(cli("XLEN", "plateau:dead") or 0)
            now = time.time() - start
            if done > 0 and first_result is None:
                first_result = now
                cpu_at_first = sum(cpu_seconds(w.pid) or 0 for w in workers)
            samples.append({"t": round(now, 2), "results": done, "rss_mib": [rss_mib(w.pid) for w in workers],
                            "load": load_average()})
            if done >= args.jobs:
                break
            time.sleep(1.0)
        last = samples[-1]["t"]
        cpu_per_page = (sum(cpu_seconds(w.pid) or 0 for w in workers) - cpu_at_first) / max(1, done - 1)
        mean_load = sum(s["load"] for s in samples) / len(samples)
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=120)

        def rss_at(fraction):
            want = fraction * args.jobs
            for s in samples:
                if s["results"] >= want:
                    return s["rss_mib"]
            return samples[-1]["rss_mib"]

        peaks = [max(s["rss_mib"][i] or 0 for s in samples) for i in range(args.processes)]
        fmt = lambda xs: "/".join("%.0f" % (x or 0) for x in xs)
        rate = (args.jobs - 1) / (last - first_result) if last > first_result else float("nan")
        print("| %d | %d | %d | %.0f | %.2f | %.2f | %.1f | %s | %s | %s | %s |" %
              (args.processes, args.threads, args.jobs, last - first_result, rate, cpu_per_page, mean_load,
               fmt(rss_at(0.1)), fmt(rss_at(0.5)), fmt(samples[-1]["rss_mib"]), fmt(peaks)), flush=True)
        if args.series:
            with open(args.series, "w") as f:
                json.dump({"processes": args.processes, "threads": args.threads, "jobs": args.jobs,
                           "samples": samples}, f)
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
