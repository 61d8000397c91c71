"""``anchor consume`` as real processes: kill -9 in the middle of a 10^5-message backlog,
and several consumers sharing one durable consumer on PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anchor.store.db import Database
from tests.fixtures.paths import ROOT
from tests.service.bus import Bus, ConsumeProcess, gone, payload, wait_for, write_config


def counts(db: Database) -> tuple[int, int, int]:
    """(records, distinct record ids, highest seq)."""
    with db.connect(write=False) as conn:
        row = conn.execute(
            sa.text(
                "SELECT COUNT(*), COUNT(DISTINCT record_id), COALESCE(MAX(seq), 0) FROM records"
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def published(bus: Bus, n: int, tmp_path: Path, db_url: str, **settings: Any) -> Path:
    """``n`` records published to the bus (a backlog) and the consumers' config for them."""
    bus.publish((payload(i) for i in range(n)), confirm=False)
    return write_config(tmp_path / "anchor.toml", db_url, bus.config(**settings))


def stored(db: Database) -> int:
    return counts(db)[0]


def assert_exact(db: Database, n: int, bus: Bus) -> None:
    assert counts(db) == (n, n, n)  # every record once, seqs 1..n without a gap
    assert bus.dead_letters() == []
    info = bus.consumer_info()
    assert (info.num_pending, info.num_ack_pending) == (0, 0)


@pytest.mark.slow
def test_kill9_mid_backlog_loses_nothing_and_duplicates_nothing(
    sqlite_url: str, bus: Bus, tmp_path: Path
) -> None:
    n = 100_000
    config = published(bus, n, tmp_path, sqlite_url, nats_ack_wait_seconds=4)
    db = Database.open(sqlite_url)
    try:
        # the first life's writer process is killed alone (its consumer starts another), then
        # the consumer is killed twice by PID while loads are being written and acknowledged;
        # a third life finishes the backlog (unacknowledged messages come again)
        for life, at_least in enumerate((15_000, 50_000)):
            proc = ConsumeProcess(config, tmp_path / f"consume-{life}.log")
            if life == 0:
                wait_for(lambda: stored(db) >= 5_000, timeout=120, what=">= 5000", procs=[proc])
                first = proc.writer_pid()
                assert first is not None
                os.kill(first, signal.SIGKILL)
                wait_for(lambda f=first: gone(f), timeout=60, what="the writer killed")
            wait_for(
                lambda a=at_least: stored(db) >= a, timeout=120, what=f">= {at_least}", procs=[proc]
            )
            if life == 0:
                assert "the writer process is gone: starting another" in proc.output()
            writer = proc.writer_pid(last=True)
            proc.kill()
            assert stored(db) < n, "the backlog was done before the kill: nothing tested"
            # its writer process ends by itself once its parent is gone
            assert writer is not None
            wait_for(lambda w=writer: gone(w), timeout=60, what="the orphaned writer to end")
        stored_before_last = stored(db)
        proc = ConsumeProcess(config, tmp_path / "consume-last.log")
        wait_for(lambda: bus.drained() and stored(db) == n, timeout=180, what="all", procs=[proc])
        assert proc.stop() == 0
        assert_exact(db, n, bus)
        m = re.search(r"consumer stopped: (\d+) stored, (\d+) duplicates", proc.output())
        assert m is not None and int(m.group(1)) + stored_before_last == n

        # the operator's view: lag, last ack, dead letters, records stored
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "anchor.cli",
                "consume",
                "--status",
                "--json",
                "--config",
                str(config),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        got = json.loads(out.stdout)
        assert (got["lag"], got["ack_pending"], got["dead_letters"]) == (0, 0, 0)
        assert got["records_stored"] == n and got["last_ack"]
    finally:
        db.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_consumers_share_one_durable_without_double_ingest(
    postgres_url: str, bus: Bus, tmp_path: Path
) -> None:
    n = 40_000
    settings = {"nats_fetch_batch": 1000, "nats_max_ack_pending": 6000, "nats_ack_wait_seconds": 4}
    config = published(bus, n, tmp_path, postgres_url, **settings)
    db = Database.open(postgres_url)  # migrated before the consumers start
    # two `anchor consume` and one `anchor serve --role consumer`
    procs = [ConsumeProcess(config, tmp_path / f"consume-{i}.log", serve=i == 2) for i in range(3)]
    try:
        wait_for(lambda: stored(db) >= 8_000, timeout=120, what="a first share", procs=procs)
        procs[0].kill()  # one of them dies mid-way, by PID
        wait_for(
            lambda: bus.drained() and stored(db) == n, timeout=180, what="all", procs=procs[1:]
        )
        for p in procs[1:]:
            assert p.stop() == 0
        assert_exact(db, n, bus)
        shares = []
        for p in procs[1:]:
            m = re.search(r"consumer stopped: (\d+) stored", p.output())
            assert m, p.output()[-2000:]
            shares.append(int(m.group(1)))
        assert all(s > 0 for s in shares), shares  # both survivors took part
        assert sum(shares) <= n
    finally:
        for p in procs:
            if p.process.poll() is None:
                p.kill()
        db.close()
