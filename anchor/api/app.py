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

import inspect
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from anchor.api.errors import install_error_handlers
from anchor.api.guard import RequestGuard
from anchor.api.openapi import install_openapi
from anchor.api.proof_route import OPERATION as PROOF_OPERATION
from anchor.api.proof_route import PATH as PROOF_PATH
from anchor.api.proof_route import ProofFront, ProofRoute
from anchor.config import Config
from anchor.logs import RequestIdMiddleware
from anchor.runtime import settle_recursion_limit
from anchor.store.db import Database


def _routers() -> list[APIRouter]:
    """Every router of the API, each once (an import error is an error, never a skip)."""
    from anchor.api import (
        alarms,
        batches,
        contract,
        explorer,
        health,
        ingest,
        liabilities,
        me,
        metrics,
        receipts,
        seal,
        verify_page,
    )

    return [
        ingest.router,
        batches.router,
        me.router,
        liabilities.router,
        explorer.router,
        contract.router,
        verify_page.router,
        receipts.router,
        seal.router,
        alarms.router,
        health.router,
        metrics.router,
    ]


# FastAPI's own OpenTelemetry bridge (newer releases) asks the global providers on every
# request whether telemetry is configured (~3 us, a tenth of a proof's budget). The service
# reports through Prometheus (/metrics) and configures no OpenTelemetry provider: off.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


class _App(FastAPI):
    """FastAPI with :class:`~anchor.api.proof_route.ProofFront` ahead of its middleware
    stack (inside FastAPI's telemetry bridge, switched off: see ``_NO_TELEMETRY``)."""

    def build_middleware_stack(self) -> ASGIApp:
        return ProofFront(super().build_middleware_stack())


def create_app(config: Config, db: Database, *, receipt_signer: Any = None) -> FastAPI:
    """The API app over ``db``: every router once, ``GET /v1/proofs/{record_id}`` answered
    ahead of the middleware stack by :class:`~anchor.api.proof_route.ProofFront` (a plain
    GET) or ahead of routing by :class:`~anchor.api.proof_route.ProofRoute`, every request bounded
    by :class:`~anchor.api.guard.RequestGuard` first, every error one problem+json shape.
    ``receipt_signer``: signs ingest receipts (default: the configured receipt key, if any —
    see anchor.service.receipts.configured_receipt_signer; none, no receipts)."""
    from anchor import __version__ as version

    settle_recursion_limit()

    app = _App(
        title="ledger-anchor",
        version=str(version),
        description="Tamper-evident anchoring of an exchange's off-chain books.",
        **_NO_TELEMETRY,
    )
    app.state.config = config
    app.state.db = db
    if receipt_signer is None:
        from anchor.service.receipts import configured_receipt_signer

        receipt_signer = configured_receipt_signer(config)
    app.state.receipt_signer = receipt_signer
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        try:
            version = db.schema_version()
        except Exception as exc:  # the database is down: report, do not raise
            return JSONResponse(
                {"status": "unavailable", "detail": exc.__class__.__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "schema_version": version, "backend": db.backend})

    for router in _routers():
        app.include_router(router)
    app.add_middleware(ProofRoute)  # owns /v1/proofs/, ahead of routing
    app.add_middleware(RequestGuard)  # bounds before anything else runs
    app.add_middleware(RequestIdMiddleware)  # outermost: tags every log line of the request
    install_openapi(app, extra_paths={PROOF_PATH: {"get": PROOF_OPERATION}})
    return app


def create_app_from_env() -> FastAPI:
    """An ASGI app factory for ``uvicorn --factory anchor.api.app:create_app_from_env`` (or
    gunicorn with uvicorn workers, and ``anchor serve --workers N``): the configuration from
    ``$ANCHOR_CONFIG`` and ``ANCHOR_*`` variables, the database opened (and migrated) from
    it. Serves the API only; run the anchorer with ``anchor serve --role anchorer``."""
    from anchor.config import load_config

    config = load_config()
    return create_app(config, Database.open(None, config=config))
