"""Log lines: plain and greppable by default, one JSON object per line with
``ANCHOR_LOG_FORMAT=json``; either way a line written while serving an HTTP request carries
that request's id (``X-Request-ID``, taken from the request when it sends a sane one, else
made up, and returned in the response: :class:`RequestIdMiddleware`)."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["REQUEST_ID", "JsonFormatter", "RequestIdMiddleware", "setup_logging"]

REQUEST_ID: ContextVar[str | None] = ContextVar("anchor_request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
HEADER = b"x-request-id"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "pid", "msg", "request_id"?, "exc_type"?}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid and rid != "-":
            obj["request_id"] = rid
        if record.exc_info and record.exc_info[0] is not None:
            obj["exc_type"] = record.exc_info[0].__name__
            obj["exc"] = self.formatException(record.exc_info)
        return json.dumps(obj, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid and rid != "-" else line


def setup_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Logging on stderr: level from ``$ANCHOR_LOG_LEVEL`` (INFO), format from
    ``$ANCHOR_LOG_FORMAT`` (``text`` or ``json``)."""
    name = (level or os.environ.get("ANCHOR_LOG_LEVEL") or "INFO").upper()
    kind = (fmt or os.environ.get("ANCHOR_LOG_FORMAT") or "text").lower()
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    if kind == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, name, logging.INFO))
    for noisy in ("apscheduler", "urllib3", "web3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class RequestIdMiddleware:
    """Pure ASGI: every HTTP request gets an id (the client's ``X-Request-ID`` when it is a
    short token, else a random one) in :data:`REQUEST_ID` and in the response's header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope.get("headers") or ():
            if name == HEADER:
                text = value.decode("latin-1")
                rid = text if _SANE_ID.match(text) else None
                break
        rid = rid or secrets.token_hex(8)
        token = REQUEST_ID.set(rid)

        async def send_with_id(message: Any) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                headers.append((HEADER, rid.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
