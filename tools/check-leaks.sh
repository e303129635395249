#!/usr/bin/env bash
# Leak check for a signal plugin: runs it in the sigrun runner under valgrind
# memcheck on the bundled real market-data sample, hot-swapping it from its
# own file every few hundred frames, so one run goes through many
# load -> create -> frames -> destroy -> dlclose cycles. Prints a one-screen
# verdict; exits 0 when clean, 1 on any error or definite/indirect leak.
#
#   tools/check-leaks.sh path/to/libmyengine.so ['{"engine":"config"}'] [reload-every-frames]
#
# Uses build/release (tools/test.sh or tools/demo.sh builds it); set
# SIGRUN_BUILD to use another build folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
  echo "check-leaks: give the plugin library to check, e.g. tools/check-leaks.sh build/release/plugins/ofi/libsigrun_ofi.so" >&2
  exit 2
fi
plugin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
engine_config=${2:-'{}'}
every=${3:-250}
build=${SIGRUN_BUILD:-$root/build/release}
sigrun=$build/runner/sigrun
[ -x "$sigrun" ] || { echo "check-leaks: $sigrun not found; build it first (tools/test.sh or tools/demo.sh)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "check-leaks: valgrind not installed; run tools/setup-debian.sh" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/runner.json" <<JSON
{
  "journal": { "dir": "$work/journal", "md": { "capacity": 1024, "slot_size": 512 } },
  "source": { "kind": "replay", "files": ["$root/examples/data/spot_btcusdt_book20.csv.gz",
                                          "$root/examples/data/spot_btcusdt_trades.csv.gz"] },
  "engines": [ { "name": "candidate", "library": "$plugin", "config": $engine_config, "reload": false } ],
  "hot_swap": { "watch": false },
  "output": { "print_factors": 0 }
}
JSON

echo "check-leaks: $plugin under valgrind memcheck, reloaded every $every frames (takes a minute)..."
set +e
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=1 --keep-debuginfo=yes \
  --num-callers=20 --suppressions="$root/tests/valgrind.supp" --log-file="$work/valgrind.log" \
  "$sigrun" --config "$work/runner.json" --reload-every "$every" --log-level warn > "$work/run.txt" 2> "$work/run.err"
rc=$?
set -e

echo "--- runner"
grep -E "frames dispatched|hot swaps|frames pinned at exit|run failed" "$work/run.txt" || cat "$work/run.err"
echo "--- valgrind"
grep -E "ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:|All heap blocks were freed" "$work/valgrind.log" | sed 's/^==[0-9]*== *//'
if grep -qE "are definitely lost|are indirectly lost|Invalid (read|write)|uninitialised|Mismatched free" "$work/valgrind.log"; then
  echo "--- top stacks"
  awk '/(are definitely lost|are indirectly lost|Invalid (read|write)|uninitialised|Mismatched free)/{n=8} n-->0' "$work/valgrind.log" \
    | sed 's/^==[0-9]*== *//' | head -40
fi
if [ $rc -eq 0 ]; then
  echo "verdict: CLEAN (no memory errors, no definite or indirect leaks)"
else
  echo "verdict: NOT CLEAN (valgrind/runner exit $rc); full log above or rerun with --log-file"
fi
exit $rc
