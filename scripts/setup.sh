#!/usr/bin/env bash
# Installs everything ledger-anchor needs, idempotently: a virtualenv in .venv with the
# package and its extras, and the pinned node tools (anvil, cast, solc, OpenZeppelin).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# the stamp covers what the install builds from: the project metadata and the C accelerator
stamp=.venv/.installed-$(cat pyproject.toml setup.py anchor/core/_native/*.c anchor/core/_native/*.h | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

for dir in hardhat-free-devnet contracts tests/js scripts/web; do
  [ -f "$dir/package.json" ] || continue
  lock="$dir/package-lock.json"
  mark="$dir/node_modules/.installed-$( (cat "$dir/package.json" "$lock" 2>/dev/null) | sha256sum | cut -c1-16)"
  if [ ! -f "$mark" ]; then
    if [ -f "$lock" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
    rm -f "$dir"/node_modules/.installed-*
    touch "$mark"
  fi
done
