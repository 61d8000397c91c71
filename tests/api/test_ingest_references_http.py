"""Ingest's reference checks over HTTP (issue 16, bad input), through a real uvicorn server
on SQLite and PostgreSQL: ``POST /v1/records`` and ``/v1/records/bulk`` refuse an unknown
reference as they refuse an invalid field (422, the line and field named; ``skip_bad``
keeps the good lines); with the default ``reference_checks = "off"`` nothing changes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from anchor.api.app import create_app
from anchor.config import load_config
from anchor.store.db import Database
from tests.api.server import serve
from tests.service.refs_sample import BAD, DECLARED, history, ndjson, order

KEY = "test-operator-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _client(db: Database, mode: str) -> Iterator[httpx.Client]:
    config = load_config(env={}, api_key=KEY, database_url=db.url, reference_checks=mode)
    with serve(create_app(config, db)) as base, httpx.Client(base_url=base, timeout=30) as c:
        yield c


@pytest.fixture
def strict(db: Database) -> Iterator[httpx.Client]:
    yield from _client(db, "strict")


def _count(db: Database) -> int:
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM records")).scalar_one())


def test_unknown_references_refused_over_http(strict: httpx.Client, db: Database) -> None:
    r = strict.post("/v1/records/bulk", content=ndjson(history()), headers=AUTH)
    assert r.status_code == 201 and r.json()["accepted"] == len(history())
    stored = _count(db)
    for obj, field, value, why in BAD:
        r = strict.post("/v1/records", content=json.dumps(obj), headers=AUTH)
        assert r.status_code == 422, r.text
        err = r.json()
        assert err["field"] == field, err
        assert f"unknown reference {value!r}" in err["detail"] and why in err["detail"], err
    assert _count(db) == stored
    # declared references to earlier history go in
    r = strict.post("/v1/records/bulk", content=ndjson(DECLARED), headers=AUTH)
    assert r.status_code == 201 and r.json()["accepted"] == len(DECLARED)


def test_bulk_mixed_good_and_bad(strict: httpx.Client, db: Database) -> None:
    strict.post("/v1/records/bulk", content=ndjson(history()), headers=AUTH)
    stored = _count(db)
    body = ndjson(
        [
            order("g-1", "o-10", "alice", "new", "buy", 1),
            BAD[1][0],  # cancel of an order never opened
            order("g-2", "o-10", "alice", "cancel", "buy", 1),
            BAD[10][0],  # a fee of a trade never seen
        ]
    )
    r = strict.post("/v1/records/bulk", content=body, headers=AUTH)
    assert r.status_code == 422
    assert (r.json()["line"], r.json()["field"]) == (2, "order_id")
    assert _count(db) == stored  # all or nothing
    r = strict.post("/v1/records/bulk?skip_bad=true", content=body, headers=AUTH)
    assert r.status_code == 201
    got = r.json()
    assert got["accepted"] == 2
    assert [(b["line"], b["field"]) for b in got["rejected"]] == [(2, "order_id"), (4, "reference")]
    assert "unknown reference 't-404'" in got["rejected"][1]["problem"]
    assert _count(db) == stored + 2


def test_off_by_default_over_http(db: Database) -> None:
    for c in _client(db, "off"):
        r = c.post("/v1/records/bulk", content=ndjson([o for o, *_ in BAD]), headers=AUTH)
        assert r.status_code == 201 and r.json()["accepted"] == len(BAD)
