"""``anchor reconcile`` by tampering for real, on SQLite and PostgreSQL, against anvil."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from anchor.backup.jobs import run_backups
from anchor.backup.reconcile import reconcile
from anchor.backup.targets import DirectoryTarget
from anchor.config import Config
from anchor.core.hashing import keccak256
from tests.backup.helpers import anchor, bundle_files, exec_sql, fill, flip_byte, view

pytestmark = pytest.mark.chain


def _row(db: Any, record_id: str) -> Any:
    with db.connect(write=False) as conn:
        return conn.execute(
            sa.text("SELECT seq, canonical, leaf FROM records WHERE record_id = :r"),
            {"r": record_id},
        ).one()


def _insert(db: Any, seq: int, record_id: str, like: str) -> None:
    """INSERT a plausible record row (valid canonical JSON, content hash) at ``seq``."""
    src = _row(db, like)
    canonical = str(src.canonical).replace(like, record_id)
    exec_sql(
        db,
        "INSERT INTO records (seq, record_id, kind, version, canonical, content_hash, leaf, received_at)"
        " VALUES (:s, :r, 'balance', 1, :c, :h, :l, :t)",
        s=seq,
        r=record_id,
        c=canonical,
        h=keccak256(canonical.encode()),
        l=bytes(src.leaf),
        t=datetime.now(UTC),
    )


def _key(d: Any) -> tuple[Any, ...]:
    return (d.kind, d.batch_id, d.record_id, d.field, d.target)


def test_reconcile_names_exactly_what_was_tampered(
    db: Any, deployed_registry: Any, two_targets: Any, tmp_path: Path
) -> None:
    reg = deployed_registry
    a, b = two_targets
    (tmp_path / "backup-c").mkdir()
    c = DirectoryTarget(tmp_path / "backup-c")
    batches = fill(db, [20, 20, 20])
    anchor(reg, db, batches)
    cfg = Config(backup_targets=(str(a.root), str(b.root), str(c.root)), backup_plaintext=True)
    assert run_backups(db, cfg).ok
    clean = reconcile(db, [a, b, c], view(reg))
    assert clean.ok, clean.differences
    assert clean.records == 60 and clean.batches == 3

    # 1. a balance amount changed in batch 1
    exec_sql(
        db,
        'UPDATE records SET canonical = replace(canonical, \'"available":"1003"\','
        " '\"available\":\"9003\"') WHERE record_id = 'bal-000003'",
    )
    # 2. a row deleted from batch 2 (its account link first: foreign keys are on)
    seq_del = _row(db, "bal-000025").seq
    exec_sql(db, "DELETE FROM record_accounts WHERE seq = :s", s=seq_del)
    exec_sql(db, "DELETE FROM records WHERE seq = :s", s=seq_del)
    # 3. rows inserted into sealed batches: into the hole in batch 2, and past the end of
    #    batch 3 with the batch stretched over it
    _insert(db, seq_del, "bal-forged-1", like="bal-000026")
    _insert(db, 61, "bal-forged-2", like="bal-000050")
    exec_sql(db, "UPDATE batches SET last_seq = 61, leaf_count = 21 WHERE id = 3")
    # 4. a sealed batch the database claims final, never anchored
    fill(db, [4], start=60)
    exec_sql(db, "UPDATE batches SET state = 'final' WHERE id = 4")
    # 5. one byte of a bundle flipped on target a (batch 3)
    flip_byte(bundle_files(a.root)[2])
    # 6. target b removed
    shutil.rmtree(b.root)

    report = reconcile(db, [a, b, c], view(reg))
    got = sorted(_key(d) for d in report.differences)
    want = sorted(
        [
            ("record_altered", 1, "bal-000003", "available", None),
            ("record_deleted", 2, "bal-000025", None, None),
            ("record_inserted", 2, "bal-forged-1", None, None),
            ("record_inserted", 3, "bal-forged-2", None, None),
            ("batch_altered", 3, None, "leaf_count", None),
            ("batch_altered", 3, None, "last_seq", None),
            ("batch_missing_on_chain", 4, None, None, None),
            ("bundle_missing", 4, None, None, a.name),
            ("bundle_missing", 4, None, None, c.name),
            ("bundle_altered", 3, None, None, a.name),
            ("target_unavailable", None, None, None, b.name),
        ]
    )
    assert got == want, report.differences
    assert not report.ok


def test_reconcile_without_a_backup_still_says_whether_the_batch_changed(
    db: Any, deployed_registry: Any, two_targets: Any
) -> None:
    reg = deployed_registry
    a, _ = two_targets
    batches = fill(db, [10])
    anchor(reg, db, batches)
    assert run_backups(db, Config(backup_targets=(str(a.root),), backup_plaintext=True)).ok
    flip_byte(bundle_files(a.root)[0])
    exec_sql(
        db,
        "UPDATE records SET canonical = replace(canonical, '\"USDT\"', '\"USDC\"') WHERE seq = 1",
    )
    got = sorted(_key(d) for d in reconcile(db, [a], view(reg)).differences)
    assert got == [
        ("batch_unverified", 1, None, None, None),
        ("bundle_altered", 1, None, None, a.name),
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reconcile_command(db: Any, deployed_registry: Any, two_targets: Any) -> None:
    from anchor.cli import app

    reg = deployed_registry
    a, b = two_targets
    batches = fill(db, [15, 5])
    anchor(reg, db, batches)
    assert run_backups(
        db, Config(backup_targets=(str(a.root), str(b.root)), backup_plaintext=True)
    ).ok
    env = {
        "ANCHOR_DATABASE_URL": db.url,
        "ANCHOR_RPC_URL": reg.rpc_url,
        "ANCHOR_CHAIN_ID": str(reg.chain_id),
        "ANCHOR_CONTRACT_ADDRESS": reg.address,
        "ANCHOR_BACKUP_TARGETS": f"{a.root},{b.root}",
    }
    runner = CliRunner()
    ok = runner.invoke(app, ["reconcile", "--workers", "1"], env={**env, "COLUMNS": "200"})
    assert ok.exit_code == 0, ok.output
    # a progress bar (stderr), then one row per run of clean batches and a closing line
    assert "reconcile" in ok.stderr and "2/2 batches" in ok.stderr, ok.stderr
    assert "batch " + "\n" not in ok.stdout  # no bare "batch N" lines
    row = next(line for line in ok.stdout.splitlines() if "1–2" in line)
    assert "final" in row and "20" in row and "2/2 intact" in row and "ok" in row, ok.stdout
    assert (
        "no differences: 2 batches compared (2 anchored, 0 pending), 20 records; "
        "backups: 2 target(s) checked" in ok.stdout
    ), ok.stdout
    machine = json.loads(runner.invoke(app, ["reconcile", "--json"], env=env).stdout)
    assert machine["ok"] and machine["backups_checked"]
    assert [(b["batch_id"], b["status"], b["records"], b["intact_copies"])
            for b in machine["per_batch"]] == [(1, "ok", 15, 2), (2, "ok", 5, 2)]  # fmt: skip
    # no backup targets: the database is still compared with the chain, not exit 2
    bare = {k: v for k, v in env.items() if k != "ANCHOR_BACKUP_TARGETS"}
    alone = runner.invoke(app, ["reconcile"], env={**bare, "COLUMNS": "200"})
    assert alone.exit_code == 0, alone.output
    assert "database and chain (backups not checked)" in alone.stdout
    assert "backups not checked (no backup targets: pass --target" in alone.stdout
    assert "not checked" in next(x for x in alone.stdout.splitlines() if "1–2" in x)
    exec_sql(
        db,
        'UPDATE records SET canonical = replace(canonical, \'"locked":"1"\', \'"locked":"5"\')'
        " WHERE record_id = 'bal-000016'",
    )
    bad = runner.invoke(app, ["reconcile", "--json", "--workers", "1"], env=env)
    assert bad.exit_code == 1, bad.output
    diffs = json.loads(bad.stdout)["differences"]
    assert [(d["kind"], d["batch_id"], d["record_id"], d["field"]) for d in diffs] == [
        ("record_altered", 2, "bal-000016", "locked")
    ]
    table = runner.invoke(app, ["reconcile", "--workers", "1"], env={**env, "COLUMNS": "200"})
    assert table.exit_code == 1 and "bal-000016" in table.stdout
    row = next(line for line in table.stdout.splitlines() if line.strip("│┃ ").startswith("2 "))
    assert "differs (1)" in row and "record_altered bal-000016.locked" in row, table.stdout
    assert "1 difference(s) in 1 batch(es)" in table.stdout
    # the untouched batch keeps its own row, ok
    assert any(x.strip("│┃ ").startswith("1 ") and " ok " in x for x in table.stdout.splitlines())
