"""The backup job on SQLite and PostgreSQL: two directory targets, a target that is down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from anchor.backup.bundle import content_name, decode_bundle, decode_receipt, rebuild
from anchor.backup.jobs import run_backups
from anchor.backup.targets import DirectoryTarget
from anchor.config import Config
from tests.backup.helpers import bundle_files, exec_sql, fill


def _config(*targets: DirectoryTarget) -> Config:
    return Config(
        backup_targets=tuple(str(t.root) for t in targets),
        backup_plaintext=True,  # these tests read the bundle bytes (encryption: test_crypto)
        chain_id=31337,
        contract_address="0x" + "12" * 20,
    )


def test_every_sealed_batch_on_both_targets_once(db: Any, two_targets: Any) -> None:
    a, b = two_targets
    batches = fill(db, [30, 17])
    report = run_backups(db, _config(a, b))
    assert report.ok and report.batches == 2
    assert {(w.batch_id, w.target, w.result) for w in report.written} == {
        (1, a.name, "written"),
        (1, b.name, "written"),
        (2, a.name, "written"),
        (2, b.name, "written"),
    }
    for t in (a, b):
        files = bundle_files(t.root)
        assert len(files) == 2
        for f, batch in zip(files, batches, strict=True):
            data = f.read_bytes()
            assert f.name == content_name(data) + ".bundle"  # content-addressed
            assert rebuild(decode_bundle(data)).root == batch.root
    assert [f.read_bytes() for f in bundle_files(a.root)] == [
        f.read_bytes() for f in bundle_files(b.root)
    ]
    # a second run writes nothing and changes nothing
    before = {f: f.stat().st_mtime_ns for f in bundle_files(a.root) + bundle_files(b.root)}
    again = run_backups(db, _config(a, b))
    assert again.ok and again.written == ()
    assert {f: f.stat().st_mtime_ns for f in before} == before
    with db.connect(write=False) as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM backup_objects")).scalar()
    assert n == 4


def test_a_target_that_is_down_is_reported_and_written_later(
    db: Any, two_targets: Any, tmp_path: Path
) -> None:
    a, b = two_targets
    fill(db, [10])
    away = tmp_path / "unmounted"
    b.root.rename(away)  # the mount is gone
    report = run_backups(db, _config(a, b))
    assert not report.ok and report.missing == 1
    assert [(f.target, f.kind) for f in report.failures] == [(b.name, "unavailable")]
    assert len(bundle_files(a.root)) == 1 and not b.root.exists()  # nothing written underneath
    fill(db, [5], start=10)  # more batches while it is down
    report = run_backups(db, _config(a, b))
    assert report.missing == 2 and len(bundle_files(a.root)) == 2
    away.rename(b.root)  # back
    report = run_backups(db, _config(a, b))
    assert report.ok and {w.batch_id for w in report.written if w.target == b.name} == {1, 2}
    assert [f.read_bytes() for f in bundle_files(a.root)] == [
        f.read_bytes() for f in bundle_files(b.root)
    ]


def test_receipt_follows_once_final_and_a_tampered_database_is_not_backed_up(
    db: Any, two_targets: Any
) -> None:
    a, b = two_targets
    fill(db, [8, 8])
    exec_sql(
        db,
        "UPDATE batches SET state = 'final', tx_hash = :t, block_number = 7, block_hash = :h,"
        " chain_id = 31337, contract = :c WHERE id = 1",
        t=b"\x01" * 32,
        h=b"\x02" * 32,
        c="0x" + "12" * 20,
    )
    # batch 2 changed after sealing: must not be written as if it were the sealed batch
    exec_sql(
        db,
        "UPDATE records SET canonical = replace(canonical, '\"USDT\"', '\"USDC\"') WHERE seq = 12",
    )
    report = run_backups(db, _config(a, b))
    assert [(f.batch_id, f.kind) for f in report.failures] == [(2, "mismatch")]
    assert report.missing == 2
    receipts = sorted(a.root.rglob("*.receipt"))
    assert len(receipts) == 1 and len(sorted(b.root.rglob("*.receipt"))) == 1
    r = decode_receipt(receipts[0].read_bytes())
    assert r.batch_id == 1 and r.state == "final" and r.block_number == 7
    assert r.bundle == bundle_files(a.root)[0].name.removesuffix(".bundle")
    assert len(bundle_files(a.root)) == 1


def test_backup_run_command(db: Any, two_targets: Any, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from anchor.cli import app

    a, b = two_targets
    fill(db, [6])
    env = {
        "ANCHOR_DATABASE_URL": db.url,
        "ANCHOR_BACKUP_TARGETS": f"{a.root},{b.root}",
        "ANCHOR_BACKUP_PLAINTEXT": "true",
    }
    b.root.rename(tmp_path / "away")
    runner = CliRunner()
    down = runner.invoke(app, ["backup", "run", "--json", "--workers", "1"], env=env)
    assert down.exit_code == 1, down.output
    out = json.loads(down.stdout)
    assert out["missing"] == 1 and out["failures"][0]["target"] == b.name
    (tmp_path / "away").rename(b.root)
    up = runner.invoke(app, ["backup", "run", "--workers", "1"], env=env)
    assert up.exit_code == 0, up.output
    assert "all batches on all targets" in up.stdout
