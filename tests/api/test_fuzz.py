"""Property-based fuzz of EVERY endpoint of the served OpenAPI spec (schemathesis, against a
real uvicorn server on loopback, SQLite file): no 5xx, every status, content type and body
as the spec documents it, and a rejected request (4xx) changes no state — every table's row count and the batch/account rows are compared before/after.

Three callers per operation: anonymous, the operator (API key) and a user (bearer token).
Bounded: at most MAX_EXAMPLES examples per operation and caller, no Hypothesis deadline;
the whole module runs in well under 60 s on 2 cores.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from anchor.api.app import create_app
from anchor.api.auth import issue_token
from anchor.store.db import Database
from tests.interop.helpers import API_KEY, live_server, sealed_db, service_config

MAX_EXAMPLES = 15
# every answer is a documented status, with the documented content type and schema
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class FuzzService:
    db: Database
    url: str
    user_token: str

    def headers(self, who: str) -> dict[str, str]:
        if who == "operator":
            return {"X-API-Key": API_KEY}
        if who == "user":
            return {"Authorization": f"Bearer {self.user_token}"}
        return {}

    def state(self) -> dict[str, Any]:
        """Row counts of every table, plus a digest of the rows a request could alter."""
        out: dict[str, Any] = {}
        with self.db.connect(write=False) as conn:
            for table in sorted(sa.inspect(conn).get_table_names()):
                out[table] = conn.execute(sa.text(f'SELECT COUNT(*) FROM "{table}"')).scalar()
            digest = hashlib.sha256()
            for sql in (
                "SELECT * FROM batches ORDER BY id",
                "SELECT account_id, eth_address FROM accounts ORDER BY account_id",
                "SELECT id, revoked_at, expires_at FROM account_tokens ORDER BY id",
                "SELECT nonce, used_at FROM auth_challenges ORDER BY nonce",
            ):
                for row in conn.execute(sa.text(sql)):
                    digest.update(repr(tuple(row)).encode())
            out["digest"] = digest.hexdigest()
        return out


@pytest.fixture(scope="module")
def fuzz_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzService]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "anchor.sqlite"
    db = Database.open(f"sqlite:///{path}")
    try:
        records, batch_id = sealed_db(db, 40)
        with db.connect() as conn:
            conn.execute(
                sa.text(
                    "UPDATE batches SET state = 'final', tx_hash = :t, block_number = 3, "
                    "block_hash = :h, chain_id = 31337, "
                    "contract = '0x5fbdb2315678afecb367f032d93f642f64180aa3' WHERE id = :b"
                ),
                {"t": b"\x01" * 32, "h": b"\x02" * 32, "b": batch_id},
            )
        owner = records[3].accounts()[0]
        token = issue_token(db, owner).token
        with live_server(create_app(service_config(None), db)) as url:
            yield FuzzService(db, url, token)
    finally:
        db.close()


def _spec() -> dict[str, Any]:
    """The spec the app serves (built without a database: only routes matter here; the
    test below checks the live server serves the same document)."""
    return dict(create_app(service_config(None), cast(Any, None)).openapi())


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx: Any, value: Any) -> bytes:
    """NDJSON bodies (bulk ingest): a list becomes one JSON document per line; anything
    else is sent as one line, or as raw bytes/text when generated so."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(v).encode() + b"\n" for v in items)


schema = schemathesis.openapi.from_dict(_spec())


def test_the_spec_is_served_and_lists_every_public_route(fuzz_service: FuzzService) -> None:
    spec = httpx.get(f"{fuzz_service.url}/openapi.json").json()
    assert spec == json.loads(json.dumps(_spec()))
    assert spec["openapi"].startswith("3.")
    assert "/v1/verify" not in spec["paths"]  # the server never judges a proof
    for path in (
        "/v1/proofs/{record_id}",
        "/v1/me/balance-proofs",
        "/v1/me/proofs/{record_id}",
        "/v1/auth/challenge",
        "/v1/auth/login",
        "/v1/accounts/{account_id}/tokens",
        "/v1/explorer/anchors",
        "/v1/explorer/find",
        "/v1/receipts/missed",
        "/v1/receipts/signer",
        "/v1/receipts/records/{record_id}",
        "/v1/receipts/loads/{load_id}",
        "/v1/contract",
        "/v1/contract/standard-json",
        "/v1/contract/metadata",
    ):
        assert path in spec["paths"], path


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _fuzz_one(case: Any, who: str, svc: FuzzService) -> None:
    before = svc.state()
    headers = {**(case.headers or {}), **svc.headers(who)}
    response = case.call(base_url=svc.url, headers=headers, timeout=15)
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        after = svc.state()
        assert after == before, (
            f"{case.method} {case.path} answered {response.status_code} but changed state"
        )
        if response.status_code != 404:
            body = json.loads(response.content)
            assert body.get("detail"), "a 4xx must say what is wrong"


@schema.parametrize()
@FUZZ
def test_fuzz_anonymous(case: Any, fuzz_service: FuzzService) -> None:
    _fuzz_one(case, "anonymous", fuzz_service)


@schema.parametrize()
@FUZZ
def test_fuzz_operator(case: Any, fuzz_service: FuzzService) -> None:
    _fuzz_one(case, "operator", fuzz_service)


@schema.parametrize()
@FUZZ
def test_fuzz_user(case: Any, fuzz_service: FuzzService) -> None:
    _fuzz_one(case, "user", fuzz_service)
