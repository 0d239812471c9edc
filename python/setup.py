"""Builds plateau._plateau with the repository's CMake build (target plateau_python) and puts it, with the
models, into the package. The build directory is the repository's build/ (PLATEAU_BUILD_DIR overrides
it), so that `make` and `pip install ./python` share one build."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = [
    "ch_PP-OCRv4_det_infer.onnx",
    "ch_PP-OCRv4_rec_infer.onnx",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "ppocr_keys_v1.txt",
]


def _cached_python(cache: Path):
    if not cache.exists():
        return None
    for line in cache.read_text().splitlines():
        if line.startswith("PYTHON_EXECUTABLE:"):
            return line.split("=", 1)[1]
    return None


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("PLATEAU_BUILD_DIR", ROOT / "build")).resolve()
        # The interpreter itself, not a venv's link to it, so the build directory outlives the venv.
        python = os.path.realpath(sys.executable)
        cached = _cached_python(build_dir / "CMakeCache.txt")
        if cached is None or os.path.realpath(cached) != python:
            subprocess.run(
                ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                 f"-DPYTHON_EXECUTABLE={python}"],
                check=True,
            )
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "plateau_python"], check=True)
        built = sorted(build_dir.glob("_plateau*.so"))
        if not built:
            sys.exit(f"plateau: {build_dir} holds no _plateau*.so after the build (is pybind11-dev installed? "
                     "run scripts/install-deps.sh)")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)
        missing = [f for f in MODEL_FILES if not (ROOT / "models" / f).is_file()]
        if missing:
            sys.exit(f"plateau: {ROOT / 'models'} lacks {', '.join(missing)}: run `make models` first")
        models = target.parent / "models"
        models.mkdir(exist_ok=True)
        for f in MODEL_FILES:
            shutil.copyfile(ROOT / "models" / f, models / f)


setup(ext_modules=[Extension("plateau._plateau", sources=[])], cmdclass={"build_ext": CMakeBuild})
