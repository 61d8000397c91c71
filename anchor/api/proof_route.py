"""``GET /v1/proofs/{record_id}``: one handler, ahead of the app's routing, and its OpenAPI
operation built from the same constants it checks.

A proof is a few indexed reads and hashes; FastAPI's routing and per-request validation would
cost more than the proof itself. So :class:`ProofRoute` is a plain ASGI middleware that owns
the path prefix: it checks the parameters, finds the viewer (operator key, user token or
public), runs :func:`anchor.api.proofs.load_proof` on the event loop with the process's held
read connection, and writes the answer — every answer, errors included, through this one
path. :data:`OPERATION` documents exactly this contract; ``anchor.api.openapi`` adds it to
the spec (a test compares the spec with what is served).

The common request — a plain ``GET`` under the prefix with no body and a target within
:mod:`anchor.api.guard`'s bounds — does not even pass through the middleware stack:
:class:`ProofFront` sits ahead of it (``anchor.api.app`` puts it there) and answers it the
way the stack would (the request id of :mod:`anchor.logs` set for its log lines and
returned in ``X-Request-ID``, an unexpected exception logged and answered 500 as
:class:`~anchor.api.guard.RequestGuard` does). Anything else — another method, a body, a
target the guard refuses — goes down the stack, through the guard, to :class:`ProofRoute`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import HTTPException, Path
from fastapi.responses import JSONResponse, Response
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from anchor.api.auth import account_for_token, bearer_token, is_operator
from anchor.api.errors import HANDLED, problem_of
from anchor.api.guard import PROBLEM_JSON, HttpMiddleware, problem, problem_body, target_problem
from anchor.api.proofs import NOT_FOUND, ProofOutcome, Viewer, load_proof
from anchor.config import Config
from anchor.errors import NotFoundError
from anchor.logs import _SANE_ID, REQUEST_ID
from anchor.logs import HEADER as REQUEST_ID_HEADER
from anchor.store.db import Database

__all__ = [
    "OPERATION",
    "PATH",
    "ProofFront",
    "ProofRoute",
    "RecordIdPath",
    "outcome_response",
    "viewer_of",
]

log = logging.getLogger("anchor.api")  # RequestGuard's logger: the same lines

PATH = "/v1/proofs/{record_id}"
PREFIX = "/v1/proofs/"
MAX_ID = 128  # record ids and account ids, as ingest accepts them

RecordIdPath = Annotated[
    str,
    Path(min_length=1, max_length=MAX_ID, description="the record id given at ingest"),
]

_PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_STATUS_SCHEMA = {
    "type": "object",
    "required": ["record_id", "status", "state", "batch_id"],
    "properties": {
        "record_id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending"]},
        "state": {"type": "string"},
        "batch_id": {"type": ["integer", "null"]},
    },
}
OPERATION: dict[str, Any] = {
    "tags": ["proofs"],
    "summary": "The proof bundle of one record",
    "description": (
        "The ledger-anchor-proof/1 bundle of the record (canonical bytes). Public market data "
        "for everyone (accounts as commitments only); balances and positions only for the "
        "operator or an owner of an account the record names (a user token) — anyone else "
        "gets the same 404 as for an unknown id. The operator may add one account's salt "
        "with `account`."
    ),
    "operationId": "get_proof",
    "parameters": [
        {
            "name": "record_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
            "description": "the record id given at ingest",
        },
        {
            "name": "account",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
            "description": "operator only: include this account's salt in the bundle",
        },
    ],
    "responses": {
        "200": {
            "description": "the ledger-anchor-proof/1 bundle (canonical bytes)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "202": {
            "description": "not anchored yet: the record's status",
            "content": {"application/json": {"schema": _STATUS_SCHEMA}},
        },
        "400": {"description": "the account asked for is not one the record names"},
        "401": {"description": "a token was sent but is not valid"},
        "403": {"description": "`account` asked for without the operator key"},
        "404": {"description": "unknown record id, or a private record the caller may not see"},
        "405": {"description": "only GET is served here"},
        "422": {"description": "`record_id` or `account` out of bounds"},
        "503": {"description": "the database is unavailable or its tree does not verify"},
    },
}
for _status, _response in OPERATION["responses"].items():
    if int(_status) >= 400:
        _response["content"] = _PROBLEM


def viewer_of(request: Request, db: Database, config: Config, account: str | None) -> Viewer:
    """The viewer of a request: operator key, user token, or public. A token that is sent
    but not valid is refused (401) rather than silently treated as public."""
    if is_operator(request, config):
        return Viewer(operator=True, disclose=account)
    if account is not None:
        raise HTTPException(
            status_code=403, detail="account: only the operator may ask for an account's salt"
        )
    token = bearer_token(request)
    if token is None:
        return Viewer.public()
    owner = account_for_token(db, token)
    if owner is None:
        raise HTTPException(
            status_code=401,
            detail="invalid, expired or revoked token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Viewer(account_id=owner)


def outcome_response(outcome: ProofOutcome) -> Response:
    """200 with the canonical bundle bytes, or 202 with the status."""
    if outcome.body is None:
        return JSONResponse(
            outcome.status_obj(), status_code=202, headers={"Cache-Control": "no-store"}
        )
    return Response(
        outcome.body, media_type="application/json", headers={"Cache-Control": "no-store"}
    )


def _invalid(where: str, msg: str) -> Response:
    """422 for a parameter out of bounds (the shape of request validation)."""
    return problem(422, f"{where}: {msg}", errors=[{"loc": where.split("."), "msg": msg}])


_NOT_FOUND_BODY = problem_body(404, NOT_FOUND)
_NOT_FOUND_HEADERS = [
    (b"content-length", str(len(_NOT_FOUND_BODY)).encode("latin-1")),
    (b"content-type", PROBLEM_JSON.encode("latin-1")),
]
_OK_HEAD = [(b"cache-control", b"no-store")]
_INTERNAL_HEADERS = [(b"content-type", PROBLEM_JSON.encode("latin-1"))]  # RequestGuard's 500
_CLOSE = (b"connection", b"close")
_OK_TAIL = [(b"content-type", b"application/json")]


def _route_path(scope: Scope) -> str:
    """The path the app's routes see (``scope["path"]`` without the ``root_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


_OPERATOR = Viewer(operator=True)


def _operator_by_key(scope: Scope, config: Config, account: str | None) -> Viewer | None:
    """The operator, when the request's one credential is the right ``X-API-Key`` (no
    ``Authorization`` header): what :func:`viewer_of` decides then, read straight from the
    raw headers as Starlette's would be. None otherwise (:func:`viewer_of` decides)."""
    key = config.api_key
    if not key:
        return None
    given = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None
        if name == b"x-api-key" and given is None:
            given = value
    if given is None or not secrets.compare_digest(given.decode("latin-1").encode(), key.encode()):
        return None
    return _OPERATOR if account is None else Viewer(operator=True, disclose=account)


def answer(scope: Scope, record_id: str) -> ProofOutcome | Response | None:
    """The outcome of one proof request, an error response, or None for a 404 (unknown, or
    private: one lookup, one answer, whichever it is)."""
    if not 1 <= len(record_id) <= MAX_ID:
        return _invalid("path.record_id", f"record_id must be 1 to {MAX_ID} characters")
    account = None
    if scope["query_string"]:
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        for name, value in query:
            if name == "account":
                account = value
        if account is not None and not 1 <= len(account) <= MAX_ID:
            return _invalid("query.account", f"account must be 1 to {MAX_ID} characters")
    app = scope["app"]
    config: Config = app.state.config
    db: Database = app.state.db
    try:
        viewer = _operator_by_key(scope, config, account) or viewer_of(
            Request(scope), db, config, account
        )
        return load_proof(db, record_id, viewer, config, held=True)
    except NotFoundError:
        return None
    except HANDLED as exc:
        return problem_of(exc)


def _parts(result: ProofOutcome | Response | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the answer ``result`` (see :func:`answer`): what a
    Starlette response sends (one start, one body message)."""
    if result is None:
        return 404, _NOT_FOUND_HEADERS, _NOT_FOUND_BODY
    if isinstance(result, ProofOutcome) and result.body is not None:
        body = result.body
        headers = [*_OK_HEAD, (b"content-length", str(len(body)).encode("latin-1")), *_OK_TAIL]
        return 200, headers, body
    response = outcome_response(result) if isinstance(result, ProofOutcome) else result
    return response.status_code, response.raw_headers, bytes(response.body)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ProofRoute(HttpMiddleware):
    """ASGI middleware owning ``/v1/proofs/``: every request under it is answered here (see
    the module docs); anything else passes on to the app unchanged."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope)
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":
            response = problem(405, "only GET is served here", headers={"Allow": "GET"})
            await response(scope, receive, send)
            return
        await _send(send, *_parts(answer(scope, path[len(PREFIX) :])))


_IDS: list[str] = []


def _request_id() -> str:
    """``secrets.token_hex(8)``, as RequestIdMiddleware chooses a request id, drawn 256 at a
    time (one call to the OS's random source instead of one per request)."""
    try:
        return _IDS.pop()
    except IndexError:
        raw = secrets.token_hex(8 * 256)
        _IDS.extend(raw[i : i + 16] for i in range(16, len(raw), 16))
        return raw[:16]


class ProofFront(HttpMiddleware):
    """Ahead of the whole middleware stack (``app``): a plain proof GET is answered here,
    with what the stack would add to it (see the module docs); every other request goes
    down the stack unchanged."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope["headers"]:
            if name == b"content-length":  # a body: the guard reads and checks it first
                await self.app(scope, receive, send)
                return
            if name == REQUEST_ID_HEADER and rid is None:
                text = value.decode("latin-1")
                rid = text if _SANE_ID.match(text) else ""
        if target_problem(scope) is not None:  # the guard answers it
            await self.app(scope, receive, send)
            return
        rid = rid or _request_id()
        token = REQUEST_ID.set(rid)
        try:
            try:
                status, headers, body = _parts(answer(scope, path[len(PREFIX) :]))
            except Exception as exc:  # as RequestGuard: logged by type only, answered 500
                log.error("request to GET (unrouted) failed: %s", type(exc).__name__)
                status, headers = 500, _INTERNAL_HEADERS
                body = problem_body(500, f"internal error ({type(exc).__name__})")
                headers = [*headers, (b"content-length", str(len(body)).encode()), _CLOSE]
            # the request id last, as RequestIdMiddleware adds it
            await _send(send, status, [*headers, (REQUEST_ID_HEADER, rid.encode("ascii"))], body)
        finally:
            REQUEST_ID.reset(token)
