"""plateau: document OCR (PaddleOCR's PP-OCRv4 pipeline) with predictable memory, behind PaddleOCR 3.x's
Python API. Switching from PaddleOCR is a change of import:

    from plateau import PaddleOCR
    ocr = PaddleOCR(use_doc_orientation_classify=False, use_doc_unwarping=False,
                    use_textline_orientation=False)
    for res in ocr.predict("receipt.jpg"):
        res.print()
        res.save_to_img("output")
        res.save_to_json("output")
"""

from ._ocr import PaddleOCR
from ._result import OCRResult

__all__ = ["PaddleOCR", "OCRResult"]
__version__ = "0.1.0"
