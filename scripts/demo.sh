#!/usr/bin/env bash
# The main job: installs what is missing, then runs `anchor demo`.
# Arguments go to `anchor demo`: --fresh starts anew (default: continue the last run's books).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/anchor demo "$@"
