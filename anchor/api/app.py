"""The FastAPI application: routers, shared state and error mapping.

Errors: every :class:`anchor.errors.AnchorError` becomes a clear 4xx JSON body
``{"error": <kind>, "detail": <message>, ...}`` — bad input never yields a 5xx:

* ``RecordError`` → 422 with ``field``, ``problem`` and ``line``;
* other ``InputError`` → 400; ``ConflictError`` → 409; ``NotFoundError`` → 404;
* ``StorageError`` / ``ChainError`` / a database ``OperationalError`` (down, or SQLite's
  lock timeout) → 503 (the service, not the request, has a problem).
"""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

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
from anchor.store.db import Database

ROUTER_MODULES = (
    "anchor.api.ingest",
    "anchor.api.batches",
    "anchor.api.proofs",
    "anchor.api.me",
    "anchor.api.explorer",
    "anchor.api.verify_page",
    # operator routes written with the scheduler (POST /v1/seal, GET /v1/alarms)
    "anchor.api.seal",
    "anchor.api.alarms",
)


def error_body(exc: AnchorError) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for a project error."""
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


async def _db_error(_request: Request, exc: Exception) -> JSONResponse:
    # the database is down or busy (SQLite lock timeout): the service's problem, not the
    # request's; never leak the statement or parameters
    return JSONResponse(
        {"error": "unavailable", "detail": f"database unavailable ({exc.__class__.__name__})"},
        status_code=503,
    )


async def _anchor_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnchorError)
    status, body = error_body(exc)
    return JSONResponse(body, status_code=status)


def create_app(config: Config, db: Database, *, fast_proofs: bool = True) -> FastAPI:
    """The API app over ``db``; includes each router module of :data:`ROUTER_MODULES` that
    exists (a module not written yet, or whose extras are missing, is skipped).
    ``fast_proofs`` answers plain proof GETs ahead of routing (same responses, faster)."""
    from anchor import __version__ as version

    app = FastAPI(
        title="ledger-anchor",
        version=str(version),
        description="Tamper-evident anchoring of an exchange's off-chain books.",
    )
    app.state.config = config
    app.state.db = db
    app.add_exception_handler(AnchorError, _anchor_error)
    app.add_exception_handler(OperationalError, _db_error)

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
    return app
