#!/usr/bin/env bash
# The message brokers the topic tests run against: Debian's redis-server and
# nats-server.
#
#   scripts/brokers.sh install   installs both when missing (apt-get update once,
#                                then apt-get install -y; run as root, as CI does)
#   scripts/brokers.sh start     starts both on free loopback ports, prints
#                                REDIS_URL=... and NATS_URL=..., and writes their
#                                pids to target/brokers/ (stop them with `stop`)
#   scripts/brokers.sh stop      stops what `start` started
#
# The Rust tests start and stop their own brokers (they kill and restart them
# mid-test); they find the binaries on PATH or in /usr/sbin and /usr/bin, and fail
# with the `install` command when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

find_bin() {
  command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || { [ -x "/usr/bin/$1" ] && echo "/usr/bin/$1"; } || true
}

install() {
  local missing=()
  [ -n "$(find_bin redis-server)" ] || missing+=(redis-server)
  [ -n "$(find_bin nats-server)" ] || missing+=(nats-server)
  if [ ${#missing[@]} -eq 0 ]; then
    echo "brokers: redis-server and nats-server are installed"
    return
  fi
  apt_install brokers "${missing[@]}"
  # Debian starts a system redis-server on 6379 after installing it; the tests use
  # their own on free ports, so it is left as it is.
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  mkdir -p target/brokers
  local redis_port nats_port
  redis_port=$(free_port)
  nats_port=$(free_port)
  "$(find_bin redis-server)" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no >target/brokers/redis.log 2>&1 &
  echo $! >target/brokers/redis.pid
  "$(find_bin nats-server)" -a 127.0.0.1 -p "$nats_port" >target/brokers/nats.log 2>&1 &
  echo $! >target/brokers/nats.pid
  echo "REDIS_URL=redis://127.0.0.1:$redis_port"
  echo "NATS_URL=nats://127.0.0.1:$nats_port"
}

stop() {
  for name in redis nats; do
    local pid_file="target/brokers/$name.pid"
    if [ -f "$pid_file" ]; then
      kill "$(cat "$pid_file")" 2>/dev/null || true
      rm -f "$pid_file"
    fi
  done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/brokers.sh install | start | stop" >&2; exit 2 ;;
esac
