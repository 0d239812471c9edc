"""plateau on a Dask cluster: one OCR engine per Dask worker, inputs read in chunks, results written to a
directory rather than gathered.

    from distributed import Client
    from plateau.dask import OcrWorkerPlugin, ocr_to_directory

    client = Client("scheduler-host:8786")              # or a LocalCluster
    client.register_worker_plugin(OcrWorkerPlugin(cpu_threads=2, memory_limit=1_000_000_000))
    summary = ocr_to_directory(client, paths, "/shared/results", chunk_size=16)
    print(summary.results, "results,", summary.failed, "inputs failed")
    for failure in summary.failures:
        print(failure["input"], failure["error"])

OcrWorkerPlugin takes PaddleOCR's keywords (plateau.PaddleOCR's, checked where it is made) and creates one
engine on every worker, present and future, when it is registered; the worker's teardown releases it.
ocr_to_directory reads a list of paths (or a dask.bag of paths, a chunk per partition) on the workers that
hold an engine, with at most `max_chunks_in_flight` chunks submitted at once, and each chunk writes
`part-NNNNNN.jsonl` in the output directory: one line per image or PDF page, the line `plateau ocr` prints
for it, in the order of the chunk's inputs. An input that cannot be read (missing, corrupt, not a path)
gives its error line, as `plateau ocr` does, and the chunk goes on. What comes back to the client is an
OcrRunSummary: counts, and each failed input with its error.

Paths and the output directory must name the same files on every worker (shared storage).

Threads: a worker's engine runs one page at a time (chunks given to the same worker take turns on it), with
the GIL released while the page runs, so the worker keeps answering the scheduler. Run workers with one
thread each (`--nthreads 1`) and give the engine the cores with `cpu_threads`.
"""

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import distributed
from distributed import WorkerPlugin

from ._ocr import PaddleOCR, _options_from_kwargs, predict_overrides

__all__ = ["OcrWorkerPlugin", "OcrRunSummary", "ocr_to_directory"]

# The name the plugin is registered under on the workers, unless given another.
DEFAULT_PLUGIN_NAME = "plateau"

_PART_PREFIX = "part-"
_PART_SUFFIX = ".jsonl"


class OcrWorkerPlugin(WorkerPlugin):
    """Holds one plateau engine (a PaddleOCR instance) per Dask worker.

    `options`: PaddleOCR's keywords, checked here, on the client, so that a misspelt name raises at once
    rather than on every worker. The engine is made in setup (on every worker when the plugin is
    registered, and on each worker that joins later), off the worker's event loop; an engine that cannot
    be made (models not found) makes register_worker_plugin raise with the worker's error. teardown (the
    worker closing, or the plugin registered again) drops it, handing its memory back.

    Pickled to the workers: holds only the options until setup."""

    def __init__(self, name: str = DEFAULT_PLUGIN_NAME, **options: Any) -> None:
        _options_from_kwargs(dict(options))
        self.name = name
        self.options = options
        self.engine: Optional[PaddleOCR] = None
        self._lock: Optional[threading.Lock] = None

    def __getstate__(self) -> Dict[str, Any]:
        return {"name": self.name, "options": self.options}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.name = state["name"]
        self.options = state["options"]
        self.engine = None
        self._lock = None

    async def setup(self, worker) -> None:
        import asyncio

        # Loading the models (and, with warmup=True, planning every shape) takes seconds: done on a thread
        # so that the worker's event loop goes on answering the scheduler.
        loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self.engine = await loop.run_in_executor(None, lambda: PaddleOCR(**self.options))

    def teardown(self, worker) -> None:
        self.engine = None

    def read(self, item: Any, overrides: Dict[str, Any]) -> Iterator[Tuple[str, Optional[str]]]:
        """(the `plateau ocr` line, its error or None) for each page of one input. Never raises for a bad
        input: its error is the line's."""
        if self.engine is None or self._lock is None:
            raise RuntimeError(f"plugin {self.name!r} holds no engine on this worker (its setup has not run)")
        if not isinstance(item, (str, os.PathLike)):
            yield _error_line(None, f"not a path: {item!r} ({type(item).__name__}); plateau.dask reads "
                                    "paths (str or os.PathLike)")
            return
        path = os.fsdecode(os.fspath(item))
        if path.startswith(("http://", "https://")):
            yield _error_line(path, f"'{path}' is a URL; plateau reads local files only (download it first)")
            return
        with self._lock:
            try:
                for line, error in self.engine._json_lines(path, overrides):
                    yield line, error
            except Exception as e:  # noqa: BLE001 - whatever one input raises is that input's error
                yield _error_line(path, f"{type(e).__name__}: {e}")


def _error_line(path: Optional[str], error: str) -> Tuple[str, str]:
    """An error line shaped as `plateau ocr` prints one, for failures found before the pipeline runs."""
    res = {"res": {"input_path": path, "page_index": None, "error": error}}
    return json.dumps(res, ensure_ascii=False, separators=(",", ":")), error


def _label(item: Any) -> str:
    """An input as the summary names it: the path, or the repr of what is not one."""
    return os.fsdecode(os.fspath(item)) if isinstance(item, (str, os.PathLike)) else repr(item)


def _part_path(out_dir: str, index: int) -> Path:
    return Path(out_dir) / f"{_PART_PREFIX}{index:06d}{_PART_SUFFIX}"


def _ocr_chunk(index: int, items: List[Any], out_dir: str, overrides: Dict[str, Any],
               plugin_name: str) -> Dict[str, Any]:
    """Runs on a worker: reads `items` with the worker's engine into part-{index}.jsonl, written under a
    temporary name and renamed when complete, so that a chunk run again (its worker died) replaces its
    file rather than adding to it, and a file present is a chunk done. Returns the chunk's counts."""
    worker = distributed.get_worker()
    plugin = worker.plugins.get(plugin_name)
    if not isinstance(plugin, OcrWorkerPlugin) or plugin.engine is None:
        raise RuntimeError(f"worker {worker.address} holds no plateau engine named {plugin_name!r}: it was not "
                           "registered, or its setup failed (client.register_worker_plugin(OcrWorkerPlugin(...)))")
    started = time.time()
    target = _part_path(out_dir, index)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    results = 0
    failures: List[Dict[str, Any]] = []
    try:
        with open(partial, "w", encoding="utf-8") as f:
            for item in items:
                for line, error in plugin.read(item, overrides):
                    f.write(line)
                    f.write("\n")
                    results += 1
                    if error is not None:
                        failures.append({"input": _label(item), "error": error})
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {"index": index, "inputs": len(items), "results": results, "failures": failures,
            "worker": worker.address, "started": started, "finished": time.time()}


def _has_engine(dask_worker, name: str) -> bool:
    plugin = dask_worker.plugins.get(name)
    return isinstance(plugin, OcrWorkerPlugin) and plugin.engine is not None


@dataclass
class OcrRunSummary:
    """What ocr_to_directory returns: counts, and each input that failed with its error.

    inputs: inputs read (paths; a directory or a PDF is one input). results: lines written (one per image
    or PDF page, error lines included). failed: inputs with an error line, plus the inputs of chunks that
    failed whole (for a bag, whose partitions the client does not see, a failed chunk counts as one).
    failures: {"input", "error"} for each failed page or input, and {"chunk", "error"} for a chunk that
    failed whole (its worker died repeatedly, the output directory could not be written). chunk_times:
    (chunk, worker, started, finished) per chunk done, in the order they finished; times in seconds since
    the epoch, on the worker's clock."""

    out_dir: str
    inputs: int = 0
    results: int = 0
    failed: int = 0
    chunks: int = 0
    failed_chunks: int = 0
    seconds: float = 0.0
    failures: List[Dict[str, Any]] = field(default_factory=list)
    chunk_times: List[Tuple[int, str, float, float]] = field(default_factory=list)

    def _add_chunk(self, done: Dict[str, Any]) -> None:
        self.chunks += 1
        self.inputs += done["inputs"]
        self.results += done["results"]
        self.failed += len({f["input"] for f in done["failures"]})
        self.failures.extend(done["failures"])
        self.chunk_times.append((done["index"], done["worker"], done["started"], done["finished"]))

    def _add_failed_chunk(self, index: int, inputs: Optional[List[Any]], error: BaseException) -> None:
        self.chunks += 1
        self.failed_chunks += 1
        n = len(inputs) if inputs is not None else 1
        self.inputs += n
        self.failed += n
        message = f"chunk {index} failed: {type(error).__name__}: {error}"
        if inputs is None:
            self.failures.append({"chunk": index, "error": message})
        else:
            self.failures.extend({"input": _label(i), "chunk": index,
                                  "error": message} for i in inputs)


def _checked_paths(paths: List[Any]) -> List[str]:
    if not paths:
        raise ValueError("no input: the list of paths is empty")
    out = []
    for i, p in enumerate(paths):
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"input {i}: {type(p).__name__} is not a path (str or os.PathLike)")
        out.append(os.fsdecode(os.fspath(p)))
    return out


def _chunks(paths: Iterable[str], size: int) -> Iterator[List[str]]:
    it = iter(paths)
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        yield chunk


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise NotADirectoryError(f"out_dir {out_dir!r} is a file, not a directory")
    d.mkdir(parents=True, exist_ok=True)
    old = sorted(d.glob(f"{_PART_PREFIX}*{_PART_SUFFIX}"))
    if old and not overwrite:
        raise FileExistsError(f"out_dir {out_dir!r} already holds {len(old)} result files ({old[0].name}, ...) "
                              "of an earlier run: give another directory, or overwrite=True to remove them")
    for p in old:
        p.unlink()


def ocr_to_directory(client: "distributed.Client", inputs: Any, out_dir: Any, *, chunk_size: int = 16,
                     max_chunks_in_flight: Optional[int] = None, plugin_name: str = DEFAULT_PLUGIN_NAME,
                     overwrite: bool = False, **params: Any) -> OcrRunSummary:
    """Reads `inputs` on the cluster's workers with their OcrWorkerPlugin engines and writes the results
    to `out_dir` as part-NNNNNN.jsonl files (the lines `plateau ocr` prints; see the module's doc).

    inputs: a list (or tuple) of paths, cut into chunks of `chunk_size`; or a dask.bag.Bag of paths, one
    chunk per partition. max_chunks_in_flight: chunks submitted and not yet finished, at most (default:
    twice the cluster's worker threads); the next chunk is submitted as one finishes, so the client, the
    scheduler and the workers hold a bounded amount of work whatever the number of inputs. params:
    predict's keywords (text_det_thresh, use_textline_orientation, ...), for every input. out_dir must
    not hold results of an earlier run, unless overwrite=True (their part files are then removed).

    Bad arguments raise before any work: a list item that is not a path, an unknown keyword, no plugin
    registered. A bad input does not raise: its error is in the summary and its line in the files."""
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}")
    if max_chunks_in_flight is not None and (not isinstance(max_chunks_in_flight, int) or
                                             isinstance(max_chunks_in_flight, bool) or max_chunks_in_flight < 1):
        raise ValueError(f"max_chunks_in_flight must be an int >= 1 or None, got {max_chunks_in_flight!r}")
    overrides = predict_overrides(params, "ocr_to_directory")
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a path, got {out_dir!r}")
    out_dir = os.fsdecode(os.fspath(out_dir))

    import dask
    import dask.bag

    if isinstance(inputs, dask.bag.Bag):
        bag_parts = inputs.to_delayed()
        jobs: Iterator[Tuple[int, Optional[List[str]], Any]] = (
            (i, None, part) for i, part in enumerate(bag_parts))
    elif isinstance(inputs, (list, tuple)):
        paths = _checked_paths(list(inputs))
        jobs = ((i, chunk, chunk) for i, chunk in enumerate(_chunks(paths, chunk_size)))
    else:
        raise TypeError(f"inputs must be a list of paths or a dask.bag.Bag of paths, got {type(inputs).__name__}")

    present = client.run(_has_engine, name=plugin_name)
    lacking = sorted(w for w, ok in present.items() if not ok)
    if lacking:
        raise RuntimeError(f"{len(lacking)} of {len(present)} workers hold no plateau engine named "
                           f"{plugin_name!r} ({lacking[0]}, ...): it was not registered, or its setup failed; "
                           f"register one first: client.register_worker_plugin(OcrWorkerPlugin(...)"
                           f"{'' if plugin_name == DEFAULT_PLUGIN_NAME else f', name={plugin_name!r}'})")
    if max_chunks_in_flight is None:
        max_chunks_in_flight = max(2, 2 * sum(client.nthreads().values()))
    _prepare_out_dir(out_dir, overwrite)

    run = uuid.uuid4().hex[:8]
    summary = OcrRunSummary(out_dir=out_dir)
    started = time.monotonic()
    in_flight: Dict[Any, Tuple[int, Optional[List[str]]]] = {}
    done = distributed.as_completed()

    def submit_next() -> bool:
        job = next(jobs, None)
        if job is None:
            return False
        index, chunk_paths, payload = job
        key = f"plateau-ocr-{run}-{index}"
        if chunk_paths is None:
            task = dask.delayed(_ocr_chunk, pure=False)(index, payload, out_dir, overrides, plugin_name,
                                                        dask_key_name=key)
            future = client.compute(task)
        else:
            future = client.submit(_ocr_chunk, index, payload, out_dir, overrides, plugin_name, key=key)
        in_flight[future] = (index, chunk_paths)
        done.add(future)
        return True

    try:
        for _ in range(max_chunks_in_flight):
            if not submit_next():
                break
        for future in done:
            index, chunk_paths = in_flight.pop(future)
            if future.status == "finished":
                summary._add_chunk(future.result())
            else:
                error = (future.exception() if future.status == "error"
                         else RuntimeError(f"the chunk's task ended {future.status}"))
                summary._add_failed_chunk(index, chunk_paths, error)
            future.release()
            submit_next()
    finally:
        if in_flight:
            client.cancel(list(in_flight))
    summary.seconds = time.monotonic() - started
    return summary
