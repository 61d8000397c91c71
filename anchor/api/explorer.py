"""The regulators' surface: a read-only explorer page, the anchors audit list, server-side
verification of a pasted bundle, and the contract's source-verification material.

Anchors are read FROM THE CHAIN (the registry's ``Anchored`` events over the configured RPC),
then joined with our batch records by batch id, and every disagreement is named:

* ``ok``               on chain and in our records, same root, same leaf count, same tx
* ``pending``          in our records, not on chain yet, and our state says so (sealed/submitted)
* ``mismatch``         both sides know the batch but disagree (root, leaf count, tx, block)
* ``missing_on_chain`` our records say included/final but no event exists
* ``missing_in_db``    an event for a batch id we have no record of

Routes: ``GET /explorer`` (the page), ``GET /explorer/static/{name}``, ``GET
/v1/explorer/anchors``, ``POST /v1/verify``, ``GET /v1/contract``, ``GET
/v1/contract/standard-json``, ``GET /v1/contract/metadata``. Everything is read-only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from anchor.api.deps import get_config, get_db
from anchor.api.guard import problem
from anchor.config import Config
from anchor.errors import AnchorError, ChainError
from anchor.store.db import Database

__all__ = [
    "AnchorRow",
    "AnchorsReport",
    "ChainSide",
    "DbSide",
    "collect_anchors",
    "router",
]

router = APIRouter()

_DONE_STATES = frozenset({"included", "final"})
_STATUS_LABEL = {
    "ok": "ok",
    "pending": "pending",
    "mismatch": "MISMATCH",
    "missing_on_chain": "MISSING ON CHAIN",
    "missing_in_db": "NOT IN OUR RECORDS",
}


def _hex(b: bytes | None) -> str | None:
    return None if b is None else "0x" + bytes(b).hex()


@dataclass(frozen=True)
class ChainSide:
    """What the chain says about one batch id (from its ``Anchored`` event)."""

    root: str
    leaf_count: int
    tx_hash: str
    block_number: int
    block_hash: str


@dataclass(frozen=True)
class DbSide:
    """What our batch table says about one batch id."""

    root: str
    leaf_count: int
    state: str
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    sealed_at: str | None


@dataclass(frozen=True)
class AnchorRow:
    """One batch id, both sides, the verdict and the explorer links."""

    batch_id: int
    status: str
    status_label: str
    problems: tuple[str, ...]
    chain: ChainSide | None
    db: DbSide | None
    links: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class AnchorsReport:
    """The audit list: every batch id known to the chain or to us."""

    chain_id: int | None
    contract: str | None
    contract_url: str | None
    latest_block: int | None
    error: str | None
    anchors: tuple[AnchorRow, ...]

    @property
    def mismatches(self) -> int:
        return sum(1 for a in self.anchors if a.status not in ("ok", "pending"))

    def to_obj(self) -> dict[str, Any]:
        return {
            "chain": {
                "chain_id": self.chain_id,
                "contract": self.contract,
                "contract_url": self.contract_url,
                "latest_block": self.latest_block,
                "error": self.error,
            },
            "mismatches": self.mismatches,
            "anchors": [{**asdict(a), "problems": list(a.problems)} for a in self.anchors],
        }


def _db_batches(db: Database) -> dict[int, DbSide]:
    import sqlalchemy as sa

    out: dict[int, DbSide] = {}
    with db.connect(write=False) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, root, leaf_count, state, tx_hash, block_number, block_hash, sealed_at "
                "FROM batches ORDER BY id"
            )
        )
        for r in rows:
            out[int(r.id)] = DbSide(
                root=_hex(bytes(r.root)) or "",
                leaf_count=int(r.leaf_count),
                state=str(r.state),
                tx_hash=_hex(r.tx_hash),
                block_number=None if r.block_number is None else int(r.block_number),
                block_hash=_hex(r.block_hash),
                sealed_at=None if r.sealed_at is None else str(r.sealed_at),
            )
    return out


LOG_RANGE = 10_000  # blocks per eth_getLogs call (providers cap the range)


def _chain_events(
    config: Config, from_block: int
) -> tuple[dict[int, ChainSide], int | None, list[str]]:
    """Anchored events by batch id (the first event of an id: the contract refuses any
    second one), the latest block, and problems seen on the chain side."""
    from anchor.chain.artifact import load_artifact
    from anchor.chain.client import RetryPolicy, make_web3

    if not config.rpc_url or not config.contract_address:
        raise ChainError("no rpc_url / contract_address configured")
    w3 = make_web3(config.rpc_url, policy=RetryPolicy(timeout=5.0, retries=1))
    try:
        address = w3.to_checksum_address(config.contract_address)
        event = w3.eth.contract(address=address, abi=load_artifact().abi_list).events.Anchored()
        topic0 = "0x" + bytes(w3.keccak(text=_event_signature(event.abi))).hex()
        latest = int(w3.eth.block_number)
        logs: list[Any] = []
        start = from_block
        while start <= latest:
            end = min(latest, start + LOG_RANGE - 1)
            logs += w3.eth.get_logs(
                {"address": address, "topics": [topic0], "fromBlock": start, "toBlock": end}
            )
            start = end + 1
        decoded = [event.process_log(log) for log in logs]
    except AnchorError:
        raise
    except Exception as exc:
        raise ChainError(f"chain unreachable ({type(exc).__name__})") from None
    out: dict[int, ChainSide] = {}
    problems: list[str] = []
    for ev in decoded:
        args = ev["args"]
        batch_id = int(args["batchId"])
        if batch_id in out:
            problems.append(f"batch {batch_id}: more than one Anchored event")
            continue
        out[batch_id] = ChainSide(
            root=_hex(bytes(args["root"])) or "",
            leaf_count=int(args["leafCount"]),
            tx_hash=_hex(bytes(ev["transactionHash"])) or "",
            block_number=int(ev["blockNumber"]),
            block_hash=_hex(bytes(ev["blockHash"])) or "",
        )
    return out, latest, problems


def _event_signature(abi: Any) -> str:
    types = ",".join(str(i["type"]) for i in abi["inputs"])
    return f"{abi['name']}({types})"


def _compare(batch_id: int, chain: ChainSide | None, ours: DbSide | None) -> tuple[str, list[str]]:
    problems: list[str] = []
    if chain is None and ours is None:  # pragma: no cover - never built
        return "missing_in_db", problems
    if chain is None:
        assert ours is not None
        if ours.state in _DONE_STATES:
            problems.append(
                f"our records say {ours.state} in tx {ours.tx_hash}, but the chain has no "
                "Anchored event for this batch id"
            )
            return "missing_on_chain", problems
        return "pending", problems
    if ours is None:
        problems.append("anchored on chain, but we have no batch with this id")
        return "missing_in_db", problems
    if chain.root != ours.root:
        problems.append(f"root differs: chain {chain.root}, ours {ours.root}")
    if chain.leaf_count != ours.leaf_count:
        problems.append(f"leaf count differs: chain {chain.leaf_count}, ours {ours.leaf_count}")
    if ours.state in _DONE_STATES:
        if ours.tx_hash is not None and ours.tx_hash != chain.tx_hash:
            problems.append(f"transaction differs: chain {chain.tx_hash}, ours {ours.tx_hash}")
        elif ours.block_hash is not None and ours.block_hash != chain.block_hash:
            problems.append(f"block differs: chain {chain.block_hash}, ours {ours.block_hash}")
    return ("mismatch" if problems else "ok"), problems


def collect_anchors(
    db: Database, config: Config, *, from_block: int | None = None
) -> AnchorsReport:
    """Join the chain's Anchored events with our batch table, batch id by batch id.

    When the chain cannot be read, the report carries ``error`` and only our side (every
    row then says what our records claim, with status ``pending`` or ``missing_on_chain``
    left undecided: such rows get the status of an unreadable chain, ``pending``)."""
    error: str | None = None
    chain: dict[int, ChainSide] = {}
    latest: int | None = None
    extra: list[str] = []
    try:
        start = config.contract_start_block if from_block is None else from_block
        chain, latest, extra = _chain_events(config, start)
    except AnchorError as exc:
        error = exc.diagnostics()
    # our side after the chain's: a batch is in the database before it is on chain, so on a
    # live service every batch the chain shows is already in this read
    ours = _db_batches(db)
    rows: list[AnchorRow] = []
    for batch_id in sorted(set(ours) | set(chain)):
        c, o = chain.get(batch_id), ours.get(batch_id)
        if error is not None:
            status, problems = "pending", ["chain not readable: cannot compare"]
        else:
            status, problems = _compare(batch_id, c, o)
        problems += [p for p in extra if p.startswith(f"batch {batch_id}:")]
        if problems and status in ("ok", "pending") and error is None:
            status = "mismatch"
        tx = c.tx_hash if c is not None else (o.tx_hash if o is not None else None)
        block = c.block_number if c is not None else (o.block_number if o is not None else None)
        links = {
            "tx": config.explorer_url("tx", tx=tx) if tx else None,
            "block": config.explorer_url("block", block=block) if block is not None else None,
        }
        rows.append(
            AnchorRow(
                batch_id=batch_id,
                status=status,
                status_label=_STATUS_LABEL[status],
                problems=tuple(problems),
                chain=c,
                db=o,
                links=links,
            )
        )
    contract = config.contract_address
    return AnchorsReport(
        chain_id=config.chain_id,
        contract=contract,
        contract_url=config.explorer_url("address", address=contract) if contract else None,
        latest_block=latest,
        error=error,
        anchors=tuple(rows),
    )


EXPORT_COLUMNS: tuple[str, ...] = (
    "batch_id",
    "status",
    "root_chain",
    "root_ours",
    "leaf_count_chain",
    "leaf_count_ours",
    "tx_hash",
    "block_number",
    "block_hash",
    "our_state",
    "explorer_tx_url",
    "problems",
)


def export_rows(report: AnchorsReport) -> list[dict[str, Any]]:
    """Flat rows of the audit list (CSV / JSON export)."""
    out: list[dict[str, Any]] = []
    for a in report.anchors:
        c, o = a.chain, a.db
        out.append(
            {
                "batch_id": a.batch_id,
                "status": a.status,
                "root_chain": c.root if c else None,
                "root_ours": o.root if o else None,
                "leaf_count_chain": c.leaf_count if c else None,
                "leaf_count_ours": o.leaf_count if o else None,
                "tx_hash": c.tx_hash if c else (o.tx_hash if o else None),
                "block_number": c.block_number if c else (o.block_number if o else None),
                "block_hash": c.block_hash if c else (o.block_hash if o else None),
                "our_state": o.state if o else None,
                "explorer_tx_url": a.links.get("tx"),
                "problems": "; ".join(a.problems),
            }
        )
    return out


# --------------------------------------------------------------------------- routes

DbDep = Annotated[Database, Depends(get_db)]
ConfigDep = Annotated[Config, Depends(get_config)]

_STATIC_TYPES = {
    "explorer.js": "text/javascript; charset=utf-8",
    "explorer.css": "text/css; charset=utf-8",
}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


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


@router.get("/v1/explorer/anchors", tags=["explorer"])
def explorer_anchors(db: DbDep, config: ConfigDep) -> JSONResponse:
    """Anchors read from the chain's events beside our batch records, with every mismatch."""
    return JSONResponse(collect_anchors(db, config).to_obj())


_VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "A ledger-anchor-proof/1 bundle, byte for byte as served.",
                }
            }
        },
    }
}


@router.post(
    "/v1/verify",
    tags=["explorer"],
    openapi_extra=_VERIFY_BODY,
    responses={
        200: {"description": "verified: `valid` says whether, `step` which check failed"},
        422: {"description": "not a usable bundle"},
        503: {"description": "the configured RPC is unreachable"},
    },
)
async def verify_pasted(request: Request, config: ConfigDep) -> Response:
    """Verify a pasted bundle against the chain (the root is read from the contract)."""
    from anchor.core.proof import MAX_BUNDLE_BYTES, parse_bundle
    from anchor.errors import ProofFormatError, VerificationError

    raw = await request.body()
    if len(raw) > MAX_BUNDLE_BYTES:
        return problem(413, "bundle too large", valid=False, step="format")
    text = raw.decode("utf-8", errors="replace").strip() + "\n"
    try:
        bundle = parse_bundle(text.encode("utf-8"))
    except ProofFormatError as exc:
        return problem(422, str(exc), valid=False, step="format")
    if not config.rpc_url:
        return problem(503, "no RPC configured", step="rpc")
    import anyio

    from anchor.verifier import verify_bundle_online

    base: dict[str, Any] = {
        "record_id": bundle.record.record_id,
        "batch_id": bundle.batch_id,
        "block_number": bundle.anchor.block_number,
    }
    try:
        result = await anyio.to_thread.run_sync(
            lambda: verify_bundle_online(
                bundle,
                config.rpc_url or "",
                contract=config.contract_address,
                finality_depth=config.finality_depth,
            )
        )
    except VerificationError as exc:
        return JSONResponse({**base, "valid": False, "step": exc.step, "detail": exc.detail})
    except AnchorError as exc:  # unreachable RPC and the like
        return problem(503, exc.diagnostics(), step="rpc", **base)
    return JSONResponse({**base, **_result_obj(result), "valid": True})


def _result_obj(result: Any) -> dict[str, Any]:
    """What the verifier's result says, as JSON."""
    block_hash = getattr(result, "block_hash", None)
    return {
        "status": getattr(result, "status", None),
        "summary": result.summary() if hasattr(result, "summary") else None,
        "chain_id": getattr(result, "chain_id", None),
        "contract": getattr(result, "contract", None),
        "block_number": getattr(result, "block_number", None),
        "block_hash": _hex(block_hash) if isinstance(block_hash, bytes) else None,
        "finalized_block": getattr(result, "finalized_block", None),
        "finality_rule": getattr(result, "finality_rule", None),
    }


def _artifact() -> Any:
    from anchor.chain.artifact import load_artifact

    return load_artifact()


@router.get("/v1/contract", tags=["contract"])
def contract_info(config: ConfigDep) -> JSONResponse:
    """Address, chain id, ABI and compiler of the registry, for explorers and tools."""
    art = _artifact()
    address = config.contract_address
    return JSONResponse(
        {
            "name": art.contract_name,
            "address": address,
            "chain_id": config.chain_id,
            "compiler": art.compiler_version,
            "source_sha256": art.source_sha256,
            "artifact_sha256": art.sha256,
            "explorer_url": config.explorer_url("address", address=address) if address else None,
            "abi": art.abi_list,
            "standard_json_url": "/v1/contract/standard-json",
            "metadata_url": "/v1/contract/metadata",
        }
    )


@router.get("/v1/contract/standard-json", tags=["contract"])
def contract_standard_json() -> JSONResponse:
    """The solc standard-JSON input the committed artifact was built from (give it to a
    block explorer's "verify source" form, compiler as in /v1/contract)."""
    return JSONResponse(_artifact().standard_json_input)


@router.get("/v1/contract/metadata", tags=["contract"])
def contract_metadata() -> JSONResponse:
    """The compiler's metadata JSON of the contract."""
    meta = _artifact().metadata
    return JSONResponse(json.loads(meta) if isinstance(meta, str) and meta else meta or {})
