#!/usr/bin/env bash
# Idempotent setup: the two virtualenvs from the pinned lock files (bytecode compiled),
# the mognad package, generated secrets. A second run only checks.
#   scripts/setup.sh            pipeline + Superset environments and secrets
#   scripts/setup.sh --browser  also Debian's chromium + chromium-driver (for the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

say() { printf '[setup] %s\n' "$*"; }

if ! command -v uv >/dev/null 2>&1; then
  say "installerar uv / installing uv"
  "$PY" -m pip install --quiet uv
fi

venv() {  # name lockfile
  local dir=".venv/$1" lock="requirements/$2" stamp=".venv/$1/.lock.sha256"
  local want; want=$(sha256sum "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "$dir: up to date"
    return
  fi
  say "$dir: installing from $lock (a few minutes the first time)"
  [ -x "$dir/bin/python" ] || uv venv --quiet -p "$PY" "$dir"
  VIRTUAL_ENV="$dir" uv pip sync --quiet "$lock"
  echo "$want" > "$stamp"
}

venv pipeline pipeline.lock
VIRTUAL_ENV=.venv/pipeline uv pip install --quiet --no-deps -e .
venv superset superset.lock

if [ "${1:-}" = "--browser" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installerar Chromium / installing chromium + chromium-driver (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

.venv/pipeline/bin/mognad setup | sed 's/^/[setup] /'
