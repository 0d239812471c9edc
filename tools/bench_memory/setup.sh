#!/usr/bin/env bash
# Installs the ONNX Runtime peer of the memory benchmark, @gutenye/ocr-node (PP-OCRv4 on
# onnxruntime-node, images through sharp), into tools/bench_memory/node_modules. Idempotent: does nothing
# when the pinned version is installed and loads. The benchmark passes it the models in models/, so it
# runs offline.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
want="$(node -p "require('$dir/package.json').dependencies['@gutenye/ocr-node']")"

installed_ok() {
  (cd "$dir" && node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    const v = JSON.parse(readFileSync('node_modules/@gutenye/ocr-node/package.json', 'utf8')).version;
    if (v !== '$want') process.exit(1);
    await import('@gutenye/ocr-node');
    await import('sharp');
  ") >/dev/null 2>&1
}

if installed_ok; then
  echo "bench-memory setup: @gutenye/ocr-node $want present"
  exit 0
fi

echo "bench-memory setup: installing @gutenye/ocr-node $want"
# --ignore-scripts: onnxruntime-node's install script only fetches GPU providers from hosts other than
# the npm registry; the CPU build ships inside the package, and sharp's binaries come as npm packages.
(cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
if ! installed_ok; then
  echo "bench-memory setup: @gutenye/ocr-node $want installed but does not load; see:" \
    "(cd $dir && node --input-type=module -e \"await import('@gutenye/ocr-node')\")" >&2
  exit 1
fi
echo "bench-memory setup: @gutenye/ocr-node $want ready"
