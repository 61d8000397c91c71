"""``anchor ingest`` and ``anchor db`` as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import sqlalchemy as sa

from anchor.store.db import Database
from tests.fixtures.cli import run_anchor
from tests.store.sample import mixed, ndjson


def _anchor(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return run_anchor(*args, env={"ANCHOR_DATABASE_URL": url})


def _count(url: str) -> int:
    db = Database(url)
    try:
        with db.connect(write=False) as conn:
            return int(conn.execute(sa.text("SELECT COUNT(*) FROM records")).scalar_one())
    finally:
        db.close()


def _init(url: str) -> None:
    done = _anchor("db", "init", url=url)
    assert done.returncode == 0 and "initialised" in done.stdout, done.stderr


def test_db_init_migrate_and_info(db_url: str) -> None:
    first = _anchor("db", "init", url=db_url)
    assert first.returncode == 0, first.stderr
    assert "initialised" in first.stdout and "schema version" in first.stdout
    again = _anchor("db", "migrate", url=db_url)
    assert again.returncode == 0 and "up to date" in again.stdout
    info = _anchor("db", "info", url=db_url)
    assert info.returncode == 0 and "records" in info.stdout


def test_ingest_ndjson_file(db_url: str, tmp_path: Path) -> None:
    _init(db_url)
    path = tmp_path / "in.ndjson"
    path.write_bytes(ndjson(mixed(40)))
    done = _anchor("ingest", str(path), url=db_url)
    assert done.returncode == 0, done.stderr
    assert "accepted 40 (seq 1..40)" in done.stdout
    replay = _anchor("ingest", str(path), url=db_url)
    assert "accepted 0, duplicates 40" in replay.stdout
    assert _count(db_url) == 40


def test_ingest_bad_line_exits_nonzero_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    _init(db_url)
    records = mixed(5)
    records[3]["record_id"] = "has space"
    path = tmp_path / "bad.ndjson"
    path.write_bytes(ndjson(records))
    done = _anchor("ingest", str(path), url=db_url)
    assert done.returncode != 0
    assert "line 4: record_id" in done.stderr
    assert _count(db_url) == 0
    skipped = _anchor("ingest", str(path), "--skip-bad", url=db_url)
    assert skipped.returncode == 0 and "rejected 1" in skipped.stdout
    assert _count(db_url) == 4


def test_ingest_csv(sqlite_url: str, tmp_path: Path) -> None:
    _init(sqlite_url)
    path = tmp_path / "b.csv"
    path.write_text(
        "record_id,ts_ns,account,asset,available,locked,ext\n"
        "c-1,1700000000000000000,alice,USDT,1500000,0,\n"
        "c-2,1700000000000000001,bob,USDT,7,3,\n"
    )
    done = _anchor("ingest", str(path), "--format", "csv", "--kind", "balance", url=sqlite_url)
    assert done.returncode == 0, done.stderr
    assert "accepted 2" in done.stdout
    db = Database(sqlite_url)
    try:
        with db.connect(write=False) as conn:
            canon = conn.execute(
                sa.text("SELECT canonical FROM records WHERE seq = 2")
            ).scalar_one()
    finally:
        db.close()
    assert json.loads(canon)["locked"] == "3"
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,account\nc-9,carol\n")
    failed = _anchor("ingest", str(bad), "-f", "csv", "--kind", "balance", url=sqlite_url)
    assert failed.returncode != 0 and "line 2" in failed.stderr
