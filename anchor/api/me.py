"""Users' own surface: sign-in, their account, and proofs of their own records.

Routes
    ``POST /v1/auth/challenge``  {address} → an EIP-4361 message to sign (single use, 5 min)
    ``POST /v1/auth/login``      {message, signature} → a session token (1 h)
    ``POST /v1/auth/logout``     revoke the token used
    ``GET  /v1/me``              the caller's account id and linked address
    ``GET  /v1/me/balance-proofs``  bundles (with the caller's salt) of the caller's latest
                                 ANCHORED balance per asset, plus newer balances still pending
    ``GET  /v1/me/proofs/{record_id}``  the bundle of one record that mentions the caller;
                                 404 for anything else (never another account's data)
    ``POST /v1/accounts/{account_id}/tokens``       operator: issue a user token (shown once)
    ``PUT  /v1/accounts/{account_id}/eth-address``  operator: link / unlink an address

Every user route needs ``Authorization: Bearer <token>`` (401 otherwise). A user sees only
records that mention their own account; the bundles carry only their own salt.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from anchor.api import auth
from anchor.api.deps import get_config, get_db
from anchor.api.proof_route import RecordIdPath, outcome_response
from anchor.api.proofs import NOT_FOUND, Viewer, load_proof
from anchor.api.ratelimit import RateLimiter
from anchor.config import Config
from anchor.errors import ConflictError, InputError, NotFoundError
from anchor.store import auth_repo
from anchor.store.db import Database

__all__ = ["latest_balance_proofs", "router"]

router = APIRouter()

DbDep = Annotated[Database, Depends(get_db)]
ConfigDep = Annotated[Config, Depends(get_config)]
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
_NEEDS_TOKEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid user token (missing, unknown, expired or revoked)"}
}
_OPERATOR: dict[int | str, dict[str, Any]] = {
    401: {"description": "operator API key missing or wrong"},
    404: {"description": "unknown account"},
}


def current_account(request: Request, db: DbDep) -> str:
    """The caller's account (401 without a live user token)."""
    try:
        return auth.require_account(request, db)
    except auth.AuthError as exc:
        raise HTTPException(status_code=401, detail=str(exc), headers=_UNAUTHORIZED) from None


AccountDep = Annotated[str, Depends(current_account)]


def operator_only(request: Request, config: ConfigDep) -> None:
    """401 unless the request carries the operator API key."""
    if not auth.is_operator(request, config):
        raise HTTPException(
            status_code=401, detail="operator API key required", headers=_UNAUTHORIZED
        )


# --------------------------------------------------------------------------- bodies


class ChallengeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="the wallet address")


class ChallengeResponse(BaseModel):
    message: str
    nonce: str
    expires_at: str


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=4096, description="the challenge, unchanged")
    signature: str = Field(
        pattern=r"^(0x)?[0-9a-fA-F]{130}$", description="EIP-191 personal_sign signature"
    )


class TokenResponse(BaseModel):
    token: str = Field(description="shown once; only its sha256 is kept")
    account_id: str
    kind: str
    expires_at: str | None


class LinkAddressRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str | None = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="null unlinks")


class MeResponse(BaseModel):
    account_id: str
    eth_address: str | None


AccountIdPath = Annotated[str, Path(min_length=1, max_length=128)]


def _token_response(issued: auth.IssuedToken) -> TokenResponse:
    return TokenResponse(
        token=issued.token,
        account_id=issued.account_id,
        kind=issued.kind,
        expires_at=issued.expires_at.isoformat() if issued.expires_at else None,
    )


# --------------------------------------------------------------------------- sign-in


def _challenge_limiter(request: Request, config: Config) -> RateLimiter:
    """The app's limiter of challenge requests (built on first use from the config)."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "challenge_limiter", None)
    if limiter is None:
        limiter = RateLimiter(
            per_client_per_minute=config.challenge_rate_per_client_per_minute,
            total_per_second=config.challenge_rate_total_per_second,
        )
        state.challenge_limiter = limiter
    return limiter


@router.post(
    "/v1/auth/challenge",
    status_code=201,
    tags=["auth"],
    responses={
        429: {
            "description": "too many challenges: from this client, overall, or open for this "
            "address; `Retry-After` says when to try again where it is a rate"
        }
    },
)
def challenge(
    body: ChallengeRequest, request: Request, db: DbDep, config: ConfigDep
) -> ChallengeResponse:
    """A fresh EIP-4361 message for the address to sign (issued for any address). Limited
    per client address and overall (429 with ``Retry-After``); the table of open
    challenges is bounded."""
    wait = _challenge_limiter(request, config).check(
        request.client.host if request.client else "unknown"
    )
    if wait:
        raise HTTPException(
            status_code=429,
            detail="too many sign-in challenges: retry later",
            headers={"Retry-After": str(wait)},
        )
    try:
        msg = auth.issue_challenge(db, body.address, site=auth.request_site(request, config))
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except auth.TooManyChallenges as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from None
    return ChallengeResponse(
        message=msg.text(), nonce=msg.nonce, expires_at=msg.expiration_time.isoformat()
    )


@router.post(
    "/v1/auth/login",
    tags=["auth"],
    responses={401: {"description": "bad, expired or replayed challenge; unlinked address"}},
)
def login(body: LoginRequest, db: DbDep) -> JSONResponse:
    """Exchange a signed challenge for a session token."""
    try:
        issued = auth.login(db, body.message, body.signature)
    except auth.AuthError as exc:
        raise HTTPException(status_code=401, detail=str(exc), headers=_UNAUTHORIZED) from None
    return JSONResponse(_token_response(issued).model_dump(), headers={"Cache-Control": "no-store"})


@router.post("/v1/auth/logout", status_code=204, tags=["auth"], responses=_NEEDS_TOKEN)
def logout(request: Request, db: DbDep, _account: AccountDep) -> Response:
    """Revoke the token this request was made with."""
    token = auth.bearer_token(request)
    if token is not None:
        auth.revoke_token(db, token)
    return Response(status_code=204)


# --------------------------------------------------------------------------- me


@router.get("/v1/me", tags=["me"], responses=_NEEDS_TOKEN)
def me(account: AccountDep, db: DbDep) -> MeResponse:
    """The caller's account."""
    return MeResponse(account_id=account, eth_address=auth_repo.eth_address_of(db, account))


def latest_balance_proofs(
    db: Database, account_id: str, config: Config | None = None
) -> dict[str, Any]:
    """The bundles of ``account_id``'s latest anchored balance per asset (with its salt),
    and the newer balance records that are not anchored yet (status only)."""
    chosen: dict[str, str] = {}
    pending: list[dict[str, Any]] = []
    for row in auth_repo.balance_records(db, account_id):
        asset = str(json.loads(row.canonical).get("asset", ""))
        if asset in chosen:
            continue
        if row.state in ("included", "final"):
            chosen[asset] = row.record_id
        else:
            pending.append(
                {"record_id": row.record_id, "asset": asset, "state": row.state or "unbatched"}
            )
    viewer = Viewer(account_id=account_id)
    proofs: list[Any] = []
    for asset in sorted(chosen):
        outcome = load_proof(db, chosen[asset], viewer, config)
        if outcome.body is None:  # moved back to pending since the query (a reorg)
            pending.append({"record_id": chosen[asset], "asset": asset, "state": outcome.state})
            continue
        proofs.append(json.loads(outcome.body))
    return {"account_id": account_id, "proofs": proofs, "pending": pending}


@router.get("/v1/me/balance-proofs", tags=["me"], responses=_NEEDS_TOKEN)
def balance_proofs(account: AccountDep, db: DbDep, config: ConfigDep) -> JSONResponse:
    """Bundles of the caller's own latest anchored balances (with the caller's salt).

    Each item of ``proofs`` is a bundle object; serialize it with 2-space indentation and a
    final newline (``json.dumps(b, indent=2) + "\\n"``) to get the canonical bytes that
    ``anchor verify`` reads, or fetch one as bytes from ``/v1/me/proofs/{record_id}``.
    """
    return JSONResponse(
        latest_balance_proofs(db, account, config), headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/v1/me/proofs/{record_id}",
    tags=["me"],
    responses={
        200: {"description": "the bundle, with the caller's own salt"},
        202: {"description": "not anchored yet: the record's status"},
        404: {"description": "no such record among the caller's records"},
        **_NEEDS_TOKEN,
    },
)
def my_proof(
    record_id: RecordIdPath, account: AccountDep, db: DbDep, config: ConfigDep
) -> Response:
    """The bundle of one record that mentions the caller's account."""
    try:
        if not auth_repo.record_names_account(db, record_id, account):
            raise NotFoundError(NOT_FOUND)
        outcome = load_proof(db, record_id, Viewer(account_id=account), config)
    except NotFoundError:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    return outcome_response(outcome)


# --------------------------------------------------------------------------- operator


@router.post(
    "/v1/accounts/{account_id}/tokens",
    status_code=201,
    tags=["accounts"],
    dependencies=[Depends(operator_only)],
    responses=_OPERATOR,
)
def issue_account_token(account_id: AccountIdPath, db: DbDep) -> JSONResponse:
    """Operator: issue a bearer token for an account. The token is in this answer only."""
    try:
        issued = auth.issue_token(db, account_id)
    except NotFoundError:
        raise HTTPException(status_code=404, detail="unknown account") from None
    return JSONResponse(
        _token_response(issued).model_dump(),
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@router.put(
    "/v1/accounts/{account_id}/eth-address",
    tags=["accounts"],
    dependencies=[Depends(operator_only)],
    responses={**_OPERATOR, 409: {"description": "the address is linked to another account"}},
)
def link_address(account_id: AccountIdPath, body: LinkAddressRequest, db: DbDep) -> MeResponse:
    """Operator: link an Ethereum address to an account (for sign-in), or unlink (null)."""
    try:
        linked = auth.link_eth_address(db, account_id, body.address)
    except NotFoundError:
        raise HTTPException(status_code=404, detail="unknown account") from None
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return MeResponse(account_id=account_id, eth_address=linked)
