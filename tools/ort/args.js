'use strict';
// Tiny "--flag value" parser shared by the scripts; repeated flags collect into arrays.

function parseArgs(argv, spec, usage) {
  const out = {};
  for (const [name, def] of Object.entries(spec)) out[name] = Array.isArray(def) ? [] : def;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage);
      process.exit(0);
    }
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    if (name === null || !(name in spec)) fail(`unknown argument '${arg}'`, usage);
    if (i + 1 >= argv.length) fail(`${arg} needs a value`, usage);
    const value = argv[++i];
    if (Array.isArray(out[name])) out[name].push(value);
    else out[name] = value;
  }
  for (const [name, def] of Object.entries(spec)) {
    if (def === undefined && out[name] === undefined) fail(`--${name} is required`, usage);
  }
  return out;
}

function fail(message, usage) {
  process.stderr.write(`error: ${message}\n${usage || ''}`);
  process.exit(2);
}

function positiveInt(value, flag) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

module.exports = { parseArgs, fail, positiveInt };
