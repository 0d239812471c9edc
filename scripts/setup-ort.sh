#!/usr/bin/env bash
# Installs ONNX Runtime for Node.js into tools/ort/node_modules. It serves as the reference the golden
# tests compare against and as the peer in the engine benchmark. Idempotent: does nothing when the
# pinned version is already installed and loads.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/tools/ort"
want="$(node -p "require('$dir/package.json').dependencies['onnxruntime-node']")"

installed_ok() {
  (cd "$dir" && node -e "
    const v = require('onnxruntime-node/package.json').version;
    if (v !== '$want') process.exit(1);
    require('onnxruntime-node');
  ") >/dev/null 2>&1
}

if installed_ok; then
  echo "setup-ort: onnxruntime-node $want present"
  exit 0
fi

echo "setup-ort: installing onnxruntime-node $want"
# --ignore-scripts: the package's install script only fetches GPU providers, which plateau does not use,
# and it would need hosts other than the npm registry.
(cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
if ! installed_ok; then
  echo "setup-ort: onnxruntime-node $want installed but does not load; see: (cd $dir && node -e \"require('onnxruntime-node')\")" >&2
  exit 1
fi
echo "setup-ort: onnxruntime-node $want ready"
