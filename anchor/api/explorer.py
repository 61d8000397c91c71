"""The regulators' surface: a read-only explorer page and the anchors audit list.

The server never says whether a proof is good: the page verifies pasted bundles with the
same client-side module as ``/verify`` (``/verify/verifier.js``) against the registry the
regulator pins and an RPC they choose, and can read the anchors straight from that RPC
(``eth_getLogs`` of ``Anchored`` on the pinned registry) instead of through this API.

Routes: ``GET /explorer`` (the page), ``GET /explorer/static/{name}``, ``GET
/v1/explorer/anchors`` (the audit list, newest first, paged; anchors from the event cache
of anchor.service.audit), ``GET /v1/explorer/find?q=`` (a batch by id, a record by id, a
transaction by hash). The contract's material is in anchor.api.contract. Read-only.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from anchor.api.deps import get_config, get_db
from anchor.api.guard import problem
from anchor.api.openapi import typed
from anchor.config import Config
from anchor.service.audit import collect_anchors
from anchor.store.anchor_events import batch_known, batch_of_tx
from anchor.store.db import Database
from anchor.store.queries import batch_of_seq, get_record

__all__ = ["router"]

router = APIRouter()

DbDep = Annotated[Database, Depends(get_db)]
ConfigDep = Annotated[Config, Depends(get_config)]

_STATIC_TYPES = {
    "explorer.js": "text/javascript; charset=utf-8",
    "explorer.css": "text/css; charset=utf-8",
}
# connect-src: this API, and the RPC the regulator types (any http(s) endpoint)
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' http: https:; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SERIES_MAX = 500


@lru_cache(maxsize=8)
def _static(name: str) -> bytes:
    return resources.files("anchor.api").joinpath("static", name).read_bytes()


@router.get("/explorer", include_in_schema=False, response_class=HTMLResponse)
def explorer_page() -> Response:
    return Response(
        _static("explorer.html"),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/explorer/static/{name}", include_in_schema=False)
def explorer_static(name: str) -> Response:
    media = _STATIC_TYPES.get(name)
    if media is None:
        raise HTTPException(status_code=404, detail="no such file")
    return Response(_static(name), media_type=media, headers={"X-Content-Type-Options": "nosniff"})


_ANCHORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["chain", "anchors", "page", "pages", "total", "series"],
    "properties": {
        "chain": {"type": "object"},
        **typed("integer", "mismatches now total page pages per_page"),
        "anchors": {"type": "array", "items": {"type": "object"}},
        "series": {"type": "array", "items": {"type": "object"}},
    },
}


@router.get(
    "/v1/explorer/anchors",
    tags=["explorer"],
    responses={
        200: {
            "description": "the audit list, newest first (a chain that cannot be read is "
            "reported in `chain.error`, with our side only)",
            "content": {"application/json": {"schema": _ANCHORS_SCHEMA}},
        }
    },
)
async def explorer_anchors(
    db: DbDep,
    config: ConfigDep,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
    chain: str | None = Query(
        None, max_length=32, description="the chain's name in the config (default: the first)"
    ),
) -> JSONResponse:
    """Anchors from the chain's events (cached, read incrementally) beside our batch records,
    every mismatch named; newest first, ``per_page`` a page; ``series``: the last
    anchors, oldest first, for the chart. With several chains, ``chain`` picks one and
    ``chains`` lists them all (name, chain id, registry)."""
    from anchor.config_chains import chains_of

    report = await run_in_threadpool(lambda: collect_anchors(db, config, chain=chain))
    newest = tuple(reversed(report.anchors))
    total = len(newest)
    pages = max(1, -(-total // per_page))
    shown = newest[(page - 1) * per_page : page * per_page]
    series = [
        {
            "batch_id": a.batch_id,
            "block_time": a.chain.block_time if a.chain else None,
            "leaf_count": a.chain.leaf_count if a.chain else (a.db.leaf_count if a.db else 0),
            "latency_seconds": a.latency_seconds,
        }
        for a in report.anchors[-SERIES_MAX:]
    ]
    return JSONResponse(
        {
            **report.to_obj(shown),
            "now": int(time.time()),
            "total": total,
            "page": page,
            "pages": pages,
            "per_page": per_page,
            "series": series,
            "chains": [
                {"name": c.name, "chain_id": c.chain_id, "contract": c.contract_address}
                for c in chains_of(config)
            ],
            "chain_name": chain or chains_of(config)[0].name,
        }
    )


_TX = re.compile(r"0x[0-9a-fA-F]{64}\Z")


@router.get(
    "/v1/explorer/find",
    tags=["explorer"],
    responses={
        200: {
            "description": "the batch the query names",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "batch_id": {"type": "integer"},
                            "found_by": {"enum": ["batch", "record", "tx"]},
                        },
                    }
                }
            },
        },
        404: {"description": "no batch, record or transaction by that name"},
    },
)
async def explorer_find(
    db: DbDep,
    q: str = Query(min_length=1, max_length=128, description="batch id, record id or tx hash"),
) -> Response:
    """Find a batch by its id, by the id of a record in it, or by its transaction's hash."""
    text = q.strip()

    def find() -> tuple[int, str] | None:
        if text.isdigit() and len(text) <= 18 and batch_known(db, int(text)):
            return int(text), "batch"
        if _TX.match(text):
            found = batch_of_tx(db, bytes.fromhex(text[2:]))
            if found is not None:
                return found, "tx"
        record = get_record(db, text)
        if record is not None:
            batch = batch_of_seq(db, record.seq)
            if batch is not None:
                return int(batch.id), "record"
        return None

    found = await run_in_threadpool(find)
    if found is None:
        return problem(404, "no batch, sealed record or anchoring transaction by that name")
    return JSONResponse({"batch_id": found[0], "found_by": found[1]})
