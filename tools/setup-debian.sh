#!/usr/bin/env bash
# Installs the Debian 12 packages sigrun builds and tests with, when missing.
# Idempotent: does nothing (and needs no root) when everything is there.
set -euo pipefail

packages=(
  cmake ninja-build g++ gcc pkg-config git
  libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev zlib1g-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  valgrind binutils clang libclang-rt-14-dev ccache
  libxxhash-dev                                              # journal checksum (XXH3, header-only use)
  libboost-dev libreaderwriterqueue-dev python3-matplotlib   # tools/bench/run.sh: peer queues, plots
  python3-numpy python3-pandas python3-pytest python3-xxhash  # python/sigrun_journal, its tests (tests/python)
  prometheus                                                 # the real server tests/monitoring scrapes a runner with
  nats-server libnats-dev                                    # tools/bridge (NATS JetStream) and its cluster tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "sigrun setup: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "sigrun setup: missing packages (${missing[*]}) and not root; install them as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
