"""The audit list: the registry's ``Anchored`` events (read incrementally, cached in the
store) joined with our batch records by batch id, every disagreement named.

* ``ok``               on chain and in our records, same root, same leaf count, same tx
* ``pending``          in our records, not on chain yet, and our state says so (sealed/submitted)
* ``mismatch``         both sides know the batch but disagree (root, leaf count, tx, block)
* ``missing_on_chain`` our records say included/final but no event exists
* ``missing_in_db``    an event for a batch id we have no record of

Events are read from the chain only past what the cache holds (plus the last
:data:`REWIND_BLOCKS`, read again so a reorg replaces what it changed), and at most every
``max_age`` seconds: a page view does not scan from the deployment block. Each row carries
the block's time, the chain's finality of that block, our ingest-to-final latency and the
block explorer's links. Used by the explorer, ``anchor anchors export`` and ``anchor report``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from anchor.config import Config
from anchor.errors import AnchorError
from anchor.store.anchor_events import ScanState, cached_events, save_scan, scan_state
from anchor.store.batch_rows import audit_batches
from anchor.store.db import Database

__all__ = [
    "EXPORT_COLUMNS",
    "AnchorRow",
    "AnchorsReport",
    "ChainSide",
    "DbSide",
    "collect_anchors",
    "export_rows",
]

REWIND_BLOCKS = 64
DEFAULT_FALLBACK_DEPTH = 64
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


def _unix(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


@dataclass(frozen=True)
class ChainSide:
    """What the chain says about one batch id (from its ``Anchored`` event)."""

    root: str
    leaf_count: int
    tx_hash: str
    block_number: int
    block_hash: str
    block_time: int  # unix seconds
    final: bool  # the block is at or below the chain's finalized block


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
    ingested_at: int | None  # unix seconds: the batch's first record was ingested
    final_at: int | None  # unix seconds: our records say final


@dataclass(frozen=True)
class AnchorRow:
    """One batch id, both sides, the verdict (``status_label``: the status as shown, made
    from it) and the explorer links."""

    batch_id: int
    status: str
    status_label: str = field(init=False)
    problems: tuple[str, ...]
    chain: ChainSide | None
    db: DbSide | None
    links: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status_label", _STATUS_LABEL[self.status])

    @property
    def latency_seconds(self) -> int | None:
        """Ingest of the batch's first record to final (our records), seconds."""
        o = self.db
        if o is None or o.ingested_at is None or o.final_at is None:
            return None
        return max(0, o.final_at - o.ingested_at)


@dataclass(frozen=True)
class AnchorsReport:
    """The audit list: every batch id known to the chain or to us."""

    chain_id: int | None
    contract: str | None
    contract_url: str | None
    latest_block: int | None
    finalized_block: int | None
    error: str | None
    anchors: tuple[AnchorRow, ...]
    scanned_at: int | None = None

    @property
    def mismatches(self) -> int:
        return sum(1 for a in self.anchors if a.status not in ("ok", "pending"))

    def to_obj(self, anchors: tuple[AnchorRow, ...] | None = None) -> dict[str, Any]:
        rows = self.anchors if anchors is None else anchors
        return {
            "chain": {
                "chain_id": self.chain_id,
                "contract": self.contract,
                "contract_url": self.contract_url,
                "latest_block": self.latest_block,
                "finalized_block": self.finalized_block,
                "scanned_at": self.scanned_at,
                "error": self.error,
            },
            "mismatches": self.mismatches,
            "anchors": [
                {**asdict(a), "problems": list(a.problems), "latency_seconds": a.latency_seconds}
                for a in rows
            ],
        }


def _db_batches(db: Database) -> dict[int, DbSide]:
    return {
        r.id: DbSide(
            root=_hex(r.root) or "",
            leaf_count=r.leaf_count,
            state=r.state,
            tx_hash=_hex(r.tx_hash),
            block_number=r.block_number,
            block_hash=_hex(r.block_hash),
            sealed_at=r.sealed_at,
            ingested_at=_unix(r.first_received),
            final_at=_unix(r.final_at),
        )
        for r in audit_batches(db)
    }


def _refresh(
    db: Database, config: Config, from_block: int, max_age: float
) -> tuple[list[Any], ScanState, int | None]:
    """The events from ``from_block`` on (cached; read from the chain past the cache, at most
    every ``max_age`` s) and the scan state; ChainError when the chain cannot be read."""
    from anchor.chain.events import read_anchor_events
    from anchor.errors import ChainError

    if not config.rpc_url or not config.contract_address:
        raise ChainError("no rpc_url / contract_address configured")
    contract = config.contract_address.lower()
    now = int(time.time())
    state = None if config.chain_id is None else scan_state(db, config.chain_id, contract)
    fresh = state is not None and state.from_block <= from_block
    if fresh and state is not None and now - state.scanned_at < max_age:
        assert config.chain_id is not None
        return cached_events(db, config.chain_id, contract, from_block), state, None
    start = from_block
    if fresh and state is not None:
        start = max(state.from_block, state.next_block - REWIND_BLOCKS)
    head, events = read_anchor_events(config.rpc_url, contract, start)
    if config.chain_id is not None and head.chain_id != config.chain_id:
        raise ChainError(
            f"wrong chain: the RPC serves chain {head.chain_id}, the registry is on chain "
            f"{config.chain_id}"
        )
    lowest = start if state is None or not fresh else state.from_block
    new = ScanState(lowest, head.latest_block + 1, head.latest_block, now)
    save_scan(db, head.chain_id, contract, new, start, events)
    return cached_events(db, head.chain_id, contract, from_block), new, head.finalized_block


def chain_config(config: Config, name: str | None) -> Config:
    """``config`` seen from one of its chains (issue 18): that chain's RPC, id, registry,
    finality and explorer at the top level. ``name`` None: the primary chain."""
    from dataclasses import replace

    from anchor.config_chains import chains_of
    from anchor.errors import InputError

    chains = chains_of(config)
    chosen = chains[0] if name is None else next((c for c in chains if c.name == name), None)
    if chosen is None:
        raise InputError(
            f"chain: no chain named {name!r} (one of {', '.join(c.name for c in chains)})"
        )
    return replace(
        config,
        chains=(),
        chain=chosen.chain,
        rpc_url=chosen.rpc_url,
        chain_id=chosen.chain_id,
        contract_address=chosen.contract_address,
        contract_start_block=chosen.contract_start_block,
        finality_depth=chosen.finality_depth,
        explorer_kind=chosen.explorer_kind,
        explorer_base_url=chosen.explorer_base_url,
    )


def _chain_side(db: Database, ours: dict[int, DbSide], chain_id: int) -> dict[int, DbSide]:
    """Our records of each batch as that chain's anchor job has them (several chains)."""
    from dataclasses import replace

    from anchor.store.tx_views import anchors_of

    jobs = {
        t.batch_id: t
        for ts in anchors_of(db, list(ours)).values()
        for t in ts
        if t.chain_id == chain_id
    }
    out = {}
    for batch_id, side in ours.items():
        job = jobs.get(batch_id)
        mined = job is not None and job.state in ("included", "final")
        state = "sealed" if job is None or job.state in ("pending", "conflict") else job.state
        out[batch_id] = replace(
            side,
            state="submitted" if state == "failed" else state,
            tx_hash=job.tx_hash if job is not None and (mined or job.state == "failed") else None,
            block_number=job.block_number if mined and job is not None else None,
            block_hash=job.block_hash if mined and job is not None else None,
            final_at=side.final_at if job is not None and job.state == "final" else None,
        )
    return out


def collect_anchors(
    db: Database,
    config: Config,
    *,
    from_block: int | None = None,
    max_age: float = 10.0,
    chain: str | None = None,
) -> AnchorsReport:
    """Join the chain's Anchored events with our batch table, batch id by batch id (on the
    chain named ``chain``; None: the primary one).

    When the chain cannot be read, the report carries ``error`` and only our side (every
    row then gets the status of an unreadable chain, ``pending``)."""
    several = bool(config.chains)
    config = chain_config(config, chain)
    error: str | None = None
    chain_events: dict[int, ChainSide] = {}
    latest: int | None = None
    finalized: int | None = None
    scanned: int | None = None
    extra: list[str] = []
    try:
        start = config.contract_start_block if from_block is None else from_block
        events, state, finalized = _refresh(db, config, start, max_age)
        latest, scanned = state.latest_block, state.scanned_at
        if finalized is None:
            depth = config.finality_depth or DEFAULT_FALLBACK_DEPTH
            finalized = state.latest_block - depth
        for ev in events:
            if ev.duplicates:
                extra.append(f"batch {ev.batch_id}: more than one Anchored event")
            chain_events[ev.batch_id] = ChainSide(
                root=_hex(ev.root) or "",
                leaf_count=ev.leaf_count,
                tx_hash=_hex(ev.tx_hash) or "",
                block_number=ev.block_number,
                block_hash=_hex(ev.block_hash) or "",
                block_time=ev.block_time,
                final=ev.block_number <= finalized,
            )
    except AnchorError as exc:
        error = exc.diagnostics()
    # our side after the chain's: a batch is in the database before it is on chain, so on a
    # live service every batch the chain shows is already in this read
    ours = _db_batches(db)
    if several and config.chain_id is not None:
        ours = _chain_side(db, ours, config.chain_id)
    rows: list[AnchorRow] = []
    for batch_id in sorted(set(ours) | set(chain_events)):
        c, o = chain_events.get(batch_id), ours.get(batch_id)
        if error is not None:
            status, problems = "pending", ["chain not readable: cannot compare"]
        else:
            status, problems = _compare(c, o)
        problems += [p for p in extra if p.startswith(f"batch {batch_id}:")]
        if problems and status in ("ok", "pending") and error is None:
            status = "mismatch"
        tx = c.tx_hash if c is not None else (o.tx_hash if o is not None else None)
        block = c.block_number if c is not None else (o.block_number if o is not None else None)
        links = {
            "tx": config.explorer_url("tx", tx=tx) if tx else None,
            "block": config.explorer_url("block", block=block) if block is not None else None,
        }
        rows.append(AnchorRow(batch_id, status, tuple(problems), c, o, links))
    contract = config.contract_address
    return AnchorsReport(
        chain_id=config.chain_id,
        contract=contract,
        contract_url=config.explorer_url("address", address=contract) if contract else None,
        latest_block=latest,
        finalized_block=finalized if error is None else None,
        error=error,
        anchors=tuple(rows),
        scanned_at=scanned,
    )


def _compare(chain: ChainSide | None, ours: DbSide | None) -> tuple[str, list[str]]:
    problems: list[str] = []
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
    "block_time",
    "chain_finality",
    "our_state",
    "ingested_at",
    "final_at",
    "latency_seconds",
    "explorer_tx_url",
    "explorer_block_url",
    "explorer_contract_url",
    "problems",
)


def iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_rows(report: AnchorsReport) -> list[dict[str, Any]]:
    """Flat rows of the audit list (CSV / JSON export): block times, the chain's finality of
    each anchor's block, our ingest-to-final latency and the block explorer's links."""
    out: list[dict[str, Any]] = []
    for a in report.anchors:
        c, o = a.chain, a.db
        if c is None:
            finality = "not on chain" if report.error is None else "unknown (chain not readable)"
        else:
            finality = "final" if c.final else "not final"
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
                "block_time": iso(c.block_time) if c else None,
                "chain_finality": finality,
                "our_state": o.state if o else None,
                "ingested_at": iso(o.ingested_at) if o else None,
                "final_at": iso(o.final_at) if o else None,
                "latency_seconds": a.latency_seconds,
                "explorer_tx_url": a.links.get("tx"),
                "explorer_block_url": a.links.get("block"),
                "explorer_contract_url": report.contract_url,
                "problems": "; ".join(a.problems),
            }
        )
    return out
