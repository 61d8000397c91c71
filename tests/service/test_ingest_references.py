"""Ingest's reference checks (issue 16, bad input) over the Python API, a bulk file
(``anchor ingest``) and the event-bus consumer, on SQLite and PostgreSQL: each kind of unknown
reference refused with its field and value named; a load mixing good and bad records kept
as a load with an invalid record is; references declared as to earlier history accepted and
reported by ``anchor books``; ``reference_checks = "off"`` unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from anchor.cli import app
from anchor.errors import RecordError
from anchor.service.books import books_from_store
from anchor.service.ingest import ingest
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.service.refs_sample import (
    BAD,
    DECLARED,
    history,
    instrument,
    journal,
    ndjson,
    order,
    rec,
)


def _ids(db: Database) -> list[str]:
    with db.connect(write=False) as conn:
        rows = conn.execute(sa.text("SELECT record_id FROM records ORDER BY seq")).all()
    return [str(r[0]) for r in rows]


def test_each_unknown_reference_refused_with_its_field(db: Database) -> None:
    ingest(db, history(), references="strict")
    stored = _ids(db)
    for obj, field, value, why in BAD:
        with pytest.raises(RecordError) as err:
            ingest(db, [obj], references="strict")
        e = err.value
        assert (e.line, e.field) == (1, field), (obj["record_id"], e)
        assert f"unknown reference {value!r}" in e.problem and why in e.problem, e.problem
        assert str(e).startswith(f"line 1: {field}: unknown reference")
    assert _ids(db) == stored  # nothing written
    # the same with skip_bad: each named in the result, nothing stored
    result = ingest(db, [o for o, *_ in BAD], references="strict", skip_bad=True)
    assert result.accepted == 0
    assert [(b.line, b.field) for b in result.rejected] == [
        (i + 1, f) for i, (_, f, _, _) in enumerate(BAD)
    ]
    assert _ids(db) == stored


def test_a_fresh_process_reads_what_is_stored(db: Database) -> None:
    """A second :class:`Database` object (another process) knows the stored instruments and
    orders from the store, and learns what a later load adds."""
    ingest(db, history(), references="strict")
    other = Database(db.url)
    try:
        fill = order("late-fill", "o-3", "alice", "fill", "buy", 1)
        with pytest.raises(RecordError, match="order_id"):
            ingest(other, [fill], references="strict")
        ingest(db, [order("o-3-new", "o-3", "alice", "new", "buy", 1)], references="strict")
        assert ingest(other, [fill], references="strict").accepted == 1
        more = [instrument("ETH-PERP"), order("e-1", "e-1", "bob", "new", "sell", 1, "ETH-PERP")]
        assert ingest(other, more, references="strict").accepted == 2
        assert ingest(db, [order("e-1-c", "e-1", "bob", "cancel", "sell", 1, "ETH-PERP")],
                      references="strict").accepted == 1  # fmt: skip
    finally:
        other.close()


def test_mixed_load_keeps_the_existing_semantics(db: Database) -> None:
    ingest(db, history(), references="strict")
    stored = _ids(db)
    good1 = order("g-1", "o-10", "alice", "new", "buy", 1)
    bad = order("b-1", "o-11", "alice", "fill", "buy", 1)  # o-11 never opened
    good2 = order("g-2", "o-10", "alice", "cancel", "buy", 1)  # o-10: earlier in the load
    invalid = dict(order("b-2", "o-12", "alice", "new", "buy", 1), quantity="-1")
    # all or nothing: the first bad line named, whichever check refuses it
    with pytest.raises(RecordError) as err:
        ingest(db, [good1, bad, good2, invalid], references="strict")
    assert (err.value.line, err.value.field) == (2, "order_id")
    with pytest.raises(RecordError) as err:
        ingest(db, [good1, invalid, good2, bad], references="strict")
    assert (err.value.line, err.value.field) == (2, "quantity")
    assert _ids(db) == stored
    # skip_bad: the good ones stored in order, the bad ones reported in line order
    result = ingest(db, [good1, bad, invalid, good2], references="strict", skip_bad=True)
    assert result.accepted == 2
    assert [(b.line, b.field) for b in result.rejected] == [(2, "order_id"), (3, "quantity")]
    assert _ids(db) == [*stored, "g-1", "g-2"]
    # a record defined later in the load, or by a refused record, is not known
    later = [order("b-3", "o-13", "bob", "fill", "sell", 1),
             order("g-3", "o-13", "bob", "new", "sell", 1)]  # fmt: skip
    refused_new = [order("b-4", "o-14", "bob", "new", "sell", 1, market="NOPE"),
                   order("b-5", "o-14", "bob", "cancel", "sell", 1)]  # fmt: skip
    result = ingest(db, later + refused_new, references="strict", skip_bad=True)
    assert [(b.line, b.field) for b in result.rejected] == [
        (1, "order_id"), (3, "market"), (4, "order_id")
    ]  # fmt: skip
    assert result.accepted == 1


def test_chunks_of_one_load_know_each_other(db: Database) -> None:
    """Small chunks (and the validating thread ahead): what an earlier chunk defined is
    known, nothing of a refused load is remembered."""
    objs = history()
    result = ingest(db, objs, references="strict", chunk_size=3)
    assert result.accepted == len(objs)
    again = ingest(db, objs, references="strict", chunk_size=3)  # idempotent, as ever
    assert (again.accepted, again.duplicates) == (0, len(objs))
    with pytest.raises(RecordError) as err:
        ingest(db, [instrument("NEW"), order("n-1", "n-1", "a", "new", "buy", 1, "NEW"),
                    order("n-2", "n-9", "a", "fill", "buy", 1, "NEW")],
               references="strict", chunk_size=1)  # fmt: skip
    assert (err.value.line, err.value.field) == (3, "order_id")
    # the refused load's instrument was not remembered
    with pytest.raises(RecordError, match="market"):
        ingest(db, [order("n-3", "n-3", "a", "new", "buy", 1, "NEW")], references="strict")


def test_off_mode_accepts_as_before(db: Database) -> None:
    result = ingest(db, [o for o, *_ in BAD])
    assert result.accepted == len(BAD) and not result.rejected
    with pytest.raises(ValueError, match="references"):
        ingest(db, [], references="loose")


def test_declared_history_accepted_and_reported_by_books(db: Database, tmp_path: Path) -> None:
    opening = [
        instrument("PERP", rid="opening:i-perp"),
        rec("balance", "opening:bal-a", account="alice", asset="USDC", available=999_000,
            locked=1_000),
        rec("balance", "opening:bal-b", account="bob", asset="USDC", available=500_000, locked=0),
        rec("position", "opening:pos-a", account="alice", market="PERP", size=2, entry_price=100,
            collateral_asset="USDC", collateral=1_000_000, initial_margin=0,
            maintenance_margin=0),
        order("opening:o-5-new", "o-5", "bob", "new", "sell", 4),
    ]  # fmt: skip
    after = [
        order("f-5", "o-5", "bob", "fill", "sell", 1),
        order("f-77", "opening:o-77", "alice", "fill", "buy", 1),
        rec("trade", "t-9", market="PERP", buyer="alice", seller="bob",
            buy_order_id="opening:o-77", sell_order_id="o-5", taker_side="sell", price=100,
            quantity=1, buyer_fee=0, seller_fee=0),
        journal("fee-old-a", "alice", -1, "fee", "opening:t-70"),
        journal("fee-old-x", "fees", 1, "fee", "opening:t-70"),
        journal("pnl-old", "alice", 0, "realized_pnl", "opening:t-70"),
        rec("balance", "bal-a-2", account="alice", asset="USDC", available=999_999, locked=0),
    ]  # fmt: skip
    # strict ingest takes every one of them (and the generic declared references)
    assert ingest(db, opening + after, references="strict").accepted == len(opening + after)
    assert ingest(db, history()[1:4], references="strict").accepted == 3  # OPT, deposits
    assert ingest(db, DECLARED, references="strict").accepted == len(DECLARED)
    batch = seal(db)
    assert batch is not None
    with db.connect(write=True) as conn:  # anchored, as far as `anchor books` can tell
        conn.execute(sa.text("UPDATE batches SET state = 'final'"))
    report = books_from_store(db)
    checks = report.breaks_by_check()
    assert "unknown_reference" not in checks, report.breaks
    assert "balance_snapshot" not in checks, report.breaks  # the opening balances were taken
    assert report.notes[0].startswith("the replay starts from the declared opening snapshot")
    assert report.opening is not None
    assert report.opening["snapshot_records"] == len(opening)
    assert report.opening["snapshot_kinds"] == {
        "balance": 2, "instrument": 1, "order_event": 1, "position": 1,
    }  # fmt: skip
    refs = report.opening["references"]
    assert refs["order"]["count"] >= 3 and "opening:o-77" in refs["order"]["ids"]
    assert "opening:t-70" in refs["trade"]["ids"] and "opening:m-70" in refs["mark"]["ids"]
    assert report.totals["USDC"]["opening"] == 1_500_000
    # the command says it too: the table's note and the JSON's opening object
    runner = CliRunner()
    out = runner.invoke(app, ["books", "--database-url", db.url, "--json"])
    data = json.loads(out.stdout)
    assert data["opening"]["snapshot_records"] == len(opening)
    assert data["notes"][0].startswith("the replay starts from the declared opening snapshot")
    table = runner.invoke(app, ["books", "--database-url", db.url], env={"COLUMNS": "300"})
    assert "declared opening snapshot" in table.stdout
    assert "unknown_reference" in table.stdout  # the checks table lists it, with 0 breaks


def test_an_opening_snapshot_only_at_the_head(db: Database) -> None:
    """After the first record without the prefix, an ``opening:`` balance is checked like
    any snapshot (it cannot reset the books in the middle of a history)."""
    objs = [
        journal("dep", "alice", 10, "deposit", "tx"),
        rec("balance", "opening:late", account="alice", asset="USDC", available=99, locked=0),
    ]
    ingest(db, objs, references="strict")
    seal(db)
    with db.connect(write=True) as conn:
        conn.execute(sa.text("UPDATE batches SET state = 'final'"))
    report = books_from_store(db)
    assert report.breaks_by_check() == {"balance_snapshot": 1}
    assert report.opening is None


def _cfg(tmp_path: Path, mode: str) -> Path:
    path = tmp_path / f"anchor-{mode}.toml"
    path.write_text(f'reference_checks = "{mode}"\n')
    return path


def test_bulk_file_refused_with_line_and_field(db: Database, tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.ndjson"
    good.write_bytes(ndjson(history()))
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(ndjson([order("g-1", "o-10", "alice", "new", "buy", 1), BAD[4][0]]))
    strict = ["--config", str(_cfg(tmp_path, "strict")), "--database-url", db.url]
    out = runner.invoke(app, ["ingest", str(good), *strict])
    assert out.exit_code == 0, out.output
    stored = _ids(db)
    out = runner.invoke(app, ["ingest", str(bad), *strict])
    # the error the command's entry point prints (exit 2), as for an invalid line
    assert isinstance(out.exception, RecordError), out.output
    assert str(out.exception).startswith("line 2: buy_order_id: unknown reference 'o-404'")
    assert _ids(db) == stored
    out = runner.invoke(app, ["ingest", str(bad), "--skip-bad", *strict])
    assert out.exit_code == 0, out.output
    assert "accepted 1" in out.output and "line 2: buy_order_id" in out.output
    assert _ids(db) == [*stored, "g-1"]
    # off (the default): the file goes in as before
    off = ["--config", str(_cfg(tmp_path, "off")), "--database-url", db.url]
    assert runner.invoke(app, ["ingest", str(bad), *off]).exit_code == 0
    assert _ids(db) == [*stored, "g-1", "x-5"]


def test_config_setting_validated() -> None:
    from anchor.config import load_config
    from anchor.errors import ConfigError

    assert load_config(None, env={}).reference_checks == "off"
    assert load_config(None, env={"ANCHOR_REFERENCE_CHECKS": "strict"}).reference_checks == (
        "strict"
    )
    with pytest.raises(ConfigError, match="reference_checks"):
        load_config(None, env={"ANCHOR_REFERENCE_CHECKS": "on"})


def test_demo_config_turns_it_on(tmp_path: Path) -> None:
    from anchor.cli.demo_setup import write_config
    from anchor.config import load_config

    path = write_config(tmp_path, {"ANCHOR_DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite"})
    assert load_config(path, env={}).reference_checks == "strict"
    path = write_config(tmp_path, {"ANCHOR_REFERENCE_CHECKS": "off"})
    assert load_config(path, env={}).reference_checks == "off"


def test_consumer_dead_letters_an_unknown_reference(db: Database, bus: Any) -> None:
    """Over the event bus (strict): the unknown references are dead-lettered with the field
    and problem, everything else is stored."""
    from anchor.config import load_config
    from anchor.service.consume import ConsumerThread
    from tests.service.bus import wait_for

    good = history()
    bad = [BAD[0], BAD[4], BAD[12]]  # a market, a trade's order, a funding's mark
    config = load_config(env={}, **bus.config(reference_checks="strict", nats_fetch_batch=8,
                                              nats_max_ack_pending=64))  # fmt: skip
    bus.publish(ndjson(good + [b for b, *_ in bad]).splitlines())
    thread = ConsumerThread(db, config).start()
    try:
        wait_for(lambda: bus.drained() and len(_ids(db)) == len(good), timeout=60,
                 what="all acknowledged")  # fmt: skip
    finally:
        thread.stop()
    assert thread.error is None, thread.error
    assert _ids(db) == [o["record_id"] for o in good]
    dead = {d.data: d.headers for d in bus.dead_letters()}
    assert len(dead) == len(bad)
    for obj, field, value, _ in bad:
        headers = dead[json.dumps(obj, separators=(",", ":")).encode()]
        assert headers["Anchor-Error"] == "invalid_record"
        assert headers["Anchor-Field"] == field
        assert f"unknown reference {value!r}" in headers["Anchor-Problem"]


def test_the_demo_feed_goes_in_whole_and_replays_without_a_break(db: Database) -> None:
    """The demo's feed (strict in the demo's configuration) as the demo sends it: whole steps,
    a few hundred records a request; a restarted service (another process) and a second run
    continuing the same database. Everything accepted; ``anchor books`` finds no break."""
    from anchor.core.exchange_feed import demo_feed, walk_in_records

    sent = 0
    for run, rounds_of_requests, process in (("r1", 9, db), ("r1b", 4, Database(db.url))):
        steps = demo_feed(run, accounts=6, steps_per_round=40)
        for _ in range(rounds_of_requests):
            objs: list[dict[str, Any]] = []
            while len(objs) < 300:
                objs += next(steps)
            result = ingest(process, objs, references="strict")
            assert result.accepted == len(objs) and not result.rejected
            sent += len(objs)
        sample = walk_in_records(run)  # the sample file `anchor ingest` is shown with
        assert ingest(process, sample, references="strict").accepted == len(sample)
        sent += len(sample)
        if process is not db:
            process.close()
    assert len(_ids(db)) == sent
    seal(db)
    with db.connect(write=True) as conn:
        conn.execute(sa.text("UPDATE batches SET state = 'final'"))
    report = books_from_store(db)
    assert report.ok, report.breaks[:5]
    assert report.records == sent and report.opening is None
