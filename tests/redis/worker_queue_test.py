#!/usr/bin/python3
"""plateau's job queue end to end: jobs through worker processes on a Redis of its own, with a worker
killed mid-job and Redis restarted, every answer compared with `plateau ocr` on the same input.

Started by ctest (CMakeLists.txt). It starts redis-server (AOF on, fsync at every write) on a free
loopback port in a temporary directory, submits --jobs jobs (SROIE receipts by path and inline, corrupt
files, one two-page PDF made from receipts), runs --workers `plateau worker` processes, SIGKILLs one while
it holds a job, kills and restarts Redis once, waits for every answer, drains the workers with SIGTERM,
and checks:

  - every job has exactly one answer: its results (one per page) or, for the corrupt inputs only, a
    dead letter with an error; nothing is left in the job stream or pending;
  - every result line equals the line `plateau ocr` prints for that input (run separately, one process,
    not through the queue); the dead letters' error lines equal its error lines;
  - the killed worker's job was reclaimed, the surviving workers reconnected, and they drain and exit 0.

Exit 0 pass, 1 fail, 77 skip (models or images missing, unless PLATEAU_REQUIRE_MODELS=1). Every process
it starts dies with it (PR_SET_PDEATHSIG) and is killed in its `finally`.
"""

import argparse
import collections
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

SKIP = 77
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def log(*parts):
    print("[redis-queue-test %s]" % time.strftime("%H:%M:%S"), *parts, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg_size(data):
    """(width, height, components) from a JPEG's SOF segment."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ValueError("not a JPEG segment at %d" % i)
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h = int.from_bytes(data[i + 5:i + 7], "big")
            w = int.from_bytes(data[i + 7:i + 9], "big")
            return w, h, data[i + 9]
        i += 2 + length
    raise ValueError("no SOF segment")


def make_pdf(jpegs):
    """A PDF with one page per JPEG, each drawn full-page at 144 DPI (plateau's rendering resolution),
    so a page renders at the JPEG's own size."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    streams = {}
    for data in jpegs:
        w, h, comps = jpeg_size(data)
        pw, ph = w * 72.0 / 144.0, h * 72.0 / 144.0
        page_no = len(objects) + 1
        kids.append("%d 0 R" % page_no)
        objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject "
                       "<< /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (pw, ph, page_no + 1, page_no + 2))
        space = "/DeviceGray" if comps == 1 else "/DeviceRGB"
        objects.append("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                       "/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>" % (w, h, space, len(data)))
        streams[len(objects)] = data
        content = ("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (pw, ph)).encode()
        objects.append("<< /Length %d >>" % len(content))
        streams[len(objects)] = content
    objects[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj.encode()
        if n in streams:
            out += b"\nstream\n" + streams[n] + b"\nendstream"
        out += b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class Redis:
    def __init__(self, workdir, port):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile",
             os.path.join(self.dir, "redis.log")],
            preexec_fn=die_with_parent)
        for _ in range(100):
            if self.cli("PING", check=False) == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not answer on port %d" % self.port)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cli(self, *args, check=True):
        r = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("redis-cli %s: %s" % (" ".join(args), r.stderr))
        return r.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plateau", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--work", required=True, help="parent of the temporary directory")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("PLATEAU_REDIS_TEST_JOBS", "200")))
    ap.add_argument("--receipts", type=int, default=int(os.environ.get("PLATEAU_REDIS_TEST_RECEIPTS", "40")),
                    help="distinct receipts (the smallest by pixels, at their real size); jobs repeat them")
    ap.add_argument("--workers", type=int, default=3)
    args = ap.parse_args()

    require = os.environ.get("PLATEAU_REQUIRE_MODELS") == "1"
    sroie = os.path.join(args.eval, "sroie", "img")
    missing = [p for p in (os.path.join(args.models, "ch_PP-OCRv4_det_infer.onnx"), sroie, args.plateau)
               if not os.path.exists(p)]
    if missing:
        log("models missing (make models) or shared/eval images missing:", missing)
        return 1 if require else SKIP
    if shutil.which("redis-server") is None:
        log("redis-server is not installed (scripts/install-deps.sh)")
        return 1 if require else SKIP

    os.makedirs(args.work, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="queue-", dir=os.path.abspath(args.work))
    procs = []
    redis = Redis(tmp, free_port())
    try:
        return run(args, tmp, sroie, redis, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        redis.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp, sroie, redis, procs):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    plateau = os.path.abspath(args.plateau)
    models = os.path.abspath(args.models)

    # Inputs: the smallest receipts by pixels, corrupt files, a PDF of two receipts.
    sizes = []
    for name in sorted(os.listdir(sroie)):
        if name.endswith(".jpg"):
            with open(os.path.join(sroie, name), "rb") as f:
                w, h, _ = jpeg_size(f.read())
            sizes.append((w * h, name))
    receipts = [os.path.join(sroie, n) for _, n in sorted(sizes)[:args.receipts]]
    inputs_dir = os.path.join(tmp, "inputs")
    os.makedirs(inputs_dir)
    with open(receipts[0], "rb") as f:
        first = f.read()
    corrupt = {
        "truncated.jpg": first[:len(first) // 3],  # decodes: the part that is there is read
        "noise.png": os.urandom(5000),
        "empty.jpg": b"",
        "text.jpg": b"this is not an image\n" * 40,
        "broken.pdf": b"%PDF-1.4\nnot really a PDF\n",
    }
    corrupt_paths = []
    for name, data in corrupt.items():
        path = os.path.join(inputs_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        corrupt_paths.append(path)
    missing_path = os.path.join(inputs_dir, "missing.jpg")  # never created
    pdf_path = os.path.join(inputs_dir, "two_receipts.pdf")
    with open(receipts[1], "rb") as a, open(receipts[2], "rb") as b:
        pdf = make_pdf([a.read(), b.read()])
    with open(pdf_path, "wb") as f:
        f.write(pdf)

    # The reference: plateau ocr, one process, every distinct input once (in the background).
    distinct = receipts + corrupt_paths + [missing_path, pdf_path]
    ref_out = open(os.path.join(tmp, "reference.jsonl"), "w")
    ocr_cmd = [plateau, "ocr", "--threads", "1", "--model_dir", models]
    for p in distinct:
        ocr_cmd += ["-i", p]
    reference_proc = subprocess.Popen(ocr_cmd, stdout=ref_out, stderr=subprocess.DEVNULL, env=env,
                                      preexec_fn=die_with_parent)
    procs.append(reference_proc)

    redis.start()
    url = "redis://127.0.0.1:%d" % redis.port

    # Jobs: rounds over the receipts, by path (even rounds) and inline (odd), with the corrupt files (one
    # of them inline too), the missing path and the PDF in the first round.
    plan = []  # (id prefix, inline, [paths])
    extra = corrupt_paths + [missing_path, pdf_path]
    budget = args.jobs - len(extra) - 1
    if budget < len(receipts):
        raise SystemExit("--jobs %d is too few for %d receipts and %d other inputs" %
                         (args.jobs, len(receipts), len(extra) + 1))
    plan.append(("r0/", False, receipts + extra))
    plan.append(("c/", True, [corrupt_paths[0]]))
    left = budget - len(receipts)
    r = 1
    while left > 0:
        take = receipts[:left]
        plan.append(("r%d/" % r, r % 2 == 1, take))
        left -= len(take)
        r += 1
    expected_jobs = {}  # id -> label
    for prefix, inline, paths in plan:
        cmd = [plateau, "submit", "--redis", url, "--id_prefix", prefix]
        if inline:
            cmd.append("--inline")
        for p in paths:
            cmd += ["-i", p]
            expected_jobs[prefix + p] = p
        # The missing file cannot be sent inline; submit says so and carries on (exit 1).
        subprocess.run(cmd, check=False, env=env)
    # Submitting the first round again adds nothing.
    again = subprocess.run([plateau, "submit", "--redis", url, "--id_prefix", "r0/", "-i", receipts[0]],
                           capture_output=True, text=True, env=env)
    failures = []
    if "0 jobs added" not in again.stderr:
        failures.append("a job submitted twice was added twice: " + again.stderr.strip())
    queued = int(redis.cli("XLEN", "plateau:jobs"))
    log("%d jobs queued (%d distinct inputs)" % (queued, len(distinct)))
    if queued != len(expected_jobs) or queued != args.jobs:
        failures.append("queued %d jobs, expected %d" % (queued, args.jobs))

    workers = []
    for i in range(args.workers):
        err = open(os.path.join(tmp, "worker%d.log" % i), "w")
        w = subprocess.Popen([plateau, "worker", "--redis", url, "--name", "w%d" % i, "--threads", "1",
                              "--model_dir", models, "--visibility_timeout", "10", "--max_attempts", "2",
                              "--stats_seconds", "10"], stderr=err, env=env, preexec_fn=die_with_parent)
        procs.append(w)
        workers.append(w)

    def results_count():
        return int(redis.cli("XLEN", "plateau:results", check=False) or 0)

    # SIGKILL worker 0 while it holds a job, once the queue is under way.
    deadline = time.time() + 2400
    killed = False
    while time.time() < deadline and not killed:
        if results_count() >= 10 and redis.cli("XPENDING", "plateau:jobs", "workers", "-", "+", "5", "w0:0"):
            workers[0].kill()
            workers[0].wait()
            killed = True
            log("SIGKILLed worker w0 holding a job, after %d results" % results_count())
        time.sleep(0.05)
    if not killed:
        failures.append("worker w0 was never seen holding a job")

    # Kill Redis once the queue is about half answered, then start it again from its AOF.
    while time.time() < deadline and results_count() < args.jobs // 2:
        time.sleep(0.5)
    at = results_count()
    redis.kill()
    log("killed redis (SIGKILL) at %d results; restarting in 3 s" % at)
    time.sleep(3)
    redis.start()
    log("redis back with %d results" % results_count())

    out = subprocess.run([plateau, "results", "--redis", url, "--wait", str(len(expected_jobs)), "--with_job",
                          "--timeout", "2400"], capture_output=True, text=True, env=env)
    log("plateau results: exit %d; %s" % (out.returncode, out.stderr.strip()))
    if out.returncode == 2:
        failures.append("not every job was answered in time: " + out.stderr.strip())

    # Drain the surviving workers: they must exit 0.
    for w in workers[1:]:
        w.send_signal(signal.SIGTERM)
    for i, w in enumerate(workers[1:], start=1):
        try:
            code = w.wait(timeout=120)
        except subprocess.TimeoutExpired:
            failures.append("worker w%d did not drain within 120 s of SIGTERM" % i)
            continue
        if code != 0:
            failures.append("worker w%d exited %d after SIGTERM" % (i, code))
    stats = []
    for i in range(1, args.workers):
        with open(os.path.join(tmp, "worker%d.log" % i)) as f:
            lines = [l for l in f if "stopped: {" in l]
        if lines:
            stats.append(json.loads(lines[-1].split("stopped: ", 1)[1]))
        else:
            failures.append("worker w%d printed no final stats line" % i)
    log("final worker stats:", json.dumps(stats))
    if sum(s["jobs_reclaimed"] for s in stats) < 1:
        failures.append("no worker reclaimed the killed worker's job")
    if any(s["redis_reconnects"] < 1 for s in stats):
        failures.append("a surviving worker never reconnected after the Redis restart")

    reference_proc.wait(timeout=2400)
    ref_out.close()
    reference = collections.defaultdict(list)  # input path -> lines in page order
    with open(os.path.join(tmp, "reference.jsonl")) as f:
        for line in f:
            line = line.rstrip("\n")
            reference[json.loads(line)["res"]["input_path"]].append(line)
    for p in distinct:
        if not reference[p]:
            failures.append("plateau ocr printed nothing for " + p)

    # Every answer, per job, from the streams themselves (plateau results prints them in order).
    answers = collections.defaultdict(list)
    for line in out.stdout.splitlines():
        obj = json.loads(line)
        job = obj.pop("job")
        answers[job].append("{" + line[line.index(',"res":') + 1:])
    dead_ids = redis.cli("EVAL", "local out = {} for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do "
                         "for i = 1, #e[2], 2 do if e[2][i] == 'job' then table.insert(out, e[2][i+1]) end end "
                         "end return out", "1", "plateau:dead")
    dead_jobs = set(dead_ids.splitlines()) if dead_ids else set()
    # Which inputs cannot be read is plateau ocr's to say (a truncated JPEG still decodes, grey below the
    # cut): those must be dead letters, the others results.
    corrupt_labels = {p for p in distinct if reference[p] and all('"error"' in l for l in reference[p])}
    if len(corrupt_labels) < 5:
        failures.append("plateau ocr refused only %d of the corrupt inputs: %s" % (len(corrupt_labels),
                                                                                  sorted(corrupt_labels)))

    compared = 0
    for job, label in expected_jobs.items():
        got = answers.get(job, [])
        want = reference.get(label, [])
        if not got:
            failures.append("job %s: no answer" % job)
            continue
        if label in corrupt_labels:
            if job not in dead_jobs:
                failures.append("job %s (corrupt input) is not in the dead-letter stream" % job)
            if len(got) != 1 or '"error"' not in got[0]:
                failures.append("job %s: expected one error line, got %r" % (job, got))
                continue
            # The line of a job sent inline names the same path, so it matches too.
            if got[0] != want[0]:
                failures.append("job %s: dead letter %s differs from plateau ocr's %s" % (job, got[0], want[0]))
            compared += 1
            continue
        if job in dead_jobs:
            failures.append("job %s (a readable input) was dead-lettered" % job)
        if len(got) != len(want):
            failures.append("job %s: %d results, plateau ocr gave %d for %s" % (job, len(got), len(want), label))
            continue
        for page, (g, w) in enumerate(zip(got, want)):
            if g != w:
                failures.append("job %s page %d differs from plateau ocr:\n  queue: %s\n  ocr:   %s" %
                                (job, page, g[:300], w[:300]))
            compared += 1
    unexpected = set(answers) - set(expected_jobs)
    if unexpected:
        failures.append("answers for jobs never submitted: %s" % sorted(unexpected)[:5])
    left = int(redis.cli("XLEN", "plateau:jobs"))
    pending = redis.cli("XPENDING", "plateau:jobs", "workers").splitlines()
    if left != 0 or (pending and pending[0] != "0"):
        failures.append("jobs left in the stream: %d, pending: %s" % (left, pending[:1]))
    log("%d jobs, %d lines compared with plateau ocr, %d dead letters" % (len(expected_jobs), compared,
                                                                         len(dead_jobs)))
    if failures:
        for f in failures[:30]:
            log("FAIL:", f)
        for i in range(args.workers):
            with open(os.path.join(tmp, "worker%d.log" % i)) as f:
                tail = f.readlines()[-15:]
            log("worker%d.log (tail):\n" % i + "".join(tail))
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
