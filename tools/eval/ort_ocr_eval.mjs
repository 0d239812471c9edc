#!/usr/bin/env node
// The ONNX Runtime OCR pipeline in plateau_eval: @gutenye/ocr-node (PP-OCRv4 detection + recognition on
// onnxruntime-node, the models in models/) reads the SROIE receipts NNN.jpg, 000 up to --limit, at full
// size, one after another in one process. Writes the pass format plateau_eval reads for every engine:
//
//   {engine, threads, load_seconds, seconds, peak_rss_bytes,
//    receipts: [{name, seconds, error, lines: [{text, quad: [[x, y] x 4]}]}]}
//
// seconds: wall time of the receipt's ocr.detect call (decoding included, as plateau's includes its
// own); load_seconds: creating the sessions, not counted per receipt. peak_rss_bytes: VmHWM of this
// process at the end. The package is the one tools/bench_memory/setup.sh installs (`make eval` runs it).
//
//   node tools/eval/ort_ocr_eval.mjs --images ../shared/eval/sroie/img --models models --limit 100 \
//     --threads 2 --out build/eval/ort.json

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createPpOcrV4 } from '../bench_memory/ppocr_v4.mjs';
import { pathToFileURL } from 'node:url';

const USAGE = 'usage: node ort_ocr_eval.mjs --images DIR --models DIR --out FILE [--limit N] [--threads T]';

function fail(message) {
  console.error(`ort_ocr_eval: ${message}\n${USAGE}`);
  process.exit(2);
}

const defaults = { images: undefined, models: undefined, out: undefined, limit: '100', threads: '2' };
const args = { ...defaults };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i].replace(/^--/, '');
  if (!(name in defaults) || i + 1 >= argv.length) fail(`unknown flag or missing value: ${argv[i]}`);
  args[name] = argv[i + 1];
}
for (const [k, v] of Object.entries(args)) if (v === undefined) fail(`--${k} is required`);
const limit = Number(args.limit);
const threads = Number(args.threads);
if (!Number.isInteger(limit) || limit < 1) fail(`--limit must be a positive integer, got '${args.limit}'`);
if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a positive integer, got '${args.threads}'`);

// One installation serves the memory benchmark and this script: resolve the packages from there.
const benchMemory = new URL('../bench_memory/', import.meta.url);
const requireThere = createRequire(new URL('package.json', benchMemory));
let Ocr, sharp;
try {
  Ocr = (await import(pathToFileURL(requireThere.resolve('@gutenye/ocr-node')))).default;
  sharp = (await import(pathToFileURL(requireThere.resolve('sharp')))).default;
} catch (e) {
  fail(`@gutenye/ocr-node is not installed in tools/bench_memory (run tools/bench_memory/setup.sh): ${e.message}`);
}
const version = (name) => JSON.parse(fs.readFileSync(
    new URL(`node_modules/${name}/package.json`, benchMemory), 'utf8')).version;

const model = (name) => {
  const p = path.join(args.models, name);
  if (!fs.existsSync(p)) fail(`missing model file '${p}' (run: make models)`);
  return p;
};

function peakRss() {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s*(\d+)\s*kB/m);
  return m ? Number(m[1]) * 1024 : 0;
}

// ocr-node detects on the image resized up to multiples of 32 with sharp's fit 'contain' (scaled to fit,
// centred, padded) and reports boxes in those pixels; this maps a point back to the receipt's pixels.
function toSourcePixels(width, height) {
  const w32 = Math.max(Math.ceil(width / 32) * 32, 32);
  const h32 = Math.max(Math.ceil(height / 32) * 32, 32);
  const scale = Math.min(w32 / width, h32 / height);
  const left = (w32 - width * scale) / 2;
  const top = (h32 - height * scale) / 2;
  return ([x, y]) => [(x - left) / scale, (y - top) / scale];
}

const loadStart = performance.now();
const ocr = await createPpOcrV4(Ocr, model, threads);
const loadSeconds = (performance.now() - loadStart) / 1000;

const receipts = [];
const passStart = performance.now();
for (let i = 0; i < limit; i++) {
  const name = String(i).padStart(3, '0');
  const file = path.join(args.images, `${name}.jpg`);
  const receipt = { name, seconds: 0, error: '', lines: [] };
  try {
    // plateau decodes with the EXIF orientation applied and ocr-node without: refuse a receipt where
    // that would give the engines different pixels.
    const meta = await sharp(file).metadata();
    if (meta.orientation && meta.orientation !== 1) throw new Error(`EXIF orientation ${meta.orientation}`);
    const start = performance.now();
    const lines = await ocr.detect(file);
    receipt.seconds = (performance.now() - start) / 1000;
    const map = toSourcePixels(meta.width, meta.height);
    for (const line of lines) {
      if (!line.box) continue;
      receipt.lines.push({ text: line.text, quad: line.box.map(map) });
    }
  } catch (e) {
    receipt.error = `${file}: ${e.message}`;
  }
  receipts.push(receipt);
  if ((i + 1) % 10 === 0 || i + 1 === limit) console.error(`ort_ocr_eval: ${i + 1}/${limit} receipts`);
}
const out = {
  engine: `@gutenye/ocr-node ${version('@gutenye/ocr-node')}, onnxruntime-node ${version('onnxruntime-node')}, ` +
      `Node.js ${process.versions.node}`,
  threads,
  load_seconds: loadSeconds,
  seconds: (performance.now() - passStart) / 1000,
  peak_rss_bytes: peakRss(),
  receipts,
};
fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify(out) + '\n');
