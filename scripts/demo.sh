#!/usr/bin/env bash
# The main job: installs what is missing, then runs `anchor demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/anchor demo "$@"
