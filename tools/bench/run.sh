#!/usr/bin/env bash
# The whole benchmark suite, one command:
#
#   tools/bench/run.sh [--quick] [--save-baseline]
#
# Builds what it needs in the release (copy handoff) and zero-copy
# (frame-ref) presets, reusing existing build folders, with -j2; runs every
# benchmark; writes build/bench/results.json (raw outputs in
# build/bench/raw/) and regenerates docs/performance.md and its plots from
# it (tools/bench/report.py, template tools/bench/performance.md.in),
# including the Targets table at its top and the table between the
# perf-table markers of README.md's "Performance" section.
#
#   --quick          fewer repetitions and samples: a few minutes on 2 cores
#   --save-baseline  also copy results.json to docs/bench-baseline.json, the
#                    "before" that the plots and tables compare against
#
# Environment: SIGRUN_BENCH_JOBS (build jobs, default 2),
# SIGRUN_BENCH_EVENTS (runner end-to-end and hot-swap events, default
# 2000000; --quick 200000), SIGRUN_BENCH_SWAP_ROUNDS (hot-swap rounds of all
# three engines, default 100).
# Exit 0 when everything ran; non-zero with one line saying what is missing
# or what failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

quick=0
save_baseline=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --save-baseline) save_baseline=1 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (use --quick, --save-baseline)" >&2; exit 2 ;;
  esac
done

die() { echo "run.sh: $*" >&2; exit 1; }

# ---- what the suite needs, checked before anything is built --------------------
for tool in cmake ninja c++ python3 valgrind; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run tools/setup-debian.sh"
done
echo '#include <boost/lockfree/spsc_queue.hpp>' | c++ -std=c++20 -fsyntax-only -x c++ - 2>/dev/null ||
  die "boost/lockfree/spsc_queue.hpp not found; install libboost-dev (tools/setup-debian.sh)"
echo '#include <readerwriterqueue.h>' | c++ -std=c++20 -fsyntax-only -I/usr/include/readerwriterqueue -x c++ - 2>/dev/null ||
  die "readerwriterqueue.h not found; install libreaderwriterqueue-dev (tools/setup-debian.sh)"
# The first python3 with matplotlib: the one on PATH, else Debian's (a pyenv or
# venv python3 first on PATH does not see python3-matplotlib).
python=
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import matplotlib' >/dev/null 2>&1; then python=$candidate; break; fi
done
[ -n "$python" ] || die "python3 matplotlib not found; install python3-matplotlib (tools/setup-debian.sh)"

jobs=${SIGRUN_BENCH_JOBS:-2}
if [ "$quick" = 1 ]; then
  reps=3; min_time=0.05; lat_samples=100000; lat_rounds=5; events=20480; e2e_events=${SIGRUN_BENCH_EVENTS:-200000}; e2e_runs=3
else
  reps=10; min_time=0.5; lat_samples=1000000; lat_rounds=10; events=102400; e2e_events=${SIGRUN_BENCH_EVENTS:-2000000}; e2e_runs=15
fi

out=build/bench
raw=$out/raw
rm -rf "$raw"
mkdir -p "$raw"
log=$out/run.log
: > "$log"
step() { echo "run.sh: [+${SECONDS}s] $*"; }

# ---- machine, at the start --------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- journal signal_sdk runner plugins 2>/dev/null; then
  commit="$commit+uncommitted"   # the measured code differs from the commit
fi
"$python" - "$raw/machine.json" "$quick" "$commit" <<'PY'
import json, os, platform, sys, datetime
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
flags = ""
try:
    flags = next(l for l in open("/proc/cpuinfo") if l.startswith("flags"))
except (OSError, StopIteration):
    pass
json.dump({"cpu": cpu, "cores": os.cpu_count(), "cpus_allowed": len(os.sched_getaffinity(0)),
           "hypervisor": " hypervisor" in flags, "kernel": platform.release(),
           "load_start": list(os.getloadavg()),
           "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
           "quick": sys.argv[2] == "1", "commit": sys.argv[3]}, open(sys.argv[1], "w"), indent=1)
PY

# ---- build, both handoff modes -------------------------------------------------------
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
for preset in release zero-copy; do
  step "building $preset (-j$jobs; log $log)"
  # (re)configure: cheap on an existing folder, and picks up packages installed since
  cmake --preset "$preset" "${launcher[@]}" >>"$log" 2>&1 || die "configuring preset $preset failed; see $log"
  cmake --build --preset "$preset" -j "$jobs" --target bench_suite >>"$log" 2>&1 ||
    die "building preset $preset failed; see $log"
  [ -x "build/$preset/tools/bench/bench_peers" ] ||
    die "build/$preset/tools/bench/bench_peers was not built: CMake found no boost/lockfree or readerwriterqueue.h (see $log)"
done
rel=build/release/tools/bench
zc=build/zero-copy/tools/bench

gbench() {  # program, output name, extra args...
  local program=$1 name=$2; shift 2
  "$program" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_out="$raw/$name.json" --benchmark_out_format=json "$@" >>"$log" 2>&1 ||
    die "$program failed; see $log"
}

# ---- journal vs peers, cache line floor ----------------------------------------------
step "journal vs peers: throughput ($reps interleaved repetitions)"
gbench "$rel/bench_peers" peers
step "journal vs peers: one-way latency ($lat_samples samples per series, $lat_rounds interleaved rounds)"
"$rel/latency_peers" --samples "$lat_samples" --rounds "$lat_rounds" \
  --json "$raw/latency.json" --cdf "$raw/latency_cdf.json" >>"$log" 2>&1 || die "latency_peers failed; see $log"
step "journal write only; floors (clock read, rdtsc, atomic increment, CAS)"
gbench "$rel/bench_journal" journal --benchmark_filter='BM_WriteOnly|BM_Primitive'

# ---- handoff and dispatch, both modes ----------------------------------------------
for preset in release zero-copy; do
  step "handoff and dispatch ($preset)"
  gbench "build/$preset/tools/bench/bench_dispatch" "dispatch-$preset"
done

# ---- instructions per event (callgrind) and allocations per event ------------------
# bench_events runs N events inside measured_batch() (work to prepare them
# outside); callgrind collects only inside it (--toggle-collect), so Ir / N
# is the cost of one event.
stages_journal="journal_write journal_read journal_read_in_place"
stages_dispatch="handoff_null handoff_keep dispatch_null dispatch_microprice"
for preset in release zero-copy; do
  stages=$stages_dispatch
  [ "$preset" = release ] && stages="$stages_journal $stages_dispatch"
  for stage in $stages; do
    step "instructions and allocations per event: $stage ($preset)"
    prog=build/$preset/tools/bench/bench_events
    "$prog" "$stage" "$events" > "$raw/allocs-$preset-$stage.txt" 2>>"$log" || die "$prog $stage failed; see $log"
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured_batch \
      --callgrind-out-file="$raw/callgrind-$preset-$stage.out" "$prog" "$stage" "$events" \
      > "$raw/callgrind-$preset-$stage.txt" 2>>"$log" || die "callgrind on $prog $stage failed; see $log"
  done
done

# ---- runner end to end; hot-swap switch pause -----------------------------------------
# The signals journal: slot_size 512 (one frame holds an engine call's values:
# ofi's 6, microprice's 4) and the runner's default capacity, 65536 slots
# (32 MiB). A run writes about one frame per engine call that emits (~1.8 per
# event, so ~3.5 M for 2 M events): the ring is overwritten many times over.
# Nothing reads, gates or pins the signals journal in this run, so a lap
# costs the writer exactly what a fresh slot does (the file is populated
# when it is opened); holding every batch would take a 2^22-slot, 2 GiB
# file. sigrun-journal info after each run records how many were written.
swap_rounds=${SIGRUN_BENCH_SWAP_ROUNDS:-100}
reload_every=$(( e2e_events / swap_rounds ))
[ "$reload_every" -ge 1 ] || reload_every=1
# One config per build; the end-to-end runs then alternate between the two
# builds (release, zero-copy, release, ...), so that a drift of the machine's
# speed during the runs moves both alike and the pairwise ratio means
# something (report.py: runner_e2e_pair_ratio).
for preset in release zero-copy; do
  dir=$root/$out/e2e-$preset
  mkdir -p "$dir"
  plugins=$root/build/$preset/plugins
  cat > "$dir/runner.json" <<JSON
{
  "journal": { "dir": "$dir/journal",
               "md": { "capacity": 4096, "slot_size": 512 },
               "signals": { "capacity": 65536, "slot_size": 512 },
               "pin_timeout_ms": 1000 },
  "source": { "kind": "synthetic", "seed": 42, "events": $e2e_events, "instrument": "BTCUSDT" },
  "engines": [
    { "name": "ofi", "library": "$plugins/ofi/libsigrun_ofi.so", "config": { "levels": 5, "window_events": 100 } },
    { "name": "microprice", "library": "$plugins/microprice/libsigrun_microprice.so", "config": { "levels": 5 } },
    { "name": "trade_flow", "library": "$plugins/trade_flow/libsigrun_trade_flow.so", "config": { "window_events": 200 } }
  ],
  "output": { "print_factors": 0 }
}
JSON
done
for run in $(seq 1 "$e2e_runs"); do
  for preset in release zero-copy; do
    dir=$root/$out/e2e-$preset
    step "runner end to end ($preset, $e2e_events synthetic events, run $run/$e2e_runs)"
    rm -rf "$dir/journal"
    t0=$(date +%s%N)
    timeout 900 "build/$preset/runner/sigrun" --config "$dir/runner.json" > "$raw/e2e-$preset-$run.txt" 2>>"$log" ||
      die "sigrun ($preset) failed; see $raw/e2e-$preset-$run.txt and $log"
    t1=$(date +%s%N)
    echo "wall_ns $((t1 - t0))" >> "$raw/e2e-$preset-$run.txt"
    "build/$preset/tools/journal_inspect/sigrun-journal" info "$dir/journal/signals.journal" \
      > "$raw/e2e-$preset-$run-signals.txt" 2>>"$log" || die "sigrun-journal info on the signals journal failed; see $log"
  done
done
for preset in release zero-copy; do
  dir=$root/$out/e2e-$preset
  # Hot swap: the same run, every engine reloaded from its own file after each
  # $reload_every dispatched frames (sigrun --reload-every): about
  # $swap_rounds rounds of three swaps at full feed speed, no state carried,
  # no warm-up. The runner times each switch (dispatch standing still between
  # two frames while the new engine is put in place) and prints p50/p99/max.
  step "hot-swap switch pause ($preset, --reload-every $reload_every, ~$swap_rounds rounds of 3 engines)"
  rm -rf "$dir/journal"
  timeout 900 "build/$preset/runner/sigrun" --config "$dir/runner.json" --reload-every "$reload_every" \
    > "$raw/hotswap-$preset.txt" 2>>"$log" || die "sigrun --reload-every ($preset) failed; see $raw/hotswap-$preset.txt and $log"
  echo "reload_every $reload_every" >> "$raw/hotswap-$preset.txt"
  rm -rf "$dir/journal"
done

# ---- sigrun-bridge over NATS JetStream (loopback, R1 and R3) ----------------------------
# bench_bridge starts and stops its own nats-server processes; it fixes its
# own iterations (whole publish runs), so it runs once, not $reps times.
if [ -x "$rel/bench_bridge" ]; then
  step "sigrun-bridge: publish throughput and journal-to-journal latency (R1, R3 cluster)"
  rm -rf build/release/bench-bridge
  "$rel/bench_bridge" --benchmark_out="$raw/bridge.json" --benchmark_out_format=json >>"$log" 2>&1 ||
    die "$rel/bench_bridge failed; see $log"
  rm -rf build/release/bench-bridge
else
  step "sigrun-bridge: not measured ($rel/bench_bridge not built: install nats-server, tools/setup-debian.sh)"
fi

# ---- machine, at the end; results; docs ----------------------------------------------
"$python" - "$raw/machine.json" <<'PY'
import json, os, sys, datetime
m = json.load(open(sys.argv[1]))
m["load_end"] = list(os.getloadavg())
m["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY
step "writing $out/results.json and docs/performance.md"
"$python" tools/bench/report.py --raw "$raw" --results "$out/results.json" \
  --baseline docs/bench-baseline.json --template tools/bench/performance.md.in \
  --doc docs/performance.md --plots docs --readme README.md || die "report.py failed"
if [ "$save_baseline" = 1 ]; then
  cp "$out/results.json" docs/bench-baseline.json
  step "saved docs/bench-baseline.json"
fi
step "done: $out/results.json, docs/performance.md, README.md (Performance table)"
