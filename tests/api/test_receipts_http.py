"""Signed ingest receipts over HTTP (real uvicorn, SQLite and PostgreSQL) and the promise
they make: a load not final by its deadline raises ``receipt_deadline_missed`` and is listed
as a missed promise; a load final in time is kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from eth_account import Account

from anchor.api.app import create_app
from anchor.chain.alarms import open_alarms
from anchor.config import Config, load_config
from anchor.core.receipt import parse_receipt, verify_receipt
from anchor.service import receipts as receipts_service
from anchor.service.ingest import ingest
from anchor.service.receipts import DEADLINE_ALARM, check_deadlines, load_receipt_key
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.api.server import serve
from tests.store.sample import balance, ndjson, trade

KEY = "test-operator-key-0123456789"
RECEIPT_KEY = "0x" + "4b" * 32
SIGNER = Account.from_key(RECEIPT_KEY).address


def _signer(delay: int = 600) -> Any:
    env = {"ANCHOR_RECEIPT_KEY": RECEIPT_KEY}
    return load_receipt_key(Config(max_merge_delay_seconds=delay, private_key_env="NO_KEY"), env)


@pytest.fixture
def client(db: Database) -> Iterator[httpx.Client]:
    config = load_config(env={}, api_key=KEY, database_url=db.url)
    app = create_app(config, db, receipt_signer=_signer())
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        c.headers["X-API-Key"] = KEY
        yield c


def _check(obj: dict[str, Any]) -> Any:
    receipt = parse_receipt(json.dumps(obj, indent=3))
    assert verify_receipt(receipt, SIGNER) == SIGNER.lower()
    return receipt


def test_single_and_bulk_ingest_answer_receipts(client: httpx.Client, db: Database) -> None:
    r = client.post("/v1/records", json=trade(1))
    assert r.status_code == 201, r.text
    one = _check(r.json()["receipt"])
    assert one.record_id == "trd-1" and one.count == 1 and one.proof == ()
    again = client.post("/v1/records", json=trade(1))  # a replay gets the same receipt back
    assert again.status_code == 200 and again.json()["receipt"] == r.json()["receipt"]

    body = ndjson([balance(i) for i in range(250)])
    bulk = client.post("/v1/records/bulk", content=body)
    assert bulk.status_code == 201, bulk.text
    load = bulk.json()["receipt"]
    assert load["format"] == "ledger-anchor-ingest-load/1"
    assert (load["firstSeq"], load["count"], load["signer"]) == (2, 250, SIGNER.lower())
    assert load["deadline"] == load["ingestedAt"] + 600
    assert "proof" not in json.dumps(load)  # no per-record paths in the bulk answer
    seen: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(load["receiptsUrl"], params={"offset": offset, "limit": 100}).json()
        assert page["load"]["root"] == load["root"]
        seen += [_check(x) for x in page["receipts"]]
        offset = page["next_offset"]
    assert [x.seq for x in seen] == list(range(2, 252))
    assert {x.load_root.hex() for x in seen} == {load["root"][2:]}
    got = client.get("/v1/receipts/records/bal-17").json()
    assert _check(got).seq == 19 and got == seen[17].to_obj()
    receipts_service._TREES = receipts_service._TreeCache()  # another process: rebuilt
    assert client.get("/v1/receipts/records/bal-17").json() == got
    assert client.get("/v1/receipts/records/nope").status_code == 404
    assert client.get("/v1/receipts/loads/999").status_code == 404
    assert client.get("/v1/receipts/records/bal-17", headers={"X-API-Key": "x"}).status_code == 401
    info = client.get("/v1/receipts/signer").json()
    assert info["signer"] == SIGNER.lower() and info["max_merge_delay_seconds"] == 600


def test_without_a_receipt_key_ingest_gives_none(db: Database) -> None:
    config = load_config(env={}, api_key=KEY, database_url=db.url)
    with serve(create_app(config, db)) as base:
        h = {"X-API-Key": KEY}
        r = httpx.post(f"{base}/v1/records", json=trade(2), headers=h)
        assert r.status_code == 201 and r.json()["receipt"] is None
        b = httpx.post(f"{base}/v1/records/bulk", content=ndjson([balance(1)]), headers=h)
        assert b.status_code == 201 and b.json()["receipt"] is None
        assert httpx.get(f"{base}/v1/receipts/signer").json()["signer"] is None
    with db.connect(write=False) as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM receipt_loads")).scalar() == 0


def _finalize(db: Database, when: int) -> None:
    batch = seal(db)
    assert batch is not None
    with db.connect() as conn:
        conn.execute(
            sa.text("UPDATE batches SET state = 'final', final_at = :t WHERE id = :id"),
            {"t": datetime.fromtimestamp(when, UTC), "id": batch.id},
        )


def test_deadline_missed_raises_an_alarm_and_is_listed(db: Database) -> None:
    signer = _signer(delay=60)
    kept = ingest(db, [json.dumps(trade(i)) for i in range(3)], receipts=signer)
    assert kept.receipt is not None
    t0 = kept.receipt.ingested_at
    _finalize(db, t0 + 30)  # final within the promise
    late = ingest(db, [json.dumps(balance(i)) for i in range(4)], receipts=signer)
    assert late.receipt is not None and late.load_id is not None
    first = check_deadlines(db, now=t0 + 10)
    assert (first.kept, first.missed) == (1, 0) and not open_alarms(db)
    due = late.receipt.deadline + 1
    second = check_deadlines(db, now=due)
    assert (second.missed, second.open_missed) == (1, 1)
    (alarm,) = [a for a in open_alarms(db) if a.kind == DEADLINE_ALARM]
    assert f"load {late.load_id}" in alarm.message and "not final yet" in alarm.message
    config = load_config(env={}, database_url=db.url)
    with serve(create_app(config, db, receipt_signer=signer)) as base:
        listed = httpx.get(f"{base}/v1/receipts/missed").json()["missed"]
    assert [m["load_id"] for m in listed] == [late.load_id]
    assert listed[0]["final_at"] is None and listed[0]["settled"]
    # final at last, after its deadline: the promise stays missed (evidence), the alarm ends
    _finalize(db, due + 100)
    third = check_deadlines(db, now=due + 200)
    assert third.open_missed == 0
    assert not [a for a in open_alarms(db) if a.kind == DEADLINE_ALARM]
    with db.connect(write=False) as conn:
        rows = conn.execute(sa.text("SELECT outcome, final_at FROM receipt_loads ORDER BY id"))
        assert [(r.outcome, r.final_at) for r in rows] == [("kept", t0 + 30), ("missed", due + 100)]
