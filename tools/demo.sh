#!/usr/bin/env bash
# Command one of the README: set up a fresh Debian 12 machine, build the
# default (release) preset and run the runner on the bundled real Binance
# sample with the three shipped engines.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-debian.sh
cmake --preset release
cmake --build --preset release -j 2 --target sigrun sigrun_ofi sigrun_microprice sigrun_trade_flow
rm -rf build/release/demo/journal   # a fresh journal each run
exec build/release/runner/sigrun --config build/release/demo/runner.json "$@"
