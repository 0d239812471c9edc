#!/usr/bin/env node
'use strict';
// Times ONNX Runtime on one input shape, as the peer of `plateau benchmark`. Prints one JSON object:
// {first_ms, median_ms, min_ms, peak_rss_bytes} (plus load_ms and the settings used).

const ort = require('onnxruntime-node');
const { parseArgs, fail, positiveInt } = require('./args');

const USAGE = `usage: node bench.js --model F.onnx --shape NxCxHxW [--threads T] [--iterations K] [--seed S]
`;

function parseShape(text) {
  if (!/^\d+(x\d+)*$/.test(text)) fail(`--shape must look like 1x3x960x736, got '${text}'`, USAGE);
  return text.split('x').map(Number);
}

// Deterministic input: a small linear congruential generator, values in [-1, 1) like plateau's.
function fillRandom(array, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < array.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    array[i] = (s / 4294967296) * 2 - 1;
  }
}

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function main() {
  const args = parseArgs(process.argv.slice(2),
      { model: undefined, shape: undefined, threads: '1', iterations: '10', seed: '1' }, USAGE);
  const dims = parseShape(args.shape);
  const threads = positiveInt(args.threads, '--threads');
  const iterations = positiveInt(args.iterations, '--iterations');

  const t0 = nowMs();
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const loadMs = nowMs() - t0;

  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillRandom(data, Number(args.seed));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };

  // The first run (the warm-up) pays for shape-dependent setup; it is reported on its own.
  let start = nowMs();
  await session.run(feeds);
  const firstMs = nowMs() - start;

  const times = [];
  for (let i = 0; i < iterations; i++) {
    start = nowMs();
    await session.run(feeds);
    times.push(nowMs() - start);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;

  const round = (x) => Math.round(x * 1000) / 1000;
  process.stdout.write(JSON.stringify({
    engine: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    model: args.model,
    shape: args.shape,
    threads,
    iterations,
    load_ms: round(loadMs),
    first_ms: round(firstMs),
    median_ms: round(median),
    min_ms: round(times[0]),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench.js: ${e.message}\n`);
  process.exit(1);
});
