"""The consumer's writer stages loads ahead of their transactions from a forecast of seqs and
commitments (anchor.service.consume_ahead): what it stores is what ingest stores, whether
the forecast holds or another writer made it wrong meanwhile. Every stored leaf is checked
against the core's own encoding from the stored salts."""

from __future__ import annotations

import json

import sqlalchemy as sa

from anchor.core.records import account_commitment, encode_leaf, leaf_hash, parse_record
from anchor.service.consume_ahead import Forecaster
from anchor.service.consume_load import prepare_load, write_prepared
from anchor.service.ingest import ingest
from anchor.store.db import Database
from tests.store.sample import balance, lines, mixed, trade


def _stored(db: Database) -> list[tuple[int, str]]:
    """(seq, record id) of every stored record, with every leaf and commitment checked."""
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.text("SELECT seq, record_id, canonical, leaf FROM records ORDER BY seq")
        ).all()
        accounts = conn.execute(sa.text("SELECT account_id, salt, commitment FROM accounts")).all()
    commitments = {}
    for account_id, salt, commitment in accounts:
        assert bytes(commitment) == account_commitment(account_id, bytes(salt))
        commitments[account_id] = bytes(commitment)
    for seq, _rid, canonical, leaf in rows:
        assert bytes(leaf) == leaf_hash(encode_leaf(parse_record(canonical), seq, commitments))
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # no gap, no reuse
    return [(r[0], r[1]) for r in rows]


def test_loads_staged_ahead_store_what_ingest_stores(db: Database) -> None:
    records = mixed(300)
    payloads = lines(records)
    forecaster = Forecaster(db)
    # staged two loads ahead, as the writer's validating thread does, before either is written
    first = prepare_load(payloads[:120], chunk_size=50, forecaster=forecaster)
    second = prepare_load(payloads[120:], chunk_size=50, forecaster=forecaster)
    assert first.ahead is not None and second.ahead is not None
    assert (first.ahead.forecast.base, second.ahead.forecast.base) == (1, 121)
    for load in (first, second):
        written = write_prepared(db, load, forecaster=forecaster)
        assert (written.duplicates, written.refused) == (0, {})
    assert _stored(db) == [(seq, r["record_id"]) for seq, r in enumerate(records, 1)]
    # the next forecast starts where the store ends, and knows the accounts stored
    third = prepare_load(lines([balance(9001)]), forecaster=forecaster)
    assert third.ahead is not None and third.ahead.forecast.base == 301
    assert third.ahead.forecast.proposed == {}


def test_forecast_made_wrong_by_another_writer(db: Database) -> None:
    forecaster = Forecaster(db)
    ingest(db, lines([balance(1, account="alice")]))  # known to the store before the start
    ahead = prepare_load(
        lines([trade(2, buyer="alice", seller="bob"), balance(3, account="carol")]),
        forecaster=forecaster,
    )
    assert ahead.ahead is not None
    assert ahead.ahead.forecast.base == 2
    assert set(ahead.ahead.forecast.proposed) == {"bob", "carol"}  # alice is stored
    # meanwhile another writer stores records and one of the new accounts, its own salt
    ingest(db, lines([balance(4, account="carol"), balance(5, account="dave")]))
    written = write_prepared(db, ahead, forecaster=forecaster)
    assert (written.stored, written.duplicates, written.refused) == (2, 0, {})
    assert _stored(db) == [(1, "bal-1"), (2, "bal-4"), (3, "bal-5"), (4, "trd-2"), (5, "bal-3")]
    # the forecaster learned the truth: the next load is forecast right
    after = prepare_load(lines([balance(6, account="carol")]), forecaster=forecaster)
    assert after.ahead is not None and after.ahead.forecast.base == 6
    assert after.ahead.forecast.proposed == {}
    write_prepared(db, after, forecaster=forecaster)
    assert _stored(db)[-1] == (6, "bal-6")


def test_duplicates_and_bad_messages_move_the_forecast(db: Database) -> None:
    forecaster = Forecaster(db)
    ingest(db, lines([balance(1), balance(2)]))
    bad = json.dumps({**balance(9), "asset": ""}).encode()
    first = prepare_load([*lines([balance(1), balance(3)]), bad, b" "], forecaster=forecaster)
    second = prepare_load(lines([balance(4), balance(5)]), forecaster=forecaster)
    # the forecast took balance(1) for new: it is a duplicate, and every seq after it moves
    one = write_prepared(db, first, forecaster=forecaster)
    assert (one.stored, one.duplicates, sorted(one.refused)) == (1, 1, [2, 3])
    two = write_prepared(db, second, forecaster=forecaster)
    assert (two.stored, two.duplicates) == (2, 0)
    assert _stored(db) == [(1, "bal-1"), (2, "bal-2"), (3, "bal-3"), (4, "bal-4"), (5, "bal-5")]


def test_salt_proposed_then_stored_by_another_writer(db: Database) -> None:
    forecaster = Forecaster(db)
    failed = prepare_load(lines([balance(1, account="carol")]), forecaster=forecaster)
    assert failed.ahead is not None and set(failed.ahead.forecast.proposed) == {"carol"}
    forecaster.dropped(failed.ahead.records)  # its write failed: nothing of it stored
    ingest(db, lines([balance(2, account="carol")]))  # another writer salts carol its own way
    again = prepare_load(lines([balance(1, account="carol")]), forecaster=forecaster)
    assert again.ahead is not None and again.ahead.forecast.base == 2  # the seq holds
    assert set(again.ahead.forecast.proposed) == {"carol"}  # the salt it assumed does not
    assert write_prepared(db, again, forecaster=forecaster).stored == 1
    assert _stored(db) == [(1, "bal-2"), (2, "bal-1")]
