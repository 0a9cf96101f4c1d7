#!/usr/bin/env bash
# Installs the Python interop peer (the `websockets` package) into a virtualenv under
# target/peers/venv and prints the path of its python interpreter. Idempotent: a venv
# that already imports the pinned version is reused. Used by ws-client's interop test
# (ws-client/tests/python_interop.rs); run it by hand to use the peers yourself:
#
#   PY=$(scripts/python-peers.sh) && "$PY" scripts/python_echo_server.py
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/peers/venv"
version="15.0.1"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is missing: install it with 'apt-get install -y python3 python3-venv'" >&2
  exit 1
fi
if ! "$venv/bin/python" -c "import websockets, sys; sys.exit(websockets.__version__ != '$version')" 2>/dev/null; then
  mkdir -p "$(dirname "$venv")"
  if ! python3 -m venv "$venv" >&2; then
    echo "python3 cannot create a virtualenv: install it with 'apt-get install -y python3-venv'" >&2
    exit 1
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "websockets==$version" >&2
fi
echo "$venv/bin/python"
