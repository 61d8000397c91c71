"""Balance proofs only for their owner: per-account tokens (stored hashed), Sign-In-With-
Ethereum (single-use, expiring challenges), GET /v1/me/balance-proofs — over a real uvicorn
server on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from eth_account import Account
from eth_account.messages import encode_defunct
from typer.testing import CliRunner

from anchor.api.app import create_app
from anchor.core.proof import parse_bundle
from anchor.core.verify import verify_bundle
from anchor.service.ingest import ingest
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.fixtures.schema import assert_models_match_migrated_schema
from tests.interop.helpers import API_KEY, live_server, service_config

ALICE, BOB = "acct-alice", "acct-bob"
OP = {"X-API-Key": API_KEY}


def balance(rid: str, account: str, asset: str, available: int, ts: int) -> dict[str, Any]:
    return {
        "kind": "balance",
        "version": 1,
        "record_id": rid,
        "ts_ns": str(1_750_000_000_000_000_000 + ts),
        "account": account,
        "asset": asset,
        "available": str(available),
        "locked": "0",
    }


def trade(rid: str, buyer: str, seller: str) -> dict[str, Any]:
    return {
        "kind": "trade",
        "version": 1,
        "record_id": rid,
        "ts_ns": "1750000000000000000",
        "market": "BTC-PERP",
        "buyer": buyer,
        "seller": seller,
        "buy_order_id": "b-1",
        "sell_order_id": "s-1",
        "taker_side": "sell",
        "price": "65000",
        "quantity": "3",
        "buyer_fee": "2",
        "seller_fee": "-1",
    }


def _finalize(db: Database, batch_id: int) -> None:
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "UPDATE batches SET state = 'final', tx_hash = :t, block_number = :n, "
                "block_hash = :h, chain_id = 31337, contract = :c WHERE id = :b"
            ),
            {
                "t": bytes([batch_id]) * 32,
                "n": 10 + batch_id,
                "h": bytes([0x80 + batch_id]) * 32,
                "c": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
                "b": batch_id,
            },
        )


@dataclass
class Svc:
    db: Database
    url: str
    salts: dict[str, bytes]

    def token(self, account: str) -> str:
        r = httpx.post(f"{self.url}/v1/accounts/{account}/tokens", headers=OP)
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


@pytest.fixture
def svc(db: Database) -> Iterator[Svc]:
    ingest(
        db,
        [
            balance("bal-a-usdc-1", ALICE, "USDC", 100, 1),
            balance("bal-b-usdc-1", BOB, "USDC", 7_000, 2),
            trade("trade-ab", ALICE, BOB),
        ],
    )
    b1 = seal(db)
    ingest(
        db,
        [
            balance("bal-a-usdc-2", ALICE, "USDC", 200, 3),
            balance("bal-a-btc-1", ALICE, "BTC", 5, 4),
            balance("bal-b-usdc-2", BOB, "USDC", 9_000, 5),
        ],
    )
    b2 = seal(db)
    assert b1 is not None and b2 is not None
    _finalize(db, b1.id)
    _finalize(db, b2.id)
    ingest(db, [balance("bal-a-usdc-3", ALICE, "USDC", 300, 6)])  # not anchored yet
    with db.connect(write=False) as conn:
        salts = {
            str(a): bytes(s)
            for a, s in conn.execute(sa.text("SELECT account_id, salt FROM accounts"))
        }
    with live_server(create_app(service_config(None), db)) as url:
        yield Svc(db, url, salts)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_credentials_is_401(svc: Svc) -> None:
    for path in ("/v1/me", "/v1/me/balance-proofs", "/v1/me/proofs/bal-a-usdc-1"):
        r = httpx.get(svc.url + path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"
        r = httpx.get(svc.url + path, headers=_auth("la_" + "A" * 43))
        assert r.status_code == 401, path
        r = httpx.get(svc.url + path, headers=_auth(API_KEY))  # the operator is no user
        assert r.status_code == 401, path


def test_tokens_are_issued_by_the_operator_only_and_stored_hashed(svc: Svc) -> None:
    assert httpx.post(f"{svc.url}/v1/accounts/{ALICE}/tokens").status_code == 401
    r = httpx.post(f"{svc.url}/v1/accounts/{ALICE}/tokens", headers={"X-API-Key": "nope"})
    assert r.status_code == 401
    assert httpx.post(f"{svc.url}/v1/accounts/acct-nobody/tokens", headers=OP).status_code == 404
    token = svc.token(ALICE)
    with svc.db.connect(write=False) as conn:
        rows = conn.execute(sa.text("SELECT * FROM account_tokens")).all()
    assert len(rows) == 1
    assert bytes(rows[0].token_hash) == hashlib.sha256(token.encode()).digest()
    assert token not in repr(rows) and token.encode() not in b"".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in rows[0]
    )
    me = httpx.get(f"{svc.url}/v1/me", headers=_auth(token))
    assert me.status_code == 200 and me.json() == {"account_id": ALICE, "eth_address": None}


def test_balance_proofs_are_the_callers_latest_anchored_ones_only(svc: Svc) -> None:
    r = httpx.get(f"{svc.url}/v1/me/balance-proofs", headers=_auth(svc.token(ALICE)))
    assert r.status_code == 200
    body = r.json()
    assert body["account_id"] == ALICE
    got = {p["record"]["record_id"] for p in body["proofs"]}
    assert got == {"bal-a-usdc-2", "bal-a-btc-1"}  # latest anchored per asset
    assert [p["record_id"] for p in body["pending"]] == ["bal-a-usdc-3"]
    for obj in body["proofs"]:
        bundle = parse_bundle(json.dumps(obj, indent=2) + "\n")
        assert [(a.account_id, a.salt) for a in bundle.accounts] == [(ALICE, svc.salts[ALICE])]
        assert bundle.anchor.status == "final"
        verify_bundle(bundle)
    assert BOB not in r.text and svc.salts[BOB].hex() not in r.text
    assert '"9000"' not in r.text and '"7000"' not in r.text  # not even Bob's amounts


def test_another_accounts_record_is_404_never_data(svc: Svc) -> None:
    token = svc.token(ALICE)
    for rid in ("bal-b-usdc-1", "bal-b-usdc-2"):
        for path in (f"/v1/me/proofs/{rid}", f"/v1/proofs/{rid}"):
            r = httpx.get(svc.url + path, headers=_auth(token))
            assert r.status_code == 404, path
            assert '"7000"' not in r.text and svc.salts[BOB].hex() not in r.text
    # her own record through both routes: her salt only, Bob as a commitment
    for path in ("/v1/me/proofs/trade-ab", "/v1/proofs/trade-ab"):
        r = httpx.get(svc.url + path, headers=_auth(token))
        assert r.status_code == 200
        bundle = parse_bundle(r.content)
        assert [a.account_id for a in bundle.accounts] == [ALICE]
        assert BOB not in r.text and svc.salts[BOB].hex() not in r.text
        verify_bundle(bundle)
    mine = httpx.get(f"{svc.url}/v1/me/proofs/bal-a-usdc-3", headers=_auth(token))
    assert mine.status_code == 202 and mine.json()["status"] == "pending"


def test_revoked_and_expired_tokens_are_refused(svc: Svc) -> None:
    token = svc.token(ALICE)
    assert httpx.get(f"{svc.url}/v1/me", headers=_auth(token)).status_code == 200
    assert httpx.post(f"{svc.url}/v1/auth/logout", headers=_auth(token)).status_code == 204
    assert httpx.get(f"{svc.url}/v1/me", headers=_auth(token)).status_code == 401
    token2 = svc.token(ALICE)
    with svc.db.connect() as conn:
        conn.execute(
            sa.text("UPDATE account_tokens SET expires_at = :t WHERE revoked_at IS NULL"),
            {"t": "2001-01-01 00:00:00"},
        )
    assert httpx.get(f"{svc.url}/v1/me", headers=_auth(token2)).status_code == 401


# --------------------------------------------------------------------------- SIWE


@pytest.fixture
def wallet(svc: Svc) -> Any:
    acct = Account.create()
    r = httpx.put(
        f"{svc.url}/v1/accounts/{ALICE}/eth-address", json={"address": acct.address}, headers=OP
    )
    assert r.status_code == 200 and r.json()["eth_address"] == acct.address
    return acct


def _challenge(svc: Svc, address: str) -> dict[str, Any]:
    r = httpx.post(f"{svc.url}/v1/auth/challenge", json={"address": address})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _sign(acct: Any, message: str) -> str:
    return "0x" + bytes(acct.sign_message(encode_defunct(text=message)).signature).hex()


def test_siwe_login_gives_a_session_for_the_linked_account(svc: Svc, wallet: Any) -> None:
    ch = _challenge(svc, wallet.address)
    msg = ch["message"]
    host = svc.url.removeprefix("http://")
    assert msg.startswith(f"{host} wants you to sign in with your Ethereum account:\n")
    assert f"\n{wallet.address}\n" in msg and f"Nonce: {ch['nonce']}" in msg
    assert "Issued At: " in msg and "Expiration Time: " in msg and "Chain ID: " in msg
    r = httpx.post(
        f"{svc.url}/v1/auth/login", json={"message": msg, "signature": _sign(wallet, msg)}
    )
    assert r.status_code == 200, r.text
    session = r.json()
    assert session["account_id"] == ALICE and session["kind"] == "session"
    assert session["expires_at"] is not None
    proofs = httpx.get(f"{svc.url}/v1/me/balance-proofs", headers=_auth(session["token"]))
    assert proofs.status_code == 200 and proofs.json()["account_id"] == ALICE


def test_replayed_challenge_is_refused(svc: Svc, wallet: Any) -> None:
    msg = _challenge(svc, wallet.address)["message"]
    body = {"message": msg, "signature": _sign(wallet, msg)}
    assert httpx.post(f"{svc.url}/v1/auth/login", json=body).status_code == 200
    again = httpx.post(f"{svc.url}/v1/auth/login", json=body)
    assert again.status_code == 401
    assert "already used" in again.json()["detail"]


def test_expired_challenge_is_refused(svc: Svc, wallet: Any) -> None:
    ch = _challenge(svc, wallet.address)
    with svc.db.connect() as conn:
        conn.execute(
            sa.text("UPDATE auth_challenges SET expires_at = :t WHERE nonce = :n"),
            {"t": "2001-01-01 00:00:00", "n": ch["nonce"]},
        )
    body = {"message": ch["message"], "signature": _sign(wallet, ch["message"])}
    r = httpx.post(f"{svc.url}/v1/auth/login", json=body)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_expired_message_is_refused_even_with_a_live_nonce(svc: Svc, wallet: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from anchor.api.auth import SiweSite, issue_challenge

    old = datetime.now(UTC) - timedelta(hours=2)
    site = SiweSite("x.test", "http://x.test", 1)
    msg = issue_challenge(svc.db, wallet.address, site=site, now=old)
    text = msg.text()
    r = httpx.post(
        f"{svc.url}/v1/auth/login", json={"message": text, "signature": _sign(wallet, text)}
    )
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_wrong_signer_altered_message_and_unlinked_address_are_refused(
    svc: Svc, wallet: Any
) -> None:
    msg = _challenge(svc, wallet.address)["message"]
    stranger = Account.create()
    r = httpx.post(
        f"{svc.url}/v1/auth/login", json={"message": msg, "signature": _sign(stranger, msg)}
    )
    assert r.status_code == 401
    altered = msg.replace("wants you", "wants  you")
    r = httpx.post(
        f"{svc.url}/v1/auth/login",
        json={"message": altered, "signature": _sign(wallet, altered)},
    )
    assert r.status_code == 401
    # the stranger signs their own challenge correctly, but no account is linked to them
    own = _challenge(svc, stranger.address)["message"]
    r = httpx.post(
        f"{svc.url}/v1/auth/login", json={"message": own, "signature": _sign(stranger, own)}
    )
    assert r.status_code == 401 and "not linked" in r.json()["detail"]
    # after all these refusals the original challenge is still usable (nothing was burnt)
    r = httpx.post(
        f"{svc.url}/v1/auth/login", json={"message": msg, "signature": _sign(wallet, msg)}
    )
    assert r.status_code == 200


def test_accounts_token_cli_prints_a_working_token_once(svc: Svc) -> None:
    from anchor.cli import app

    res = CliRunner().invoke(app, ["accounts", "token", BOB, "--database-url", svc.db.url])
    assert res.exit_code == 0, res.output
    token = res.stdout.strip().splitlines()[0]
    assert token.startswith("la_")
    r = httpx.get(f"{svc.url}/v1/me/balance-proofs", headers=_auth(token))
    assert r.status_code == 200
    assert {p["record"]["record_id"] for p in r.json()["proofs"]} == {"bal-b-usdc-2"}


def test_auth_models_match_the_0003_migration(db: Database) -> None:
    from anchor.store.auth_models import AccountToken, AuthChallenge

    assert_models_match_migrated_schema(db, (AccountToken, AuthChallenge))
    insp = sa.inspect(db.engine)
    uniques = insp.get_unique_constraints("account_tokens")
    indexes = insp.get_indexes("account_tokens")
    assert any(u["column_names"] == ["token_hash"] for u in uniques) or any(
        i["column_names"] == ["token_hash"] and i["unique"] for i in indexes
    )


def test_open_challenges_per_address_are_capped(svc: Svc) -> None:
    from anchor.api.auth import MAX_OPEN_CHALLENGES

    address = Account.create().address
    for _ in range(MAX_OPEN_CHALLENGES):
        _challenge(svc, address)
    r = httpx.post(f"{svc.url}/v1/auth/challenge", json={"address": address})
    assert r.status_code == 429
    with svc.db.connect(write=False) as conn:
        n = conn.execute(
            sa.text("SELECT COUNT(*) FROM auth_challenges WHERE address = :a"), {"a": address}
        ).scalar()
    assert n == MAX_OPEN_CHALLENGES
