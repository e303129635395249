#!/usr/bin/env bash
# A 3-node NATS JetStream cluster on loopback for trying sigrun-bridge.
#
#   tools/bridge/local-cluster.sh start [DIR]   # clients on 127.0.0.1:4222,4223,4224
#   tools/bridge/local-cluster.sh stop  [DIR]
#
# Every node runs tools/bridge/cluster/node.conf; DIR (default
# build/nats-cluster) holds the data folders, logs and pid files. Ports:
# SIGRUN_NATS_PORT (default 4222, then +1, +2) for clients and
# SIGRUN_NATS_ROUTE_PORT (default 6222, +1, +2) for the routes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command=${1:-}
dir=${2:-$root/build/nats-cluster}
client=${SIGRUN_NATS_PORT:-4222}
route=${SIGRUN_NATS_ROUTE_PORT:-6222}

case $command in
start)
  command -v nats-server > /dev/null || { echo "nats-server is not installed: run tools/setup-debian.sh (or apt-get install nats-server)" >&2; exit 1; }
  mkdir -p "$dir"
  for i in 0 1 2; do
    if [[ -f $dir/n$((i + 1)).pid ]] && kill -0 "$(cat "$dir/n$((i + 1)).pid")" 2> /dev/null; then
      echo "node n$((i + 1)) already runs (pid $(cat "$dir/n$((i + 1)).pid")); stop it first: $0 stop $dir" >&2
      exit 1
    fi
  done
  for i in 0 1 2; do
    a=$(( (i + 1) % 3 )); b=$(( (i + 2) % 3 ))
    SIGRUN_NATS_NAME=n$((i + 1)) \
    SIGRUN_NATS_LISTEN=127.0.0.1:$((client + i)) \
    SIGRUN_NATS_CLUSTER_LISTEN=127.0.0.1:$((route + i)) \
    SIGRUN_NATS_ROUTE_A=nats-route://127.0.0.1:$((route + a)) \
    SIGRUN_NATS_ROUTE_B=nats-route://127.0.0.1:$((route + b)) \
    SIGRUN_NATS_STORE=$dir/n$((i + 1)) \
      nohup nats-server -c "$here/cluster/node.conf" > "$dir/n$((i + 1)).log" 2>&1 &
    echo $! > "$dir/n$((i + 1)).pid"
  done
  echo "NATS cluster starting: nats://127.0.0.1:$client,nats://127.0.0.1:$((client + 1)),nats://127.0.0.1:$((client + 2)) (logs in $dir)"
  ;;
stop)
  for i in 1 2 3; do
    if [[ -f $dir/n$i.pid ]]; then
      kill "$(cat "$dir/n$i.pid")" 2> /dev/null || true
      rm -f "$dir/n$i.pid"
    fi
  done
  echo "NATS cluster stopped (data kept in $dir)"
  ;;
*)
  echo "usage: $0 start|stop [DIR]" >&2
  exit 2
  ;;
esac
