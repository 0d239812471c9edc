#!/usr/bin/env bash
# Runs plateau's libFuzzer targets (fuzz/*_fuzzer.cc), each for FUZZ_SECONDS, one after another, and
# prints what each did: executions, corpus size, crashes. `make fuzz` calls this; so does .ci/run, briefly.
#
#   FUZZ_SECONDS=600 scripts/fuzz.sh                   # every target, 10 minutes each
#   FUZZ_TARGETS="npy base64" FUZZ_SECONDS=30 scripts/fuzz.sh
#
# Builds the instrumented targets with clang in FUZZ_DIR (default build-fuzz), writes the seed corpora
# there from EVAL_DIR and the models (plateau_fuzz_seeds), and keeps each target's growing corpus in
# FUZZ_DIR/fuzz/corpus/<target> between runs. An input that crashes a target is saved as
# FUZZ_DIR/fuzz/crashes/<target>/crash-<sha1> (reproduce: FUZZ_DIR/plateau_fuzz_<target> <file>) and
# the exit status is 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZ_DIR="${FUZZ_DIR:-build-fuzz}"
FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
FUZZ_TARGETS="${FUZZ_TARGETS:-image_header image_decode base64 ocr_request npy onnx}"
EVAL_DIR="${EVAL_DIR:-../shared/eval}"
JOBS="${JOBS:-1}"

if [ ! -f "$FUZZ_DIR/CMakeCache.txt" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLATEAU_FUZZ=ON
fi
build_targets=(plateau_fuzz_seeds)
for t in $FUZZ_TARGETS; do build_targets+=("plateau_fuzz_$t"); done
cmake --build "$FUZZ_DIR" -j "$JOBS" --target "${build_targets[@]}"

work="$FUZZ_DIR/fuzz"
rm -rf "$work/seeds"
"$FUZZ_DIR/plateau_fuzz_seeds" "$work/seeds" "$EVAL_DIR" models

# Leaks are findings too; ASan's allocator limit turns a request for absurd memory into a report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export OMP_NUM_THREADS=1
summary=()
status=0
for t in $FUZZ_TARGETS; do
  corpus="$work/corpus/$t"
  crashes="$work/crashes/$t"
  log="$work/$t.log"
  mkdir -p "$corpus" "$crashes"
  args=(-max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048
        -artifact_prefix="$crashes/")
  dict="fuzz/$t.dict"
  if [ "$t" = image_decode ]; then dict=fuzz/image_header.dict; fi  # the same signatures and markers
  if [ -f "$dict" ]; then args+=(-dict="$dict"); fi
  echo "== fuzz $t: ${FUZZ_SECONDS} s"
  result=ok
  if ! "$FUZZ_DIR/plateau_fuzz_$t" "${args[@]}" "$corpus" "$work/seeds/$t" >"$log" 2>&1; then
    result="CRASH (see $log and $crashes)"
    status=1
    grep -m5 -E 'ERROR: |runtime error|property failed|==[0-9]+== ' "$log" || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  summary+=("$(printf '%-12s %10s execs %8s/s  corpus %5s  %s' "$t" "${execs:-?}" "${rate:-?}" \
    "$(find "$corpus" -type f | wc -l)" "$result")")
done
echo
echo "== fuzz summary (${FUZZ_SECONDS} s per target)"
printf '%s\n' "${summary[@]}"
exit $status
