"""The lookup behind a proof bundle: who may see what, the stored tree, the bundle's bytes.
Served over HTTP by :mod:`anchor.api.proof_route` (``GET /v1/proofs/{record_id}``).

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

Speed (a proof is a few indexed reads and ~40 keccak256 calls; the budget is ~200 us):

* tree chunks of a sealed batch never change: a bounded in-process cache keeps them (keyed
  by database, batch id and root); the path is re-hashed to the batch root on every request,
  so a chunk altered in the database is reported (503), never served;
* the HTTP route reads through one held, detached, autocommit read connection per API
  process (its event loop), not a pool checkout and BEGIN/COMMIT per request;
* the route answers ahead of the middleware stack (see :mod:`anchor.api.proof_route`);
* the record and its batch come from one statement (the per-account visibility subquery
  runs only for a private kind asked by a user or the public); the leaf is found in the
  sorted leaf level by interpolation search (~3 probes; keccak leaves are uniform), in one
  call of the core's accelerator when built (:func:`anchor.core.proof_render.stored_path`;
  :class:`_Tree`'s own search otherwise, and whenever it declines);
* the stored canonical record is read by the core's fast path
  (:func:`anchor.core.proof_render.read_stored`: kind, accounts, leaf order; no record
  object); the anchor fields of a batch and whether the configuration names several chains
  are worked out once, not per request;
* the bundle is the core's: :func:`anchor.core.proof_render.render_bundle` gives exactly
  ``make_bundle(...).to_json()`` -- the leaf recomputed from the record, the stored path
  hashed up to the batch root (refused otherwise), the canonical bytes and checksum --
  written in one C call when the accelerator is built (tests compare the bytes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from anchor.api.proof_anchors import chain_anchors
from anchor.config import Config
from anchor.config_chains import chains_of
from anchor.core.json_fields import json_fields
from anchor.core.merkle import bisect_leaves, node_index_of_leaf, process_proof, proof_node_indices
from anchor.core.proof import AnchorInfo, ProofBundle, parse_bundle
from anchor.core.proof_render import (
    StoredRecord,
    path_nodes,
    read_stored,
    render_bundle,
    stored_path,
)
from anchor.errors import InputError, NotFoundError, StorageError
from anchor.store.db import Database
from anchor.store.proof_reads import PRIVATE_KINDS, ProofBatch, ProofReader, proof_reader

__all__ = [
    "NOT_FOUND",
    "PRIVATE_KINDS",
    "ProofOutcome",
    "Viewer",
    "anchor_info",
    "load_proof",
]

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
    """The answer for one record: the bundle's canonical bytes (anchored) or its status."""

    record_id: str
    status: str  # pending | included | final
    state: str  # unbatched | sealed | submitted | included | final
    batch_id: int | None
    body: bytes | None = None  # canonical ledger-anchor-proof/1 bytes

    @property
    def bundle(self) -> ProofBundle | None:
        return None if self.body is None else parse_bundle(self.body)

    @property
    def http_status(self) -> int:
        return 200 if self.body is not None else 202

    def status_obj(self) -> dict[str, Any]:
        return json_fields(self, "record_id status state batch_id")


# --------------------------------------------------------------------------- caches


class _Cache:
    """A bounded cache of immutable values: a plain dict (lookups cost one dict access, no
    lock: single dict operations are atomic), oldest entries evicted first when full."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: dict[Any, Any] = {}
        self.get = self._data.get

    def put(self, key: Any, value: Any) -> None:
        data = self._data
        while len(data) >= self.size:
            try:
                del data[next(iter(data))]
            except (KeyError, RuntimeError, StopIteration):  # raced with another thread
                break
        data[key] = value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()


class _ChunkCache:
    """Tree chunks of sealed batches (immutable), one dict per ``(db url, batch id, root)``
    so a request does one lookup for its batch and plain dict reads per chunk. Bounded in
    chunk count: when full it starts over (simple, and a batch's hot chunks come back in a
    few requests)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._trees: dict[tuple[str, int, bytes], dict[int, bytes]] = {}
        self._count = 0

    def tree(self, key: tuple[str, int, bytes]) -> dict[int, bytes]:
        """The live dict of the cached chunks of one batch tree (chunk no -> bytes)."""
        chunks = self._trees.get(key)
        if chunks is None:
            chunks = self._trees.setdefault(key, {})
        return chunks

    def put(self, key: tuple[str, int, bytes], no: int, blob: bytes) -> None:
        if self._count >= self.size:
            self.clear()
        chunks = self.tree(key)
        if no not in chunks:
            self._count += 1
        chunks[no] = blob

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._trees = {}
        self._count = 0


# (db url, batch id, root) -> chunk no -> 8 KiB of nodes; 16k chunks = 128 MiB at most
CHUNKS = _ChunkCache(16_384)
# (db url, account id) -> commitment (an account's salt, hence commitment, never changes)
COMMITMENTS = _Cache(200_000)


# --------------------------------------------------------------------------- reads


_NEAR = 64  # leaves looked at on each side when the search misses (damaged leaf level)


class _Tree:
    """Node reads of one stored batch tree, through the chunk cache."""

    def __init__(self, rows: ProofReader, url: str, batch: ProofBatch) -> None:
        self.rows = rows
        self.batch = batch
        self.prefix = (url, batch.id, batch.root)
        self.local = CHUNKS.tree(self.prefix)

    def _load(self, chunk_nos: Iterable[int]) -> None:
        local = self.local
        missing = [no for no in set(chunk_nos) if no not in local]
        if not missing:
            return
        for no, blob in self.rows.tree_chunks(self.batch.id, sorted(missing)):
            CHUNKS.put(self.prefix, no, blob)  # counted against the bound (first)
            self.local[no] = blob  # kept for this request even if the cache started over
        if any(no not in self.local for no in missing):
            raise StorageError(f"batch {self.batch.id}: stored tree chunks are missing")

    def _chunk(self, no: int) -> bytes:
        chunk = self.local.get(no)
        if chunk is None:
            self._load((no,))
            chunk = self.local[no]
        return chunk

    def path(self, node_index: int) -> list[bytes]:
        """The stored sibling path of ``node_index`` (``proof_node_indices`` order); the
        core's ``make_bundle`` hashes it up to the root and compares."""
        per = self.batch.chunk_nodes
        local = self.local
        at = [divmod(i, per) for i in proof_node_indices(node_index)]  # (chunk, node in it)
        try:
            path = [local[no][off * NODE : off * NODE + NODE] for no, off in at]
        except KeyError:  # a chunk not cached yet
            self._load(no for no, _ in at)
            path = [local[no][off * NODE : off * NODE + NODE] for no, off in at]
        if min(map(len, path), default=NODE) != NODE:
            raise StorageError(f"batch {self.batch.id}: a stored tree chunk is truncated")
        return path

    def fast_path(self, leaf: bytes) -> bytes | None:
        """The core's one-call search and path (the accelerator): the path's nodes back to
        back, or None (then :meth:`tree_index` and :meth:`path`)."""
        for _ in range(64):  # each round loads what the search needs next
            got = stored_path(self.local, self.batch.chunk_nodes, self.batch.leaf_count, leaf)
            if not isinstance(got, list):
                return got
            self._load(got)
        return None

    def _leaf_at(self, k: int) -> bytes:
        """The ``k``-th smallest leaf: the sorted leaf level's entry ``k`` (node ``2n-2-k``)."""
        no, off = divmod(2 * self.batch.leaf_count - 2 - k, self.batch.chunk_nodes)
        chunk = self.local.get(no) or self._chunk(no)
        return chunk[off * NODE : off * NODE + NODE]

    def tree_index(self, leaf: bytes) -> int:
        """Search of the leaf in the sorted leaf level (tree-order leaf ``k`` is node
        ``2n-2-k``). Leaves are keccak256 hashes, uniformly spread: interpolation on their
        first 8 bytes finds one in ~3 probes instead of ~20 (binary search takes over after
        a few probes, so the worst case stays logarithmic)."""
        n = self.batch.leaf_count
        lo, hi = 0, n - 1
        key = int.from_bytes(leaf[:8], "big")
        vlo, vhi = 0, 1 << 64  # the keys below lo / above hi lie in [vlo, vhi)
        probes = 0
        while lo <= hi:
            if probes < 6 and vhi > vlo:
                mid = lo + (key - vlo) * (hi - lo + 1) // (vhi - vlo)
                mid = lo if mid < lo else hi if mid > hi else mid
            else:
                mid = (lo + hi) >> 1
            probes += 1
            v = self._leaf_at(mid)
            if v == leaf:
                return mid
            if v < leaf:
                lo = mid + 1
                vlo = int.from_bytes(v[:8], "big")
            else:
                hi = mid - 1
                vhi = int.from_bytes(v[:8], "big") + 1
        # not found (a damaged leaf level misleads interpolation): the plain binary search
        # decides, as it always did
        return self._binary_index(leaf)

    def _binary_index(self, leaf: bytes) -> int:
        """Binary search of the leaf in the sorted leaf level."""
        n = self.batch.leaf_count
        lo = bisect_leaves(self._leaf_at, n, leaf)
        if lo < n and self._leaf_at(lo) == leaf:
            return lo
        # A damaged node next to the leaf sends the search astray by a few places: look
        # around where it ended, so the damage is reported as the root mismatch it causes.
        for k in range(max(0, lo - _NEAR), min(n, lo + _NEAR)):
            if self._leaf_at(k) == leaf:
                return k
        raise StorageError(f"batch {self.batch.id}: the record's leaf is not in the stored tree")


def anchor_info(batch: ProofBatch | Any, config: Config | None = None) -> AnchorInfo:
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


_CHAINS: list[Any] = [None, False]  # the last config seen, and whether it has several chains


def _several_chains(config: Config | None) -> bool:
    """Whether ``config`` names several chains (a v2 bundle: :func:`chain_anchors` reads
    the batch's anchors); worked out once per configuration object (frozen)."""
    if config is None:
        return False
    last = _CHAINS
    if last[0] is not config:
        several = len(chains_of(config)) >= 2
        last[:] = [config, several]
    return bool(last[1])


# (config, the batch's anchor columns) -> AnchorInfo (immutable; a reorg changes the key)
_ANCHORS = _Cache(4096)


def _anchor_info(batch: ProofBatch, config: Config | None) -> AnchorInfo:
    """:func:`anchor_info`, cached by what it is made of."""
    key = (
        id(config),
        batch.state,
        batch.chain_id,
        batch.contract,
        batch.tx_hash,
        batch.block_number,
        batch.block_hash,
    )
    hit = _ANCHORS.get(key)
    if hit is not None and hit[0] is config:
        info: AnchorInfo = hit[1]
        return info
    info = anchor_info(batch, config)
    _ANCHORS.put(key, (config, info))
    return info


def _may_see(record: StoredRecord, viewer: Viewer) -> bool:
    if record.kind not in PRIVATE_KINDS or viewer.operator:
        return True
    return viewer.account_id is not None and viewer.account_id in record.accounts


def _accounts(
    rows: ProofReader, url: str, accounts: tuple[str, ...], salts_for: set[str]
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Commitments of every account of the record (cached), salts of ``salts_for`` only."""
    get = COMMITMENTS.get
    commitments = {a: c for a in accounts if (c := get((url, a))) is not None}
    if not salts_for and len(commitments) == len(accounts):  # all cached (accounts: unique)
        return commitments, {}
    want = [a for a in accounts if a not in commitments or a in salts_for]
    salts: dict[str, bytes] = {}
    if want:
        for k in rows.account_keys(want):
            commitments[k.account_id] = k.commitment
            COMMITMENTS.put((url, k.account_id), k.commitment)
            if k.account_id in salts_for:
                salts[k.account_id] = k.salt
    if len(commitments) != len(set(accounts)):
        raise StorageError("an account of the record is missing from the accounts table")
    return commitments, salts


# --------------------------------------------------------------------------- lookup


def load_proof(
    db: Database,
    record_id: str,
    viewer: Viewer,
    config: Config | None = None,
    *,
    held: bool = False,
) -> ProofOutcome:
    """The proof (or the status) of ``record_id`` as ``viewer`` may see it.

    NotFoundError for an unknown id and for a private record the viewer may not see (the
    same answer). InputError when the operator asks to disclose an account the record does
    not mention. ``held``: read through this thread's held connection (the API's event
    loop only).
    """
    with proof_reader(db, held=held) as rows:
        found = rows.record(record_id, operator=viewer.operator, account_id=viewer.account_id or "")
        if found is None:
            raise NotFoundError(NOT_FOUND)
        seq, leaf, batch = found.seq, found.leaf, found.batch
        record = read_stored(found.canonical)  # the stored canonical text, read fast
        if not _may_see(record, viewer):
            raise NotFoundError(NOT_FOUND)
        if batch is None:
            return ProofOutcome(record_id, "pending", "unbatched", None)
        info = _anchor_info(batch, config)
        if info.status == "pending":
            return ProofOutcome(record_id, "pending", batch.state, batch.id)
        owned = set(record.accounts)
        salts_for: set[str] = set()
        if viewer.account_id is not None and viewer.account_id in owned:
            salts_for.add(viewer.account_id)
        if viewer.disclose is not None:
            if not viewer.operator:
                raise InputError("account: only the operator may ask for an account's salt")
            if viewer.disclose not in owned:
                raise InputError("account: the record does not mention this account")
            salts_for.add(viewer.disclose)
        commitments, salts = _accounts(rows, db.url, record.accounts, salts_for)
        tree = _Tree(rows, db.url, batch)
        path: list[bytes] | bytes | None = tree.fast_path(leaf)
        if path is None:  # the careful search (no accelerator, or a damaged tree)
            node_index = node_index_of_leaf(batch.leaf_count, tree.tree_index(leaf))
            if len(leaf) != NODE:
                raise StorageError(f"record {record_id!r}: the stored leaf is not 32 bytes")
            path = tree.path(node_index)
    anchors = chain_anchors(db, batch.id, config) if _several_chains(config) else None
    try:  # the core recomputes the leaf from the record and hashes the path to the root
        body, bundle_leaf = render_bundle(
            record, seq, commitments, salts, path, batch.root, batch.id, info, anchors=anchors
        )
    except InputError as exc:  # what is stored does not match: never served
        if process_proof(leaf, path_nodes(path)) != batch.root:
            raise StorageError(
                f"batch {batch.id}: the stored tree does not reproduce the root"
            ) from None
        raise StorageError(f"record {record_id!r}: {exc}") from None
    if bundle_leaf != leaf:  # pragma: no cover - a second preimage of the path
        raise StorageError(f"record {record_id!r}: the stored leaf differs from the record")
    return ProofOutcome(record_id, info.status, batch.state, batch.id, body)
