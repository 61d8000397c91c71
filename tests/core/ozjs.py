"""Run the node scripts in tests/js (the real @openzeppelin/merkle-tree)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.fixtures.paths import JS_TESTS


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node not found: Node.js 20 is required (see README)")
    if not (JS_TESTS / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        raise RuntimeError("tests/js/node_modules missing: run scripts/setup.sh first")
    return node


def run_node(script: str, stdin: Any = None, args: list[str | Path] = ()) -> Any:  # type: ignore[assignment]
    """Run ``tests/js/<script>`` with JSON on stdin; return its JSON stdout."""
    proc = subprocess.run(
        [_node(), str(JS_TESTS / script), *map(str, args)],
        input=None if stdin is None else json.dumps(stdin),
        capture_output=True,
        text=True,
        cwd=JS_TESTS,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssertionError(f"node {script} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)
