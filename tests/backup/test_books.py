"""``anchor books`` over records really ingested, sealed and anchored on anvil, on SQLite and
PostgreSQL: no break on a consistent history; the books as of a batch, each line provable
on chain; a break named by the command (exit 1); ``restore --up-to-batch N`` restores
exactly that prefix; ``--from-backups`` rebuilds the same books from verified bundles."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from anchor.backup.jobs import run_backups
from anchor.backup.restore import RestoreRefused, restore
from anchor.cli import app
from anchor.config import Config
from anchor.core.books import replay
from anchor.core.books_samples import exchange_history
from anchor.core.merkle import verify_proof
from anchor.core.records import parse_record
from anchor.errors import InputError, NotFoundError
from anchor.service.books import books_from_backups, books_from_store
from anchor.service.ingest import ingest
from anchor.service.seal import get_proof_material, seal
from anchor.store.books import batch_spans, records_in_spans
from anchor.store.db import Database
from tests.backup.helpers import anchor, view

pytestmark = pytest.mark.chain


def _anchored(db: Database, reg: Any, chunks: list[list[dict[str, Any]]]) -> list[Any]:
    batches = []
    for chunk in chunks:
        ingest(db, chunk)
        batch = seal(db)
        assert batch is not None
        batches.append(batch)
    anchor(reg, db, batches)
    return batches


def _history() -> list[list[dict[str, Any]]]:
    objs = list(exchange_history(160, seed=11))
    third = len(objs) // 3
    return [objs[:third], objs[third : 2 * third], objs[2 * third :]]


def _pure_books(objs: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    rows = ((i + 1, 1, parse_record(o).canonical_obj()) for i, o in enumerate(objs))
    report = replay(rows, provenance=True, complete=False)
    return {(b.account, b.asset): b.balance for b in report.balances}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_books_at_a_batch_after_anchoring_each_line_provable(
    deployed_registry: Any, make_db_url: Callable[[str], str], backend: str
) -> None:
    reg = deployed_registry
    chunks = _history()
    url = make_db_url(backend)
    with Database.open(url) as db:
        batches = _anchored(db, reg, chunks)
        whole = books_from_store(db)
        assert whole.ok, [b.to_json() for b in whole.breaks[:5]]
        spans = batch_spans(db)
        paged = list(records_in_spans(db, spans[1:], page=7))  # pages cross batch borders
        assert [r.seq for r in paged] == list(range(spans[1].first_seq, spans[2].last_seq + 1))
        assert {r.batch_id for r in paged if r.seq > spans[1].last_seq} == {3}
        assert [r.record_id for r in paged[:2]] == [o["record_id"] for o in chunks[1][:2]]
        assert whole.records == sum(map(len, chunks)) and whole.last_batch == 3
        at2 = books_from_store(db, at_batch=2)
        assert at2.ok and at2.last_batch == 2 and at2.last_seq == batches[1].last_seq
        expected = _pure_books(chunks[0] + chunks[1])
        assert {(b.account, b.asset): b.balance for b in at2.balances} == expected
        in_prefix = {o["record_id"] for o in chunks[0] + chunks[1]}
        lines = [*at2.balances, *at2.positions, *at2.open_orders]
        assert at2.open_orders and at2.positions
        for line in lines:
            assert line.record_ids and set(line.record_ids) <= in_prefix
        # every id a line derives from is proven against the root on chain
        for rid in {line.record_ids[-1] for line in lines[:10]}:
            m = get_proof_material(db, rid)
            assert m.batch.id <= 2
            assert reg.client.verify(m.batch.id, list(m.proof), m.leaf)
            assert verify_proof(batches[m.batch.id - 1].root, m.leaf, list(m.proof))

    res = CliRunner().invoke(app, ["books", "--database-url", url, "--at-batch", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["ok"] and out["at_batch"] == 2 and out["last_batch"] == 2
    assert {(b["account"], b["asset"]): int(b["balance"]) for b in out["balances"]} == expected
    res = CliRunner().invoke(app, ["books", "--database-url", url])
    assert res.exit_code == 0, res.output
    assert "no break" in res.stdout and "balance_snapshot" in res.stdout


def test_books_names_a_break_and_exits_1(
    deployed_registry: Any, make_db_url: Callable[[str], str]
) -> None:
    chunks = _history()
    i = next(j for j, o in enumerate(chunks[2]) if o["kind"] == "balance")
    bad = dict(chunks[2][i], locked=str(int(chunks[2][i]["locked"]) + 1))
    chunks[2][i] = bad
    url = make_db_url("sqlite")
    with Database.open(url) as db:
        _anchored(db, deployed_registry, chunks)
        ingest(db, list(exchange_history(5, seed=12, prefix="later")))  # sealed: not yet
        seal(db)
    res = CliRunner().invoke(app, ["books", "--database-url", url, "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    (brk,) = out["breaks"]
    assert brk["check"] == "balance_snapshot" and brk["record_ids"] == [bad["record_id"]]
    assert "difference +1" in brk["detail"]
    assert any("from 4 on are not anchored" in n for n in out["notes"])
    res = CliRunner().invoke(app, ["books", "--database-url", url, "--at-batch", "4"])
    assert isinstance(res.exception, InputError) and res.exception.exit_code == 2
    assert "batch 4 is not anchored yet (state sealed)" in str(res.exception)


def test_restore_up_to_a_batch_restores_exactly_that_prefix(
    deployed_registry: Any, two_targets: Any, make_db_url: Callable[[str], str]
) -> None:
    reg = deployed_registry
    chunks = _history()
    with Database.open(make_db_url("sqlite")) as live:
        batches = _anchored(live, reg, chunks)
        cfg = Config(backup_targets=tuple(str(t.root) for t in two_targets), backup_plaintext=True)
        assert run_backups(live, cfg).ok
        at2 = books_from_store(live, at_batch=2)
    with Database.open(make_db_url("postgresql")) as fresh:
        report = restore(fresh, list(two_targets), view(reg), up_to_batch=2)
        assert report.batches == (1, 2) and not report.chain_only
        assert report.records == len(chunks[0]) + len(chunks[1])
        restored = books_from_store(fresh, at_batch=2)
        assert restored.ok and restored.last_seq == batches[1].last_seq
        assert restored.records == report.records
        assert restored.balances == at2.balances and restored.positions == at2.positions
        assert restored.open_orders == at2.open_orders and restored.totals == at2.totals
        with pytest.raises(NotFoundError):
            books_from_store(fresh, at_batch=3)
    from_backups = books_from_backups(list(two_targets), view(reg), at_batch=2)
    assert from_backups.balances == at2.balances and from_backups.open_orders == at2.open_orders
    whole = books_from_backups(list(two_targets), view(reg))
    assert whole.ok and whole.last_batch == 3
    with Database.open(make_db_url("sqlite")) as fresh, pytest.raises(RestoreRefused) as exc:
        restore(fresh, list(two_targets), view(reg), up_to_batch=4)
    assert "last anchored batch is 3" in str(exc.value)
