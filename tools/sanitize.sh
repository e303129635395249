#!/usr/bin/env bash
# Leak and thread checks in one command: every test under valgrind memcheck,
# under ASan+UBSan and under TSan, each sanitizer in the copy and in the
# frame-ref (zero-copy) build (the presets of the same names), one after the
# other, then one line per preset. CI (.ci/run) runs only asan-zero-copy in
# full and subsets of memcheck and tsan-zero-copy; this is the whole check,
# run before an issue is closed. Extra arguments go to ctest, e.g.
#   tools/sanitize.sh                 # everything (long: five full builds)
#   tools/sanitize.sh -L hot_swap     # only the hot-swap tests, five ways
#   SIGRUN_PRESETS="asan tsan" tools/sanitize.sh -R '^journal_'
# Exit status: 0 only when every preset passed.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup-debian.sh || exit 1
jobs=${SIGRUN_JOBS:-2}
declare -A verdict
failed=0
for preset in ${SIGRUN_PRESETS:-memcheck asan asan-zero-copy tsan tsan-zero-copy}; do
  echo "=== $preset"
  if ! cmake --preset "$preset" >/dev/null; then
    verdict[$preset]="configure failed"; failed=1; continue
  fi
  if ! cmake --build --preset "$preset" -j "$jobs"; then
    verdict[$preset]="build failed"; failed=1; continue
  fi
  if ctest --preset "$preset" -j "$jobs" "$@"; then
    verdict[$preset]="clean"
  else
    verdict[$preset]="FAILED (see the ctest output above; logs in build/$preset/Testing/Temporary)"; failed=1
  fi
done
echo "=== summary"
for preset in ${SIGRUN_PRESETS:-memcheck asan asan-zero-copy tsan tsan-zero-copy}; do echo "$preset: ${verdict[$preset]}"; done
exit $failed
