"""The demo's record of what it started (``<data dir>/demo.pids``), so that a demo killed
without its clean-up (SIGKILL, a closed terminal) is found and stopped by the next one, by
the PIDs it recorded — and only if they still are an anvil or an ``anchor`` process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

__all__ = ["PID_FILE", "forget", "record", "stop_leftovers"]

PID_FILE = "demo.pids"


def _ours(pid: int) -> bool:
    """Alive, and still an anvil or an anchor process (a PID may have been reused)."""
    try:
        os.kill(pid, 0)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except (ProcessLookupError, PermissionError, OSError):
        return False
    return b"anvil" in cmdline or b"anchor" in cmdline


def record(data_dir: Path, **pids: int) -> None:
    """Add ``name=pid`` entries to the record (written atomically)."""
    path = data_dir / PID_FILE
    current: dict[str, int] = {}
    with contextlib.suppress(OSError, ValueError):
        current = {k: int(v) for k, v in json.loads(path.read_text()).items()}
    current.update(pids)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current) + "\n")
    os.replace(tmp, path)


def forget(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (data_dir / PID_FILE).unlink()


def stop_leftovers(data_dir: Path, say: object = print) -> list[int]:
    """Stop the processes an earlier demo recorded that are still running (SIGTERM, then
    SIGKILL after 10 s); returns their PIDs."""
    path = data_dir / PID_FILE
    try:
        recorded = {k: int(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return []
    alive = {name: pid for name, pid in recorded.items() if pid != os.getpid() and _ours(pid)}
    if alive:
        listed = ", ".join(f"{name} pid {pid}" for name, pid in alive.items())
        say(f"an earlier demo is still running ({listed}): stopping it")  # type: ignore[operator]
        # the service first (it writes to the chain), then the demo itself, then anvil
        order = sorted(alive, key=lambda n: {"service": 0, "demo": 1, "anvil": 2}.get(n, 3))
        for name in order:
            with contextlib.suppress(ProcessLookupError):
                os.kill(alive[name], signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_ours(p) for p in alive.values()):
            time.sleep(0.1)
        for pid in alive.values():
            if _ours(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    forget(data_dir)
    return list(alive.values())
