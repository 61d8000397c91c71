#!/usr/bin/env bash
# Installs everything ledger-anchor needs, idempotently: a virtualenv in .venv with the
# package and its extras, the contract's analysis tools (slither, halmos) in .venv-tools, and the
# pinned node tools (anvil, cast, forge, solc, OpenZeppelin, forge-std, Sourcify's library).
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

# Slither and halmos (contracts/tools/requirements.txt) in a virtualenv of their own: slither
# pins web3 < 8, the project needs web3 8.
tools_stamp=.venv-tools/.installed-$(sha256sum contracts/tools/requirements.txt | cut -c1-16)
if [ ! -f "$tools_stamp" ]; then
  [ -x .venv-tools/bin/python ] || "$PY" -m venv .venv-tools
  .venv-tools/bin/python -m pip install --quiet --upgrade pip
  .venv-tools/bin/python -m pip install --quiet -r contracts/tools/requirements.txt
  rm -f .venv-tools/.installed-*
  touch "$tools_stamp"
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
