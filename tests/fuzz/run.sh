#!/usr/bin/env bash
# Runs every libFuzzer target of the fuzz preset for a bounded time, each on a
# fresh copy of its seed corpus (tests/fuzz/corpus/<target>/; the seeds
# themselves are never modified), and fails if any target crashes, hangs
# (-timeout) or runs out of memory (-rss_limit_mb).
#
#   cmake --preset fuzz && cmake --build --preset fuzz -j 2 \
#       --target fuzz_journal_open fuzz_runner_config fuzz_frame_validation
#   tests/fuzz/run.sh [seconds per target, default 60]
#
# Environment: FUZZ_BUILD_DIR (default build/fuzz), FUZZ_TARGETS (default
# all three). Per target, the log, the grown corpus and any crashing input
# are kept under $FUZZ_BUILD_DIR/fuzz-run/<target>/. To replay a crash:
#   build/fuzz/tests/fuzz/<target> <crash file>
# and, once fixed, commit the file to tests/fuzz/corpus/<target>/ as a
# regression seed named regress-<what>: from then on ctest replays it in
# every build (test fuzz_corpus.<target>; `ctest -L fuzz_corpus`, see
# tests/fuzz/CMakeLists.txt), under the sanitizers and valgrind too.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  echo "usage: $0 [seconds per target, default 60]" >&2
  exit 2
fi
build=${FUZZ_BUILD_DIR:-build/fuzz}
targets=(${FUZZ_TARGETS:-fuzz_journal_open fuzz_runner_config fuzz_frame_validation})

# Inputs larger than this are not generated; the journal seeds are 4-8 KiB.
max_len_of() {
  case $1 in
    fuzz_journal_open) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The targets' scratch files (journals, plugin copies), removed even when a
# target crashed.
shm=/dev/shm
[[ -d $shm && -w $shm ]] || shm=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$shm/sigrun-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export SIGRUN_FUZZ_SCRATCH_ROOT=$scratch

failed=()
summary=()
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/$target"
  seeds="tests/fuzz/corpus/$target"
  work="$build/fuzz-run/$target"
  if [[ ! -x $binary ]]; then
    echo "$binary not found: build it first (cmake --preset fuzz && cmake --build --preset fuzz --target $target)" >&2
    exit 2
  fi
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$seeds"/* "$work/corpus/"
  echo "--- $target: ${seconds}s on $(ls "$work/corpus" | wc -l) seeds"
  status=0
  "$binary" "$work/corpus" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len_of "$target")" \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
      > "$work/log" 2>&1 || status=$?
  # libFuzzer's last status line: "#<runs> DONE cov: ... exec/s: <n> rss: ..."
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -n 1 || true)
  runs=$(sed -nE 's/^#([0-9]+)[[:space:]]+DONE.*/\1/p' <<< "$done_line")
  rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<< "$done_line")
  if (( status != 0 )) || [[ -z $done_line ]]; then
    echo "FAILED: $target (exit $status); the end of $work/log:"
    tail -n 60 "$work/log"
    ls -l "$work/artifacts/" || true
    failed+=("$target")
    summary+=("$(printf '%-24s FAILED (exit %s), see %s' "$target" "$status" "$work/log")")
  else
    echo "$done_line"
    summary+=("$(printf '%-24s %10s executions  %6s exec/s  corpus %s -> %s inputs' "$target" "$runs" "$rate" \
                 "$(ls "$seeds" | wc -l)" "$(ls "$work/corpus" | wc -l)")")
  fi
done

echo "--- fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} > 0 )); then
  echo "fuzzing FAILED: ${failed[*]} (crashing inputs in $build/fuzz-run/<target>/artifacts/)" >&2
  exit 1
fi
