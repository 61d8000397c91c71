"""GET /v1/proofs/{record_id} answers byte for byte as recorded: every kind of answer (200
for the public, a user, the operator with and without ``?account``; 202, 400, 401, 403,
404, 405, 422) against golden responses written by the code before the proof path was made
faster (issue 20), on SQLite and PostgreSQL, over a real uvicorn server.

The database is deterministic: the accounts' salts are stored before ingest (ingest keeps a
stored account's salt), the records are seeded samples, the anchor fields fixed. The golden
file was written by main's code with ``python tests/api/test_proof_bytes.py --write`` run
from a checkout of main (``PYTHONPATH=<main checkout>``); run it again only when the
bundle's bytes are meant to change.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from anchor.api.app import create_app
from anchor.core.hashing import keccak256
from anchor.core.leaves import account_commitment
from anchor.core.records import Record
from anchor.core.samples import sample_records
from anchor.service.ingest import ingest
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.interop.helpers import API_KEY, live_server, service_config

GOLDEN = Path(__file__).parent / "golden" / "proof_responses.json"
# the golden file was written when these were every kind (their records, hence bytes, fixed)
FIRST_KINDS = ("order_event", "book_snapshot", "trade", "balance", "position")
N = 1500  # 2,999 nodes: a path crosses several stored chunks
HEADERS = ("content-type", "content-length", "cache-control", "allow", "www-authenticate")
OP = {"X-API-Key": API_KEY}


def build(db: Database) -> tuple[list[Record], Record]:
    """The deterministic database: N seeded records sealed into batch 1 (final, fixed anchor
    fields), plus one record ingested after the seal (pending). Returns both."""
    records = sample_records(N + 1, seed=20, accounts=8, kinds=FIRST_KINDS)
    sealed, pending = records[:N], records[N]
    accounts = sorted({a for r in records for a in r.accounts()})
    with db.connect() as conn:
        for a in accounts:
            salt = keccak256(b"golden salt " + a.encode())
            conn.execute(
                sa.text(
                    "INSERT INTO accounts (account_id, salt, commitment, created_at) "
                    "VALUES (:a, :s, :c, :t)"
                ),
                {"a": a, "s": salt, "c": account_commitment(a, salt), "t": datetime.now(UTC)},
            )
    ingest(db, [r.canonical_json() for r in sealed])
    batch = seal(db)
    assert batch is not None and batch.leaf_count == N
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "UPDATE batches SET state = 'final', tx_hash = :t, block_number = 4242, "
                "block_hash = :h, chain_id = 31337, "
                "contract = '0x5fbdb2315678afecb367f032d93f642f64180aa3' WHERE id = :b"
            ),
            {"t": b"\x11" * 32, "h": b"\x22" * 32, "b": batch.id},
        )
    ingest(db, [pending.canonical_json()])
    return sealed, pending


def _some(records: list[Record], kind: str, k: int) -> list[Record]:
    return [r for r in records if r.kind == kind][:k]


def exchanges(url: str, records: list[Record], pending: Record) -> list[dict[str, Any]]:
    """Every answer the route gives, as (case, status, chosen headers, body text)."""
    cases: list[tuple[str, str, str, dict[str, str]]] = []  # (case, method, path, headers)
    for kind in ("trade", "order_event", "book_snapshot"):
        for r in _some(records, kind, 4):
            cases.append((f"public {kind}", "GET", f"/v1/proofs/{r.record_id}", {}))
    for kind in ("balance", "position"):
        for r in _some(records, kind, 3):
            path = f"/v1/proofs/{r.record_id}"
            owner = r.accounts()[0]
            cases.append((f"public {kind}: hidden", "GET", path, {}))
            cases.append((f"operator {kind}", "GET", path, OP))
            cases.append((f"operator {kind} + account", "GET", f"{path}?account={owner}", OP))
            cases.append((f"owner {kind}", "GET", path, {"token-for": owner}))
    trade = next(
        r for r in records if r.kind == "trade" and r.fields["buyer"] != r.fields["seller"]
    )
    path = f"/v1/proofs/{trade.record_id}"
    cases += [
        ("operator trade + buyer", "GET", f"{path}?account={trade.fields['buyer']}", OP),
        ("buyer's own trade", "GET", path, {"token-for": trade.fields["buyer"]}),
        ("account not named", "GET", f"{path}?account=acct-nobody", OP),
        ("account without the key", "GET", f"{path}?account={trade.fields['buyer']}", {}),
        ("bad token", "GET", path, {"Authorization": "Bearer nope"}),
        ("pending", "GET", f"/v1/proofs/{pending.record_id}", {}),
        ("unknown", "GET", "/v1/proofs/no-such-record", {}),
        ("too long", "GET", "/v1/proofs/" + "x" * 129, {}),
        ("account too long", "GET", f"{path}?account={'a' * 129}", OP),
        ("post", "POST", path, {}),
    ]
    tokens: dict[str, str] = {}
    out = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for case, method, target, headers in cases:
            headers = dict(headers)
            owner = headers.pop("token-for", None)
            if owner is not None:
                if owner not in tokens:
                    r = client.post(f"/v1/accounts/{owner}/tokens", headers=OP)
                    assert r.status_code in (200, 201), r.text
                    tokens[owner] = str(r.json()["token"])
                headers["Authorization"] = f"Bearer {tokens[owner]}"
            r = client.request(method, target, headers=headers)
            out.append(
                {
                    "case": case,
                    "request": f"{method} {target}",
                    "status": r.status_code,
                    "headers": {h: r.headers[h] for h in HEADERS if h in r.headers},
                    "body": r.content.decode("ascii"),
                }
            )
    return out


def served(db: Database) -> list[dict[str, Any]]:
    records, pending = build(db)
    with live_server(create_app(service_config(None), db)) as url:
        return exchanges(url, records, pending)


def test_proof_responses_are_byte_identical_to_the_golden_ones(db: Database) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="ascii"))
    got = served(db)
    assert [g["request"] for g in got] == [g["request"] for g in golden]
    for g, want in zip(got, golden, strict=True):
        assert g == want, want["case"]
    # the golden set covers what it claims: bundles for every viewer, and each error
    assert {g["status"] for g in golden} == {200, 202, 400, 401, 403, 404, 405, 422}
    assert sum(g["status"] == 200 for g in golden) >= 30


if __name__ == "__main__":  # python tests/api/test_proof_bytes.py --write (from main's code)
    import tempfile

    assert sys.argv[1:] == ["--write"], "usage: test_proof_bytes.py --write"
    with tempfile.TemporaryDirectory() as tmp:
        database = Database.open(f"sqlite:///{tmp}/golden.sqlite")
        try:
            answers = served(database)
        finally:
            database.close()
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(answers, indent=1) + "\n", encoding="ascii")
    import anchor

    print(f"wrote {len(answers)} responses to {GOLDEN} (code: {Path(anchor.__file__).parent})")
