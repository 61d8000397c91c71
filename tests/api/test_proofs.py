"""GET /v1/proofs/{record_id} and `anchor prove` over a real uvicorn server, on SQLite and
PostgreSQL: who sees what, pending answers, anchor fields from the batch's current row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from anchor.api.app import create_app
from anchor.api.proofs import Viewer, load_proof
from anchor.core.proof import parse_bundle
from anchor.core.records import Record
from anchor.core.verify import verify_bundle
from anchor.errors import NotFoundError
from anchor.service.ingest import ingest
from anchor.service.seal import get_proof_material
from anchor.store.db import Database
from tests.interop.helpers import API_KEY, live_server, sealed_db, service_config

CONTRACT = "0x5FbDB2315678afecb367f032d93f642f64180aa3"
TX1 = bytes.fromhex("11" * 32)
BH1 = bytes.fromhex("22" * 32)


def _set_anchor(db: Database, batch_id: int, state: str, tx: bytes, block: int, bh: bytes) -> None:
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "UPDATE batches SET state = :s, tx_hash = :t, block_number = :n, "
                "block_hash = :h, chain_id = 31337, contract = :c WHERE id = :b"
            ),
            {"s": state, "t": tx, "n": block, "h": bh, "c": CONTRACT, "b": batch_id},
        )


@dataclass
class Svc:
    db: Database
    url: str
    records: list[Record]
    batch_id: int
    salts: dict[str, bytes]

    def first(self, kind: str) -> Record:
        return next(r for r in self.records if r.kind == kind)


@pytest.fixture
def svc(db: Database) -> Iterator[Svc]:
    records, batch_id = sealed_db(db, 60)
    _set_anchor(db, batch_id, "final", TX1, 7, BH1)
    with db.connect(write=False) as conn:
        salts = {
            str(a): bytes(s)
            for a, s in conn.execute(sa.text("SELECT account_id, salt FROM accounts"))
        }
    app = create_app(service_config(None), db)
    with live_server(app) as url:
        yield Svc(db, url, records, batch_id, salts)


def _secrets_absent(text: str, svc: Svc) -> None:
    for account, salt in svc.salts.items():
        assert account not in text
        assert salt.hex() not in text


def test_public_bundle_of_a_trade_verifies_and_names_nobody(svc: Svc) -> None:
    trade = svc.first("trade")
    r = httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}")
    assert r.status_code == 200
    bundle = parse_bundle(r.content)  # canonical bytes, exactly as served
    assert bundle.accounts == ()
    assert bundle.anchor.status == "final"
    assert bundle.anchor.tx_hash == TX1 and bundle.anchor.block_number == 7
    assert bundle.anchor.block_hash == BH1 and bundle.anchor.chain_id == 31337
    assert bundle.anchor.contract == CONTRACT.lower()
    assert verify_bundle(bundle) == bundle.root
    _secrets_absent(r.text, svc)


def test_private_kinds_are_hidden_from_the_public_like_unknown_ids(svc: Svc) -> None:
    for kind in ("balance", "position"):
        rec = svc.first(kind)
        r = httpx.get(f"{svc.url}/v1/proofs/{rec.record_id}")
        unknown = httpx.get(f"{svc.url}/v1/proofs/no-such-record")
        assert r.status_code == 404 and unknown.status_code == 404
        assert r.json() == unknown.json()
        _secrets_absent(r.text, svc)


def test_operator_gets_private_bundles_and_only_the_salt_asked_for(svc: Svc) -> None:
    bal = svc.first("balance")
    owner = bal.accounts()[0]
    r = httpx.get(f"{svc.url}/v1/proofs/{bal.record_id}", headers={"X-API-Key": API_KEY})
    assert r.status_code == 200
    assert parse_bundle(r.content).accounts == ()
    r = httpx.get(
        f"{svc.url}/v1/proofs/{bal.record_id}",
        params={"account": owner},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert r.status_code == 200
    bundle = parse_bundle(r.content)
    assert [(a.account_id, a.salt) for a in bundle.accounts] == [(owner, svc.salts[owner])]
    verify_bundle(bundle)
    # a trade: the operator asks for the buyer's salt; the seller stays a commitment
    trade = next(
        r for r in svc.records if r.kind == "trade" and r.fields["buyer"] != r.fields["seller"]
    )
    buyer, seller = trade.fields["buyer"], trade.fields["seller"]
    r = httpx.get(
        f"{svc.url}/v1/proofs/{trade.record_id}",
        params={"account": buyer},
        headers={"X-API-Key": API_KEY},
    )
    assert r.status_code == 200
    assert [a.account_id for a in parse_bundle(r.content).accounts] == [buyer]
    assert seller not in r.text and svc.salts[seller].hex() not in r.text
    # an account the record does not mention: refused
    r = httpx.get(
        f"{svc.url}/v1/proofs/{trade.record_id}",
        params={"account": "acct-99999"},
        headers={"X-API-Key": API_KEY},
    )
    assert r.status_code == 400


def test_asking_for_a_salt_without_the_operator_key_is_refused(svc: Svc) -> None:
    bal = svc.first("balance")
    r = httpx.get(f"{svc.url}/v1/proofs/{bal.record_id}", params={"account": bal.accounts()[0]})
    assert r.status_code == 403
    _secrets_absent(r.text, svc)
    r = httpx.get(f"{svc.url}/v1/proofs/{bal.record_id}", headers={"X-API-Key": "wrong-key"})
    assert r.status_code == 404  # a wrong key is no key: a private record stays hidden


def test_an_invalid_user_token_is_refused_not_ignored(svc: Svc) -> None:
    trade = svc.first("trade")
    r = httpx.get(
        f"{svc.url}/v1/proofs/{trade.record_id}", headers={"Authorization": "Bearer la_nope"}
    )
    assert r.status_code == 401


def test_not_yet_anchored_records_answer_with_their_status(svc: Svc) -> None:
    late = {
        "kind": "trade",
        "version": 1,
        "record_id": "late-trade-1",
        "ts_ns": "1750000000000000001",
        "market": "BTC-PERP",
        "buyer": "acct-00001",
        "seller": "acct-00002",
        "buy_order_id": "b1",
        "sell_order_id": "s1",
        "taker_side": "buy",
        "price": "100",
        "quantity": "2",
        "buyer_fee": "1",
        "seller_fee": "-1",
    }
    ingest(svc.db, [late])
    r = httpx.get(f"{svc.url}/v1/proofs/late-trade-1")
    assert r.status_code == 202
    assert r.json() == {
        "record_id": "late-trade-1",
        "status": "pending",
        "state": "unbatched",
        "batch_id": None,
    }
    from anchor.service.seal import seal

    batch = seal(svc.db)
    assert batch is not None
    r = httpx.get(f"{svc.url}/v1/proofs/late-trade-1")
    assert r.status_code == 202
    assert r.json()["state"] == "sealed" and r.json()["batch_id"] == batch.id
    # included but the tx manager has not filled every field: still pending, no half bundle
    with svc.db.connect() as conn:
        conn.execute(
            sa.text("UPDATE batches SET state = 'included', tx_hash = :t WHERE id = :b"),
            {"t": TX1, "b": batch.id},
        )
    assert httpx.get(f"{svc.url}/v1/proofs/late-trade-1").status_code == 202


def test_anchor_fields_follow_the_batch_row_after_re_anchoring(svc: Svc) -> None:
    trade = svc.first("trade")
    before = parse_bundle(httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}").content)
    tx2, bh2 = bytes.fromhex("33" * 32), bytes.fromhex("44" * 32)
    _set_anchor(svc.db, svc.batch_id, "included", tx2, 9, bh2)
    after = parse_bundle(httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}").content)
    assert (after.anchor.tx_hash, after.anchor.block_number, after.anchor.block_hash) == (
        tx2,
        9,
        bh2,
    )
    assert after.anchor.status == "included"
    assert after.proof == before.proof and after.root == before.root


def test_path_equals_the_store_proof_material(svc: Svc) -> None:
    for rec in svc.records[:15]:
        outcome = load_proof(svc.db, rec.record_id, Viewer(operator=True))
        material = get_proof_material(svc.db, rec.record_id)
        assert outcome.bundle is not None
        assert outcome.bundle.proof == material.proof
        assert outcome.bundle.leaf == material.leaf
        assert outcome.bundle.root == material.batch.root


def test_loaded_tree_chunks_count_against_the_cache_bound(svc: Svc) -> None:
    """Every chunk read into the cache is counted (the bound that keeps a worker's memory
    in check applies), and a cache that starts over still serves the request at hand."""
    from anchor.api.proofs import CHUNKS

    CHUNKS.clear()
    rec = svc.first("trade")
    assert load_proof(svc.db, rec.record_id, Viewer(operator=True)).bundle is not None
    assert len(CHUNKS) == 1  # 60 leaves: the whole tree is chunk 0
    size = CHUNKS.size
    try:
        CHUNKS.size = 1  # full: the next batch's chunk makes it start over
        CHUNKS.put(("elsewhere", 0, b""), 0, b"x")
        assert load_proof(svc.db, rec.record_id, Viewer(operator=True)).bundle is not None
        assert len(CHUNKS) <= 1
    finally:
        CHUNKS.size = size
        CHUNKS.clear()


def test_a_tampered_tree_chunk_is_reported_not_served(svc: Svc) -> None:
    from anchor.api.proofs import CHUNKS

    trade = svc.first("trade")
    sibling = parse_bundle(httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}").content).proof[0]
    CHUNKS.clear()
    with svc.db.connect() as conn:
        data = bytes(
            conn.execute(
                sa.text("SELECT data FROM tree_chunks WHERE batch_id = :b AND chunk_no = 0"),
                {"b": svc.batch_id},
            ).scalar_one()
        )
        at = data.index(sibling)  # 60 leaves: the whole tree is in chunk 0
        bad = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
        conn.execute(
            sa.text("UPDATE tree_chunks SET data = :d WHERE batch_id = :b AND chunk_no = 0"),
            {"d": bad, "b": svc.batch_id},
        )
    trade = svc.first("trade")
    r = httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}")
    assert r.status_code == 503
    assert "root" in r.json()["detail"]
    CHUNKS.clear()


def test_prove_cli_from_the_database_and_from_the_service(
    svc: Svc, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anchor.cli import app

    runner = CliRunner()
    bal = svc.first("balance")
    owner = bal.accounts()[0]
    out = tmp_path / "db.json"
    res = runner.invoke(
        app,
        ["prove", bal.record_id, "-o", str(out), "--database-url", svc.db.url, "--account", owner],
    )
    assert res.exit_code == 0, res.output
    from_db = parse_bundle(out.read_bytes())
    assert [a.account_id for a in from_db.accounts] == [owner]

    monkeypatch.setenv("ANCHOR_API_KEY", API_KEY)
    out2 = tmp_path / "api.json"
    res = runner.invoke(
        app, ["prove", bal.record_id, "-o", str(out2), "--api", svc.url, "--account", owner]
    )
    assert res.exit_code == 0, res.output
    assert out2.read_bytes() == out.read_bytes()

    res = runner.invoke(app, ["prove", "no-such-id", "-o", str(tmp_path / "x"), "--api", svc.url])
    assert isinstance(res.exception, NotFoundError)  # anchor.cli.main turns it into exit 2
    assert not (tmp_path / "x").exists()


def test_prove_cli_reports_pending_with_exit_3(svc: Svc, tmp_path: Any) -> None:
    from anchor.cli import app

    ingest(svc.db, [json.loads(svc.first("trade").canonical_json()) | {"record_id": "p-1"}])
    res = CliRunner().invoke(
        app, ["prove", "p-1", "-o", str(tmp_path / "p.json"), "--database-url", svc.db.url]
    )
    assert res.exit_code == 3
    assert "pending" in res.output
    assert not (tmp_path / "p.json").exists()


def test_prove_cli_with_a_user_token_gets_the_users_salt(svc: Svc, tmp_path: Any) -> None:
    from anchor.api.auth import issue_token
    from anchor.cli import app

    bal = svc.first("balance")
    owner = bal.accounts()[0]
    token = issue_token(svc.db, owner).token
    out = tmp_path / "mine.json"
    res = CliRunner().invoke(
        app, ["prove", bal.record_id, "-o", str(out), "--api", svc.url, "--token", token]
    )
    assert res.exit_code == 0, res.output
    bundle = parse_bundle(out.read_bytes())
    assert [(a.account_id, a.salt) for a in bundle.accounts] == [(owner, svc.salts[owner])]


def test_the_held_read_connection_never_returns_to_the_pool(db: Database) -> None:
    """The API's held autocommit read connection is detached: pooled connections (the
    store's write transactions) keep their transactional mode."""
    import gc

    from anchor.store import proof_reads

    held = proof_reads.held_connection(db)
    assert proof_reads.held_connection(db) is held
    proof_reads.drop_held(db)
    del held
    gc.collect()
    for _ in range(3):
        with db.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            if db.backend == "postgresql":
                assert dbapi.autocommit is False
            conn.execute(sa.text("SELECT 1"))


def test_a_dropped_read_connection_is_replaced(svc: Svc) -> None:
    """PostgreSQL kills the API's held read connection: one 503 at most, then it reconnects."""
    if svc.db.backend != "postgresql":
        pytest.skip("needs a server-side connection to terminate (PostgreSQL)")
    trade = svc.first("trade")
    assert httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}").status_code == 200
    with svc.db.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    assert killed >= 1
    codes = [httpx.get(f"{svc.url}/v1/proofs/{trade.record_id}").status_code for _ in range(3)]
    assert codes[0] in (200, 503) and codes[1:] == [200, 200], codes


def test_the_one_proof_route_answers_as_its_spec_says(svc: Svc) -> None:
    """Every answer of ``GET /v1/proofs/{id}`` (all through one handler) has a status its
    OpenAPI operation documents; a 200 is exactly ``load_proof``'s bytes for that viewer;
    errors are problem+json; bounds are the spec's."""
    spec = httpx.get(f"{svc.url}/openapi.json").json()
    op = spec["paths"]["/v1/proofs/{record_id}"]["get"]
    documented = {int(s) for s in op["responses"]}
    max_id = op["parameters"][0]["schema"]["maxLength"]
    config = service_config(None)
    ids = [r.record_id for r in svc.records[:12]] + ["no-such-id", "%2e%2e", "a" * (max_id + 1)]
    callers: list[tuple[dict[str, str], Viewer | None]] = [
        ({}, Viewer.public()),
        ({"Authorization": f"Bearer {API_KEY}"}, Viewer(operator=True)),
        ({"Authorization": "Bearer la_not-a-token"}, None),
        ({"X-API-Key": API_KEY}, Viewer(operator=True)),
    ]
    seen: set[int] = set()
    for rid in ids:
        for headers, viewer in callers:
            for suffix in ("", "?account=x"):
                r = httpx.get(f"{svc.url}/v1/proofs/{rid}{suffix}", headers=headers)
                seen.add(r.status_code)
                assert r.status_code in documented, (rid, headers, suffix, r.status_code)
                if r.status_code == 200:
                    assert viewer is not None and not suffix
                    want = load_proof(svc.db, rid, viewer, config).body
                    assert r.content == want
                    assert r.headers["content-type"] == "application/json"
                elif r.status_code >= 400:
                    assert r.headers["content-type"] == "application/problem+json"
                    assert r.json()["status"] == r.status_code and r.json()["detail"]
    assert {200, 401, 403, 404, 422} <= seen
    assert httpx.get(f"{svc.url}/v1/proofs/{'a' * (max_id + 1)}").json()["errors"][0]["loc"] == [
        "path",
        "record_id",
    ]
    gone = httpx.delete(f"{svc.url}/v1/proofs/{svc.records[0].record_id}")
    assert gone.status_code == 405 and gone.headers["allow"] == "GET"
