"""PaddleOCR 3.x's PaddleOCR class over plateau's C++ pipeline."""

import os
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import _plateau
from ._result import OCRResult

# PaddleOCR 2.x names that PaddleOCR 3.x still accepts, with a DeprecationWarning.
DEPRECATED_NAMES = {
    "det_model_dir": "text_detection_model_dir",
    "det_limit_side_len": "text_det_limit_side_len",
    "det_limit_type": "text_det_limit_type",
    "det_db_thresh": "text_det_thresh",
    "det_db_box_thresh": "text_det_box_thresh",
    "det_db_unclip_ratio": "text_det_unclip_ratio",
    "rec_model_dir": "text_recognition_model_dir",
    "rec_batch_num": "text_recognition_batch_size",
    "use_angle_cls": "use_textline_orientation",
    "cls_model_dir": "textline_orientation_model_dir",
    "cls_batch_num": "textline_orientation_batch_size",
}

# PaddleOCR 3.x's keywords of PaddleOCR(...) (pipeline parameters, then the common inference ones).
PADDLEOCR_NAMES = (
    "doc_orientation_classify_model_name", "doc_orientation_classify_model_dir",
    "doc_unwarping_model_name", "doc_unwarping_model_dir",
    "text_detection_model_name", "text_detection_model_dir",
    "textline_orientation_model_name", "textline_orientation_model_dir", "textline_orientation_batch_size",
    "text_recognition_model_name", "text_recognition_model_dir", "text_recognition_batch_size",
    "use_doc_orientation_classify", "use_doc_unwarping", "use_textline_orientation",
    "text_det_limit_side_len", "text_det_limit_type", "text_det_max_side_limit", "text_det_thresh",
    "text_det_box_thresh", "text_det_unclip_ratio", "text_det_input_shape", "text_rec_score_thresh",
    "return_word_box", "text_rec_input_shape", "lang", "ocr_version",
    "device", "enable_hpi", "use_tensorrt", "precision", "enable_mkldnn", "mkldnn_cache_capacity",
    "cpu_threads", "enable_cinn", "paddlex_config",
)

# plateau's own keywords.
PLATEAU_NAMES = (
    "model_dir", "memory_limit", "idle_trim_seconds", "warmup", "text_det_tiled", "text_rec_space_gaps",
    "text_rec_fold_fullwidth",
    "textline_orientation_thresh", "textline_orientation_page_thresh", "max_image_pixels", "timing",
    "fix_mmap_threshold",
)

# Keywords of PaddleOCR(...) and predict(...) that go to the pipeline under the same name, with their type.
_BOOL, _INT, _FLOAT, _STR = "bool", "int", "float", "str"
_PIPELINE_PARAMS = {
    "use_doc_orientation_classify": _BOOL,
    "use_textline_orientation": _BOOL,
    "text_det_limit_side_len": _INT,
    "text_det_limit_type": _STR,
    "text_det_max_side_limit": _INT,
    "text_det_thresh": _FLOAT,
    "text_det_box_thresh": _FLOAT,
    "text_det_unclip_ratio": _FLOAT,
    "text_rec_score_thresh": _FLOAT,
    "text_det_tiled": _BOOL,
    "text_rec_space_gaps": _BOOL,
    "text_rec_fold_fullwidth": _BOOL,
    "textline_orientation_thresh": _FLOAT,
    "textline_orientation_page_thresh": _FLOAT,
    "timing": _BOOL,
}
_INIT_ONLY_PARAMS = {
    "text_recognition_batch_size": _INT,
    "textline_orientation_batch_size": _INT,
    "memory_limit": _INT,
    "idle_trim_seconds": _INT,
    "max_image_pixels": _INT,
    "fix_mmap_threshold": _BOOL,
}

# What plateau runs, for the keywords that choose models or engines: other values are refused rather
# than ignored. None is PaddleOCR's "default".
_ACCEPTED_VALUES = {
    "text_detection_model_name": (None, "PP-OCRv4_mobile_det"),
    "text_recognition_model_name": (None, "PP-OCRv4_mobile_rec"),
    "textline_orientation_model_name": (None,),
    "doc_orientation_classify_model_name": (None, "PP-LCNet_x1_0_doc_ori"),
    "doc_unwarping_model_name": (None,),
    "doc_unwarping_model_dir": (None,),
    "use_doc_unwarping": (None, False),
    "return_word_box": (None, False),
    "text_det_input_shape": (None,),
    "text_rec_input_shape": (None,),
    "lang": (None, "ch"),
    "ocr_version": (None, "PP-OCRv4"),
    "enable_hpi": (None, False),
    "use_tensorrt": (None, False),
    "precision": (None, "fp32"),
    "enable_mkldnn": (None, True),
    "enable_cinn": (None, False),
    "paddlex_config": (None,),
}
_WHY_REFUSED = {
    "use_doc_unwarping": "plateau has no unwarping model",
    "doc_unwarping_model_dir": "plateau has no unwarping model",
    "doc_unwarping_model_name": "plateau has no unwarping model",
    "return_word_box": "plateau does not return word boxes",
    "lang": "plateau runs the PP-OCRv4 Chinese and English models",
    "ocr_version": "plateau runs the PP-OCRv4 models",
    "enable_mkldnn": "plateau always runs on oneDNN (MKL-DNN)",
    "precision": "plateau computes in fp32",
}


def _check_type(name: str, value: Any, kind: str) -> Any:
    ok = {
        _BOOL: isinstance(value, (bool, np.bool_)),
        _INT: isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)),
        _FLOAT: isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool),
        _STR: isinstance(value, str),
    }[kind]
    if not ok:
        raise TypeError(f"{name} must be {'an' if kind == _INT else 'a'} {kind}, got {value!r}")
    return {_BOOL: bool, _INT: int, _FLOAT: float, _STR: str}[kind](value)


def _package_models() -> str:
    return str(Path(__file__).resolve().parent / "models")


def _model_file(directory: str, default_name: str, keyword: str) -> str:
    """A PaddleOCR *_model_dir: an ONNX file, or a directory holding inference.onnx (PaddleX's layout)
    or plateau's file name."""
    p = Path(directory)
    if p.is_file():
        return str(p.resolve())
    for name in ("inference.onnx", default_name):
        if (p / name).is_file():
            return str((p / name).resolve())
    raise FileNotFoundError(f"{keyword}={directory!r}: neither an ONNX file nor a directory holding "
                            f"inference.onnx or {default_name}")


def _options_from_kwargs(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], bool]:
    params: Dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in DEPRECATED_NAMES:
            new = DEPRECATED_NAMES[name]
            warnings.warn(f"`{name}` is a PaddleOCR 2.x name; use `{new}` instead", DeprecationWarning,
                          stacklevel=3)
            if kwargs.get(new) is not None:
                raise ValueError(f"`{name}` and `{new}` name the same parameter; give one of them")
            name = new
        elif name not in PADDLEOCR_NAMES and name not in PLATEAU_NAMES:
            raise ValueError(f"Unknown argument: {name}")
        params[name] = value

    options: Dict[str, Any] = {}
    for name, value in params.items():
        if name in _ACCEPTED_VALUES and value not in _ACCEPTED_VALUES[name]:
            accepted = ", ".join(repr(v) for v in _ACCEPTED_VALUES[name])
            why = _WHY_REFUSED.get(name, "plateau runs the PP-OCRv4 ONNX models on the CPU")
            raise ValueError(f"{name}={value!r} is not supported: {why} (accepted: {accepted})")
        if value is None:
            continue
        if name in _PIPELINE_PARAMS:
            options[name] = _check_type(name, value, _PIPELINE_PARAMS[name])
        elif name in _INIT_ONLY_PARAMS:
            options[name] = _check_type(name, value, _INIT_ONLY_PARAMS[name])
        elif name == "cpu_threads":
            options["threads"] = _check_type(name, value, _INT)
        elif name == "device":
            if not isinstance(value, str) or value.split(":")[0] != "cpu":
                raise ValueError(f"device={value!r} is not supported: plateau runs on the CPU (accepted: "
                                 "None, 'cpu')")
        elif name == "mkldnn_cache_capacity":
            # plateau's plan caches are bounded by construction (docs/MEMORY.md); the value has no effect.
            if _check_type(name, value, _INT) < 1:
                raise ValueError(f"mkldnn_cache_capacity={value!r} must be >= 1")
        elif name in ("model_dir", "text_detection_model_dir", "text_recognition_model_dir",
                      "textline_orientation_model_dir", "doc_orientation_classify_model_dir"):
            if not isinstance(value, (str, os.PathLike)):
                raise TypeError(f"{name} must be a path, got {value!r}")
            options[name] = os.fspath(value)

    warmup = params.get("warmup")
    warmup = False if warmup is None else _check_type("warmup", warmup, _BOOL)
    return options, warmup


def _resolve_models(options: Dict[str, Any]) -> Dict[str, Any]:
    """Model files from the *_model_dir keywords and the model directory (model_dir, else
    PLATEAU_MODEL_DIR, the package's own models, the installed share directory, ./models)."""
    det = options.pop("text_detection_model_dir", None)
    rec = options.pop("text_recognition_model_dir", None)
    cls = options.pop("textline_orientation_model_dir", None)
    doc = options.pop("doc_orientation_classify_model_dir", None)
    det_name, rec_name, cls_name, dict_name = _plateau.model_file_names()
    if det is not None:
        options["det_model"] = _model_file(det, det_name, "text_detection_model_dir")
    if cls is not None:
        options["cls_model"] = _model_file(cls, cls_name, "textline_orientation_model_dir")
    if rec is not None:
        options["rec_model"] = _model_file(rec, rec_name, "text_recognition_model_dir")
        rec_dir = Path(options["rec_model"]).parent
        if (rec_dir / dict_name).is_file():
            options["rec_dict"] = str(rec_dir / dict_name)
    if doc is not None:
        options["doc_orientation_model"] = doc
    given = all(k in options for k in ("det_model", "cls_model", "rec_model", "rec_dict"))
    if not given:
        options["model_dir"] = _plateau.find_model_dir(options.get("model_dir", ""), [_package_models()])
    else:
        options.setdefault("model_dir", str(Path(options["det_model"]).parent))
    return options


_INPUT_TYPES = "a path (str or os.PathLike: image, PDF or directory), bytes, a NumPy array, or a list of them"


def _one_input(item: Any, index: int) -> Tuple[Tuple[str, Any, str], Optional[str], str]:
    """(what the extension takes, input_path for the result, file name when there is no path)."""
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path.startswith(("http://", "https://")):
            raise ValueError(f"input {index}: {path!r} is a URL; plateau reads local files only (download it "
                             "first)")
        return ("path", path, path), path, Path(path).name
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
        if not data:
            raise ValueError(f"input {index}: empty bytes")
        return ("bytes", data, f"<bytes input {index}>"), None, f"input_{index}"
    if isinstance(item, np.ndarray):
        if item.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"input {index}: NumPy array of dtype {item.dtype}; expected uint8 (or uint16), "
                             "BGR as PaddleOCR takes it")
        if item.ndim not in (2, 3) or (item.ndim == 3 and item.shape[2] not in (1, 3, 4)):
            raise ValueError(f"input {index}: NumPy array of shape {item.shape}; expected (H, W), (H, W, 1), "
                             "(H, W, 3) BGR or (H, W, 4) BGRA")
        if item.shape[0] == 0 or item.shape[1] == 0:
            raise ValueError(f"input {index}: NumPy array of shape {item.shape} has no pixels")
        return ("array", np.ascontiguousarray(item), f"<array input {index}>"), None, f"input_{index}"
    raise TypeError(f"input {index}: {type(item).__name__} is not an input; expected {_INPUT_TYPES}")


def _inputs(input: Any) -> List[Tuple[Tuple[str, Any, str], Optional[str], str]]:
    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("no input: the list is empty")
        for i, item in enumerate(input):
            if isinstance(item, (list, tuple)):
                raise TypeError(f"input {i}: a nested list; expected {_INPUT_TYPES}")
        return [_one_input(item, i) for i, item in enumerate(input)]
    return [_one_input(input, 0)]


class PaddleOCR:
    """PaddleOCR 3.x's OCR pipeline (PP-OCRv4 models) run by plateau:

        from plateau import PaddleOCR
        ocr = PaddleOCR(use_doc_orientation_classify=False, use_doc_unwarping=False)
        for res in ocr.predict("receipt.jpg"):
            res.print()
            res.save_to_json("output")

    Keywords are PaddleOCR's (2.x names warn with DeprecationWarning; an unknown one raises ValueError),
    plus plateau's: model_dir, memory_limit (bytes, ceiling on RSS), idle_trim_seconds, warmup (plan every
    shape at start so memory is flat from the first page), text_det_tiled, text_rec_space_gaps
    and text_rec_fold_fullwidth (default True: in lines without CJK characters, a space at wide gaps the
    recogniser left unspaced, full-width forms read as ASCII), textline_orientation_thresh,
    textline_orientation_page_thresh, max_image_pixels, timing, fix_mmap_threshold (default True: glibc's
    mmap threshold fixed at 256 KiB for the process, so page buffers go back to the OS when freed).

    One instance runs one page at a time; a call from a second thread while one runs raises RuntimeError
    (give each thread its own instance: the GIL is released while a page runs, so they run in parallel).
    """

    def __init__(self, **kwargs: Any) -> None:
        options, warmup = _options_from_kwargs(kwargs)
        options = _resolve_models(options)
        self._pipeline = _plateau.Pipeline(options, warmup)

    @property
    def model_dir(self) -> str:
        return self._pipeline.model_dir

    def predict_iter(
        self,
        input: Any,
        *,
        use_doc_orientation_classify: Optional[bool] = None,
        use_doc_unwarping: Optional[bool] = None,
        use_textline_orientation: Optional[bool] = None,
        text_det_limit_side_len: Optional[int] = None,
        text_det_limit_type: Optional[str] = None,
        text_det_max_side_limit: Optional[int] = None,
        text_det_thresh: Optional[float] = None,
        text_det_box_thresh: Optional[float] = None,
        text_det_unclip_ratio: Optional[float] = None,
        text_rec_score_thresh: Optional[float] = None,
        return_word_box: Optional[bool] = None,
        text_det_tiled: Optional[bool] = None,
        text_rec_space_gaps: Optional[bool] = None,
        text_rec_fold_fullwidth: Optional[bool] = None,
        textline_orientation_thresh: Optional[float] = None,
        textline_orientation_page_thresh: Optional[float] = None,
        timing: Optional[bool] = None,
    ) -> Iterator[OCRResult]:
        """Results one page at a time: each step reads one input (one PDF page, one file of a
        directory) and runs it, so memory follows the largest page, not the number of inputs. An input
        that cannot be read or run gives a result with `error` set, and iteration goes on. Bad
        arguments raise before any work."""
        local = dict(locals())
        overrides = predict_overrides({k: v for k, v in local.items() if k not in ("self", "input")})
        items = _inputs(input)
        rng = self._pipeline.predict([it[0] for it in items], overrides)
        return self._results(rng, items)

    def _json_lines(self, input: Any, overrides: Dict[str, Any]) -> Iterator[Tuple[str, Optional[str]]]:
        """(the line `plateau ocr` prints, its error or None) per page, lazily as predict_iter, without
        building the results' arrays. overrides: from predict_overrides."""
        items = _inputs(input)
        for page in self._pipeline.predict([it[0] for it in items], overrides):
            yield page.json(), page.error

    @staticmethod
    def _results(rng, items) -> Iterator[OCRResult]:
        # Results follow inputs in order; a directory or a PDF gives several results for one input.
        by_label = {it[0][2]: it for it in items}
        for page in rng:
            yield OCRResult(page, *_path_and_name(by_label, page.input_path))

    def predict(self, input: Any, **kwargs: Any) -> List[OCRResult]:
        """predict_iter as a list (every page's result, its picture included, held at once)."""
        return list(self.predict_iter(input, **kwargs))

    def ocr(self, img: Any, **kwargs: Any) -> List[OCRResult]:
        warnings.warn("`ocr` is PaddleOCR 2.x's name; use `predict` instead", DeprecationWarning, stacklevel=2)
        return self.predict(img, **kwargs)

    # --- memory ----------------------------------------------------------------------------------------
    def memory_stats(self) -> Dict[str, Any]:
        """RSS and peak RSS of the process (from the OS) and, per model, weights, arena and plan cache."""
        import json
        return json.loads(self._pipeline.memory_stats_json())

    def trim(self) -> None:
        """Hands back every session's plans and arena and the freed heap; the weights stay."""
        self._pipeline.trim()

    def predict_memory(self, page: Any, text_lines: Optional[Sequence[Tuple[int, int]]] = None,
                       **overrides: Any) -> Dict[str, int]:
        """What reading one page is expected to add to the process, in bytes (docs/MEMORY.md). page: a
        (width, height) pair or an image array; text_lines: (width, height) of its line crops, if known."""
        if isinstance(page, np.ndarray):
            if page.ndim < 2:
                raise ValueError(f"page: an array of shape {page.shape} is not an image")
            width, height = int(page.shape[1]), int(page.shape[0])
        elif isinstance(page, (tuple, list)) and len(page) == 2:
            width, height = (_check_type("page", v, _INT) for v in page)
        else:
            raise TypeError(f"page must be (width, height) or an image array, got {page!r}")
        lines = [tuple(_check_type("text_lines", v, _INT) for v in wh) for wh in (text_lines or [])]
        ov = {}
        for name, value in overrides.items():
            if name not in _PIPELINE_PARAMS:
                raise TypeError(f"predict_memory() got an unexpected keyword argument '{name}'")
            if value is not None:
                ov[name] = _check_type(name, value, _PIPELINE_PARAMS[name])
        return self._pipeline.predict_memory(width, height, lines, ov)


def predict_overrides(params: Dict[str, Any], caller: str = "predict_iter") -> Dict[str, Any]:
    """The pipeline overrides from predict's keywords (None: the instance's value), checked as predict
    checks them: an unknown name raises TypeError, a wrong type TypeError, a refused value ValueError."""
    overrides = {}
    for name, value in params.items():
        if name in ("use_doc_unwarping", "return_word_box"):
            if value not in (None, False):
                raise ValueError(f"{name}={value!r} is not supported: {_WHY_REFUSED[name]} "
                                 "(accepted: None, False)")
        elif name not in _PIPELINE_PARAMS:
            raise TypeError(f"{caller}() got an unexpected keyword argument '{name}'")
        elif value is not None:
            overrides[name] = _check_type(name, value, _PIPELINE_PARAMS[name])
    return overrides


def _path_and_name(by_label, label):
    """input_path and fallback file name of a result: None and input_{i} for bytes and arrays."""
    item = by_label.get(label)
    if item is not None and item[1] is None:
        return None, item[2]
    return label, Path(label).name if label else "input"
