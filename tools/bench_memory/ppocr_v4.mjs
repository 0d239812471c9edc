// The ONNX Runtime OCR pipeline (@gutenye/ocr-node) over plateau's PP-OCRv4 models, as both benchmarks
// that run it (tools/bench_memory/ort_ocr.mjs, tools/eval/ort_ocr_eval.mjs) set it up: the same detection
// and recognition models and dictionary as plateau, `threads` intra-op threads, one inter-op thread.
// `Ocr` is the package's default export (each script loads it from tools/bench_memory's node_modules);
// `model(name)` returns a model file's path or stops the script when it is missing.
export function createPpOcrV4(Ocr, model, threads) {
  return Ocr.create({
    models: {
      detectionPath: model('ch_PP-OCRv4_det_infer.onnx'),
      recognitionPath: model('ch_PP-OCRv4_rec_infer.onnx'),
      dictionaryPath: model('ppocr_keys_v1.txt'),
    },
    onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
}
