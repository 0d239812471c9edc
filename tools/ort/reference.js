#!/usr/bin/env node
'use strict';
// Runs a model with ONNX Runtime on .npy inputs and writes each output as DIR/<sanitised name>.npy.
// The outputs are the reference plateau's golden tests compare against.

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy } = require('./npy');
const { parseArgs, fail, positiveInt } = require('./args');

const USAGE = `usage: node reference.js --model F.onnx --input NAME=in.npy [--input ...] --output DIR [--threads 1]
  Output names are made safe for the file system: '/', '\\', ':' and ' ' become '_'.
`;

// Same rule as plateau's CLI uses for output file names.
function sanitise(name) {
  return name.replace(/[/\\: ]/g, '_');
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { model: undefined, input: [], output: undefined, threads: '1' }, USAGE);
  if (args.input.length === 0) fail('at least one --input NAME=file.npy is required', USAGE);
  const threads = positiveInt(args.threads, '--threads');

  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });

  const feeds = {};
  for (const spec of args.input) {
    const eq = spec.indexOf('=');
    if (eq <= 0) fail(`--input must be NAME=file.npy, got '${spec}'`, USAGE);
    const name = spec.slice(0, eq);
    const file = spec.slice(eq + 1);
    if (!session.inputNames.includes(name)) {
      fail(`${args.model} has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    }
    const t = readNpy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const name of session.inputNames) {
    if (!(name in feeds)) fail(`${args.model} needs input '${name}'`, USAGE);
  }

  const results = await session.run(feeds);
  fs.mkdirSync(args.output, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(args.output, `${sanitise(name)}.npy`);
    writeNpy(file, t.type, t.dims.map(Number), t.data);
    process.stdout.write(`${name}: ${t.dims.join('x')} -> ${file}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`reference.js: ${e.message}\n`);
  process.exit(1);
});
