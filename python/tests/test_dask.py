"""plateau.dask on a LocalCluster of 2 worker processes x 1 thread: the 40 smallest SROIE receipts, a
corrupt file and a missing path read in chunks, every line equal to what `plateau ocr` prints for the same
input with the same options; a bag of paths with one chunk in flight at a time; bad arguments refused
before any work. Run by ctest as python_dask (python/run-tests.sh BUILD_DIR -m dask)."""

import json
import math
import os
import random
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.dask

if os.environ.get("PLATEAU_REQUIRE_MODELS") == "1":
    import distributed  # noqa: F401 - CI must have it (scripts/install-deps.sh: python3-distributed)
else:
    pytest.importorskip("distributed", reason="Debian python3-distributed is not installed")

import dask.bag
from distributed import Client, LocalCluster

import plateau
from plateau.dask import OcrWorkerPlugin, ocr_to_directory

RECEIPTS = 40
# A predict keyword given to ocr_to_directory, and the same as a flag of `plateau ocr`.
PARAMS = {"text_rec_score_thresh": 0.6}
CLI_FLAGS = ["--text_rec_score_thresh", "0.6", "--threads", "1"]


def _smallest_receipts(eval_dir: Path, n: int):
    """The n receipts of fewest pixels (quick pages, for CI's 2 cores), in name order."""
    from PIL import Image
    sizes = []
    for p in sorted((eval_dir / "sroie" / "img").glob("*.jpg")):
        with Image.open(p) as im:
            sizes.append((im.size[0] * im.size[1], str(p)))
    assert len(sizes) >= n, f"{eval_dir}/sroie/img holds {len(sizes)} receipts, fewer than {n}"
    return sorted(p for _, p in sorted(sizes)[:n])


@pytest.fixture(scope="module")
def inputs(eval_dir, tmp_path_factory):
    """The receipts, with a corrupt file and a missing path among them (in chunks with receipts)."""
    work = tmp_path_factory.mktemp("dask-inputs")
    corrupt = work / "corrupt.jpg"
    corrupt.write_bytes(bytes(random.Random(15).randrange(256) for _ in range(4096)))
    missing = work / "missing.jpg"
    paths = _smallest_receipts(eval_dir, RECEIPTS)
    paths.insert(9, str(corrupt))
    paths.insert(22, str(missing))
    return {"paths": paths, "corrupt": str(corrupt), "missing": str(missing)}


@pytest.fixture(scope="module")
def cli(binary, inputs, tmp_path_factory):
    """`plateau ocr` over every input, started at once so that it runs beside the cluster's first run;
    .lines() waits for it and returns {input_path: line}."""
    models = Path(plateau.__file__).resolve().parent / "models"
    if not models.is_dir():
        models = Path(plateau.PaddleOCR(cpu_threads=1).model_dir)
    cmd = [str(binary), "ocr", "--model_dir", str(models)] + CLI_FLAGS
    for p in inputs["paths"]:
        cmd += ["-i", p]
    out = tmp_path_factory.mktemp("dask-cli") / "cli.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE, text=True)

    class Reference:
        def lines(self):
            _, err = proc.communicate(timeout=1800)
            # Exit code 1: some inputs failed (the corrupt and the missing ones), as they should.
            assert proc.returncode == 1, f"plateau ocr exited {proc.returncode}: {err}"
            by_input = {}
            for line in out.read_text(encoding="utf-8").splitlines():
                by_input[json.loads(line)["res"]["input_path"]] = line
            assert len(by_input) == len(inputs["paths"]), "plateau ocr did not answer every input once"
            return by_input

    yield Reference()
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        c.register_worker_plugin(OcrWorkerPlugin(cpu_threads=1))
        yield c


def _same(a, b, where="res"):
    """The same keys in the same order, texts and integers (boxes, polygons) equal, floats (scores)
    within float32 tolerance."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7), f"{where}: {a} != {b}"
    else:
        assert a == b and type(a) is type(b), f"{where}: {a!r} != {b!r}"


def _read_parts(out_dir: Path):
    parts = sorted(out_dir.glob("part-*.jsonl"))
    assert not list(out_dir.glob(".*.tmp")), "a chunk left its temporary file"
    return parts, [line for p in parts for line in p.read_text(encoding="utf-8").splitlines()]


def test_every_result_equals_plateau_ocr(client, inputs, cli, tmp_path):
    out = tmp_path / "results"
    paths = inputs["paths"]
    summary = ocr_to_directory(client, paths, out, chunk_size=4, **PARAMS)

    assert summary.inputs == len(paths) and summary.results == len(paths)
    assert summary.chunks == 11 and summary.failed_chunks == 0
    assert summary.failed == 2
    errors = {f["input"]: f["error"] for f in summary.failures}
    assert set(errors) == {inputs["corrupt"], inputs["missing"]}
    assert "not a readable image" in errors[inputs["corrupt"]] and inputs["corrupt"] in errors[inputs["corrupt"]]
    assert "no such file" in errors[inputs["missing"]] and inputs["missing"] in errors[inputs["missing"]]
    # Both worker processes read chunks.
    assert len({worker for _, worker, _, _ in summary.chunk_times}) == 2

    parts, lines = _read_parts(out)
    assert [p.name for p in parts] == [f"part-{i:06d}.jsonl" for i in range(11)]
    # One line per input, in the order of the inputs (chunk after chunk).
    got = [json.loads(line)["res"] for line in lines]
    assert [r["input_path"] for r in got] == paths

    reference = cli.lines()
    texts = 0
    for line, res in zip(lines, got):
        want = json.loads(reference[res["input_path"]])["res"]
        _same(res, want, res["input_path"])
        if "error" in res:
            assert line == reference[res["input_path"]]
        else:
            assert all(s >= PARAMS["text_rec_score_thresh"] for s in res["rec_scores"])
            texts += len(res["rec_texts"])
    assert texts > 20 * RECEIPTS, f"only {texts} text lines read from {RECEIPTS} receipts"


def test_a_bag_of_paths_one_chunk_in_flight(client, inputs, cli, tmp_path):
    paths = inputs["paths"][7:12] + [inputs["missing"]]  # a corrupt file among receipts, then the missing path
    bag = dask.bag.from_sequence(paths + [42], npartitions=3)
    out = tmp_path / "bag"
    summary = ocr_to_directory(client, bag, out, max_chunks_in_flight=1, **PARAMS)

    assert summary.chunks == 3 and summary.inputs == 7 and summary.results == 7 and summary.failed == 3
    not_a_path = [f for f in summary.failures if f["input"] == "42"]
    assert len(not_a_path) == 1 and "not a path" in not_a_path[0]["error"]
    # One chunk in flight: each started after the one before had finished.
    times = sorted((start, end) for _, _, start, end in summary.chunk_times)
    assert all(prev_end <= start for (_, prev_end), (start, _) in zip(times, times[1:])), times

    _, lines = _read_parts(out)
    reference = cli.lines()
    assert len(lines) == 7
    for line in lines[:-1]:
        res = json.loads(line)["res"]
        _same(res, json.loads(reference[res["input_path"]])["res"], res["input_path"])
    assert json.loads(lines[-1])["res"] == {"input_path": None, "page_index": None,
                                            "error": not_a_path[0]["error"]}


def test_bad_arguments_raise_before_any_work(client, inputs, tmp_path):
    receipt = inputs["paths"][0]
    with pytest.raises(TypeError, match="unexpected keyword argument 'text_det_treshold'"):
        ocr_to_directory(client, [receipt], tmp_path / "a", text_det_treshold=0.3)
    with pytest.raises(TypeError, match="input 1: int is not a path"):
        ocr_to_directory(client, [receipt, 7], tmp_path / "a")
    with pytest.raises(ValueError, match="the list of paths is empty"):
        ocr_to_directory(client, [], tmp_path / "a")
    with pytest.raises(ValueError, match="chunk_size"):
        ocr_to_directory(client, [receipt], tmp_path / "a", chunk_size=0)
    with pytest.raises(RuntimeError, match="hold no plateau engine"):
        ocr_to_directory(client, [receipt], tmp_path / "a", plugin_name="elsewhere")
    with pytest.raises(ValueError, match="Unknown argument: cpu_thread"):
        OcrWorkerPlugin(cpu_thread=1)
    # Results of an earlier run are not mixed with a new one's.
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "part-000000.jsonl").write_text("{}\n")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        ocr_to_directory(client, [receipt], tmp_path / "b")
    assert not (tmp_path / "a").exists()


def test_an_engine_that_cannot_be_made_fails_its_registration(client, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        client.register_worker_plugin(OcrWorkerPlugin(name="no-models", model_dir=str(tmp_path / "none")))
    with pytest.raises(RuntimeError, match="hold no plateau engine"):
        ocr_to_directory(client, [str(tmp_path / "x.jpg")], tmp_path / "out", plugin_name="no-models")
