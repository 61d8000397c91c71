"""``anchor seal --now`` and ``anchor anchor-now`` against a real anvil and database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from anchor.cli import app
from anchor.service.leader import make_leadership
from tests.pipeline.helpers import make_env

pytestmark = pytest.mark.chain


def cli_env(env: Any) -> dict[str, str]:
    reg = env.reg
    return {
        "ANCHOR_DATABASE_URL": env.db.url,
        "ANCHOR_RPC_URL": reg.rpc_url,
        "ANCHOR_CHAIN_ID": str(reg.chain_id),
        "ANCHOR_CONTRACT_ADDRESS": reg.address,
        "ANCHOR_FINALITY_DEPTH": "0",
        "ANCHOR_PRIVATE_KEY": reg.devnet.accounts[1].private_key,
        "ANCHOR_CONFIG": "",
    }


def test_seal_now_seals_and_anchors(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry)
    env.ingest(70)
    runner = CliRunner()
    pending = runner.invoke(app, ["seal"], env=cli_env(env))
    assert pending.exit_code == 0 and "70 records pending" in pending.output
    result = runner.invoke(app, ["seal", "--now", "--wait", "final"], env=cli_env(env))
    assert result.exit_code == 0, result.output
    assert "sealed batch 1: 70 records" in result.output
    assert env.batch(1).state == "final"
    env.check_anchored_once()
    again = runner.invoke(app, ["anchor-now"], env=cli_env(env))
    assert again.exit_code == 0 and "nothing pending" in again.output


def test_seal_now_leaves_anchoring_to_a_running_anchorer(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry)
    env.ingest(20)
    leader = make_leadership(db)  # stands for a running `anchor serve`
    assert leader.try_acquire()
    try:
        result = CliRunner().invoke(app, ["seal", "--now"], env=cli_env(env))
    finally:
        leader.release()
    assert result.exit_code == 0, result.output
    assert "another process is the anchorer" in result.output
    assert env.batch(1).state == "sealed"  # sealed here, anchored by the leader
    assert env.attempts(1) == []


def test_backup_trouble_never_stops_anchoring(
    db: Any, deployed_registry: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    env = make_env(db, deployed_registry, finality_depth=0, backup_targets=str(blocker / "sub"))
    env.anchorer._backups = True
    env.ingest(10)
    env.seal()
    summary = env.anchorer.tick()
    assert env.batch(1).state == "final"
    assert summary.chain is not None and summary.chain.errors == []
