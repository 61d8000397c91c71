"""Proof bundles over HTTP: ``GET /v1/proofs/{record_id}``, and the lookup behind it.

Privacy (who sees what)
    * Everybody gets the bundle of a record whose kind is public market data (order events,
      book snapshots, trades) with every account shown ONLY as its commitment
      ``keccak256(salt ‖ account_id)``: no account id, no salt. The bundle still verifies
      (the leaf is recomputed from the commitments).
    * Balances and positions are private: their bundles go only to an owner of an account the
      record mentions (a user token, see anchor/api/auth.py) or to the operator (API key).
      Anyone else gets the same 404 as for an unknown id, so the answer does not even tell
      whether such a record exists.
    * A user's own salt is added to the bundle (``accounts``) when the caller is
      authenticated as that account: only that account's salt, never the other party's.
    * The operator may ask for one account's salt with ``?account=ID`` (to hand the bundle to
      that user); without it the operator gets the commitments-only bundle too.

Anchor fields are built from the batch's CURRENT transaction fields, so after a reorg and a
re-anchoring the next request points at the new block. A record not anchored yet answers
``202`` with its status (``{"record_id": .., "status": "pending", "state": ..}``).

Speed: tree chunks of a sealed batch never change, so they are kept in a bounded in-process
LRU cache (keyed by database, batch id and root); the path is re-hashed to the batch root on
every request, so a chunk altered in the database is reported, never served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from anchor.api.auth import account_for_token, bearer_token, is_operator
from anchor.api.deps import get_config, get_db
from anchor.config import Config
from anchor.core.merkle import node_index_of_leaf, process_proof, proof_node_indices
from anchor.core.proof import AnchorInfo, ProofBundle, make_bundle
from anchor.core.records import Record, parse_record
from anchor.errors import InputError, NotFoundError, StorageError
from anchor.store.db import Database

__all__ = [
    "PRIVATE_KINDS",
    "ProofOutcome",
    "Viewer",
    "anchor_info",
    "load_proof",
    "router",
]

PRIVATE_KINDS = frozenset({"balance", "position"})
NODE = 32
NOT_FOUND = "no proof available for this record id"
_STATUS_OF_STATE = {"included": "included", "final": "final"}


@dataclass(frozen=True)
class Viewer:
    """Who asks: the operator, an authenticated account, or nobody (public)."""

    operator: bool = False
    account_id: str | None = None
    disclose: str | None = None  # operator only: the account whose salt to include

    @classmethod
    def public(cls) -> Viewer:
        return cls()


@dataclass(frozen=True)
class ProofOutcome:
    """The answer for one record: a bundle (anchored) or just its status (not yet)."""

    record_id: str
    status: str  # pending | included | final
    state: str  # unbatched | sealed | submitted | included | final
    batch_id: int | None
    bundle: ProofBundle | None

    @property
    def http_status(self) -> int:
        return 200 if self.bundle is not None else 202

    def status_obj(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "status": self.status,
            "state": self.state,
            "batch_id": self.batch_id,
        }


@dataclass(frozen=True)
class _BatchRow:
    id: int
    root: bytes
    leaf_count: int
    first_seq: int
    last_seq: int
    chunk_nodes: int
    state: str
    tx_hash: bytes | None
    block_number: int | None
    block_hash: bytes | None
    chain_id: int | None
    contract: str | None


class _ChunkCache:
    """A bounded LRU of immutable tree chunks: (db url, batch id, root, chunk no) -> bytes."""

    def __init__(self, max_chunks: int = 16_384) -> None:  # 16k x 8 KiB = 128 MiB at most
        self.max_chunks = max_chunks
        self._data: OrderedDict[tuple[str, int, bytes, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, bytes, int]) -> bytes | None:
        with self._lock:
            v = self._data.get(key)
            if v is not None:
                self._data.move_to_end(key)
            return v

    def put(self, key: tuple[str, int, bytes, int], value: bytes) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_chunks:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


CHUNKS = _ChunkCache()


class _Tree:
    """Node reads of one stored batch tree, through the chunk cache."""

    def __init__(self, conn: sa.Connection, url: str, batch: _BatchRow) -> None:
        self.conn = conn
        self.batch = batch
        self.prefix = (url, batch.id, batch.root)
        self.local: dict[int, bytes] = {}

    def _load(self, chunk_nos: Iterable[int]) -> None:
        missing: list[int] = []
        for no in set(chunk_nos):
            if no in self.local:
                continue
            hit = CHUNKS.get((*self.prefix, no))
            if hit is None:
                missing.append(no)
            else:
                self.local[no] = hit
        if not missing:
            return
        rows = self.conn.execute(
            sa.text(
                "SELECT chunk_no, data FROM tree_chunks WHERE batch_id = :b AND chunk_no IN :c"
            ).bindparams(sa.bindparam("c", expanding=True)),
            {"b": self.batch.id, "c": sorted(missing)},
        ).all()
        for no, data in rows:
            blob = bytes(data)
            self.local[int(no)] = blob
            CHUNKS.put((*self.prefix, int(no)), blob)
        if any(no not in self.local for no in missing):
            raise StorageError(f"batch {self.batch.id}: stored tree chunks are missing")

    def node(self, i: int) -> bytes:
        no, off = divmod(i, self.batch.chunk_nodes)
        self._load((no,))
        out = self.local[no][off * NODE : off * NODE + NODE]
        if len(out) != NODE:
            raise StorageError(f"batch {self.batch.id}: a stored tree chunk is truncated")
        return out

    def nodes(self, indices: list[int]) -> list[bytes]:
        self._load(i // self.batch.chunk_nodes for i in indices)
        return [self.node(i) for i in indices]

    def tree_index(self, leaf: bytes) -> int:
        """Binary search of the leaf in the sorted leaf level."""
        n = self.batch.leaf_count
        lo, hi = 0, n - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            v = self.node(node_index_of_leaf(n, mid))
            if v == leaf:
                return mid
            if v < leaf:
                lo = mid + 1
            else:
                hi = mid - 1
        raise StorageError(f"batch {self.batch.id}: the record's leaf is not in the stored tree")


def anchor_info(batch: _BatchRow | Any, config: Config | None = None) -> AnchorInfo:
    """The anchor fields of a batch as they are NOW (pending unless included/final with
    every field known). Missing chain id / contract fall back to the configuration."""
    status = _STATUS_OF_STATE.get(str(batch.state))
    chain_id: int | None = batch.chain_id
    if chain_id is None and config is not None:
        chain_id = config.chain_id
    contract: str | None = batch.contract or (config.contract_address if config else None)
    tx_hash: bytes | None = None if batch.tx_hash is None else bytes(batch.tx_hash)
    block_number: int | None = None if batch.block_number is None else int(batch.block_number)
    block_hash: bytes | None = None if batch.block_hash is None else bytes(batch.block_hash)
    if (
        status is None
        or chain_id is None
        or contract is None
        or tx_hash is None
        or block_number is None
        or block_hash is None
    ):
        return AnchorInfo(
            chain_id=chain_id,
            contract=contract.lower() if contract else None,
            tx_hash=tx_hash,
            status="pending",
        )
    return AnchorInfo(
        chain_id=int(chain_id),
        contract=contract.lower(),
        tx_hash=tx_hash,
        block_number=block_number,
        block_hash=block_hash,
        status=status,
    )


def _batch_of(conn: sa.Connection, seq: int) -> _BatchRow | None:
    row = conn.execute(
        sa.text(
            "SELECT id, root, leaf_count, first_seq, last_seq, chunk_nodes, state, tx_hash, "
            "block_number, block_hash, chain_id, contract FROM batches "
            "WHERE first_seq <= :s ORDER BY first_seq DESC LIMIT 1"
        ),
        {"s": seq},
    ).first()
    if row is None or int(row.last_seq) < seq:
        return None
    return _BatchRow(
        id=int(row.id),
        root=bytes(row.root),
        leaf_count=int(row.leaf_count),
        first_seq=int(row.first_seq),
        last_seq=int(row.last_seq),
        chunk_nodes=int(row.chunk_nodes),
        state=str(row.state),
        tx_hash=None if row.tx_hash is None else bytes(row.tx_hash),
        block_number=None if row.block_number is None else int(row.block_number),
        block_hash=None if row.block_hash is None else bytes(row.block_hash),
        chain_id=None if row.chain_id is None else int(row.chain_id),
        contract=None if row.contract is None else str(row.contract),
    )


def _may_see(record: Record, viewer: Viewer) -> bool:
    if record.kind not in PRIVATE_KINDS or viewer.operator:
        return True
    return viewer.account_id is not None and viewer.account_id in record.accounts()


def _accounts(
    conn: sa.Connection, accounts: tuple[str, ...], salts_for: set[str]
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    if not accounts:
        return {}, {}
    rows = conn.execute(
        sa.text(
            "SELECT account_id, salt, commitment FROM accounts WHERE account_id IN :a"
        ).bindparams(sa.bindparam("a", expanding=True)),
        {"a": list(accounts)},
    ).all()
    commitments = {str(a): bytes(c) for a, _s, c in rows}
    salts = {str(a): bytes(s) for a, s, _c in rows if a in salts_for}
    if set(commitments) != set(accounts):
        raise StorageError("an account of the record is missing from the accounts table")
    return commitments, salts


def load_proof(
    db: Database, record_id: str, viewer: Viewer, config: Config | None = None
) -> ProofOutcome:
    """The proof (or the status) of ``record_id`` as ``viewer`` may see it.

    NotFoundError for an unknown id and for a private record the viewer may not see (the
    same answer). InputError when the operator asks to disclose an account the record does
    not mention.
    """
    with db.connect(write=False) as conn:
        row = conn.execute(
            sa.text("SELECT seq, canonical, leaf FROM records WHERE record_id = :r"),
            {"r": record_id},
        ).first()
        if row is None:
            raise NotFoundError(NOT_FOUND)
        seq, leaf = int(row.seq), bytes(row.leaf)
        record = parse_record(str(row.canonical))
        if not _may_see(record, viewer):
            raise NotFoundError(NOT_FOUND)
        batch = _batch_of(conn, seq)
        if batch is None:
            return ProofOutcome(record_id, "pending", "unbatched", None, None)
        info = anchor_info(batch, config)
        if info.status == "pending":
            return ProofOutcome(record_id, "pending", batch.state, batch.id, None)
        owned = set(record.accounts())
        salts_for: set[str] = set()
        if viewer.account_id is not None and viewer.account_id in owned:
            salts_for.add(viewer.account_id)
        if viewer.disclose is not None:
            if not viewer.operator:
                raise InputError("account: only the operator may ask for an account's salt")
            if viewer.disclose not in owned:
                raise InputError("account: the record does not mention this account")
            salts_for.add(viewer.disclose)
        commitments, salts = _accounts(conn, record.accounts(), salts_for)
        tree = _Tree(conn, db.url, batch)
        node_index = node_index_of_leaf(batch.leaf_count, tree.tree_index(leaf))
        path = tree.nodes(proof_node_indices(node_index))
    if process_proof(leaf, path) != batch.root:
        raise StorageError(f"batch {batch.id}: the stored tree does not reproduce the root")
    try:
        bundle = make_bundle(record, seq, commitments, salts, path, batch.root, batch.id, info)
    except InputError:
        raise StorageError(
            f"record {record_id!r}: stored leaf, accounts and tree disagree"
        ) from None
    if bundle.leaf != leaf:
        raise StorageError(f"record {record_id!r}: the stored leaf differs from the record")
    return ProofOutcome(record_id, info.status, batch.state, batch.id, bundle)


# --------------------------------------------------------------------------- HTTP

router = APIRouter(tags=["proofs"])

DbDep = Annotated[Database, Depends(get_db)]
ConfigDep = Annotated[Config, Depends(get_config)]

RecordIdPath = Annotated[
    str,
    Path(min_length=1, max_length=128, description="the record id given at ingest"),
]


def viewer_of(request: Request, db: Database, config: Config, account: str | None) -> Viewer:
    """The viewer of a request: operator key, user token, or public. A token that is sent
    but not valid is refused (401) rather than silently treated as public."""
    if is_operator(request, config):
        return Viewer(operator=True, disclose=account)
    if account is not None:
        raise HTTPException(
            status_code=403, detail="account: only the operator may ask for an account's salt"
        )
    token = bearer_token(request)
    if token is None:
        return Viewer.public()
    owner = account_for_token(db, token)
    if owner is None:
        raise HTTPException(
            status_code=401,
            detail="invalid, expired or revoked token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Viewer(account_id=owner)


def outcome_response(outcome: ProofOutcome) -> Response:
    """200 with the canonical bundle bytes, or 202 with the status."""
    if outcome.bundle is None:
        return JSONResponse(
            outcome.status_obj(), status_code=202, headers={"Cache-Control": "no-store"}
        )
    return Response(
        outcome.bundle.to_json(),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


_PROOF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the ledger-anchor-proof/1 bundle (canonical bytes)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    202: {"description": "not anchored yet: the record's status"},
    401: {"description": "a token was sent but is not valid"},
    403: {"description": "`account` asked for without the operator key"},
    404: {"description": "unknown record id, or a private record the caller may not see"},
    422: {"description": "malformed request"},
}


@router.get("/v1/proofs/{record_id}", responses=_PROOF_RESPONSES)
def get_proof(
    record_id: RecordIdPath,
    request: Request,
    db: DbDep,
    config: ConfigDep,
    account: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=128,
            description="operator only: include this account's salt in the bundle",
        ),
    ] = None,
) -> Response:
    """The proof bundle of one record (see the module docs for who sees what)."""
    viewer = viewer_of(request, db, config, account)
    try:
        outcome = load_proof(db, record_id, viewer, config)
    except NotFoundError:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return outcome_response(outcome)


def salts_in(bundle: ProofBundle) -> Mapping[str, bytes]:
    """The salts a bundle discloses (account id -> salt)."""
    return {a.account_id: a.salt for a in bundle.accounts}
