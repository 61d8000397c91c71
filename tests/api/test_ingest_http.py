"""HTTP ingest and batch reads through a real uvicorn server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from anchor.api.app import create_app
from anchor.config import load_config
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.api.server import serve
from tests.store.sample import balance, mixed, ndjson, trade

KEY = "test-operator-key-0123456789"


@pytest.fixture
def client(db: Database) -> Iterator[httpx.Client]:
    config = load_config(env={}, api_key=KEY, database_url=db.url)
    with serve(create_app(config, db)) as base, httpx.Client(base_url=base, timeout=30) as c:
        yield c


def _auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _count(db: Database) -> int:
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM records")).scalar_one())


def test_api_key_required(client: httpx.Client, db: Database) -> None:
    body = json.dumps(balance(1))
    assert client.post("/v1/records", content=body).status_code == 401
    assert client.post("/v1/records", content=body, headers=_auth("wrong")).status_code == 401
    assert (
        client.post("/v1/records/bulk", content=body, headers={"X-API-Key": "x"}).status_code == 401
    )
    assert _count(db) == 0
    r = client.post("/v1/records", content=body, headers={"X-API-Key": KEY})
    assert r.status_code == 201
    assert _count(db) == 1


def test_no_key_configured_closes_writes(db: Database) -> None:
    config = load_config(env={}, database_url=db.url)
    with serve(create_app(config, db)) as base:
        r = httpx.post(f"{base}/v1/records", content=json.dumps(balance(1)), headers=_auth())
    assert r.status_code == 401


def test_post_one_then_replay_then_conflict(client: httpx.Client, db: Database) -> None:
    r = client.post("/v1/records", json=trade(1), headers=_auth())
    assert r.status_code == 201
    assert r.json() | {"rejected": []} == {
        "accepted": 1,
        "duplicates": 0,
        "first_seq": 1,
        "last_seq": 1,
        "rejected": [],
        "receipt": None,  # no receipt key configured: no receipts
    }
    again = client.post("/v1/records", json=trade(1), headers=_auth())
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    changed = trade(1)
    changed["price"] = "1"
    conflict = client.post("/v1/records", json=changed, headers=_auth())
    assert conflict.status_code == 409
    assert "trd-1" in conflict.json()["detail"]
    assert _count(db) == 1


def test_bulk_ndjson(client: httpx.Client, db: Database) -> None:
    body = ndjson(mixed(50))
    r = client.post(
        "/v1/records/bulk",
        content=body,
        headers={**_auth(), "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["first_seq"], r.json()["last_seq"]) == (50, 1, 50)
    assert _count(db) == 50


def test_bulk_bad_line_names_line_and_field(client: httpx.Client, db: Database) -> None:
    bad = balance(3)
    bad["locked"] = -1
    body = ndjson([balance(1), balance(2)]) + b"\n" + json.dumps(bad).encode() + b"\n"
    r = client.post("/v1/records/bulk", content=body, headers=_auth())
    assert r.status_code == 422
    err = r.json()
    assert (err["line"], err["field"]) == (4, "locked")
    assert _count(db) == 0
    ok = client.post("/v1/records/bulk?skip_bad=true", content=body, headers=_auth())
    assert ok.status_code == 201
    assert ok.json()["accepted"] == 2
    assert ok.json()["rejected"][0]["line"] == 4
    assert _count(db) == 2


def test_bulk_conflict_changes_nothing(client: httpx.Client, db: Database) -> None:
    client.post("/v1/records", json=balance(1, available=10), headers=_auth())
    body = ndjson([balance(2), balance(1, available=11)])
    r = client.post("/v1/records/bulk", content=body, headers=_auth())
    assert r.status_code == 409
    assert _count(db) == 1


GARBAGE = [
    b"",
    b"   ",
    b"[1,2]",
    b"{",
    b"\xff\xfe",
    b'{"kind":"balance"}',
    b"1e400",
    b'{"kind":1}',
    b'{"kind":"balance","kind":"trade"}',
    b"null",
    b'"x"',
]


def test_garbage_is_4xx(client: httpx.Client, db: Database) -> None:
    for body in GARBAGE:
        for path in ("/v1/records", "/v1/records/bulk"):
            r = client.post(path, content=body, headers=_auth())
            assert 400 <= r.status_code < 500, (path, body, r.status_code, r.text)
            assert "error" in r.json()
    assert _count(db) == 0


def test_batches_endpoints(client: httpx.Client, db: Database) -> None:
    assert client.get("/v1/batches").json()["batches"] == []
    client.post("/v1/records/bulk", content=ndjson(mixed(10)), headers=_auth())
    batch = seal(db, max_records=4)
    seal(db)
    assert batch is not None
    listed = client.get("/v1/batches").json()["batches"]
    assert [b["id"] for b in listed] == [2, 1]
    one = client.get("/v1/batches/1")
    assert one.status_code == 200
    data = one.json()
    assert data["root"] == "0x" + batch.root.hex()
    assert (data["leaf_count"], data["first_seq"], data["last_seq"], data["state"]) == (
        4,
        1,
        4,
        "sealed",
    )
    assert data["tx_hash"] is None
    assert client.get("/v1/batches/99").status_code == 404
    assert client.get("/v1/batches/0").status_code == 422
    assert client.get("/v1/batches/99999999999999999999999").status_code == 422
    assert [b["id"] for b in client.get("/v1/batches?state=sealed&limit=1").json()["batches"]] == [
        2
    ]
    assert client.get("/v1/batches?state=bogus").status_code == 422


def test_healthz_and_openapi(client: httpx.Client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/v1/records" in spec["paths"] and "/v1/records/bulk" in spec["paths"]
    assert "/v1/batches/{batch_id}" in spec["paths"]
