"""Bounds on every request, checked before anything parses it, and one error shape.

:class:`RequestGuard` is the outermost ASGI middleware of the app (see ``create_app``). On
every route, authenticated or not, before routing, authentication or any JSON parser:

* the request target (path and query) is at most :data:`MAX_TARGET_BYTES`; once
  percent-decoded it is valid UTF-8 without control characters (NUL included) — PostgreSQL
  refuses NUL in text, and no id, account or parameter of ours contains one;
* a body is at most :data:`MAX_BODY_BYTES` (bulk ingest: ``anchor.api.ingest``'s own limit,
  checked by its route after authentication). Other bodies are read into memory (bounded),
  must be valid UTF-8, hold no NUL (raw or ``\\u0000``), no run of more than
  :data:`MAX_DIGITS` digits, and nest at most
  :data:`MAX_JSON_DEPTH` arrays/objects deep — counted by a scan, not a parser, so no
  recursion limit matters;
* an exception no handler mapped becomes a 500 problem whose log line names its type and
  the route, never its message (which may carry an account id or a query's parameters).

Every error the API gives has one shape, RFC 9457 ``application/problem+json``:
``{"type", "title", "status", "detail", "error"}`` plus, where they apply, ``field``,
``problem``, ``line`` (a bad record) and ``errors`` (request validation). :func:`problem`
builds it; ``anchor.api.app`` maps every error type onto it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_TARGET_BYTES",
    "PROBLEM_JSON",
    "HttpMiddleware",
    "RequestGuard",
    "problem",
    "problem_body",
]

log = logging.getLogger("anchor.api")

MAX_TARGET_BYTES = 4096
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
PROBLEM_JSON = "application/problem+json"
# routes that read (much larger) bodies themselves, after the operator key is checked
STREAMED_PREFIXES = ("/v1/records",)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKENS = re.compile(rb'["\\\[\]{}]')
_NUL_ESCAPE = re.compile(rb"\\u0000", re.IGNORECASE)
MAX_DIGITS = 1000  # Python's JSON parser raises a plain ValueError past 4,300 digits
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}


def problem_body(status: int, detail: str, *, error: str | None = None, **extra: Any) -> bytes:
    """The problem+json body of one error (``extra`` members are added when not None)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    code = error or _CODES.get(status, "error")
    obj: dict[str, Any] = {
        "type": f"urn:ledger-anchor:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "error": code,
    }
    obj.update({k: v for k, v in extra.items() if v is not None})
    return json.dumps(obj, ensure_ascii=True).encode("ascii")


def problem(
    status: int,
    detail: str,
    *,
    error: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Any:
    """A Starlette response with the problem+json body."""
    from starlette.responses import Response

    return Response(
        problem_body(status, detail, error=error, **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def _send_problem(send: Send, status: int, detail: str) -> None:
    body = problem_body(status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _decoded(raw: bytes, what: str, *, plus: bool = False) -> str | None:
    """A problem with a percent-encoded part of the target, or None when it is fine."""
    if plus:
        raw = raw.replace(b"+", b" ")
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return f"{what}: not valid UTF-8 once percent-decoded"
    if _CONTROL.search(text):
        return f"{what}: control characters (NUL included) are not allowed"
    return None


def target_problem(scope: Scope) -> tuple[int, str] | None:
    """(status, detail) when the request target breaks a bound, else None."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    query: bytes = scope.get("query_string") or b""
    if len(raw_path) + len(query) > MAX_TARGET_BYTES:
        return 414, f"request target: longer than {MAX_TARGET_BYTES} bytes"
    if not raw_path.isascii() or not query.isascii():
        return 400, "request target: raw non-ASCII bytes must be percent-encoded"
    if (
        b"%" not in raw_path
        and b"%" not in query
        and not _CONTROL.search(raw_path.decode("ascii") + query.decode("ascii"))
    ):  # nothing percent-encoded and no control character: nothing to decode or refuse
        return None
    bad = _decoded(raw_path, "path") or _decoded(query, "query", plus=True)
    return None if bad is None else (400, bad)


def json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """The deepest nesting of arrays/objects in ``body`` (inside strings nothing counts),
    found by a scan of its quote, backslash and bracket bytes, not by a parser; the scan
    stops as soon as ``limit`` is exceeded."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1
    for match in _TOKENS.finditer(body):
        i = match.start()
        if i == escaped_at:
            continue
        c = body[i]
        if in_string:
            if c == 0x5C:  # backslash: the next byte is escaped
                escaped_at = i + 1
            elif c == 0x22:
                in_string = False
        elif c == 0x22:
            in_string = True
        elif c in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif c in (0x5D, 0x7D):
            depth -= 1
    return deepest


def body_problem(body: bytes) -> str | None:
    """A problem with a (non-streamed) request body, or None."""
    if b"\x00" in body or _NUL_ESCAPE.search(body):
        return "body: NUL characters are not allowed"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"body: not valid UTF-8 (byte {exc.start})"
    if _LONG_DIGITS.search(body):
        return f"body: a run of more than {MAX_DIGITS} digits"
    if json_depth(body) > MAX_JSON_DEPTH:
        return f"body: nested deeper than {MAX_JSON_DEPTH} levels"
    return None


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


class HttpMiddleware:
    """A plain ASGI middleware of HTTP requests: :meth:`http` answers them (or hands them
    on to ``self.app``); anything else (lifespan, websockets) goes to the app untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class RequestGuard(HttpMiddleware):
    """The outermost middleware: bounds first, then the app; unmapped errors become 500s
    that log no request data."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        bad = target_problem(scope)
        if bad is not None:
            await _send_problem(send, *bad)
            return
        declared = _declared_length(scope)
        if declared is not None and declared < 0:
            await _send_problem(send, 400, "content-length: not a number")
            return
        path: str = scope["path"]
        if not path.startswith(STREAMED_PREFIXES):
            if declared is not None and declared > MAX_BODY_BYTES:
                await _send_problem(send, 413, f"body: larger than {MAX_BODY_BYTES} bytes")
                return
            body = b""
            if scope["method"] not in ("GET", "HEAD", "OPTIONS", "DELETE") or declared:
                chunks: list[bytes] = []
                size = 0
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return  # the client went away
                    part = message.get("body", b"")
                    size += len(part)
                    if size > MAX_BODY_BYTES:
                        await _send_problem(send, 413, f"body: larger than {MAX_BODY_BYTES} bytes")
                        return
                    chunks.append(part)
                    if not message.get("more_body", False):
                        break
                body = b"".join(chunks)
                problem_text = body_problem(body) if body else None
                if problem_text is not None:
                    await _send_problem(send, 400, problem_text)
                    return
                receive = _replay(body, receive)
        await self._run(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            route = scope.get("route")
            where = getattr(route, "path", None) or "(unrouted)"
            log.error("request to %s %s failed: %s", scope["method"], where, type(exc).__name__)
            if not started:
                await _send_problem(send, 500, f"internal error ({type(exc).__name__})")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the real channel (for
    the disconnect message)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
