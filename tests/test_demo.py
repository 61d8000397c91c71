"""The README's main command, end to end: `anchor demo` starts a devnet, deploys, serves,
feeds sample records, and the proof command it prints verifies against the chain."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.cli import run_anchor

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def _anchor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_anchor(*args, cwd=cwd, keep_anchor_env=True)


def test_demo_anchors_and_prints_a_working_proof_command(tmp_path: Path) -> None:
    out = tmp_path / "demo.out"
    # an earlier demo's process, still running, recorded in the data dir: stopped first
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "anchor-leftover"]
    )
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "demo.pids").write_text(f'{{"service": {leftover.pid}}}')
    with out.open("w") as sink:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "anchor.cli",
                "demo",
                "--data-dir",
                str(tmp_path / "d"),
                "--interval",
                "2",
                "--rate",
                "100",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "250"},
        )
    try:
        deadline = time.monotonic() + 150
        text = ""
        while time.monotonic() < deadline:
            text = out.read_text()
            if "anchor verify" in text or demo.poll() is not None:
                break
            time.sleep(0.5)
        assert "anchor verify" in text, text
        assert f"an earlier demo is still running (service pid {leftover.pid})" in text
        assert leftover.wait(timeout=15) == -signal.SIGTERM
        prove = re.search(r"anchor prove (\S+) --api (\S+) -o proof.json", text)
        verify = re.search(r"anchor verify proof.json --rpc (\S+)", text)
        pin = re.search(r"anchor trust add (--chain-id \S+ --contract \S+ --name \S+)", text)
        assert prove and verify and pin, text
        # before pinning, the verifier refuses to judge (exit 3), it does not say "valid"
        done = _anchor(
            "prove", prove.group(1), "--api", prove.group(2), "-o", "proof.json", cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        unpinned = _anchor("verify", "proof.json", "--rpc", verify.group(1), cwd=tmp_path)
        assert unpinned.returncode == 3 and "registry not pinned" in unpinned.stderr
        pinned = _anchor("trust", "add", *pin.group(1).split(), cwd=tmp_path)
        assert pinned.returncode == 0, pinned.stderr
        checked = _anchor("verify", "proof.json", "--rpc", verify.group(1), cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "valid" in checked.stdout
        # a tampered bundle fails against the same chain
        bundle = (tmp_path / "proof.json").read_text()
        (tmp_path / "bad.json").write_text(bundle.replace('"seq": 1,', '"seq": 2,', 1))
        bad = _anchor("verify", "bad.json", "--rpc", verify.group(1), cwd=tmp_path)
        assert bad.returncode in (1, 2), bad.stdout
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()
        demo.send_signal(signal.SIGTERM)  # as Ctrl-C: everything it started is stopped
        try:
            code = demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
            raise
    text = out.read_text()
    assert "stopped the service and the devnet" in text, text
    assert code == 128 + signal.SIGTERM
    assert not (tmp_path / "d" / "demo.pids").exists()
    _every_final_batch_on_both_targets(tmp_path / "d")
    # everything the demo started is gone
    pids = [int(p) for p in re.findall(r"pid (\d+)", text)]
    assert pids
    for pid in pids:
        assert not _still_ours(pid), pid


def _still_ours(pid: int) -> bool:
    """Whether ``pid`` is still an anvil or an anchor process. Not just "exists": PIDs go
    up to 32,768 here and the rest of the suite (chromium, node, CLIs) starts processes
    all the time, so a freed PID may already be another process's."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:  # gone in between
        return False
    return b"anvil" in cmdline or b"anchor" in cmdline


def _every_final_batch_on_both_targets(data_dir: Path) -> None:
    """The demo creates its two backup directories; every final batch has its bundle on
    both, and no backup alarm was raised."""
    import sqlite3

    (db_file,) = data_dir.glob("demo*.sqlite")
    with sqlite3.connect(db_file) as conn:
        final = [r[0] for r in conn.execute("SELECT id FROM batches WHERE state = 'final'")]
        kinds = [r[0] for r in conn.execute("SELECT kind FROM alarms")]
    assert final
    for name in ("backup-a", "backup-b"):
        held = {int(p.parent.name) for p in (data_dir / name).rglob("*.bundle")}
        assert set(final) <= held, (name, sorted(set(final) - held))
    assert not [k for k in kinds if k.startswith("backup")], kinds
    log = (data_dir / "service.log").read_text(encoding="utf-8", errors="replace")
    assert "is not there" not in log
