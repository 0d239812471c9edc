#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy) over plateau's own sources: every .cc of src/ and tools/ in the
# build's compile_commands.json, with the diagnostics of the project's own headers (src/, include/,
# tools/). Tests (*_test.cc, test helpers, tests/) and the fuzz targets are left out: they are not
# shipped code, and leaving them out keeps the run within CI's time (docs/RELIABILITY.md).
#
#   scripts/tidy.sh [BUILD_DIR]      JOBS=N runs N clang-tidy processes at once (default: nproc)
#
# Prints each finding once, then "tidy: N files, M findings, S s"; exits 1 if there was any finding or
# clang-tidy failed on a file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
build="${1:-build}"
jobs="${JOBS:-$(nproc)}"
tidy="${CLANG_TIDY:-clang-tidy}"

if [ ! -f "$build/compile_commands.json" ]; then
  echo "tidy: $build/compile_commands.json missing: configure the build first (make build)" >&2
  exit 1
fi
command -v "$tidy" >/dev/null || { echo "tidy: $tidy not found: run make deps" >&2; exit 1; }

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
python3 - "$build/compile_commands.json" "$root" > "$out/files" <<'PY'
import json, re, sys
root = sys.argv[2].rstrip("/") + "/"
seen = set()
for entry in json.load(open(sys.argv[1])):
    path = entry["file"]
    if not path.startswith(root):
        continue
    rel = path[len(root):]
    if rel in seen or not re.match(r"(src|tools)/", rel):
        continue
    if rel.endswith("_test.cc") or re.search(r"test_(util|support)", rel):
        continue
    seen.add(rel)
    print(rel)
PY

start=$(date +%s)
# One log per file; GCC's warning flags that clang does not know are not findings.
export tidy build root out
xargs -a "$out/files" -P "$jobs" -I{} sh -c \
  '"$tidy" -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option \
     --header-filter="^$root/(src|include|tools)/" "$1" > "$out/$(echo "$1" | tr / _).log" 2>&1 ||
   echo "$1" >> "$out/failed"' _ {}
seconds=$(( $(date +%s) - start ))
# CPU seconds of the clang-tidy processes (bash's `times`: its children's user and system time), which
# a busy machine does not inflate as it does the wall time.
# (`times` in a pipeline would run in a subshell, which has no children: it writes to a file.)
times > "$out/times"
cpu=$(tail -n1 "$out/times" | awk '{ n = 0; for (i = 1; i <= 2; ++i) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] } printf "%.0f", n }')

# A header's finding is reported by every file that includes it: each is printed once, with its note
# lines.
cat "$out"/*.log | awk '
  /^[^ ].*: (warning|error): / { keep = !seen[$0]++ }
  /^[^ ].*: note: / || /^[^ ].*: (warning|error): / || /^ / { if (keep) print; next }
  { keep = 0 }' | sed "s#^$root/##" > "$out/findings"
cat "$out/findings"
files=$(wc -l < "$out/files")
findings=$(grep -cE ': (warning|error): ' "$out/findings" || true)
echo "tidy: $files files, $findings findings, $seconds s ($jobs at once; ${cpu} s of CPU)"
if [ -s "$out/failed" ]; then
  echo "tidy: clang-tidy failed on:"; sed 's/^/  /' "$out/failed"
fi
[ "$findings" -eq 0 ] && [ ! -s "$out/failed" ]
