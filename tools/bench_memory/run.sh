#!/usr/bin/env bash
# Memory benchmark: plateau and ONNX Runtime (@gutenye/ocr-node, the same PP-OCRv4 models) side by side
# on the same workloads, in one run. For each workload prints a markdown table (warm-up, plateau, slope,
# growth, peak RSS, verdict per engine, and the ratio of peak RSS) and writes one PNG with both RSS curves.
#
#   tools/bench_memory/run.sh   # WORKLOADS="scaled full" RUNS=1000 INPUTS=60 THREADS=1 SEED=1 ...
#
# Workloads (WORKLOADS, either or both, in that order):
#   scaled  INPUTS images written once to OUT/inputs (sroie receipt k mod 100, scaled by a seeded factor
#           in [MIN_SCALE, MAX_SCALE]: 58 distinct sizes by default, from 88x201 to 794x1123), read in
#           name order and cycled for RUNS pipeline runs by both engines.
#   full    the 100 sroie receipts as they are (A4 scans of 2481x3508 included), read in name order and
#           cycled for RUNS_FULL runs (default 100: each once).
# Both engines run detection + recognition (ocr-node has no text line orientation stage, so plateau runs
# with --use_textline_orientation False), detection at full resolution (PaddleX's defaults; plateau on its
# tiles). Each process reads its own VmRSS from /proc/self/status after every run and VmHWM at the end; the
# same code (plateau memcheck --series) analyses both series. The two engines run at the same time: RSS
# does not depend on it, timings do (and none are reported).
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

# bench NAME INPUT_DIR RUNS MANIFEST|"" DESCRIPTION: both engines over INPUT_DIR, tables on stdout.
bench() {
  local name="$1" inputs_dir="$2" n="$3" manifest="$4" description="$5"
  local dir="$out/$name"
  mkdir -p "$dir"
  echo "bench-memory ($name): $n runs per engine over $inputs_dir, $threads threads, both engines at once" >&2
  node "$here/ort_ocr.mjs" --inputs "$inputs_dir" --models "$root/models" --runs "$n" --threads "$threads" \
    --out "$dir/ort.json" 2>"$dir/ort.log" &
  local ort_pid=$!
  # memcheck's exit code is its verdict (0 stable, 1 growing); only 2 is a failure.
  set +e
  "$plateau" memcheck -i "$inputs_dir" --iterations "$n" --threads "$threads" \
    --use_textline_orientation False --model_dir "$root/models" --json >"$dir/plateau.json" 2>"$dir/plateau.log"
  local plateau_rc=$?
  wait "$ort_pid"
  local ort_rc=$?
  set -e
  if [ "$plateau_rc" -ge 2 ]; then
    echo "bench-memory ($name): plateau memcheck failed: $(tail -n3 "$dir/plateau.log")" >&2
    return 1
  fi
  if [ "$ort_rc" -ne 0 ]; then
    echo "bench-memory ($name): the ONNX Runtime side failed: $(tail -n3 "$dir/ort.log")" >&2
    return 1
  fi
  set +e
  "$plateau" memcheck --series "$dir/plateau.json" --series "$dir/ort.json" --plot "$dir/rss.png" --json \
    >"$dir/summary.json"
  local rc=$?
  set -e
  [ "$rc" -ge 2 ] && { echo "bench-memory ($name): analysis failed" >&2; return 1; }
  echo "### Workload: $name"
  echo
  node "$here/table.mjs" "$dir/summary.json" "$manifest" "$description"
  echo
  echo "plot: $dir/rss.png"
  echo
}

for workload in ${WORKLOADS:-scaled full}; do
  case "$workload" in
    scaled)
      node "$here/prepare_inputs.mjs" --sources "$eval_dir/sroie/img" --out "$out/inputs" --count "$inputs" \
        --seed "$seed" --min_scale "$min_scale" --max_scale "$max_scale"
      bench scaled "$out/inputs" "$runs" "$out/inputs/manifest.json" ""
      ;;
    full)
      count="$(ls "$eval_dir/sroie/img" | grep -ciE '\.(jpe?g|png)$')"
      bench full "$eval_dir/sroie/img" "${RUNS_FULL:-100}" "" "the $count sroie receipts at their own size"
      ;;
    *)
      echo "bench-memory: unknown workload '$workload' (expected scaled or full)" >&2
      exit 2
      ;;
  esac
done
