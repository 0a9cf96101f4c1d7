#!/usr/bin/env bash
# Installs the interop peers of `cargo xtask interop` into a cache folder (default
# target/interop): a Python virtualenv with `websockets`, a Node project with `ws`
# and `playwright-core`, and Debian's `chromium` and `openssl` when missing (apt-get, as root;
# otherwise it fails with how to install it). Idempotent: what is installed at the
# pinned versions is reused. Only package registries are contacted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${1:-$root/target/interop}"
py_version="15.0.1"
mkdir -p "$cache"

fail() { echo "interop setup: $*" >&2; exit 1; }

# Python: websockets in a virtualenv.
command -v python3 >/dev/null || fail "python3 is missing: apt-get install -y python3 python3-venv"
venv="$cache/venv"
if ! "$venv/bin/python" -c "import websockets, sys; sys.exit(websockets.__version__ != '$py_version')" 2>/dev/null; then
  echo "interop setup: creating $venv with websockets==$py_version" >&2
  python3 -m venv "$venv" >&2 || fail "python3 cannot create a virtualenv: apt-get install -y python3-venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "websockets==$py_version" >&2
fi

# Node: ws and playwright-core (pinned in package.json; no browser download).
command -v node >/dev/null || fail "node is missing: apt-get install -y nodejs npm (Node 18 or later)"
command -v npm >/dev/null || fail "npm is missing: apt-get install -y npm"
node_dir="$cache/node"
mkdir -p "$node_dir"
if ! cmp -s "$here/package.json" "$node_dir/package.json" || [ ! -d "$node_dir/node_modules/ws" ] \
    || [ ! -d "$node_dir/node_modules/playwright-core" ]; then
  echo "interop setup: npm install in $node_dir" >&2
  cp "$here/package.json" "$node_dir/package.json"
  (cd "$node_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >&2)
fi

# Chromium (the browser peer) and openssl (makes the wss:// test certificate) from Debian.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "interop setup: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    fail "missing: ${missing[*]}; as root run: apt-get update && apt-get install -y ${missing[*]}"
  fi
fi
command -v openssl >/dev/null || fail "openssl was not installed"
[ -x /usr/bin/chromium ] || fail "chromium was not installed at /usr/bin/chromium"
echo "interop setup: peers ready in $cache" >&2
