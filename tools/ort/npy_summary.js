#!/usr/bin/env node
'use strict';
// Prints the shape and value statistics of a .npy file, and the fraction of values above a threshold
// (for a detection map: the share of pixels the DB post-processing would call text).

const { readNpy } = require('./npy');
const { parseArgs, fail } = require('./args');

const USAGE = 'usage: node npy_summary.js --file F.npy [--threshold 0.3] [--json 1]\n';

const args = parseArgs(process.argv.slice(2), { file: undefined, threshold: '0.3', json: '0' }, USAGE);
const threshold = Number(args.threshold);
if (!Number.isFinite(threshold)) fail(`--threshold must be a number, got '${args.threshold}'`, USAGE);

let t;
try {
  t = readNpy(args.file);
} catch (e) {
  fail(e.message);
}
let min = Infinity;
let max = -Infinity;
let sum = 0;
let above = 0;
for (const raw of t.data) {
  const v = Number(raw);
  if (v < min) min = v;
  if (v > max) max = v;
  sum += v;
  if (v > threshold) above++;
}
const n = t.data.length;
const summary = {
  file: args.file,
  dtype: t.type,
  shape: t.dims.join('x'),
  min: n ? min : null,
  max: n ? max : null,
  mean: n ? sum / n : null,
  threshold,
  fraction_above: n ? above / n : 0,
};
if (args.json === '1') {
  process.stdout.write(JSON.stringify(summary) + '\n');
} else {
  process.stdout.write(`${summary.file}: ${summary.dtype} ${summary.shape}, values ${summary.min} .. ${summary.max}, ` +
      `mean ${n ? summary.mean.toFixed(4) : '-'}; ${(100 * summary.fraction_above).toFixed(2)}% above ${threshold}\n`);
}
