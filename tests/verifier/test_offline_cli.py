"""`anchor verify FILE --offline`: exit 0 valid, 1 invalid, 2 unusable; one line saying why."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anchor.cli import app
from tests.core.bundles import FINAL_ANCHOR, make_batch
from tests.fixtures.cli import run_anchor
from tests.fixtures.paths import ROOT

VECTORS = ROOT / "tests" / "vectors"
BROKEN = json.loads((VECTORS / "broken" / "index.json").read_text())
runner = CliRunner()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess (as a user runs it)."""
    return run_anchor(*args, keep_anchor_env=True, timeout=60)


def test_valid_bundle_exits_0_with_one_line() -> None:
    proc = _cli("verify", str(VECTORS / "bundles" / "valid-trade-final.json"), "--offline")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("math ok (offline)")
    assert "NOT checked against the chain" in lines[0]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_vectors_exit_with_their_code_and_step(name: str) -> None:
    expect = BROKEN[name]
    res = runner.invoke(app, ["verify", str(VECTORS / "broken" / name), "--offline"])
    assert res.exit_code == expect["exit"], res.output
    out = res.output.strip()
    assert len(out.splitlines()) == 1
    if expect["exit"] == 1:
        assert out.startswith(f"invalid: {expect['step']}: ")
    else:
        assert out.startswith("error: proof bundle: ")


def test_unusable_inputs_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert _cli("verify", str(missing), "--offline").returncode == 2
    (tmp_path / "bin.json").write_bytes(b"\x00\xff\xfe")
    proc = _cli("verify", str(tmp_path / "bin.json"), "--offline")
    assert proc.returncode == 2 and "UTF-8" in proc.stderr
    good = str(VECTORS / "bundles" / "valid-balance-pending.json")
    res = runner.invoke(app, ["verify", good])  # neither --offline nor --rpc
    assert res.exit_code == 2 and "exactly one" in res.output
    res = runner.invoke(app, ["verify", good, "--offline", "--rpc", "http://127.0.0.1:1"])
    assert res.exit_code == 2


def test_stdin_input() -> None:
    data = (VECTORS / "bundles" / "valid-balance-pending.json").read_bytes()
    res = runner.invoke(app, ["verify", "-", "--offline"], input=data)
    assert res.exit_code == 0, res.output


def test_single_byte_changes_make_the_cli_fail(tmp_path: Path) -> None:
    batch = make_batch(n=20, seed=8)
    trade = next(i for i, r in enumerate(batch.records) if r.kind == "trade")
    text = batch.bundle(trade, anchor=FINAL_ANCHOR).to_json()
    path = tmp_path / "b.json"
    path.write_bytes(text)
    assert runner.invoke(app, ["verify", str(path), "--offline"]).exit_code == 0
    # every byte is covered in-process by tests/core/test_verify.py; through the CLI a spread
    # of positions (each CLI run costs ~50 ms)
    for pos in range(0, len(text), max(1, len(text) // 150)):
        changed = bytearray(text)
        changed[pos] ^= 0x01
        path.write_bytes(bytes(changed))
        res = runner.invoke(app, ["verify", str(path), "--offline"])
        assert res.exit_code in (1, 2), (pos, res.output)
    # and through a real subprocess for a few positions spread over the file
    for pos in range(0, len(text), max(1, len(text) // 5)):
        changed = bytearray(text)
        changed[pos] ^= 0x01
        path.write_bytes(bytes(changed))
        assert _cli("verify", str(path), "--offline").returncode in (1, 2)
