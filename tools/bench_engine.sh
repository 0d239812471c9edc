#!/usr/bin/env bash
# Engine benchmark: plateau and ONNX Runtime side by side, in one run, on the same machine and shapes.
# For each model/shape/thread count it runs `plateau benchmark` and then tools/ort/bench.js (alternating,
# so drifting machine load hits both), and prints a markdown table for docs/BENCHMARKS.md.
#
#   tools/bench_engine.sh            # ITERATIONS=20 THREADS="1 2" ROUNDS=1 by default
#   ITERATIONS=50 THREADS="1 2 4" ROUNDS=3 tools/bench_engine.sh
#
# With ROUNDS > 1 each pair of runs is repeated and the round with the lowest median is kept for each
# engine: on a shared machine, other work only ever makes a run slower.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PLATEAU_BUILD_DIR:-$root/build}"
plateau="$build/plateau"
models="$root/models"
iterations="${ITERATIONS:-20}"
threads_list="${THREADS:-1 2}"
rounds="${ROUNDS:-1}"

chart="${CHART:-$build/bench-engine.png}"

# kind, model, shape, goal for plateau/ORT (the engine-speed goals: det 0.45, rec 0.5, cls 0.7).
cases=(
  "det ch_PP-OCRv4_det_infer.onnx 1x3x960x736 0.45"
  "rec ch_PP-OCRv4_rec_infer.onnx 1x3x48x320 0.5"
  "rec ch_PP-OCRv4_rec_infer.onnx 8x3x48x320 0.5"
  "cls ch_ppocr_mobile_v2.0_cls_infer.onnx 1x3x48x192 0.7"
)

for need in "$plateau" "$models/ch_PP-OCRv4_det_infer.onnx" "$root/tools/ort/node_modules/onnxruntime-node"; do
  if [ ! -e "$need" ]; then
    echo "bench-engine: $need is missing (run: make build models ort)" >&2
    exit 1
  fi
done

# field JSON NAME: prints one numeric field of a JSON object, or '-' if absent or not JSON.
field() {
  node -e '
    let o; try { o = JSON.parse(process.argv[1]); } catch (e) { console.log("-"); process.exit(0); }
    const v = o[process.argv[2]];
    console.log(typeof v === "number" ? v : "-");' "$1" "$2"
}
# better A B: true when run A has a lower median than run B.
better() { awk -v a="$(field "$1" median_ms)" -v b="$(field "$2" median_ms)" 'BEGIN { exit !(a < b) }'; }
fmt_ms() { [ "$1" = "-" ] && echo "-" || printf '%.2f' "$1"; }
fmt_mib() { [ "$1" = "-" ] && echo "-" || awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
ratio() {
  if [ "$1" = "-" ] || [ "$2" = "-" ]; then echo "-"; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; fi
}

echo "Engine benchmark, $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
echo "$iterations timed iterations after one warm-up run, best of $rounds round(s); ONNX Runtime: onnxruntime-node $(cd "$root/tools/ort" && node -p "require('onnxruntime-node/package.json').version")."
echo
echo "| model | shape | threads | plateau median ms | ORT median ms | plateau/ORT | goal | plateau first ms | plateau first/median | ORT first ms | ORT first/median | plateau peak RSS MiB | ORT peak RSS MiB |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
failures=()
errlog="$(mktemp)"
rows="$(mktemp)"
trap 'rm -f "$errlog" "$rows"' EXIT
for c in "${cases[@]}"; do
  read -r kind model shape goal <<<"$c"
  for t in $threads_list; do
    p_json=""
    o_json=""
    for ((r = 0; r < rounds; r++)); do
      json="$("$plateau" benchmark --model "$models/$model" --shape "$shape" --threads "$t" \
        --iterations "$iterations" 2>"$errlog" | tail -n1 || true)"
      if [ "$(field "$json" median_ms)" = "-" ]; then
        failures+=("plateau $kind $shape threads $t: $(tail -n3 "$errlog" | tr '\n' ' ')")
      elif [ -z "$p_json" ] || better "$json" "$p_json"; then
        p_json="$json"
      fi
      json="$(node "$root/tools/ort/bench.js" --model "$models/$model" --shape "$shape" --threads "$t" \
        --iterations "$iterations" 2>"$errlog" | tail -n1 || true)"
      if [ "$(field "$json" median_ms)" = "-" ]; then
        failures+=("ORT $kind $shape threads $t: $(tail -n3 "$errlog" | tr '\n' ' ')")
      elif [ -z "$o_json" ] || better "$json" "$o_json"; then
        o_json="$json"
      fi
    done
    p_med="$(field "$p_json" median_ms)"
    o_med="$(field "$o_json" median_ms)"
    p_first="$(field "$p_json" first_ms)"
    o_first="$(field "$o_json" first_ms)"
    r="$(ratio "$p_med" "$o_med")"
    met=""
    if [ "$r" != "-" ]; then
      met="$(awk -v r="$r" -v g="$goal" 'BEGIN { print (r <= g ? "met" : "missed") }')"
      printf '%s %s, %s thread%s\t%s\t%s\t%s\n' "$kind" "$shape" "$t" "$([ "$t" = 1 ] || echo s)" \
        "$p_med" "$o_med" "$goal" >>"$rows"
    fi
    echo "| $kind | $shape | $t | $(fmt_ms "$p_med") | $(fmt_ms "$o_med") | $r | <= $goal $met |" \
         "$(fmt_ms "$p_first") | $(ratio "$p_first" "$p_med") | $(fmt_ms "$o_first") | $(ratio "$o_first" "$o_med") |" \
         "$(fmt_mib "$(field "$p_json" peak_rss_bytes)") | $(fmt_mib "$(field "$o_json" peak_rss_bytes)") |"
  done
done
echo
echo "Peak RSS is the whole process: for ONNX Runtime it includes the Node.js runtime (about 40 MiB)."
echo "First ms: the first run of the shape (plateau: plan and kernels built cold; the goal is first/median <= 3)."
if [ -s "$rows" ] && [ -x "$build/plateau_bench_engine_chart" ]; then
  if "$build/plateau_bench_engine_chart" "$rows" "$chart"; then
    echo "Chart: $chart"
  else
    failures+=("chart: could not write $chart")
  fi
fi
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "Failed runs ('-' in the table):"
  for f in "${failures[@]}"; do echo "- $f"; done
fi
