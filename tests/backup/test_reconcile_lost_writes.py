"""After an outage (issue 16, part 4): the exchange recovers its database from a copy taken
before its most recent writes, and one record of it was altered besides. ``anchor
reconcile`` lists exactly the records anchored on chain that the database lost and the one
altered; ``anchor books --from-backups`` rebuilds, from the verified backups alone, the
books the exchange had before the loss. Real SQLite files (the copy by SQLite's own backup),
real anvil, real backup directories."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from anchor.backup.jobs import run_backups
from anchor.backup.reconcile import reconcile
from anchor.backup.restore import restore
from anchor.cli import app
from anchor.config import Config
from anchor.core.books_checks import BooksReport
from anchor.core.books_samples import exchange_history
from anchor.service.books import books_from_backups, books_from_store
from anchor.service.ingest import ingest
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.backup.helpers import anchor, exec_sql, view

pytestmark = pytest.mark.chain


def _copy(url: str, to: Path) -> str:
    """A consistent copy of the SQLite database at ``url`` (SQLite's online backup)."""
    src = sqlite3.connect(url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(to)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return f"sqlite:///{to}"


def _key(d: Any) -> tuple[Any, ...]:
    return (d.kind, d.batch_id, d.record_id, d.field)


@dataclass
class Live:
    objs: list[dict[str, Any]]
    late: list[dict[str, Any]]  # batch 3's records
    half: int  # the copy holds late[:half] (ingested, not sealed), not late[half:]
    before: BooksReport  # the books as of batch 3, before the loss
    copy_url: str | None


def _live(reg: Any, targets: Any, url: str, copy_to: Path | None) -> Live:
    """Three batches of a consistent history anchored and backed up; with ``copy_to``, a
    copy of the database taken while batch 3's records were half ingested."""
    objs = list(exchange_history(160, seed=11))
    third = len(objs) // 3
    late = objs[2 * third :]
    half = len(late) // 2
    copy_url = None
    with Database.open(url) as live:
        batches = []
        for chunk in (objs[:third], objs[third : 2 * third]):
            ingest(live, chunk)
            batches.append(seal(live))
        anchor(reg, live, batches)
        ingest(live, late[:half])  # ingested before the copy, sealed after it
        if copy_to is not None:
            copy_url = _copy(url, copy_to)
        ingest(live, late[half:])  # the writes the copy does not hold
        b3 = seal(live)
        assert b3 is not None and b3.id == 3
        anchor(reg, live, [b3])
        cfg = Config(backup_targets=tuple(str(t.root) for t in targets), backup_plaintext=True)
        assert run_backups(live, cfg).ok
        before = books_from_store(live, at_batch=3)
        assert before.ok and before.records == len(objs) and before.balances
    return Live(objs, late, half, before, copy_url)


def _alter_a_snapshot(db: Database, objs: list[dict[str, Any]]) -> str:
    """Add one unit to a balance snapshot of batch 1; its record id."""
    snap = next(o for o in objs if o["kind"] == "balance" and int(o["available"]) > 0)
    exec_sql(
        db,
        "UPDATE records SET canonical = replace(canonical, :a, :b) WHERE record_id = :r",
        a=f'"available":"{snap["available"]}"',
        b=f'"available":"{int(snap["available"]) + 1}"',
        r=snap["record_id"],
    )
    return str(snap["record_id"])


def _rebuilt_equals_before(reg: Any, targets: Any, before: BooksReport) -> None:
    """The books rebuilt from the verified backups alone are the books before the loss."""
    rebuilt = books_from_backups(list(targets), view(reg), at_batch=3)
    assert rebuilt.ok and rebuilt.records == before.records
    assert rebuilt.balances == before.balances and rebuilt.positions == before.positions
    assert rebuilt.open_orders == before.open_orders and rebuilt.totals == before.totals


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_standby_one_batch_behind(
    deployed_registry: Any,
    two_targets: Any,
    make_db_url: Callable[[str], str],
    backend: str,
) -> None:
    """The recovered database is a standby restored up to batch 2 (PostgreSQL): every
    record of batch 3 is missing."""
    reg = deployed_registry
    live = _live(reg, two_targets, make_db_url("sqlite"), None)
    with Database.open(make_db_url(backend)) as standby:
        assert restore(standby, list(two_targets), view(reg), up_to_batch=2).batches == (1, 2)
        rid = _alter_a_snapshot(standby, live.objs)
        report = reconcile(standby, list(two_targets), view(reg))
    want = [("batch_missing_in_db", 3, None, None), ("record_altered", 1, rid, "available")]
    want += [("record_missing", 3, o["record_id"], None) for o in live.late]
    assert sorted(_key(d) for d in report.differences) == sorted(want)
    _rebuilt_equals_before(reg, two_targets, live.before)


def test_a_recovered_database_that_lost_its_last_writes(
    deployed_registry: Any,
    two_targets: Any,
    make_db_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    reg = deployed_registry
    live = _live(reg, two_targets, make_db_url("sqlite"), tmp_path / "recovered.sqlite")
    objs, late, half, before = live.objs, live.late, live.half, live.before
    assert live.copy_url is not None
    recovered_url = live.copy_url
    with Database.open_existing(recovered_url) as recovered:
        rid = _alter_a_snapshot(recovered, objs)
        report = reconcile(recovered, list(two_targets), view(reg))
        # the books of the recovered database alone: two batches, the altered snapshot a break
        alone = books_from_store(recovered)
    got = sorted(_key(d) for d in report.differences)
    want = sorted(
        [("batch_missing_in_db", 3, None, None), ("record_altered", 1, rid, "available")]
        + [("record_missing", 3, o["record_id"], None) for o in late[half:]]
    )
    assert got == want
    assert [(b.check, b.record_ids) for b in alone.breaks] == [("balance_snapshot", (rid,))]
    assert alone.last_batch == 2
    _rebuilt_equals_before(reg, two_targets, before)

    # the same through the commands
    env = {
        "ANCHOR_DATABASE_URL": recovered_url,
        "ANCHOR_RPC_URL": reg.rpc_url,
        "ANCHOR_CHAIN_ID": str(reg.chain_id),
        "ANCHOR_CONTRACT_ADDRESS": reg.address,
        "ANCHOR_BACKUP_TARGETS": ",".join(str(t.root) for t in two_targets),
    }
    runner = CliRunner()
    res = runner.invoke(app, ["reconcile", "--json", "--workers", "1"], env=env)
    assert res.exit_code == 1, res.output
    listed = json.loads(res.stdout)["differences"]
    missing = [d["record_id"] for d in listed if d["kind"] == "record_missing"]
    assert missing == [o["record_id"] for o in late[half:]]
    assert all(d["detail"].endswith("(a lost write)") for d in listed if d["record_id"] in missing)
    res = runner.invoke(app, ["books", "--from-backups", "--json"], env=env)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["ok"] and out["source"] == "backups" and out["last_batch"] == 3
    assert out["records"] == len(objs)
