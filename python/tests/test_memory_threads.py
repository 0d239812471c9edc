"""Laziness and flat memory over many inputs, the GIL released while a page runs, one instance refusing a
second thread, and the memory calls (memory_stats, trim, predict_memory)."""

import gc
import sys
import threading
import time

import numpy as np
import pytest

from plateau import PaddleOCR
from conftest import rss_anon_bytes

MiB = 1 << 20


def test_predict_iter_reads_each_input_when_it_is_reached(ocr, eval_dir, tmp_path):
    source = (eval_dir / "simple" / "simple.png").read_bytes()
    first, later = tmp_path / "first.png", tmp_path / "later.png"
    first.write_bytes(source)
    it = ocr.predict_iter([str(first), str(later)])
    assert next(it).error is None
    # The second file did not exist when predict_iter was called, nor when the first page was read.
    later.write_bytes(source)
    assert next(it).error is None
    with pytest.raises(StopIteration):
        next(it)


def test_a_thousand_inputs_keep_memory_flat(receipt_bgr):
    # Whole-page detection: on a page this small it is the quicker way, with one plan per model.
    ocr = PaddleOCR(cpu_threads=1, text_det_tiled=False)
    line = np.ascontiguousarray(receipt_bgr[16:72, 60:340])  # the receipt's first line: quick pages
    inputs = [line] * 1000  # one array, a thousand inputs: the inputs themselves cost nothing
    rss = {}
    count = 0
    texts = None
    for res in ocr.predict_iter(inputs):
        assert res.error is None
        texts = texts or res["rec_texts"]
        assert res["rec_texts"] == texts
        count += 1
        if count in (100, 1000):
            gc.collect()
            rss[count] = rss_anon_bytes()
    assert count == 1000 and texts
    # Every page is the same, so its plans were built by the first: after the first hundred pages
    # nothing may grow by more than allocator noise.
    assert rss[1000] - rss[100] < 4 * MiB, f"RSS grew by {(rss[1000] - rss[100]) / MiB:.1f} MiB"
    stats = ocr.memory_stats()
    assert sum(m["plan_misses"] for m in stats["models"]) == sum(m["plans_cached"] for m in stats["models"])


def test_the_gil_is_released_while_a_page_runs(ocr, receipt):
    """A second thread counts while the first is inside the extension reading a page. With the GIL held
    there it could count only between pages; released, it counts all along."""
    state = {"inside": False, "count_inside": 0, "stop": False}

    def count():
        while not state["stop"]:
            if state["inside"]:
                state["count_inside"] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # a thread holding the GIL in Python code hands it over quickly
    counter = threading.Thread(target=count)
    counter.start()
    try:
        rng = ocr._pipeline.predict([("path", str(receipt), str(receipt))], {})
        state["inside"] = True
        page = next(rng)
        state["inside"] = False
    finally:
        state["stop"] = True
        counter.join()
        sys.setswitchinterval(old)
    assert page.error is None
    assert state["count_inside"] > 10000, state["count_inside"]


def test_one_instance_refuses_a_second_thread(ocr, receipt, eval_dir):
    small = str(eval_dir / "simple" / "simple.png")
    errors, done = [], threading.Event()

    def long_call():
        try:
            ocr.predict([str(receipt)] * 3)
        except RuntimeError as e:
            errors.append(str(e))
        finally:
            done.set()

    t = threading.Thread(target=long_call)
    t.start()
    while not done.is_set():
        try:
            ocr.memory_stats()
        except RuntimeError as e:
            errors.append(str(e))
            break
    t.join()
    assert errors, "two threads used one instance at once without an error"
    assert "another thread" in errors[0]
    # Nothing was left in a bad state: the instance reads as before.
    assert ocr.predict(small)[0].error is None


def test_two_instances_in_two_threads_give_the_sequential_results(ocr, receipt, eval_dir):
    second = PaddleOCR(cpu_threads=1)
    images = [str(receipt), str(eval_dir / "sroie" / "img" / "001.jpg")]
    expected = [r["rec_texts"] for r in ocr.predict(images)]
    got = {}

    def run(name, instance):
        got[name] = [r["rec_texts"] for r in instance.predict(images)]

    threads = [threading.Thread(target=run, args=(n, o)) for n, o in (("a", ocr), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {"a": expected, "b": expected}


def test_memory_stats_trim_and_predict_memory(receipt):
    ocr = PaddleOCR(cpu_threads=1)
    ocr.predict(str(receipt))
    stats = ocr.memory_stats()
    assert stats["rss_bytes"] > 0 and stats["peak_rss_bytes"] >= stats["rss_bytes"]
    assert [m["name"] for m in stats["models"]] == ["det", "cls", "rec"]
    # The stages run in one shared block, counted once in the totals.
    assert stats["arena_bytes"] == stats["shared_arena_bytes"] > 0
    assert all(m["plans_cached"] > 0 for m in stats["models"])
    ocr.trim()
    trimmed = ocr.memory_stats()
    assert trimmed["arena_bytes"] == 0 and all(m["plans_cached"] == 0 for m in trimmed["models"])
    p = ocr.predict_memory((463, 1013))
    assert p["peak_bytes"] >= p["det_arena_bytes"] > 0
    assert set(p) >= {"total_new_bytes", "working_bytes", "new_plans"}
    assert ocr.predict_memory(np.zeros((1013, 463, 3), np.uint8))["det_arena_bytes"] == p["det_arena_bytes"]
    with pytest.raises(ValueError, match="positive|size"):
        ocr.predict_memory((0, 100))
    with pytest.raises(TypeError):
        ocr.predict_memory("big")


def test_idle_trim_hands_memory_back_once_idle(eval_dir):
    ocr = PaddleOCR(cpu_threads=1, idle_trim_seconds=1)
    ocr.predict(str(eval_dir / "simple" / "simple.png"))
    assert ocr.memory_stats()["arena_bytes"] > 0
    # Polled, not timed: the trim comes from the instance's own thread some time after a second idle.
    for _ in range(300):
        if ocr.memory_stats()["arena_bytes"] == 0:
            break
        time.sleep(0.1)
    assert ocr.memory_stats()["arena_bytes"] == 0
    assert ocr.predict(str(eval_dir / "simple" / "simple.png"))[0]["rec_texts"]
    with pytest.raises(TypeError, match="warmup"):
        PaddleOCR(warmup="yes")
