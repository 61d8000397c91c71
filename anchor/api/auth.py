"""User authentication: per-account bearer tokens (stored hashed) and Sign-In-With-Ethereum.

Tokens
    ``la_`` + 43 url-safe characters (32 random bytes). Only ``sha256(token)`` is stored
    (table ``account_tokens``); the token is shown once to whoever issued it. Operator-issued
    tokens (kind ``api``) live until revoked; tokens from a SIWE login (kind ``session``)
    expire after :data:`SESSION_TTL`.

Sign-In-With-Ethereum (EIP-4361)
    ``issue_challenge`` builds the message (domain, checksummed address, statement, URI,
    version 1, chain id, a random nonce, issued-at, expiration-time) and stores the nonce with
    the sha256 of the exact text. ``login`` accepts only that exact text, signed (EIP-191
    ``personal_sign``) by the address in it, checked with ``eth_account.Account.recover_message``;
    the address must be the ``eth_address`` linked to an account; the nonce is consumed
    atomically (a replay finds it used) and must not have expired.

Errors are :class:`AuthError` (401) and :class:`ForbiddenError` (403); messages never contain
a token, a salt or a signature.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request

from anchor.api.deps import get_config, get_db
from anchor.config import Config
from anchor.errors import AnchorError, InputError
from anchor.store import auth_repo
from anchor.store.auth_models import TOKEN_API, TOKEN_SESSION, AuthChallenge
from anchor.store.db import Database

__all__ = [
    "CHALLENGE_TTL",
    "SESSION_TTL",
    "AuthError",
    "ForbiddenError",
    "IssuedToken",
    "SiweMessage",
    "SiweSite",
    "TooManyChallenges",
    "account_for_token",
    "bearer_token",
    "hash_token",
    "issue_challenge",
    "issue_token",
    "link_eth_address",
    "login",
    "optional_account",
    "parse_siwe",
    "require_account",
    "revoke_token",
]

CHALLENGE_TTL = timedelta(minutes=5)
MAX_OPEN_CHALLENGES = 10  # live, unused challenges per address
MAX_CHALLENGES = 10_000  # rows in the challenge table, all addresses (expired ones go first)
SESSION_TTL = timedelta(hours=1)
TOKEN_PREFIX = "la_"
STATEMENT = "Sign in to ledger-anchor to read your own balance proofs."


class AuthError(AnchorError):
    """Missing, unknown, expired or revoked credentials; a bad or replayed challenge (401)."""


class TooManyChallenges(AnchorError):
    """Too many open sign-in challenges for one address (429)."""


class ForbiddenError(AnchorError):
    """Authenticated, but not allowed to see this (403)."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``token`` is the only copy in clear; show it once."""

    token: str = ""
    account_id: str = ""
    kind: str = TOKEN_API
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # never print the token itself
        return f"IssuedToken(account_id={self.account_id!r}, kind={self.kind!r})"


def utcnow() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> bytes:
    """sha256 of the token's UTF-8 bytes: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def issue_token(
    db: Database,
    account_id: str,
    *,
    kind: str = TOKEN_API,
    ttl: timedelta | None = None,
) -> IssuedToken:
    """Issue a new bearer token for an existing account; NotFoundError if there is none."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + ttl if ttl is not None else None
    auth_repo.add_token(db, account_id, hash_token(token), kind, now, expires)
    return IssuedToken(token=token, account_id=account_id, kind=kind, expires_at=expires)


def account_for_token(db: Database, token: str) -> str | None:
    """The account a live token belongs to, or None (unknown, expired or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    row = auth_repo.token_by_hash(db, hash_token(token))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row.account_id


def revoke_token(db: Database, token: str) -> bool:
    """Revoke a token (e.g. a logout); True when a live token was revoked."""
    return auth_repo.revoke_token(db, hash_token(token), utcnow())


# --------------------------------------------------------------------------- addresses

_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}\Z")


def checksum_address(address: str) -> str:
    """EIP-55 form of a 0x address; InputError when malformed or a bad mixed-case checksum."""
    from eth_utils import is_checksum_address, to_checksum_address

    if not isinstance(address, str) or not _ADDRESS_RE.match(address):
        raise InputError("address: expected 0x followed by 40 hex digits")
    body = address[2:]
    mixed = body != body.lower() and body != body.upper()
    if mixed and not is_checksum_address(address):
        raise InputError("address: mixed-case address with a wrong EIP-55 checksum")
    return str(to_checksum_address(address))


def link_eth_address(db: Database, account_id: str, address: str | None) -> str | None:
    """Link (or, with None, unlink) an Ethereum address to an account. One address belongs
    to at most one account."""
    cs = checksum_address(address) if address is not None else None
    auth_repo.link_eth_address(db, account_id, cs)
    return cs


# --------------------------------------------------------------------------- SIWE


@dataclass(frozen=True)
class SiweMessage:
    """The fields of an EIP-4361 message as this service issues it."""

    domain: str
    address: str
    statement: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime
    version: str = "1"

    def text(self) -> str:
        """The exact message the wallet signs (EIP-4361 layout)."""
        return (
            f"{self.domain} wants you to sign in with your Ethereum account:\n"
            f"{self.address}\n\n"
            f"{self.statement}\n\n"
            f"URI: {self.uri}\n"
            f"Version: {self.version}\n"
            f"Chain ID: {self.chain_id}\n"
            f"Nonce: {self.nonce}\n"
            f"Issued At: {_rfc3339(self.issued_at)}\n"
            f"Expiration Time: {_rfc3339(self.expiration_time)}"
        )


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SIWE_RE = re.compile(
    r"(?P<domain>[^\s/]{1,255}) wants you to sign in with your Ethereum account:\n"
    r"(?P<address>0x[0-9a-fA-F]{40})\n\n"
    r"(?P<statement>[^\n]{0,500})\n\n"
    r"URI: (?P<uri>[^\s]{1,500})\n"
    r"Version: (?P<version>1)\n"
    r"Chain ID: (?P<chain_id>[0-9]{1,20})\n"
    r"Nonce: (?P<nonce>[A-Za-z0-9]{8,64})\n"
    r"Issued At: (?P<issued_at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\n"
    r"Expiration Time: (?P<expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\Z"
)


def parse_siwe(text: str) -> SiweMessage:
    """Parse a message in the layout :meth:`SiweMessage.text` writes; AuthError otherwise."""
    if not isinstance(text, str) or len(text) > 4096:
        raise AuthError("sign-in message: not a sign-in message of this service")
    m = _SIWE_RE.match(text)
    if m is None:
        raise AuthError("sign-in message: not a sign-in message of this service")

    def ts(s: str) -> datetime:
        return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    try:
        return SiweMessage(
            domain=m["domain"],
            address=m["address"],
            statement=m["statement"],
            uri=m["uri"],
            chain_id=int(m["chain_id"]),
            nonce=m["nonce"],
            issued_at=ts(m["issued_at"]),
            expiration_time=ts(m["expiration"]),
            version=m["version"],
        )
    except ValueError:
        raise AuthError("sign-in message: bad timestamp") from None


def issue_challenge(
    db: Database,
    address: str,
    *,
    site: SiweSite,
    now: datetime | None = None,
    max_rows: int = MAX_CHALLENGES,
) -> SiweMessage:
    """A fresh single-use challenge for ``address`` (issued whether or not the address is
    linked, so the answer does not tell which addresses have accounts)."""
    cs = checksum_address(address)
    now = (now or utcnow()).replace(microsecond=0)
    msg = SiweMessage(
        domain=site.domain,
        address=cs,
        statement=STATEMENT,
        uri=site.uri,
        chain_id=site.chain_id,
        nonce=secrets.token_hex(16),
        issued_at=now,
        expiration_time=now + CHALLENGE_TTL,
    )
    challenge = AuthChallenge(
        nonce=msg.nonce,
        address=cs,
        message_hash=hashlib.sha256(msg.text().encode("utf-8")).digest(),
        issued_at=msg.issued_at,
        expires_at=msg.expiration_time,
    )
    limits = auth_repo.ChallengeLimits(MAX_OPEN_CHALLENGES, max_rows, timedelta(days=1))
    full = auth_repo.add_challenge(db, challenge, utcnow(), limits)
    if full == "address":
        raise TooManyChallenges(
            f"address: {MAX_OPEN_CHALLENGES} open challenges already; use one or wait"
        )
    if full == "table":
        raise TooManyChallenges("sign-in: too many open challenges; try again later")
    return msg


def _recover(message: str, signature: str) -> str:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    sig = signature[2:] if signature.startswith(("0x", "0X")) else signature
    if not re.fullmatch(r"[0-9a-fA-F]{130}", sig):
        raise AuthError("signature: expected 65 bytes of hex")
    try:
        return str(
            Account.recover_message(encode_defunct(text=message), signature=bytes.fromhex(sig))
        )
    except Exception:
        raise AuthError("signature: does not recover to an address") from None


def login(db: Database, message: str, signature: str) -> IssuedToken:
    """Check a signed challenge and open a session; AuthError on any failure."""
    msg = parse_siwe(message)
    now = utcnow()
    digest = hashlib.sha256(message.encode("utf-8")).digest()
    row = auth_repo.challenge_by_nonce(db, msg.nonce)
    if row is None or not secrets.compare_digest(bytes(row.message_hash), digest):
        raise AuthError("challenge: unknown nonce or message not as issued")
    if row.used_at is not None:
        raise AuthError("challenge: already used")
    expires = row.expires_at
    if expires is None or expires <= now or msg.expiration_time <= now:
        raise AuthError("challenge: expired")
    signer = _recover(message, signature)
    if signer.lower() != str(row.address).lower():
        raise AuthError("signature: not signed by the address in the message")
    account_id = auth_repo.use_challenge(db, msg.nonce, signer, now)
    if account_id is None:
        raise AuthError("address: not linked to any account")
    if account_id is False:
        raise AuthError("challenge: already used")
    return issue_token(db, account_id, kind=TOKEN_SESSION, ttl=SESSION_TTL)


# --------------------------------------------------------------------------- FastAPI deps


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if any."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def is_operator(request: Request, config: Config) -> bool:
    """True when the request carries the operator API key (Bearer or X-API-Key)."""
    key = config.api_key
    if not key:
        return False
    given = [bearer_token(request), request.headers.get("x-api-key")]
    return any(g is not None and secrets.compare_digest(g.encode(), key.encode()) for g in given)


def optional_account(request: Request, db: Annotated[Database, Depends(get_db)]) -> str | None:
    """The account of a valid user token, or None when no user token was sent."""
    token = bearer_token(request)
    if token is None or not token.startswith(TOKEN_PREFIX):
        return None
    return account_for_token(db, token)


def require_account(request: Request, db: Annotated[Database, Depends(get_db)]) -> str:
    """The caller's account id; AuthError (401) without a live user token."""
    token = bearer_token(request)
    if token is None:
        raise AuthError("credentials required: Authorization: Bearer <token>")
    account = account_for_token(db, token)
    if account is None:
        raise AuthError("invalid, expired or revoked token")
    return account


@dataclass(frozen=True)
class SiweSite:
    """Where a sign-in happens: the domain and URI the client reached, and the chain id."""

    domain: str
    uri: str
    chain_id: int


def request_site(request: Request, config: Config) -> SiweSite:
    """Where a SIWE message is for: the Host the client used (else the configured one), and
    the configured chain (1 when none is)."""
    host = request.headers.get("host") or f"{config.api_host}:{config.api_port}"
    if not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]{1,255}", host):
        host = f"{config.api_host}:{config.api_port}"
    return SiweSite(host, f"{request.url.scheme}://{host}", config.chain_id or 1)


ConfigDep = Annotated[Config, Depends(get_config)]
