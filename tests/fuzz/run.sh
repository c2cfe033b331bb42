#!/bin/bash
# Runs the libFuzzer targets of a fuzz build (cmake --preset fuzz) for a
# given time each and prints one line per target with libFuzzer's figures.
#
#   tests/fuzz/run.sh [-b BUILD_DIR] [-j JOBS] SECONDS [TARGET...]
#
# BUILD_DIR defaults to build-fuzz; JOBS (targets run at once) to 1; the
# targets to all of them. Each target first runs every seed of
# tests/fuzz/corpus/<target> and of the working corpus
# BUILD_DIR/fuzz/corpus/<target> (which keeps what earlier runs found), then
# mutates for SECONDS. A crash, leak, timeout or broken invariant stops that
# target; its input is saved under BUILD_DIR/fuzz/crashes/<target>/ and the
# script exits 1. Logs: BUILD_DIR/fuzz/logs/<target>.log.
# ARSYNC_FUZZ_WAIVE (see tests/fuzz/invariants.h) is passed on.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=build-fuzz
jobs=1
while getopts "b:j:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-j JOBS] SECONDS [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [-b BUILD_DIR] [-j JOBS] SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in "$here"/corpus/*/; do targets+=("$(basename "$dir")"); done
fi
build=$(cd "$build" && pwd) || exit 2
bin=$build/tests/fuzz
out=$build/fuzz
mkdir -p "$out/logs"

# Largest inputs libFuzzer makes: a few IDocs; a record deep enough to reach
# the nesting limits readers and mappings must enforce.
max_len() {
  case $1 in
    idoc_xml_fuzz|idoc_flat_fuzz) echo 65536 ;;
    json_record_fuzz|mapping_fuzz) echo 131072 ;;
    *) echo 8192 ;;
  esac
}

run_one() {
  local t=$1
  local log=$out/logs/$t.log
  mkdir -p "$out/corpus/$t" "$out/crashes/$t"
  if [ ! -x "$bin/$t" ]; then
    echo "$t: not built ($bin/$t)"
    return 1
  fi
  "$bin/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=1536 \
      -max_len="$(max_len "$t")" -print_final_stats=1 \
      -artifact_prefix="$out/crashes/$t/" \
      "$out/corpus/$t" "$here/corpus/$t" >"$log" 2>&1
  local rc=$?
  # "#12345 DONE cov: 812 ft: 2901 corp: ..." (or the last status line when
  # the run stopped early).
  local last execs cov ft
  last=$(grep -a -E '^#[0-9]+' "$log" | tail -n 1)
  execs=$(grep -a -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  local crashes
  crashes=$(find "$out/crashes/$t" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    echo "$t: ok, ${execs:-?} executions in ${seconds}s, cov ${cov:-?} ft ${ft:-?}, corpus $(find "$out/corpus/$t" -type f | wc -l) new"
  else
    echo "$t: FAILED (exit $rc), ${execs:-?} executions, cov ${cov:-?} ft ${ft:-?}; $crashes file(s) in $out/crashes/$t; see $log"
    grep -a -m 3 -E 'ERROR: |fuzz invariant broken|runtime error|SUMMARY' "$log" | sed 's/^/    /'
  fi
  return $rc
}

status=0
running=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
