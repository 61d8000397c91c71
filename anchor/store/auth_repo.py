"""User credentials in the store (:mod:`anchor.api.auth` decides what they mean): hashed
bearer tokens, SIWE challenges, the Ethereum address linked to an account, and the
per-account reads of ``/v1/me`` (:mod:`anchor.api.me`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from anchor.errors import ConflictError, NotFoundError
from anchor.store.auth_models import AccountToken, AuthChallenge
from anchor.store.db import Database
from anchor.store.rows import first_typed


class TokenRow(NamedTuple):
    account_id: str
    expires_at: datetime | None  # UTC
    revoked_at: datetime | None


class ChallengeRow(NamedTuple):
    address: str
    message_hash: bytes
    expires_at: datetime | None  # UTC
    used_at: datetime | None


class BalanceRow(NamedTuple):
    """A balance record of an account and the state of its batch (None: not sealed)."""

    record_id: str
    seq: int
    canonical: str
    state: str | None


@dataclass(frozen=True)
class ChallengeLimits:
    max_open: int  # live, unused challenges per address
    max_rows: int  # rows in the table, all addresses
    keep_expired: timedelta  # expired challenges kept this long before they are dropped


def _account_exists(conn: Connection, account_id: str) -> bool:
    row = conn.execute(
        sa.text("SELECT 1 FROM accounts WHERE account_id = :a"), {"a": account_id}
    ).first()
    return row is not None


# --------------------------------------------------------------------------- tokens


def add_token(
    db: Database,
    account_id: str,
    token_hash: bytes,
    kind: str,
    created_at: datetime,
    expires_at: datetime | None,
) -> None:
    """Store a token's hash for an existing account; NotFoundError if there is none."""
    with db.session() as s:
        if not _account_exists(s.connection(), account_id):
            raise NotFoundError("unknown account")
        s.add(
            AccountToken(
                account_id=account_id,
                token_hash=token_hash,
                kind=kind,
                created_at=created_at,
                expires_at=expires_at,
            )
        )


def token_by_hash(db: Database, token_hash: bytes) -> TokenRow | None:
    sql = "SELECT account_id, expires_at, revoked_at FROM account_tokens WHERE token_hash = :h"
    return first_typed(TokenRow, db, sql, {"h": token_hash})


def revoke_token(db: Database, token_hash: bytes, now: datetime) -> bool:
    """Mark a live token revoked; True when one was."""
    with db.connect() as conn:
        result = conn.execute(
            sa.text(
                "UPDATE account_tokens SET revoked_at = :now "
                "WHERE token_hash = :h AND revoked_at IS NULL"
            ),
            {"now": now, "h": token_hash},
        )
        return bool(result.rowcount)


# --------------------------------------------------------------------------- addresses


def link_eth_address(db: Database, account_id: str, address: str | None) -> None:
    """Set (or, with None, clear) the checksummed ``address`` of an account. NotFoundError
    for an unknown account, ConflictError when another account has the address."""
    with db.connect() as conn:
        if not _account_exists(conn, account_id):
            raise NotFoundError("unknown account")
        if address is not None:
            other = conn.execute(
                sa.text(
                    "SELECT account_id FROM accounts WHERE (eth_address = :cs "
                    "OR eth_address = :lc) AND account_id <> :a"
                ),
                {"cs": address, "lc": address.lower(), "a": account_id},
            ).first()
            if other is not None:
                raise ConflictError("address is already linked to another account")
        conn.execute(
            sa.text("UPDATE accounts SET eth_address = :cs WHERE account_id = :a"),
            {"cs": address, "a": account_id},
        )


def eth_address_of(db: Database, account_id: str) -> str | None:
    row = db.first(
        "SELECT eth_address FROM accounts WHERE account_id = :a",
        {"a": account_id},
    )
    return None if row is None or row.eth_address is None else str(row.eth_address)


# --------------------------------------------------------------------------- challenges


def add_challenge(
    db: Database, challenge: AuthChallenge, now: datetime, limits: ChallengeLimits
) -> Literal["ok", "address", "table"]:
    """Store a challenge unless its address has ``max_open`` live ones (``"address"``) or
    the table stays full after dropping expired and used ones (``"table"``)."""
    with db.session() as s:
        conn = s.connection()
        open_now = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM auth_challenges WHERE address = :a AND used_at IS NULL "
                "AND expires_at > :t"
            ),
            {"a": challenge.address, "t": now},
        ).scalar()
        if int(open_now or 0) >= limits.max_open:
            return "address"
        # keep the table small: challenges expired for a while are dropped, and when it is
        # full every expired one; a table still full refuses new challenges
        conn.execute(
            sa.text("DELETE FROM auth_challenges WHERE expires_at < :t"),
            {"t": now - limits.keep_expired},
        )
        rows = int(conn.execute(sa.text("SELECT COUNT(*) FROM auth_challenges")).scalar() or 0)
        if rows >= limits.max_rows:
            conn.execute(
                sa.text("DELETE FROM auth_challenges WHERE expires_at < :t OR used_at IS NOT NULL"),
                {"t": now},
            )
            rows = int(conn.execute(sa.text("SELECT COUNT(*) FROM auth_challenges")).scalar() or 0)
            if rows >= limits.max_rows:
                return "table"
        s.add(challenge)
    return "ok"


def challenge_by_nonce(db: Database, nonce: str) -> ChallengeRow | None:
    sql = "SELECT address, message_hash, expires_at, used_at FROM auth_challenges WHERE nonce = :n"
    return first_typed(ChallengeRow, db, sql, {"n": nonce})


def use_challenge(
    db: Database, nonce: str, signer: str, now: datetime
) -> str | Literal[False] | None:
    """In one transaction: the account linked to ``signer`` (None: none, nothing changed)
    and the challenge marked used (False: it was used meanwhile, nothing changed)."""
    try:
        with db.connect() as conn:
            account = conn.execute(
                sa.text(
                    "SELECT account_id FROM accounts WHERE eth_address = :cs OR eth_address = :lc"
                ),
                {"cs": signer, "lc": signer.lower()},
            ).first()
            if account is None:
                return None
            used = conn.execute(
                sa.text(
                    "UPDATE auth_challenges SET used_at = :now WHERE nonce = :n AND used_at IS NULL"
                ),
                {"now": now, "n": nonce},
            )
            if used.rowcount != 1:
                raise _UsedMeanwhile  # rolls the transaction back
            return str(account.account_id)
    except _UsedMeanwhile:
        return False


class _UsedMeanwhile(Exception):
    pass


# --------------------------------------------------------------------------- /v1/me reads


def balance_records(db: Database, account_id: str) -> list[BalanceRow]:
    """The balance records naming ``account_id``, newest first, with their batch state."""
    rows = db.rows(
        "SELECT r.record_id, r.seq, r.canonical, b.state FROM record_accounts ra "
        "JOIN records r ON r.seq = ra.seq "
        "LEFT JOIN batches b ON r.seq >= b.first_seq AND r.seq <= b.last_seq "
        "WHERE ra.account_id = :a AND r.kind = 'balance' ORDER BY r.seq DESC",
        {"a": account_id},
    )
    return [
        BalanceRow(
            str(r.record_id),
            int(r.seq),
            str(r.canonical),
            None if r.state is None else str(r.state),
        )
        for r in rows
    ]


def record_names_account(db: Database, record_id: str, account_id: str) -> bool:
    """Does the record ``record_id`` mention ``account_id``?"""
    row = db.first(
        "SELECT 1 FROM record_accounts ra JOIN records r ON r.seq = ra.seq "
        "WHERE r.record_id = :r AND ra.account_id = :a",
        {"r": record_id, "a": account_id},
    )
    return row is not None
