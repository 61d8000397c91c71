"""The FastAPI application: routers, shared state and error mapping.

Errors: every error has one shape, RFC 9457 ``application/problem+json`` (``type``,
``title``, ``status``, ``detail``, ``error``; see :mod:`anchor.api.guard`, whose middleware
bounds every request before it is parsed) — bad input never yields a 5xx:

* ``RecordError`` → 422 with ``field``, ``problem`` and ``line``;
* other ``InputError`` → 400; ``ConflictError`` → 409; ``NotFoundError`` → 404;
* ``StorageError`` / ``ChainError`` / a database ``OperationalError`` (down, or SQLite's
  lock timeout) → 503 (the service, not the request, has a problem);
* a value the database refuses (``DataError``) → 400, the statement never echoed;
* ``HTTPException`` and request validation (422, with ``errors``) → the same shape.
"""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from anchor.api.guard import RequestGuard, problem
from anchor.api.openapi import install_openapi
from anchor.config import Config
from anchor.errors import (
    AnchorError,
    ChainError,
    ConflictError,
    InputError,
    NotFoundError,
    RecordError,
    StorageError,
)
from anchor.runtime import settle_recursion_limit
from anchor.store.db import Database

ROUTER_MODULES = (
    "anchor.api.ingest",
    "anchor.api.batches",
    "anchor.api.proofs",
    "anchor.api.me",
    "anchor.api.explorer",
    "anchor.api.contract",
    "anchor.api.verify_page",
    "anchor.api.receipts",
    # operator routes written with the scheduler (POST /v1/seal, GET /v1/alarms)
    "anchor.api.seal",
    "anchor.api.alarms",
)


def error_body(exc: AnchorError) -> tuple[int, dict[str, Any]]:
    """HTTP status and the problem members (``error``, ``detail``, extras) of a project
    error."""
    if isinstance(exc, RecordError):
        return 422, {
            "error": "invalid_record",
            "detail": str(exc),
            "field": exc.field,
            "problem": exc.problem,
            "line": exc.line,
        }
    if isinstance(exc, InputError):
        return 400, {"error": "bad_request", "detail": str(exc)}
    if isinstance(exc, ConflictError):
        return 409, {"error": "conflict", "detail": str(exc)}
    if isinstance(exc, NotFoundError):
        return 404, {"error": "not_found", "detail": str(exc)}
    if isinstance(exc, StorageError | ChainError):
        return 503, {"error": "unavailable", "detail": str(exc)}
    return 500, {"error": "internal", "detail": exc.__class__.__name__}


async def _anchor_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AnchorError)
    status, members = error_body(exc)
    detail = members.pop("detail")
    return problem(status, detail, **members)


async def _db_error(_request: Request, exc: Exception) -> Response:
    # the database is down or busy (SQLite lock timeout): the service's problem, not the
    # request's; never leak the statement or its parameters
    return problem(503, f"database unavailable ({exc.__class__.__name__})")


async def _data_error(_request: Request, exc: Exception) -> Response:
    # a value the database refuses (the request guard rejects the usual culprits first);
    # the statement and its parameters are never echoed or logged
    return problem(400, "a value in the request cannot be stored or looked up")


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail: Any = exc.detail
    members: dict[str, Any] = {}
    if isinstance(detail, dict):
        members = {k: v for k, v in detail.items() if k != "detail"}
        detail = detail.get("detail", "")
    return problem(exc.status_code, str(detail), headers=exc.headers, **members)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc']) or 'request'}: {first['msg']}"
    return problem(422, detail, errors=errors)


def create_app(
    config: Config, db: Database, *, fast_proofs: bool = True, receipt_signer: Any = None
) -> FastAPI:
    """The API app over ``db``; includes each router module of :data:`ROUTER_MODULES` that
    exists (a module not written yet, or whose extras are missing, is skipped).
    ``fast_proofs`` answers plain proof GETs ahead of routing (same responses, faster).
    ``receipt_signer``: signs ingest receipts (default: the configured receipt key, if
    any — see anchor.service.receipts.configured_receipt_signer; none, no receipts)."""
    from anchor import __version__ as version

    settle_recursion_limit()

    app = FastAPI(
        title="ledger-anchor",
        version=str(version),
        description="Tamper-evident anchoring of an exchange's off-chain books.",
    )
    app.state.config = config
    app.state.db = db
    if receipt_signer is None:
        from anchor.service.receipts import configured_receipt_signer

        receipt_signer = configured_receipt_signer(config)
    app.state.receipt_signer = receipt_signer
    app.add_exception_handler(AnchorError, _anchor_error)
    app.add_exception_handler(OperationalError, _db_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        try:
            version = db.schema_version()
        except Exception as exc:  # the database is down: report, do not raise
            return JSONResponse(
                {"status": "unavailable", "detail": exc.__class__.__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "schema_version": version, "backend": db.backend})

    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        app.include_router(module.router)
    if fast_proofs:
        from anchor.api.proofs import ProofsFastPath

        app.add_middleware(ProofsFastPath)
    app.add_middleware(RequestGuard)  # outermost: bounds before anything else runs
    install_openapi(app)
    return app
