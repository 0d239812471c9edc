#!/usr/bin/env node
// The ONNX Runtime side of the memory benchmark: @gutenye/ocr-node (PP-OCRv4 detection + recognition on
// onnxruntime-node) over the input images in sorted name order, cycled until --runs pipeline runs are
// done. After loading and after every run it reads VmRSS from /proc/self/status, as plateau memcheck
// does for itself, and at the end VmHWM. Writes one JSON object in the format `plateau memcheck
// --series` reads: {name, baseline_rss_bytes, rss_bytes: [...], peak_rss_bytes, ...}.
//
//   node ort_ocr.mjs --inputs build/bench-memory/inputs --models models --runs 1000 --threads 2 \
//     --out build/bench-memory/ort.json

import fs from 'node:fs';
import path from 'node:path';
import { createPpOcrV4 } from './ppocr_v4.mjs';
import Ocr from '@gutenye/ocr-node';

const USAGE = 'usage: node ort_ocr.mjs --inputs DIR --models DIR --out FILE [--runs N] [--threads T]';

function fail(message) {
  console.error(`ort_ocr: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in defaults) || i + 1 >= argv.length) fail(`unknown flag or missing value: ${argv[i]}`);
    out[name] = argv[i + 1];
  }
  for (const [k, v] of Object.entries(out)) if (v === undefined) fail(`--${k} is required`);
  return out;
}

// VmRSS and VmHWM in bytes, read the way plateau's ReadProcessMemory reads them.
function processMemory() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => {
    const m = status.match(new RegExp(`^${key}:\\s*(\\d+)\\s*kB`, 'm'));
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

const args = parseArgs(process.argv.slice(2),
    { inputs: undefined, models: undefined, out: undefined, runs: '1000', threads: '2' });
const runs = Number(args.runs);
const threads = Number(args.threads);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive integer, got '${args.runs}'`);
if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a positive integer, got '${args.threads}'`);
const files = fs.readdirSync(args.inputs).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort()
    .map((f) => path.join(args.inputs, f));
if (files.length === 0) fail(`no .jpg/.png images in '${args.inputs}'`);
const model = (name) => {
  const p = path.join(args.models, name);
  if (!fs.existsSync(p)) fail(`missing model file '${p}' (run: make models)`);
  return p;
};

const ocr = await createPpOcrV4(Ocr, model, threads);
const ortVersion = JSON.parse(fs.readFileSync(
    new URL('./node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8')).version;
fs.mkdirSync(path.dirname(args.out), { recursive: true });
const baseline = processMemory().rss;
const rss = [];
let lines = 0;
const t0 = Date.now();
for (let i = 0; i < runs; i++) {
  const result = await ocr.detect(files[i % files.length]);
  lines += result.length;
  rss.push(processMemory().rss);
  if ((i + 1) % 50 === 0 || i + 1 === runs) {
    console.error(`ort_ocr: ${i + 1}/${runs} runs, RSS ${(rss[i] / 1048576).toFixed(1)} MiB, ` +
        `${((Date.now() - t0) / 1000).toFixed(0)} s`);
    save(i + 1 < runs);
  }
}

// Written every 50 runs, so that a run cut short still leaves its series (marked "partial": true).
function save(partial) {
  const out = {
    name: 'ONNX Runtime',
    engine: `@gutenye/ocr-node 1.4.8, onnxruntime-node ${ortVersion}, Node.js ${process.versions.node}`,
    threads,
    inputs: files.length,
    lines_recognised: lines,
    seconds: (Date.now() - t0) / 1000,
    partial,
    baseline_rss_bytes: baseline,
    peak_rss_bytes: processMemory().peak,
    rss_bytes: rss,
  };
  fs.writeFileSync(args.out + '.tmp', JSON.stringify(out) + '\n');
  fs.renameSync(args.out + '.tmp', args.out);
}
