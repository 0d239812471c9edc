#!/usr/bin/env bash
# Memory benchmark: plateau and ONNX Runtime (@gutenye/ocr-node, the same PP-OCRv4 models) side by side
# on the same workload, in one run. Prints a markdown table (warm-up, plateau, slope, growth, peak RSS,
# verdict per engine, and the ratio of peak RSS) and writes one PNG with both RSS curves.
#
#   tools/bench_memory/run.sh   # RUNS=1000 INPUTS=60 THREADS=1 SEED=1 MIN_SCALE=0.2 MAX_SCALE=0.35 by default
#
# Workload: INPUTS images written once to OUT/inputs (sroie receipt k mod 100, scaled by a seeded factor
# in [MIN_SCALE, MAX_SCALE]: 58 distinct sizes by default, from 88x201 to 794x1123; small enough that
# 1000 runs of both engines take about 20 minutes on 2 cores), read in name order and cycled for RUNS pipeline
# runs by both engines. Both run detection + recognition (ocr-node has no text line orientation stage, so
# plateau runs with --use_textline_orientation False). Each process reads its own VmRSS from
# /proc/self/status after every run and VmHWM at the end; the same code (plateau memcheck --series)
# analyses both series. The two engines run at the same time: RSS does not depend on it, timings do
# (and none are reported).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${PLATEAU_BUILD_DIR:-$root/build}"
eval_dir="${PLATEAU_EVAL_DIR:-$root/../shared/eval}"
out="${OUT:-$build/bench-memory}"
runs="${RUNS:-1000}"
inputs="${INPUTS:-60}"
threads="${THREADS:-1}"
min_scale="${MIN_SCALE:-0.2}"
max_scale="${MAX_SCALE:-0.35}"
seed="${SEED:-1}"
plot="${PLOT:-$out/rss.png}"
plateau="$build/plateau"
here="$root/tools/bench_memory"

for need in "$plateau" "$root/models/ch_PP-OCRv4_det_infer.onnx" "$eval_dir/sroie/img"; do
  if [ ! -e "$need" ]; then
    echo "bench-memory: $need is missing (run: make build models; the eval images belong in ../shared/eval)" >&2
    exit 1
  fi
done
"$here/setup.sh" >&2
mkdir -p "$out"
node "$here/prepare_inputs.mjs" --sources "$eval_dir/sroie/img" --out "$out/inputs" --count "$inputs" \
  --seed "$seed" --min_scale "$min_scale" --max_scale "$max_scale"

echo "bench-memory: $runs runs per engine over $inputs images, $threads threads, both engines at once" >&2
node "$here/ort_ocr.mjs" --inputs "$out/inputs" --models "$root/models" --runs "$runs" --threads "$threads" \
  --out "$out/ort.json" 2>"$out/ort.log" &
ort_pid=$!
# memcheck's exit code is its verdict (0 stable, 1 growing); only 2 is a failure.
set +e
"$plateau" memcheck -i "$out/inputs" --iterations "$runs" --threads "$threads" \
  --use_textline_orientation False --model_dir "$root/models" --json >"$out/plateau.json" 2>"$out/plateau.log"
plateau_rc=$?
wait "$ort_pid"
ort_rc=$?
set -e
if [ "$plateau_rc" -ge 2 ]; then
  echo "bench-memory: plateau memcheck failed: $(tail -n3 "$out/plateau.log")" >&2
  exit 1
fi
if [ "$ort_rc" -ne 0 ]; then
  echo "bench-memory: the ONNX Runtime side failed: $(tail -n3 "$out/ort.log")" >&2
  exit 1
fi

set +e
"$plateau" memcheck --series "$out/plateau.json" --series "$out/ort.json" --plot "$plot" --json \
  >"$out/summary.json"
rc=$?
set -e
[ "$rc" -ge 2 ] && { echo "bench-memory: analysis failed" >&2; exit 1; }
node "$here/table.mjs" "$out/summary.json" "$out/inputs/manifest.json"
echo
echo "plot: $plot"
