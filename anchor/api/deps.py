"""FastAPI dependencies shared by the routers: the database, the config, operator auth."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from anchor.config import Config
from anchor.store.db import Database

_bearer = HTTPBearer(auto_error=False, description="Operator API key as a bearer token")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Operator API key")


def get_db(request: Request) -> Database:
    """The app's :class:`Database` (``app.state.db``)."""
    db: Database = request.app.state.db
    return db


def get_config(request: Request) -> Config:
    """The app's :class:`Config` (``app.state.config``)."""
    config: Config = request.app.state.config
    return config


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail={"error": "unauthorized", "detail": detail},
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_operator(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
    api_key: str | None = Security(_api_key_header),
) -> None:
    """Allow the request only with the operator API key (``Authorization: Bearer <key>`` or
    ``X-API-Key: <key>``), compared in constant time; 401 otherwise. With no key configured,
    operator endpoints are closed."""
    expected = get_config(request).api_key
    if not expected:
        raise _unauthorized("operator endpoints are disabled: no API key is configured")
    given = bearer.credentials if bearer is not None else api_key
    if not given:
        raise _unauthorized("operator API key required (Authorization: Bearer or X-API-Key)")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise _unauthorized("invalid API key")
