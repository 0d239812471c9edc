"""PaddleOCR 3.x's names and errors: keywords, 2.x aliases, refused values, the places models are looked
for, and that the package under test is the installed one."""

import warnings
from pathlib import Path

import pytest

import plateau
from plateau import PaddleOCR


def test_the_installed_package_is_imported():
    here = Path(__file__).resolve().parents[1]
    assert not Path(plateau.__file__).resolve().is_relative_to(here), plateau.__file__


def test_unknown_keyword_is_named_as_paddleocr_names_it():
    with pytest.raises(ValueError, match=r"^Unknown argument: use_gpu$"):
        PaddleOCR(use_gpu=False)
    with pytest.raises(ValueError, match="Unknown argument: text_det_threshold"):
        PaddleOCR(text_det_threshold=0.3)


@pytest.mark.parametrize("old,new,value,field", [
    ("det_db_box_thresh", "text_det_box_thresh", 0.7, "box_thresh"),
    ("det_db_thresh", "text_det_thresh", 0.25, "thresh"),
    ("det_limit_side_len", "text_det_limit_side_len", 96, "limit_side_len"),
    ("det_db_unclip_ratio", "text_det_unclip_ratio", 1.8, "unclip_ratio"),
])
def test_2x_names_warn_and_take_effect(old, new, value, field, eval_dir):
    with pytest.warns(DeprecationWarning, match=f"`{old}`.*`{new}`"):
        ocr = PaddleOCR(**{old: value}, cpu_threads=1)
    res = ocr.predict(str(eval_dir / "simple" / "simple.png"))[0]
    assert res["text_det_params"][field] == value


def test_use_angle_cls_is_use_textline_orientation(eval_dir):
    with pytest.warns(DeprecationWarning):
        ocr = PaddleOCR(use_angle_cls=False, cpu_threads=1)
    res = ocr.predict(str(eval_dir / "simple" / "simple.png"))[0]
    assert res["model_settings"]["use_textline_orientation"] is False
    assert set(res["textline_orientation_angles"].tolist()) <= {-1}


def test_alias_and_its_new_name_together_are_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match="det_db_thresh.*text_det_thresh"):
            PaddleOCR(det_db_thresh=0.3, text_det_thresh=0.4)


@pytest.mark.parametrize("kwargs,needle", [
    ({"use_doc_unwarping": True}, "use_doc_unwarping=True"),
    ({"lang": "fr"}, "lang='fr'"),
    ({"ocr_version": "PP-OCRv5"}, "ocr_version='PP-OCRv5'"),
    ({"device": "gpu:0"}, "device='gpu:0'"),
    ({"precision": "fp16"}, "precision='fp16'"),
    ({"enable_mkldnn": False}, "enable_mkldnn=False"),
    ({"return_word_box": True}, "return_word_box=True"),
    ({"text_recognition_model_name": "PP-OCRv5_server_rec"}, "text_recognition_model_name"),
])
def test_values_plateau_cannot_honour_are_refused(kwargs, needle):
    with pytest.raises(ValueError) as e:
        PaddleOCR(**kwargs)
    assert needle in str(e.value)


def test_paddleocr_keywords_with_plateaus_values_are_accepted(ocr):
    o = PaddleOCR(use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=True,
                  lang="ch", ocr_version="PP-OCRv4", device="cpu", enable_mkldnn=True,
                  mkldnn_cache_capacity=10, cpu_threads=1, precision="fp32", enable_hpi=False,
                  text_detection_model_name="PP-OCRv4_mobile_det", text_det_limit_type="max",
                  text_det_limit_side_len=960, text_rec_score_thresh=0.5, text_recognition_batch_size=4,
                  textline_orientation_batch_size=4, memory_limit=0, idle_trim_seconds=0)
    assert o.model_dir


def test_wrong_types_and_ranges_name_the_parameter():
    with pytest.raises(TypeError, match="text_det_thresh"):
        PaddleOCR(text_det_thresh="high")
    with pytest.raises(TypeError, match="use_textline_orientation"):
        PaddleOCR(use_textline_orientation="yes")
    with pytest.raises(ValueError, match="text_det_thresh = 2 is out of range"):
        PaddleOCR(text_det_thresh=2.0)
    with pytest.raises(ValueError, match="text_det_limit_type"):
        PaddleOCR(text_det_limit_type="widest")


def test_predict_keywords_are_paddleocrs(ocr, receipt):
    with pytest.raises(TypeError, match="unexpected keyword"):
        ocr.predict(str(receipt), det_db_thresh=0.3)
    with pytest.raises(ValueError, match="text_det_box_thresh = 1.5 is out of range"):
        ocr.predict(str(receipt), text_det_box_thresh=1.5)
    with pytest.raises(ValueError, match="use_doc_unwarping"):
        ocr.predict(str(receipt), use_doc_unwarping=True)


def test_ocr_is_the_deprecated_name_of_predict(ocr, eval_dir):
    with pytest.warns(DeprecationWarning, match="predict"):
        res = ocr.ocr(str(eval_dir / "simple" / "simple.png"))
    assert len(res) == 1 and res[0].error is None


def test_model_dir_from_plateau_model_dir(monkeypatch, tmp_path, ocr):
    monkeypatch.setenv("PLATEAU_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError) as e:
        PaddleOCR()
    assert f"PLATEAU_MODEL_DIR='{tmp_path}'" in str(e.value)
    assert "make models" in str(e.value)
    monkeypatch.setenv("PLATEAU_MODEL_DIR", ocr.model_dir)
    assert PaddleOCR(cpu_threads=1).model_dir == ocr.model_dir


def test_explicit_model_dir_is_checked(tmp_path, no_model_env):
    with pytest.raises(FileNotFoundError) as e:
        PaddleOCR(model_dir=str(tmp_path))
    assert str(tmp_path) in str(e.value) and "ch_PP-OCRv4_det_infer.onnx" in str(e.value)


def test_default_models_are_the_installed_packages(ocr, no_model_env):
    assert Path(ocr.model_dir).resolve() == Path(plateau.__file__).resolve().parent / "models"


def test_per_model_dirs_in_paddlex_layout(tmp_path, ocr, eval_dir):
    det = tmp_path / "det"
    det.mkdir()
    (det / "inference.onnx").symlink_to(Path(ocr.model_dir) / "ch_PP-OCRv4_det_infer.onnx")
    o = PaddleOCR(text_detection_model_dir=str(det), cpu_threads=1)
    assert o.predict(str(eval_dir / "simple" / "simple.png"))[0]["rec_texts"]
    with pytest.raises(FileNotFoundError, match="text_recognition_model_dir"):
        PaddleOCR(text_recognition_model_dir=str(tmp_path / "nothing"))
