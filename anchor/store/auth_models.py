"""Tables of user authentication: per-account tokens (hashed) and SIWE challenges.

A token is 32 random bytes shown once to its holder; only its sha256 is stored, so a copy of
the database grants no access. A challenge is a single-use nonce with an expiry, bound to the
exact EIP-4361 message issued (its sha256). Created by migration 0003_auth.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

TOKEN_API = "api"  # issued by the operator for an account, no expiry until revoked
TOKEN_SESSION = "session"  # issued by a SIWE login, short-lived


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class AccountToken(SQLModel, table=True):
    """One credential of one account: the sha256 of a bearer token."""

    __tablename__ = "account_tokens"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    account_id: str = Field(sa_column=Column(String, nullable=False, index=True))
    token_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=_ts())
    expires_at: datetime | None = Field(default=None, sa_column=_ts(True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(True))


class AuthChallenge(SQLModel, table=True):
    """A Sign-In-With-Ethereum challenge: single use, expires."""

    __tablename__ = "auth_challenges"

    nonce: str = Field(sa_column=Column(String(64), primary_key=True))
    address: str = Field(sa_column=Column(String(42), nullable=False))
    message_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    issued_at: datetime = Field(sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(True))
