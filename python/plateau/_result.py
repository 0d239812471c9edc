"""The result of one page: a dict with PaddleOCR 3.x's keys and methods (print, json, str, img,
save_to_json, save_to_img, save_all), plus RapidOCR's txts / boxes / scores."""

import json
import mimetypes
import os
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np


def _json_value(obj: Any) -> Any:
    """Lists, ints and floats for JSON (a float32 in its shortest form, should a caller have put one in)."""
    if isinstance(obj, np.ndarray):
        if obj.dtype == np.float32:
            return [_json_value(v) for v in obj]
        return obj.tolist()
    if isinstance(obj, np.float32):
        return float(str(obj))
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, dict):
        return {k: _json_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_value(v) for v in obj]
    return obj


def _is_type(path: str, prefix: str) -> bool:
    mime, _ = mimetypes.guess_type(str(path))
    return mime is not None and mime.startswith(prefix)


class OCRResult(dict):
    """One image or PDF page. Keys as PaddleOCR 3.x's OCR pipeline: input_path, page_index,
    model_settings, doc_preprocessor_res (its output_img: the page as the stages saw it, BGR), dt_polys
    (list of (4, 2) int16 arrays), dt_scores, text_det_params, text_type, textline_orientation_angles
    (array), text_rec_score_thresh, rec_texts, rec_scores (float64 array), rec_polys (list of (4, 2)
    int16 arrays), rec_boxes ((N, 4) int16 array: x_min, y_min, x_max, y_max).

    A page that failed has only input_path, page_index and error (its `error` attribute is then the
    message; None otherwise)."""

    def __init__(self, page, input_path: Optional[str], fallback_name: str):
        res = json.loads(page.json())["res"]
        res["input_path"] = input_path
        super().__init__()
        self._page = page
        self._fallback_name = fallback_name
        if "error" in res:
            self.update(res)
            return
        use_doc = res["model_settings"]["use_doc_preprocessor"]
        for key, value in res.items():
            if key in ("dt_polys", "rec_polys"):
                value = [np.array(p, dtype=np.int16).reshape(4, 2) for p in value]
            elif key == "rec_boxes":
                value = np.array(value, dtype=np.int16).reshape(-1, 4)
            elif key == "rec_scores":
                # float64 holding the library's float32 scores exactly, as `plateau ocr` writes them.
                value = np.array(value, dtype=np.float64)
            elif key == "textline_orientation_angles":
                value = np.array(value, dtype=np.int64)
            elif key == "doc_preprocessor_res":
                value = dict(value, input_path=input_path)
            self[key] = value
            if key == "model_settings" and not use_doc:
                # As in PaddleOCR, the key is there (with the page) when the step is off, but not in JSON.
                self["doc_preprocessor_res"] = {
                    "input_path": input_path,
                    "page_index": res["page_index"],
                    "model_settings": {"use_doc_orientation_classify": False, "use_doc_unwarping": False},
                    "angle": -1,
                }
        self["doc_preprocessor_res"]["output_img"] = page.image()

    # --- what went wrong -------------------------------------------------------------------------------
    @property
    def error(self) -> Optional[str]:
        return self.get("error")

    def _check_ok(self, what: str) -> None:
        if self.error is not None:
            raise ValueError(f"{what}: the input {self._name()!r} failed: {self.error}")

    # --- RapidOCR's names ------------------------------------------------------------------------------
    @property
    def txts(self) -> tuple:
        return tuple(self.get("rec_texts", ()))

    @property
    def scores(self) -> tuple:
        return tuple(float(s) for s in self.get("rec_scores", ()))

    @property
    def boxes(self) -> np.ndarray:
        polys = self.get("rec_polys", [])
        return np.array(polys, dtype=np.int16).reshape(-1, 4, 2)

    # --- PaddleOCR's views -----------------------------------------------------------------------------
    def _json_dict(self) -> Dict[str, Any]:
        out = {}
        use_doc = self.get("model_settings", {}).get("use_doc_preprocessor", False)
        for key, value in self.items():
            if key == "doc_preprocessor_res":
                if not use_doc:
                    continue
                value = {k: v for k, v in value.items() if k != "output_img"}
            out[key] = _json_value(value)
        return out

    @property
    def json(self) -> Dict[str, Dict[str, Any]]:
        """{"res": {...}} with lists in place of arrays, as written by save_to_json."""
        return {"res": self._json_dict()}

    @property
    def str(self) -> Dict[str, Any]:
        """{"res": self}, as PaddleOCR's str view."""
        return {"res": self}

    def print(self, json_format: bool = False, indent: int = 4, ensure_ascii: bool = False) -> None:
        if json_format:
            print(json.dumps(self.json, indent=indent, ensure_ascii=ensure_ascii))
            return
        shown = {k: v for k, v in self.items()}
        if "doc_preprocessor_res" in shown:
            shown["doc_preprocessor_res"] = {
                k: v for k, v in shown["doc_preprocessor_res"].items() if k != "output_img"}
        with np.printoptions(threshold=20, edgeitems=2):
            print({"res": shown})

    @property
    def img(self) -> Dict[str, Any]:
        """{"ocr_res_img": picture}: the page with the boxes beside the recognised text (PIL image; a
        NumPy RGB array when Pillow is not installed); with document orientation also
        "preprocessed_img", the page as turned."""
        self._check_ok("img")
        pictures = {"ocr_res_img": self._page.render()[:, :, ::-1]}
        if self["model_settings"]["use_doc_preprocessor"]:
            pictures["preprocessed_img"] = self["doc_preprocessor_res"]["output_img"][:, :, ::-1]
        try:
            from PIL import Image
        except ImportError:
            return {k: np.ascontiguousarray(v) for k, v in pictures.items()}
        return {k: Image.fromarray(np.ascontiguousarray(v)) for k, v in pictures.items()}

    # --- files, named as PaddleOCR names them ----------------------------------------------------------
    def _name(self) -> str:
        path = self.get("input_path")
        name = Path(path).name if path else self._fallback_name
        page = self.get("page_index")
        if page is not None:
            p = Path(name)
            name = f"{p.stem}_{page}{p.suffix}"
        return name

    def save_to_json(self, save_path, indent: int = 4, ensure_ascii: bool = False) -> None:
        """Writes save_path itself when it names a .json file, else save_path/{stem}_res.json
        ({stem}_{page}_res.json for a PDF page)."""
        save_path = os.fspath(save_path)
        if _is_type(save_path, "application/json"):
            target = Path(save_path)
        else:
            target = Path(save_path) / f"{Path(self._name()).stem}_res.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            json.dump(self._json_dict(), f, indent=indent, ensure_ascii=ensure_ascii)
            f.write("\n")

    def save_to_img(self, save_path) -> None:
        """Writes save_path itself when it names an image file, else save_path/{stem}_ocr_res_img{ext}
        (and {stem}_preprocessed_img{ext}, the turned page, with document orientation), where ext is the
        input's own image extension (.png for a PDF page or an in-memory input)."""
        self._check_ok("save_to_img")
        save_path = os.fspath(save_path)
        if _is_type(save_path, "image/"):
            target = Path(save_path)
        else:
            name = Path(self._name())
            suffix = name.suffix if _is_type(name.name, "image/") else ".png"
            target = Path(save_path) / f"{name.stem}_ocr_res_img{suffix}"
            if self["model_settings"]["use_doc_preprocessor"]:
                # The turned page too, as PaddleOCR saves every picture of the result.
                from PIL import Image
                turned = Path(save_path) / f"{name.stem}_preprocessed_img{suffix}"
                turned.parent.mkdir(parents=True, exist_ok=True)
                page = self["doc_preprocessor_res"]["output_img"][:, :, ::-1]
                Image.fromarray(np.ascontiguousarray(page)).save(turned)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".png":
            self._page.save_png(str(target))
        else:
            # Other formats through Pillow, as the turned page above: the engine writes PNG only.
            from PIL import Image
            picture = self._page.render()[:, :, ::-1]
            Image.fromarray(np.ascontiguousarray(picture)).save(target)

    def save_all(self, save_path) -> None:
        self.save_to_json(save_path)
        if self.error is None:
            self.save_to_img(save_path)
