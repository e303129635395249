#!/usr/bin/env bash
# Command two of the README: set up a fresh Debian 12 machine, build the
# default (release) preset and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-debian.sh
cmake --preset release
cmake --build --preset release -j 2
ctest --preset release "$@"
