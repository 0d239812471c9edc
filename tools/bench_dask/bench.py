"""Throughput and memory of plateau.dask on a LocalCluster (docs/SCALING.md, "Dask").

Starts a LocalCluster of --workers worker processes with one thread each, registers an OcrWorkerPlugin
(cpu_threads=--threads) on them, reads the first --receipts SROIE receipts in name order with
ocr_to_directory (chunks of --chunk_size) into a temporary directory, and samples every worker process's
RSS (VmRSS of /proc/PID/status) twice a second. Prints one markdown row:

  workers | threads | receipts | chunk size | seconds (first chunk started to last chunk finished) |
  receipts/s | CPU seconds per receipt (all workers, over the run) | mean load average | RSS per worker
  with its engine loaded, at the end, and its peak, MiB

Run it with a python that imports plateau (make bench-dask sets up a venv for it).
"""

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from distributed import Client, LocalCluster

from plateau.dask import OcrWorkerPlugin, ocr_to_directory


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Sampler(threading.Thread):
    """RSS of each pid and the load average, twice a second, until stopped."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids = pids
        self.rss = {pid: [] for pid in pids}
        self.loads = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            for pid in self.pids:
                r = rss_mib(pid)
                if r is not None:
                    self.rss[pid].append(r)
            self.loads.append(load_average())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", required=True, help="the SROIE img/ directory")
    ap.add_argument("--receipts", type=int, default=40)
    ap.add_argument("--workers", type=int, default=1, help="Dask worker processes (one thread each)")
    ap.add_argument("--threads", type=int, default=1, help="cpu_threads of each worker's engine")
    ap.add_argument("--chunk_size", type=int, default=4)
    args = ap.parse_args()

    paths = sorted(str(p) for p in Path(args.images).glob("*.jpg"))[:args.receipts]
    if len(paths) < args.receipts:
        raise SystemExit(f"{args.images} holds {len(paths)} receipts, fewer than {args.receipts}")

    with LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None) \
            as cluster, Client(cluster) as client, tempfile.TemporaryDirectory() as out:
        client.register_worker_plugin(OcrWorkerPlugin(cpu_threads=args.threads))
        pids = sorted(client.run(os.getpid).values())
        loaded = {pid: rss_mib(pid) for pid in pids}
        cpu_before = {pid: cpu_seconds(pid) for pid in pids}
        sampler = Sampler(pids)
        sampler.start()
        summary = ocr_to_directory(client, paths, Path(out) / "results", chunk_size=args.chunk_size)
        sampler.stop.set()
        sampler.join()
        cpu = sum(cpu_seconds(pid) - cpu_before[pid] for pid in pids)
        end = {pid: rss_mib(pid) for pid in pids}

    if summary.failed:
        raise SystemExit(f"{summary.failed} receipts failed: {summary.failures[:3]}")
    first = min(start for _, _, start, _ in summary.chunk_times)
    last = max(finish for _, _, _, finish in summary.chunk_times)
    seconds = last - first
    peaks = {pid: max(sampler.rss[pid] + [end[pid]]) for pid in pids}
    mib = lambda d: ", ".join(f"{d[pid]:.0f}" for pid in pids)  # noqa: E731
    print("| workers | threads | receipts | chunk size | seconds | receipts/s | CPU s per receipt | load average "
          "| RSS with the engine loaded | RSS at the end | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.workers} | {args.threads} | {len(paths)} | {args.chunk_size} | {seconds:.1f} | "
          f"{len(paths) / seconds:.2f} | {cpu / len(paths):.2f} | {statistics.mean(sampler.loads or [0]):.1f} | "
          f"{mib(loaded)} | {mib(end)} | {mib(peaks)} |")


if __name__ == "__main__":
    main()
