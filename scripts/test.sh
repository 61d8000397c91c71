#!/usr/bin/env bash
# The test command: installs what is missing, makes sure PostgreSQL is up, then runs
# ruff, mypy, the C accelerator's sanitizer and fuzzing checks (scripts/check_native.sh) and
# the whole pytest suite (SQLite always, PostgreSQL, anvil, node interop).
set -euo pipefail
cd "$(dirname "$0")/.."
# the install builds the C accelerator: a failed build fails here, and the suite fails
# (instead of skipping) wherever the accelerator is missing
export ANCHOR_REQUIRE_NATIVE=1
bash scripts/setup.sh

# Debian's chromium drives the explorer page test (headless). Installed once, as root.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || echo "warning: could not install chromium; the browser test will fail" >&2
fi


if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# NATS with JetStream for the event bus consumer's tests (anchor/service/consume.py)
if ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && [ -x /usr/sbin/nats-server ]; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break; sleep 1; done
fi

.venv/bin/ruff check anchor tests scripts
.venv/bin/ruff format --check anchor tests scripts
.venv/bin/mypy
bash scripts/check_native.sh
# the slowest tests are listed at the end (the suite is kept under 20 minutes on 2 cores)
.venv/bin/python -m pytest -n 2 --durations=25 "$@"
