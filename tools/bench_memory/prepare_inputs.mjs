#!/usr/bin/env node
// Writes the benchmark's input images once, so that plateau and ONNX Runtime read the very same files:
// image k is sroie image (k mod #sources) scaled by a factor drawn from a seeded generator, in
// [--min_scale, --max_scale], as JPEG. Also writes manifest.json (file, source, scale, width, height).
// Does nothing when the manifest already describes the same settings.
//
//   node prepare_inputs.mjs --sources ../shared/eval/sroie/img --out build/bench-memory/inputs \
//     [--count 200] [--seed 1] [--min_scale 0.5] [--max_scale 1.0]

import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const USAGE = 'usage: node prepare_inputs.mjs --sources DIR --out DIR [--count N] [--seed S] ' +
    '[--min_scale F] [--max_scale F]';

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

function fail(message) {
  console.error(`prepare_inputs: ${message}\n${USAGE}`);
  process.exit(2);
}

// mulberry32: a small seeded generator, so the same seed gives the same sizes on every machine.
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const args = parseArgs(process.argv.slice(2),
    { sources: undefined, out: undefined, count: '200', seed: '1', min_scale: '0.5', max_scale: '1.0' });
const count = Number(args.count);
const minScale = Number(args.min_scale);
const maxScale = Number(args.max_scale);
if (!Number.isInteger(count) || count < 1) fail(`--count must be a positive integer, got '${args.count}'`);
if (!(minScale > 0 && maxScale >= minScale && maxScale <= 4)) {
  fail(`--min_scale/--max_scale must satisfy 0 < min <= max <= 4, got ${args.min_scale}, ${args.max_scale}`);
}

const sources = fs.readdirSync(args.sources).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
if (sources.length === 0) fail(`no .jpg/.png images in '${args.sources}'`);

const settings = { sources: path.resolve(args.sources), count, seed: Number(args.seed), minScale, maxScale };
const manifestPath = path.join(args.out, 'manifest.json');
if (fs.existsSync(manifestPath)) {
  const old = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  if (JSON.stringify(old.settings) === JSON.stringify(settings)) {
    console.error(`prepare_inputs: ${count} images already in ${args.out}`);
    process.exit(0);
  }
}
fs.rmSync(args.out, { recursive: true, force: true });
fs.mkdirSync(args.out, { recursive: true });

const random = generator(settings.seed);
const images = [];
for (let k = 0; k < count; k++) {
  const source = sources[k % sources.length];
  // Scales are kept to 3 decimals so the manifest states them exactly.
  const scale = Math.round((minScale + (maxScale - minScale) * random()) * 1000) / 1000;
  const input = sharp(path.join(args.sources, source));
  const meta = await input.metadata();
  const width = Math.max(1, Math.round(meta.width * scale));
  const height = Math.max(1, Math.round(meta.height * scale));
  const file = `${String(k).padStart(4, '0')}.jpg`;
  await input.resize({ width, height, fit: 'fill' }).jpeg({ quality: 92 }).toFile(path.join(args.out, file));
  images.push({ file, source, scale, width, height });
}
const sizes = new Set(images.map((i) => `${i.width}x${i.height}`));
fs.writeFileSync(manifestPath, JSON.stringify({ settings, distinct_sizes: sizes.size, images }, null, 1));
console.error(`prepare_inputs: wrote ${count} images (${sizes.size} distinct sizes) to ${args.out}`);
