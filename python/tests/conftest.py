"""Shared fixtures: the evaluation images (PLATEAU_EVAL_DIR), the plateau binary of the same build
(PLATEAU_TEST_BINARY) and one pipeline for the tests that only read."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest


def pytest_configure(config):
    # ctest runs these apart (python_dask): they start a Dask cluster of their own.
    config.addinivalue_line("markers", "dask: plateau.dask on a LocalCluster (Debian python3-distributed)")


def _eval_dir() -> Path:
    return Path(os.environ.get("PLATEAU_EVAL_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "eval"))


def _require(path: Path) -> Path:
    if not path.exists():
        # CI sets PLATEAU_REQUIRE_MODELS=1: missing data must fail the run, not skip it.
        if os.environ.get("PLATEAU_REQUIRE_MODELS") == "1":
            pytest.fail(f"{path} is missing")
        pytest.skip(f"{path} is missing")
    return path


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    return _require(_eval_dir())


@pytest.fixture(scope="session")
def receipt(eval_dir) -> Path:
    return _require(eval_dir / "sroie" / "img" / "000.jpg")


@pytest.fixture(scope="session")
def receipt_labels(eval_dir):
    """The labelled lines of receipt 000 (the SROIE annotation, not plateau's output)."""
    lines = (_require(eval_dir / "sroie" / "box" / "000.csv")).read_text(encoding="utf-8").splitlines()
    return [line.split(",", 8)[8] for line in lines if line.count(",") >= 8]


@pytest.fixture(scope="session")
def binary() -> Path:
    return _require(Path(os.environ.get("PLATEAU_TEST_BINARY", "build/plateau")))


@pytest.fixture(scope="session")
def ocr():
    from plateau import PaddleOCR
    return PaddleOCR(cpu_threads=1)


@pytest.fixture(scope="session")
def receipt_bgr(receipt) -> np.ndarray:
    from PIL import Image
    return np.ascontiguousarray(np.asarray(Image.open(receipt).convert("RGB"))[:, :, ::-1])


@pytest.fixture()
def no_model_env(monkeypatch):
    monkeypatch.delenv("PLATEAU_MODEL_DIR", raising=False)


def rss_anon_bytes() -> int:
    """Anonymous resident memory of this process, from the OS (file pages of libraries left out)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon in /proc/self/status")
