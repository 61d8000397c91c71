#!/usr/bin/env bash
# The test command: installs what is missing, makes sure PostgreSQL is up, then runs
# ruff, mypy and the whole pytest suite (SQLite always, PostgreSQL, anvil, node interop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

.venv/bin/ruff check anchor tests scripts
.venv/bin/ruff format --check anchor tests scripts
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 "$@"
