"""Results: the Done-when check against `plateau ocr`, PaddleOCR's result views and file names, inputs
of every kind (numpy, bytes, PDF pages, directories) and bad inputs."""

import difflib
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plateau import OCRResult


def _cli_json(binary, model_dir, image, cwd):
    out = subprocess.run([str(binary), "ocr", "-i", str(image), "--model_dir", model_dir, "--threads", "2"],
                         cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[0])["res"]


def _same(a, b, where="res"):
    """Field by field: the same keys in the same order, equal texts and integers, floats equal once
    rounded to float32 (the library's precision)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert np.float32(a) == np.float32(b), f"{where}: {a} != {b}"
    else:
        assert a == b and type(a) is type(b), f"{where}: {a!r} != {b!r}"


def test_saved_json_equals_plateau_ocr_field_by_field(ocr, receipt, binary, tmp_path, receipt_labels):
    res = ocr.predict(str(receipt))[0]
    res.print()
    res.save_to_json(tmp_path / "out")
    res.save_to_img(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "000_res.json").read_text(encoding="utf-8"))
    cli = _cli_json(binary, ocr.model_dir, receipt, tmp_path)
    _same(saved["res"] if "res" in saved else saved, cli)
    # Written the same way too, number for number.
    assert json.dumps(saved, ensure_ascii=False) == json.dumps(cli, ensure_ascii=False)
    assert cli["rec_texts"], "no text read"
    # And the text is the receipt's, by its labels (letters and digits; the model's spacing and case vary).
    assert _squeeze(receipt_labels[0]) in [_squeeze(t) for t in cli["rec_texts"]]
    # PaddleOCR's picture name keeps the input's image extension.
    picture = Image.open(tmp_path / "out" / "000_ocr_res_img.jpg")
    w, h = Image.open(receipt).size
    assert picture.size == (2 * w, h)


def test_saved_json_is_paddleocrs_layout(ocr, receipt, tmp_path):
    res = ocr.predict(str(receipt))[0]
    res.save_to_json(tmp_path / "named.json")
    data = json.loads((tmp_path / "named.json").read_text(encoding="utf-8"))
    # PaddleOCR writes the result's fields at the top level of the file (its json view adds "res").
    assert data["input_path"] == str(receipt)
    assert data["rec_texts"] == res["rec_texts"]
    assert res.json["res"]["rec_texts"] == data["rec_texts"]


def test_result_is_a_dict_with_paddleocrs_keys_and_arrays(ocr, receipt):
    res = ocr.predict(str(receipt))[0]
    assert isinstance(res, dict) and isinstance(res, OCRResult)
    for key in ("input_path", "page_index", "model_settings", "doc_preprocessor_res", "dt_polys",
                "text_det_params", "text_type", "textline_orientation_angles", "text_rec_score_thresh",
                "rec_texts", "rec_scores", "rec_polys", "rec_boxes"):
        assert key in res, key
    assert res["page_index"] is None
    assert all(isinstance(p, np.ndarray) and p.shape == (4, 2) for p in res["dt_polys"])
    assert isinstance(res["rec_scores"], np.ndarray) and res["rec_scores"].shape == (len(res["rec_texts"]),)
    assert res["rec_boxes"].shape == (len(res["rec_texts"]), 4)
    # rec_boxes bound rec_polys.
    polys = np.stack(res["rec_polys"])
    assert (res["rec_boxes"][:, 0] == polys[:, :, 0].min(axis=1)).all()
    assert (res["rec_boxes"][:, 3] == polys[:, :, 1].max(axis=1)).all()
    page = res["doc_preprocessor_res"]["output_img"]
    assert page.shape == (1013, 463, 3) and page.dtype == np.uint8
    # RapidOCR's names.
    assert res.txts == tuple(res["rec_texts"])
    assert res.scores == tuple(float(s) for s in res["rec_scores"])
    assert (res.boxes == polys).all()
    assert res.str["res"] is res
    assert res.error is None


def test_print_and_img(ocr, receipt, capsys):
    res = ocr.predict(str(receipt))[0]
    res.print()
    shown = capsys.readouterr().out
    assert "rec_texts" in shown and res["rec_texts"][0] in shown
    res.print(json_format=True)
    assert json.loads(capsys.readouterr().out)["res"]["rec_texts"] == res["rec_texts"]
    img = res.img["ocr_res_img"]
    assert isinstance(img, Image.Image) and img.size == (2 * 463, 1013)


def test_save_all_writes_both_files(ocr, eval_dir, tmp_path):
    res = ocr.predict(str(eval_dir / "simple" / "simple.png"))[0]
    res.save_all(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["simple_ocr_res_img.png", "simple_res.json"]


def test_numpy_bgr_input_reads_as_the_file(ocr, receipt, receipt_bgr, tmp_path):
    from_file = ocr.predict(str(receipt))[0]
    from_array = ocr.predict(receipt_bgr)[0]
    assert from_array["input_path"] is None
    assert from_array["rec_texts"] == from_file["rec_texts"]
    # RGB order would read differently only in colour; a grey page still reads.
    grey = np.ascontiguousarray(receipt_bgr.mean(axis=2).astype(np.uint8))
    assert ocr.predict(grey)[0]["rec_texts"]
    # A view that is not contiguous is taken too.
    assert ocr.predict(receipt_bgr[:, ::-1][:, ::-1])[0]["rec_texts"] == from_file["rec_texts"]
    from_array.save_to_json(tmp_path)
    assert (tmp_path / "input_0_res.json").exists()


def test_bytes_and_lists(ocr, receipt, eval_dir):
    data = receipt.read_bytes()
    results = ocr.predict([data, str(eval_dir / "simple" / "simple.png"), bytearray(data)])
    assert len(results) == 3
    assert results[0]["input_path"] is None and results[1]["input_path"].endswith("simple.png")
    assert results[0]["rec_texts"] == results[2]["rec_texts"] == ocr.predict(str(receipt))[0]["rec_texts"]


def _pdf_of(paths, dpi=144):
    pages = [Image.open(p).convert("RGB") for p in paths]
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return buf.getvalue()


def _squeeze(text):
    return "".join(text.split()).upper()


def _similarity(a, b):
    """How alike two pages' texts are, from 0 to 1, spacing and case aside."""
    return difflib.SequenceMatcher(None, _squeeze("".join(a)), _squeeze("".join(b))).ratio()


def test_pdf_pages(ocr, eval_dir, tmp_path):
    images = [eval_dir / "sroie" / "img" / "000.jpg", eval_dir / "sroie" / "img" / "001.jpg"]
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(_pdf_of(images))
    results = ocr.predict(str(pdf))
    assert [r["page_index"] for r in results] == [0, 1]
    assert all(r["input_path"] == str(pdf) for r in results)
    for r, image in zip(results, images):
        # The page rendered from the PDF is the image re-encoded: nearly the same text.
        assert _similarity(r["rec_texts"], ocr.predict(str(image))[0]["rec_texts"]) > 0.9
    for r in results:
        r.save_to_json(tmp_path / "out")
        r.save_to_img(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "two_0_ocr_res_img.png", "two_0_res.json", "two_1_ocr_res_img.png", "two_1_res.json"]
    from_bytes = ocr.predict(pdf.read_bytes())
    assert [r["rec_texts"] for r in from_bytes] == [r["rec_texts"] for r in results]


def test_directory_input(ocr, eval_dir, tmp_path):
    for name in ("b.png", "a.png"):
        (tmp_path / name).write_bytes((eval_dir / "simple" / "simple.png").read_bytes())
    (tmp_path / "notes.txt").write_text("not an image")
    results = ocr.predict(str(tmp_path))
    assert [Path(r["input_path"]).name for r in results] == ["a.png", "b.png"]


def test_failing_inputs_give_error_results_and_iteration_goes_on(ocr, eval_dir, tmp_path):
    good = str(eval_dir / "simple" / "simple.png")
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is not a JPEG")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    inputs = [str(tmp_path / "missing.png"), good, str(fake), b"\x89PNG\r\n\x1a\n broken", str(empty_dir), good]
    results = list(ocr.predict_iter(inputs))
    assert len(results) == 6
    errors = [r.error for r in results]
    assert errors[1] is None and errors[5] is None
    assert "missing.png" in errors[0] and "NOT_FOUND" in errors[0]
    assert "fake.jpg" in errors[2]
    assert errors[3] is not None and "<bytes input 3>" in errors[3]
    assert "holds no image" in errors[4]
    assert results[0]["input_path"] == str(tmp_path / "missing.png") and "rec_texts" not in results[0]
    with pytest.raises(ValueError, match="missing.png"):
        results[0].save_to_img(tmp_path)
    results[0].save_to_json(tmp_path / "errors")
    assert "error" in json.loads((tmp_path / "errors" / "missing_res.json").read_text())


@pytest.mark.parametrize("bad,exc,needle", [
    (42, TypeError, "int is not an input"),
    ([], ValueError, "empty"),
    ([["nested.png"]], TypeError, "nested"),
    ("https://example.com/receipt.jpg", ValueError, "URL"),
    (np.zeros((10, 10), dtype=np.float32), ValueError, "dtype float32"),
    (np.zeros((10, 10, 2), dtype=np.uint8), ValueError, "shape"),
    (np.zeros((0, 10, 3), dtype=np.uint8), ValueError, "no pixels"),
    (b"", ValueError, "empty bytes"),
])
def test_bad_arguments_raise_before_any_work(ocr, bad, exc, needle):
    with pytest.raises(exc, match=needle):
        ocr.predict_iter(bad)


def test_predict_overrides_apply_to_one_call(ocr, receipt):
    strict = ocr.predict(str(receipt), text_rec_score_thresh=0.99)[0]
    loose = ocr.predict(str(receipt))[0]
    assert strict["text_rec_score_thresh"] == 0.99
    assert all(s >= 0.99 for s in strict["rec_scores"])
    assert len(strict["rec_texts"]) < len(loose["rec_texts"])
    assert ocr.predict(str(receipt))[0]["rec_texts"] == loose["rec_texts"]


def test_document_orientation_result_and_pictures(ocr, eval_dir, tmp_path):
    page = eval_dir / "pages" / "phototest-rotated-R.png"
    res = ocr.predict(str(page), use_doc_orientation_classify=True)[0]
    doc = res["doc_preprocessor_res"]
    assert doc["angle"] == 90 and res["model_settings"]["use_doc_preprocessor"] is True
    h, w = Image.open(page).size[::-1]
    assert doc["output_img"].shape == (w, h, 3)  # the page turned upright
    assert "output_img" not in res.json["res"]["doc_preprocessor_res"]
    assert set(res.img) == {"ocr_res_img", "preprocessed_img"}
    res.save_to_img(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "phototest-rotated-R_ocr_res_img.png", "phototest-rotated-R_preprocessed_img.png"]
