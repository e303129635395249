#!/usr/bin/env bash
# Leak check for a signal plugin: runs it in the sigrun runner under valgrind
# memcheck on the bundled real market-data sample, hot-swapping it from its
# own file every few hundred frames, so one run goes through many
# load -> create -> frames -> destroy -> dlclose cycles. Prints a one-screen
# verdict: the runner's lines, valgrind's error and leak summary by kind, the
# top stacks (with file:line even for unloaded copies of the plugin: debug
# info of unloaded objects is kept) and "verdict: CLEAN" or "NOT CLEAN".
#
#   tools/check-leaks.sh path/to/libmyengine.so ['{"engine":"config"}'] [reload-every-frames]
#
# Exit 0 clean; 1 not clean (a memory error, a definite or indirect leak, a
# crash or a failed run; the full valgrind log is kept and its path printed);
# 2 nothing was checked: bad arguments, or the runner refused the plugin or
# config (one line on stderr says which and what to do).
#
# Before valgrind starts, the runner parses the config (the engine config
# given here included) and loads and creates the engine once without
# valgrind (sigrun --check-config), so a bad engine config or a plugin the
# runner refuses is reported as such.
#
# Uses build/release (tools/test.sh or tools/demo.sh builds it); set
# SIGRUN_BUILD to use another build folder (not a sanitizer build: valgrind
# cannot run ASan/TSan binaries).
set -euo pipefail
export LC_ALL=C

example="tools/check-leaks.sh build/release/plugins/ofi/libsigrun_ofi.so '{\"levels\": 5}' 250"
die() {
  echo "check-leaks: $*" >&2
  exit 2
}

root=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

# ---- arguments: everything is checked before valgrind starts ----
if [ $# -lt 1 ] || [ -z "$1" ]; then
  die "no plugin given; usage: tools/check-leaks.sh <plugin.so> ['{\"engine\":\"config\"}'] [reload-every-frames], e.g. $example"
fi
if [ $# -gt 3 ]; then
  die "$# arguments given, at most 3 expected (plugin, engine config, reload-every-frames); quote the JSON config, e.g. $example"
fi
given=$1
case $given in
  *[[:cntrl:]]*) die "the plugin path contains a control character (newline, tab...); rename the file or its folder" ;;
esac
if [ -d "$given" ]; then
  die "$given is a directory; give the plugin library file inside it (lib<name>.so), e.g. $example"
elif [ ! -e "$given" ]; then
  die "$given: no such file; give the path of a built plugin library, e.g. $example"
elif [ ! -f "$given" ] || [ ! -r "$given" ]; then
  die "$given is not a readable regular file; give the plugin library (lib<name>.so), e.g. $example"
fi
plugin=$(CDPATH='' cd -P -- "$(dirname -- "$given")" && pwd)/$(basename -- "$given")

# Pasted into the runner's config as the engine's "config": the runner's
# JSON parser checks it in the pre-flight below and names what is wrong.
engine_config=${2:-'{}'}
every=${3:-250}
if ! [[ $every =~ ^[1-9][0-9]{0,17}$ ]]; then
  die "reload-every-frames '$every' is not a positive whole number; pass e.g. 250 (the sample has ~5000 frames)"
fi

# ---- what the check needs ----
build=${SIGRUN_BUILD:-$root/build/release}
sigrun=$build/runner/sigrun
[ -x "$sigrun" ] || die "$sigrun not found; build it first (tools/test.sh or tools/demo.sh) or set SIGRUN_BUILD to your build folder"
if grep -qa -e __asan_init -e __tsan_init "$sigrun"; then
  die "$sigrun is built with a sanitizer (ASan/TSan) and valgrind cannot run it; set SIGRUN_BUILD to a build without SIGRUN_SANITIZE, e.g. build/release"
fi
command -v valgrind >/dev/null || die "valgrind not installed; run tools/setup-debian.sh"
data=("$root/examples/data/spot_btcusdt_book20.csv.gz" "$root/examples/data/spot_btcusdt_trades.csv.gz")
for f in "${data[@]}"; do
  [ -f "$f" ] || die "$f not found: the bundled replay sample is missing; restore examples/data (git checkout examples/data)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Paths go into the runner's JSON config as string literals: quotes and
# backslashes are escaped there; control characters are refused here.
for path in "$work" "${data[@]}"; do
  case $path in
    *[[:cntrl:]]*) die "the path $path contains a control character (newline, tab...); use a plain folder (TMPDIR for the temporary one)" ;;
  esac
done
json_string() {
  local s=$1 bs=\\ q=\"
  s=${s//"$bs"/"$bs$bs"}
  s=${s//"$q"/"$bs$q"}
  printf '"%s"' "$s"
}
# runner_config <journal folder>: the runner's config, on stdout.
runner_config() {
  local journal library book trades
  journal=$(json_string "$1")
  library=$(json_string "$plugin")
  book=$(json_string "${data[0]}")
  trades=$(json_string "${data[1]}")
  cat <<JSON
{
  "journal": { "dir": $journal, "md": { "capacity": 1024, "slot_size": 512 } },
  "source": { "kind": "replay", "files": [$book,
                                          $trades] },
  "engines": [ { "name": "candidate", "library": $library, "config": $engine_config, "reload": false } ],
  "hot_swap": { "watch": false },
  "output": { "print_factors": 0 }
}
JSON
}
runner_config "$work/preflight-journal" > "$work/preflight.json"
runner_config "$work/journal" > "$work/runner.json"

# The runner's own error line (stderr "sigrun: ..."), without the prefixes
# that repeat the plugin path; else its last line.
runner_error() {
  local line logged
  line=$(grep '^sigrun: ' "$1" | tail -n 1 || true)
  [ -n "$line" ] || line=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1 || true)
  line=${line#sigrun: }
  line=${line#"plugin $plugin: "}
  # "its reason is logged above": the engine's last logged error is that reason
  logged=$(grep -E '^\[[^]]*\] \[(error|critical)\] ' "$1" | tail -n 1 | sed -E 's/^\[[^]]*\] \[[a-z]+\] (\[[^]]*\] )?//' || true)
  if [ -n "$logged" ] && [[ $line == *"(its reason is logged above)"* ]]; then
    line=${line/"(its reason is logged above)"/"(the engine logged: $logged)"}
  fi
  printf '%s' "${line:-no message}"
}

# ---- pre-flight without valgrind: load, create, destroy, dlclose once ----
set +e
"$sigrun" --config "$work/preflight.json" --check-config --log-level error > "$work/preflight.out" 2> "$work/preflight.err"
rc=$?
set -e
# A refusal is a plain exit code with a reason; a crash (signal) is a bug of
# the plugin that the run under valgrind will show with its stack.
if [ $rc -ne 0 ] && [ $rc -lt 128 ]; then
  why=$(runner_error "$work/preflight.err")
  if [[ $why == *"$work/preflight.json"* ]]; then
    # The error is in the config this script wrote: the only part of it the
    # user gave is the engine config.
    die "the engine config '$engine_config' is not valid (${why//"config $work/preflight.json"/the runner config}); pass one JSON object, e.g. '{}' or '{\"levels\": 5}', quoted for the shell"
  fi
  die "the runner refused $plugin: $why"
fi

# ---- the run under valgrind ----
echo "check-leaks: $plugin under valgrind memcheck, hot-swapped every $every frames (may take a minute)..."
set +e
# In a subshell whose stderr is dropped: a runner killed by a signal is
# reported in the verdict, not by bash's "Segmentation fault" line.
(
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --keep-debuginfo=yes \
  --num-callers=20 --suppressions="$root/tests/valgrind.supp" --log-fd=3 \
  "$sigrun" --config "$work/runner.json" --reload-every "$every" --log-level warn \
  > "$work/run.out" 2> "$work/run.err" 3> "$work/valgrind.log"
exit $?
) 2> /dev/null
rc=$?
set -e
log=$work/valgrind.log

if ! grep -q 'ERROR SUMMARY:' "$log"; then
  # valgrind did not get as far as its summary: nothing was checked.
  why=$(grep -h -v '^[[:space:]]*$' "$work/run.err" "$log" | sed 's/^==[0-9]*== *//' | tail -n 1 || true)
  kept=$(mktemp --tmpdir check-leaks.XXXXXX.json)
  cp "$work/runner.json" "$kept"
  die "valgrind did not finish running sigrun (exit $rc): ${why:-no message}; run it by hand: valgrind $sigrun --config $kept"
fi
errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
crash=$(grep -m 1 'Process terminating with default action of signal' "$log" | sed 's/^==[0-9]*== *//' || true)
if [ $rc -ne 0 ] && [ "${errors:-0}" -eq 0 ] && [ -z "$crash" ] && ! grep -q '=== sigrun summary' "$work/run.out"; then
  # The runner stopped before running: the same refusal as the pre-flight's.
  die "the runner refused $plugin under valgrind: $(runner_error "$work/run.err")"
fi

echo "--- runner"
grep -E "^(frames dispatched|frames pinned at exit|hot swaps|run failed)" "$work/run.out" || echo "(no run summary)"
echo "--- valgrind"
sed -n 's/^==[0-9]*== *//p' "$log" | grep -E "^(ERROR SUMMARY|All heap blocks were freed|definitely lost:|indirectly lost:|possibly lost:|still reachable:)" || true
sed -n 's/^==[0-9]*== *//p' "$log" | grep -E "^suppressed: [1-9]" || true

# The top stacks: memory errors (and a crash) in the order they happened,
# then loss records, definite before indirect before possible, biggest first;
# at most 3 records of 5 frames (plus where the bad address is), frames
# without their hex addresses, long names cut.
stacks=$(sed -n 's/^==[0-9]*== \{0,1\}//p' "$log" | awk '
  # A record is kept once per distinct stack (the frames shown): the later
  # ones with the same stack are only counted.
  function flush() {
    if (nlines > 0) {
      total++
      if (frames in seen) same[seen[frames]]++
      else { seen[frames] = ++count; rank[count] = key; head[count] = header; body[count] = stack; same[count] = 0 }
    }
    nlines = 0; stack = ""; frames = ""; address = 0
  }
  function shorten(line,   tail, at, i) {
    if (line ~ /^ *(at|by) 0x[0-9A-Fa-f]+: / && match(line, /0x[0-9A-Fa-f]+: /)) {
      line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
    }
    if (length(line) <= 150) return line
    at = 0
    for (i = length(line); i > 1; i--) if (substr(line, i - 1, 2) == " (") { at = i - 1; break }
    tail = at > 0 && length(line) - at < 70 ? substr(line, at) : ""
    return substr(line, 1, 150 - length(tail) - 3) "..." tail
  }
  /^(Invalid (read|write|free|alignment|memory pool)|Mismatched (free|new\/delete)|Conditional jump or move depends on uninitialised|Use of uninitialised|Uninitialised byte|Syscall param|Source and destination overlap|Argument .* of function|Illegal memory pool|Process terminating with default action|Jump to the invalid address)/ {
    flush(); errors_seen++
    key = sprintf("0 %08d", errors_seen); nlines = 1; header = $0; next
  }
  / bytes in [0-9,]+ blocks are (definitely|indirectly|possibly) lost in loss record / {
    flush()
    kind = $0 ~ /definitely/ ? 1 : ($0 ~ /indirectly/ ? 2 : 3)
    bytes = $1; gsub(/,/, "", bytes)
    key = sprintf("%d %015.0f", kind, 1e14 - bytes); nlines = 1; header = $0; next
  }
  /^$/ || /^Thread [0-9]+/ { flush(); next }
  # where the bad address is (only the first such line, not its stacks)
  nlines > 0 && /^ *Address 0x/ && !address { stack = stack "\n" shorten($0); address = 1; nlines = 6; next }
  nlines > 0 && nlines < 6 { line = shorten($0); stack = stack "\n" line; frames = frames "\n" line; nlines++ }
  END {
    flush()
    # insertion sort of the distinct stacks on their keys (few of them)
    for (i = 1; i <= count; i++) order[i] = i
    for (i = 2; i <= count; i++) {
      o = order[i]
      for (j = i - 1; j >= 1 && rank[order[j]] > rank[o]; j--) order[j + 1] = order[j]
      order[j + 1] = o
    }
    printf "%d %d\n", total, count
    for (i = 1; i <= count && i <= 3; i++) {
      o = order[i]
      print head[o] (same[o] > 0 ? " (+" same[o] " more with this stack)" : "") body[o]
    }
  }')
read -r records distinct <<< "$(printf '%s\n' "$stacks" | head -n 1)"
shown="$((distinct < 3 ? distinct : 3)) of $distinct distinct, $records records"

reasons=()
# ERROR SUMMARY counts each definite/indirect loss record as one error
leak_records=$(grep -cE 'are (definitely|indirectly) lost in loss record' "$log" || true)
memory_errors=$(( ${errors:-0} - leak_records ))
[ "$memory_errors" -le 0 ] || reasons+=("$memory_errors memory errors")
for kind in definitely indirectly; do
  lost=$(sed -n "s/^==[0-9]*== *$kind lost: \([1-9].*\)/\1/p" "$log" | tail -n 1)
  [ -z "$lost" ] || reasons+=("$kind lost: $lost")
done
[ -z "$crash" ] || reasons+=("the runner crashed: $crash")
if grep -q '^sigrun: ' "$work/run.err"; then
  reasons+=("runner: $(runner_error "$work/run.err")")
fi
if [ $rc -ne 0 ] && [ ${#reasons[@]} -eq 0 ]; then
  reasons+=("exit code $rc")
fi

if [ "$records" -gt 0 ] && [ ${#reasons[@]} -gt 0 ]; then
  kept=$(mktemp --tmpdir check-leaks.XXXXXX.log)
  cp "$log" "$kept"
  echo "--- top stacks ($shown; full valgrind log: $kept)"
  printf '%s\n' "$stacks" | tail -n +2
elif [ ${#reasons[@]} -gt 0 ]; then
  kept=$(mktemp --tmpdir check-leaks.XXXXXX.log)
  cp "$log" "$kept"
  echo "--- full valgrind log: $kept"
elif [ "$records" -gt 0 ]; then
  echo "--- top stacks ($shown; possible leaks only: they do not fail the check)"
  printf '%s\n' "$stacks" | tail -n +2
fi

swaps=$(sed -n 's/^hot swaps *\([0-9]*\) ok, \([0-9]*\) failed, \([0-9]*\) not unloaded.*/\1 \2 \3/p' "$work/run.out")
if [ -n "$swaps" ]; then
  read -r ok failed not_unloaded <<< "$swaps"
  [ "$ok" -gt 0 ] || echo "note: no hot swap happened, so no unload was checked; pass a smaller reload-every-frames than $every"
  if [ "$failed" -ne 0 ]; then
    why=$(grep -m 1 'hot swap of engine .* failed' "$work/run.err" | sed 's/^\[[^]]*\] \[[^]]*\] //' || true)
    echo "note: $failed hot swap(s) failed, so fewer cycles were checked: ${why:-see the log of sigrun}"
  fi
  [ "$not_unloaded" -eq 0 ] || echo "note: $not_unloaded old copies stayed mapped after dlclose (unique symbols, RTLD_NODELETE, live threads?)"
fi

if [ ${#reasons[@]} -eq 0 ]; then
  echo "verdict: CLEAN (no memory errors, no definite or indirect leaks)"
  exit 0
fi
reason_text=$(printf '%s; ' "${reasons[@]}")
echo "verdict: NOT CLEAN (${reason_text%; })"
exit 1
