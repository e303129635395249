#!/usr/bin/env bash
# Runs tools/check-leaks.sh as a user does (SIGRUN_BUILD = the build tree under
# test) and checks its exit code and output. One ctest test per case
# (tests/tools/CMakeLists.txt, label check_leaks):
#
#   check_leaks_test.sh <case> <check-leaks.sh> <build dir> <libsigrun_ofi.so> <libleaky_engine.so> <reload-every>
#
# Every run's output is printed, then each failed expectation as "FAIL: ...";
# the exit code is 1 when any expectation failed.
set -uo pipefail

if [ $# -ne 6 ]; then
  echo "usage: check_leaks_test.sh <case> <check-leaks.sh> <build dir> <ofi plugin> <leaky plugin> <reload-every>" >&2
  exit 2
fi
case_name=$1 script=$2 build=$3 ofi=$4 leaky=$5 every=$6
source_root=$(cd -- "$(dirname -- "$script")/.." && pwd)
export SIGRUN_BUILD=$build

# Scratch space, also the script's TMPDIR: a NOT CLEAN run keeps its full
# valgrind log there, and nothing else may be left behind.
scratch=$(mktemp -d "$build/check_leaks_test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
scratch=$(cd -P -- "$scratch" && pwd)
mkdir "$scratch/tmp"
export TMPDIR=$scratch/tmp

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# run <args...>: runs the script; sets $out (stdout and stderr) and $rc.
run() {
  local shown
  shown=$(printf " '%s'" "$@")
  echo "=== tools/check-leaks.sh$shown"
  out=$(bash "$script" "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  echo "=== exit code $rc"
}
# A literal text as an extended regular expression.
re() { sed 's/[][\.*^$+?(){}|]/\\&/g' <<< "$1"; }
expect_rc() { [ "$rc" -eq "$1" ] || fail "exit code $rc, expected $1"; }
expect() { grep -qE -- "$1" <<< "$out" || fail "no line matches /$1/"; }
expect_fixed() { grep -qF -- "$1" <<< "$out" || fail "the output does not contain \"$1\""; }
expect_not() { ! grep -qE -- "$1" <<< "$out" || fail "a line matches /$1/ but must not"; }
expect_max_lines() {
  local lines
  lines=$(printf '%s\n' "$out" | wc -l)
  [ "$lines" -le "$1" ] || fail "$lines lines of output, at most $1 expected"
}
# A usage error: exit 2 and exactly one line naming the problem.
expect_usage_error() {
  expect_rc 2
  expect_max_lines 1
  expect "^check-leaks: .*$1"
  expect_not "verdict|ERROR SUMMARY|under valgrind"
}
# The number N of "hot swaps N ok, ..."; empty when there is no such line.
swaps_ok() { sed -n 's/^hot swaps *\([0-9]*\) ok,.*/\1/p' <<< "$out"; }
expect_nothing_left() {
  local left
  left=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 | head -n 3)
  [ -z "$left" ] || fail "left behind in TMPDIR: $left"
}

# A NOT CLEAN run of the leaky fixture: the leak is reported by kind, with
# the plugin's file:line and the leaking function although every copy of the
# library was dlclose'd, one block per engine instance (the first + one per
# hot swap), and the full log is kept.
expect_leaky_report() {
  expect_rc 1
  expect "^verdict: NOT CLEAN \(.*definitely lost: [0-9,]+ bytes in [0-9,]+ blocks"
  expect "^definitely lost: [1-9][0-9,]* bytes in [1-9][0-9,]* blocks"
  expect "^indirectly lost: "
  expect "^possibly lost: "
  expect "^still reachable: "
  expect "^--- top stacks "
  expect "^ +by (0x[0-9A-F]+: )?leak_per_instance \(leaky_engine\.c:[0-9]+\)"
  expect "^ +by (0x[0-9A-F]+: )?signal_create \(leaky_engine\.c:[0-9]+\)"
  expect_not "^==[0-9]+=="
  expect_not "\?\?\?"
  expect_max_lines 40
  local ok blocks
  ok=$(swaps_ok)
  expect "^hot swaps +[0-9]+ ok, 0 failed, 0 not unloaded"
  if [ -z "$ok" ] || [ "$ok" -lt 2 ]; then
    fail "hot swaps ${ok:-(none)} ok, expected at least 2 load/destroy/dlclose cycles"
  fi
  blocks=$(sed -n 's/^definitely lost: [0-9,]* bytes in \([0-9,]*\) blocks$/\1/p' <<< "$out" | tr -d ,)
  if [ -n "$ok" ] && [ "${blocks:-0}" != "$((ok + 1))" ]; then
    fail "definitely lost in ${blocks:-no} blocks, expected $((ok + 1)): one per engine instance (1 + $ok hot swaps)"
  fi
  local kept
  kept=$(sed -n 's/.*full valgrind log: \(.*\))$/\1/p' <<< "$out")
  if [ -z "$kept" ] || [ ! -f "$kept" ]; then
    fail "no full valgrind log kept (\"full valgrind log: <path>\")"
  else
    grep -q 'leak_per_instance (leaky_engine.c:' "$kept" || fail "the kept log $kept has no leak_per_instance stack"
    rm -f "$kept"
  fi
  expect_nothing_left
}

case $case_name in
  clean_shipped_plugin)
    run "$ofi" '{"levels": 5}' "$every"
    expect_rc 0
    expect "^verdict: CLEAN"
    expect "^ERROR SUMMARY: 0 errors from 0 contexts"
    expect "^frames dispatched depth=[1-9][0-9]* trade=[1-9][0-9]*"
    expect "^frames pinned at exit 0$"
    expect "^hot swaps +[0-9]+ ok, 0 failed, 0 not unloaded"
    expect "^(All heap blocks were freed -- no leaks are possible|definitely lost: 0 bytes in 0 blocks)$"
    expect_not "NOT CLEAN|^--- top stacks|^note:|^==[0-9]+=="
    expect_max_lines 40
    ok=$(swaps_ok)
    if [ -z "$ok" ] || [ "$ok" -lt 2 ]; then
      fail "hot swaps ${ok:-(none)} ok, expected at least 2 load/destroy/dlclose cycles"
    fi
    expect_nothing_left
    ;;
  leaky_plugin)
    run "$leaky" '{}' "$every"
    expect_leaky_report
    ;;
  leaky_plugin_odd_path)
    # Spaces, a double quote and a backslash in the folder and file names:
    # quoting in the script and in the JSON config it writes for the runner.
    odd="$scratch/dir with space \"quote\" back\\slash"
    mkdir -p "$odd"
    cp "$leaky" "$odd/lib leaky \"engine\".so"
    run "$odd/lib leaky \"engine\".so" '{"note": "a \"quoted\" value"}' "$every"
    expect_fixed "check-leaks: $odd/lib leaky \"engine\".so under valgrind memcheck"
    expect_leaky_report
    ;;
  usage_no_argument)
    run
    expect_usage_error "no plugin given; usage: tools/check-leaks.sh <plugin.so>.*e\.g\. "
    run ""
    expect_usage_error "no plugin given"
    run "$leaky" '{}' "$every" extra
    expect_usage_error "4 arguments given, at most 3"
    ;;
  usage_missing_file)
    run "$scratch/no such folder/libmissing.so"
    expect_usage_error "$(re "$scratch/no such folder/libmissing.so"): no such file; give the path of a built plugin library"
    run "$scratch"
    expect_usage_error "is a directory; give the plugin library file inside it"
    ;;
  usage_not_a_library)
    # The runner refuses them before valgrind starts; the script says so
    # instead of printing a leak verdict of an aborted run.
    run "$source_root/tests/test_plugins/not_a_library/README.txt"
    expect_usage_error "the runner refused $(re "$source_root/tests/test_plugins/not_a_library/README.txt"): dlopen failed: .*is it a shared library built for this machine\?"
    mkdir "$scratch/plain text"
    echo "just text" > "$scratch/plain text/libtext.so"
    run "$scratch/plain text/libtext.so" '{}' "$every"
    expect_usage_error "the runner refused $(re "$scratch/plain text/libtext.so"): truncated or corrupt library"
    expect_nothing_left
    ;;
  usage_bad_engine_config)
    for config in '{levels: 5}' '[1, 2]' '"levels"' '{"levels": 5' '{"levels": 5,}' '{"a": "\q"}'; do
      run "$ofi" "$config" "$every"
      expect_usage_error "the engine config '.*' is not valid \(the runner config: .*\); pass one JSON object, e\.g\. '\{\}'"
    done
    ;;
  usage_bad_reload_every)
    for every_value in 0 -5 abc 1.5 99999999999999999999; do
      run "$ofi" '{}' "$every_value"
      expect_usage_error "reload-every-frames '$every_value' is not a positive whole number; pass e\.g\. 250"
    done
    ;;
  usage_bad_build)
    # No runner in SIGRUN_BUILD, then a runner built with a sanitizer (a
    # stand-in that carries ASan's init symbol name): valgrind cannot run it.
    SIGRUN_BUILD="$scratch/empty build" run "$ofi"
    expect_usage_error "$(re "$scratch/empty build/runner/sigrun") not found; build it first"
    mkdir -p "$scratch/asan build/runner"
    printf '#!/bin/sh\n# __asan_init\nexit 0\n' > "$scratch/asan build/runner/sigrun"
    chmod +x "$scratch/asan build/runner/sigrun"
    SIGRUN_BUILD="$scratch/asan build" run "$ofi"
    expect_usage_error "built with a sanitizer \(ASan/TSan\) and valgrind cannot run it; set SIGRUN_BUILD to a build without SIGRUN_SANITIZE"
    ;;
  *)
    echo "check_leaks_test.sh: unknown case '$case_name'" >&2
    exit 2
    ;;
esac

if [ "$failures" -ne 0 ]; then
  echo "check_leaks.$case_name: $failures expectation(s) failed"
  exit 1
fi
echo "check_leaks.$case_name: all expectations met"
