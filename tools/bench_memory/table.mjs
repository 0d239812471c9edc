#!/usr/bin/env node
// Prints the memory benchmark's markdown table from `plateau memcheck --series ... --json` output.
//   node table.mjs summary.json [inputs/manifest.json] [description of the workload]
import fs from 'node:fs';

const [summaryPath, manifestPath, description] = process.argv.slice(2);
if (!summaryPath) {
  console.error('usage: node table.mjs summary.json [manifest.json]');
  process.exit(2);
}
const series = JSON.parse(fs.readFileSync(summaryPath, 'utf8')).series;
const mib = (b) => (b / 1048576).toFixed(1);
const mb = (b) => (b / 1e6).toFixed(2);
const manifest = manifestPath && fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : null;

console.log(`Memory benchmark, ${new Date().toISOString().slice(0, 10)}` +
    (manifest ? `: ${manifest.images.length} images of sroie rescaled by seeded factors in ` +
      `[${manifest.settings.minScale}, ${manifest.settings.maxScale}] (${manifest.distinct_sizes} distinct sizes)` : '') +
    (description ? `: ${description}` : '') +
    '.');
console.log();
console.log('| engine | runs | warm-up runs | warm-up cost MiB | plateau RSS MiB | slope B/run (2nd half) |' +
    ' growth after warm-up MB | trend over plateau MB | peak RSS MiB (VmHWM) | verdict |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const s of series) {
  const runs = s.partial ? `${s.iterations} (cut short)` : `${s.iterations}`;
  console.log(`| ${s.name} | ${runs} | ${s.warmup_iterations} | ${mib(s.warmup_bytes)} | ` +
      `${mib(s.plateau_rss_bytes)} | ${s.slope_bytes_per_iteration.toFixed(0)} | ` +
      `${mb(s.growth_after_warmup_bytes)} | ${mb(s.projected_growth_bytes)} | ${mib(s.peak_rss_bytes)} | ` +
      `${s.verdict} |`);
}
const p = series.find((s) => s.name === 'plateau');
const o = series.find((s) => s.name === 'ONNX Runtime');
if (p && o && o.peak_rss_bytes > 0) {
  console.log();
  console.log(`Peak RSS plateau / ONNX Runtime: ${(p.peak_rss_bytes / o.peak_rss_bytes).toFixed(2)} ` +
      `(${mib(p.peak_rss_bytes)} / ${mib(o.peak_rss_bytes)} MiB); ` +
      `plateau RSS after warm-up / ONNX Runtime: ${(p.plateau_rss_bytes / o.plateau_rss_bytes).toFixed(2)}.`);
  for (const s of [p, o]) if (s.engine) console.log(`${s.name}: ${s.engine}.`);
}
for (const s of series) console.log(`${s.name}: ${s.verdict} — ${s.reason}.`);
