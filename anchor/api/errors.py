"""Every error the API gives, mapped once onto the one problem+json shape.

* ``RecordError`` → 422 with ``field``, ``problem`` and ``line``;
* other ``InputError`` → 400; ``ConflictError`` → 409; ``NotFoundError`` → 404;
* ``StorageError`` / ``ChainError`` / a database ``OperationalError`` (down, or SQLite's lock
  timeout) → 503 (the service, not the request, has a problem);
* a value the database refuses (``DataError``) → 400, the statement never echoed;
* ``HTTPException`` and request validation (422, with ``errors``) → the same shape.

:func:`problem_of` is the mapping; the app installs it as its exception handlers
(:func:`install_error_handlers`) and the proof route, which answers ahead of routing, calls it
directly.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from anchor.api.guard import problem
from anchor.errors import (
    AnchorError,
    ChainError,
    ConflictError,
    InputError,
    NotFoundError,
    RecordError,
    StorageError,
)

__all__ = ["HANDLED", "error_body", "install_error_handlers", "problem_of"]

HANDLED = (
    AnchorError,
    OperationalError,
    DataError,
    StarletteHTTPException,
    RequestValidationError,
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


def problem_of(exc: Exception) -> Response:
    """The problem+json response for one of the :data:`HANDLED` error types."""
    if isinstance(exc, AnchorError):
        status, body = error_body(exc)
        text = body.pop("detail")
        return problem(status, text, **body)
    if isinstance(exc, OperationalError):
        # the database is down or busy: never leak the statement or its parameters
        return problem(503, f"database unavailable ({exc.__class__.__name__})")
    if isinstance(exc, DataError):
        # a value the database refuses (the request guard rejects the usual culprits first)
        return problem(400, "a value in the request cannot be stored or looked up")
    if isinstance(exc, StarletteHTTPException):
        detail: Any = exc.detail
        members: dict[str, Any] = {}
        if isinstance(detail, dict):
            members = {k: v for k, v in detail.items() if k != "detail"}
            detail = detail.get("detail", "")
        return problem(exc.status_code, str(detail), headers=exc.headers, **members)
    if isinstance(exc, RequestValidationError):
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc']) or 'request'}: {first['msg']}"
        return problem(422, detail, errors=errors)
    raise TypeError(f"no problem mapping for {type(exc).__name__}")


async def _handler(_request: Request, exc: Exception) -> Response:
    return problem_of(exc)


def install_error_handlers(app: FastAPI) -> None:
    """Map every :data:`HANDLED` error type of ``app`` with :func:`problem_of`."""
    for kind in HANDLED:
        app.add_exception_handler(kind, _handler)
