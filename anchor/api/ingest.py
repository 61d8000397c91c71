"""Operator ingest endpoints.

* ``POST /v1/records`` — one record as a JSON object.
* ``POST /v1/records/bulk`` — NDJSON (one record per line; blank lines are skipped but
  counted). ``?skip_bad=true`` stores the good lines and lists the bad ones.

Both need the operator API key. Answers: 201 with the counts and seqs when something new
was stored, 200 when everything was already there (idempotent replay); 422 naming the line
and field of a bad record (nothing stored); 409 when a record id exists with different
content (nothing stored); 400 for an empty body.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anchor.api.deps import get_db, require_operator
from anchor.errors import InputError
from anchor.service.ingest import IngestResult, ingest
from anchor.store.db import Database

router = APIRouter(prefix="/v1/records", tags=["ingest"], dependencies=[Depends(require_operator)])

MAX_BODY_BYTES = 512 * 1024 * 1024

_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "accepted": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "first_seq": {"type": ["integer", "null"]},
        "last_seq": {"type": ["integer", "null"]},
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer"},
                    "field": {"type": "string"},
                    "problem": {"type": "string"},
                },
            },
        },
    },
}
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "problem": {"type": "string"},
        "line": {"type": ["integer", "null"]},
    },
}


def _responses() -> dict[int | str, dict[str, Any]]:
    ok = {"content": {"application/json": {"schema": _RESULT_SCHEMA}}}
    err = {"content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    return {
        201: {"description": "stored", **ok},
        200: {"description": "nothing new (every record was already stored)", **ok},
        400: {"description": "empty or unreadable body", **err},
        401: {"description": "operator API key missing or wrong"},
        409: {"description": "a record id exists with different content", **err},
        422: {"description": "a record is invalid (line and field named)", **err},
    }


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InputError(f"body too large (limit {MAX_BODY_BYTES} bytes)")
    chunks: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_BODY_BYTES:
            raise InputError(f"body too large (limit {MAX_BODY_BYTES} bytes)")
        chunks.append(part)
    body = b"".join(chunks)
    if not body.strip():
        raise InputError("empty body: no records")
    return body


def _answer(result: IngestResult) -> JSONResponse:
    return JSONResponse(result.to_json(), status_code=201 if result.accepted else 200)


def _counted(db: Database, items: Any, skip_bad: bool) -> Any:
    """:func:`ingest`, counting refused records (``anchor_records_rejected_total``)."""
    from anchor.errors import RecordError
    from anchor.service.metrics import RECORDS_REJECTED

    try:
        result = ingest(db, items, skip_bad=skip_bad)
    except RecordError:
        RECORDS_REJECTED.inc()
        raise
    if result.rejected:
        RECORDS_REJECTED.inc(len(result.rejected))
    return result


@router.post(
    "",
    summary="Ingest one record",
    status_code=201,
    response_class=JSONResponse,
    responses=_responses(),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def post_record(request: Request, db: Database = Depends(get_db)) -> JSONResponse:
    body = await _body(request)
    result = await run_in_threadpool(_counted, db, [body], False)
    return _answer(result)


@router.post(
    "/bulk",
    summary="Ingest NDJSON (one record per line)",
    status_code=201,
    response_class=JSONResponse,
    responses=_responses(),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
async def post_bulk(
    request: Request,
    skip_bad: bool = Query(False, description="store the good lines, report the bad ones"),
    db: Database = Depends(get_db),
) -> JSONResponse:
    body = await _body(request)
    lines = body.split(b"\n")
    result = await run_in_threadpool(_counted, db, lines, skip_bad)
    return _answer(result)
