"""Sealing: turn the pending records into a batch with a stored Merkle tree.

``seal(db)`` takes the records not yet in a batch, in seq order, up to a limit, reads their
leaves (computed at ingest), builds the OpenZeppelin-compatible tree from a read snapshot,
then stores the batch (next sequential id, state ``sealed``) and its flat node array in
fixed-size chunks in ONE write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL an
advisory lock) that first re-checks that nobody sealed meanwhile. A crash leaves the whole
batch or nothing; two concurrent seals never take the same records (the loser of a race
rebuilds on the new state); ingest is not blocked while the tree is being built.

Memory: the leaves are read into one contiguous buffer and the tree is built from it by the
core (:meth:`anchor.core.merkle.MerkleTree.from_leaf_buffer`, native when the accelerator
is built): one flat ``bytearray`` of ``2n-1`` nodes, about 100 bytes per record at the peak
(10M records ≈ 1 GB); chunks are written from slices of it.

``get_proof_material(db, record_id)`` finds the record's batch by its seq, its position in
the sorted leaf level by binary search over the stored chunks, and the sibling path — only
O(log n) chunk reads, never a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.engine import Connection

from anchor.core.merkle import (
    MerkleTree,
    bisect_leaves,
    node_index_of_leaf,
    process_proof,
    proof_node_indices,
)
from anchor.core.records import Record, parse_record
from anchor.errors import ConflictError, InputError, NotFoundError, StorageError
from anchor.store.batches import (
    SealPlan,
    account_keys,
    batch_holding,
    insert_batch,
    last_batch,
    leaf_runs,
    record_leaf,
    seal_plan,
    tree_chunks,
)
from anchor.store.db import LOCK_SEAL, Database
from anchor.store.models import Batch, BatchState

NODE = 32
DEFAULT_CHUNK_NODES = 256  # 8 KiB per chunk row
_MAX_ATTEMPTS = 20


class NotSealedError(NotFoundError):
    """The record exists but is not in a batch yet."""


def _build(db: Database, conn: Connection, plan: SealPlan) -> MerkleTree:
    """The batch's tree, from its stored leaves read into one contiguous buffer."""
    buf = bytearray(plan.n * NODE)
    at = 0
    for run in leaf_runs(db, conn, plan.first, plan.last):
        if at + len(run) > len(buf):
            raise StorageError(f"more than the {plan.n} leaves expected")
        buf[at : at + len(run)] = run
        at += len(run)
    if at != len(buf):
        raise StorageError(f"expected {plan.n} leaves, read {at // NODE}")
    return MerkleTree.from_leaf_buffer(buf)


def seal(
    db: Database,
    *,
    max_records: int | None = None,
    chunk_nodes: int = DEFAULT_CHUNK_NODES,
    progress: Callable[[str], None] | None = None,
) -> Batch | None:
    """Seal the pending records (oldest first, at most ``max_records``) into the next batch.

    Returns the new :class:`Batch` (state ``sealed``), or ``None`` when nothing is pending.

    Two phases: the tree is built in a READ transaction (a consistent snapshot; ingest and
    the API go on meanwhile — records are immutable and sealed ranges only grow), then ONE
    write transaction under the seal lock re-checks that no other batch was sealed since,
    and stores the batch row and every tree chunk. If another sealer won the race, the
    work is redone on the new state. ``progress`` (optional) is told the phase: "read",
    "tree", "write", "done".
    """
    if max_records is not None and max_records < 1:
        raise InputError("max_records must be at least 1")
    if chunk_nodes < 2:
        raise InputError("chunk_nodes must be at least 2")
    for _attempt in range(_MAX_ATTEMPTS):
        # phase 1: plan and build from a snapshot, without the write lock
        with db.connect(write=False) as conn:
            plan = seal_plan(db, conn, max_records)
            if plan is None:
                return None
            if progress:
                progress("read")
            tree = _build(db, conn, plan)
        if progress:
            progress("tree")
        root = tree.root
        sealed_at = datetime.now(UTC)
        # phase 2: one write transaction, only if nobody sealed in between
        with db.connect(write=True) as conn:
            db.xact_lock(conn, LOCK_SEAL)
            if last_batch(conn) != (plan.prev_last, plan.next_id):
                del tree
                continue  # another sealer won; rebuild on the new state
            if progress:
                progress("write")
            new = Batch(
                id=plan.next_id,
                root=root,
                leaf_count=plan.n,
                first_seq=plan.first,
                last_seq=plan.last,
                chunk_nodes=chunk_nodes,
                sealed_at=sealed_at,
                state=BatchState.SEALED.value,
            )
            with tree.nodes_view() as nodes:
                insert_batch(db, conn, new, nodes)
            del tree
        if progress:
            progress("done")
        return new
    raise ConflictError(f"seal: other sealers won {_MAX_ATTEMPTS} times in a row; try again")


# --------------------------------------------------------------------------- proofs


@dataclass(frozen=True)
class ProofMaterial:
    """Everything needed to build a proof bundle for one record.

    ``salts`` holds only the accounts asked for with ``salts_for``; ``commitments`` covers
    every account of the record (they are public in the leaf). ``tree_index`` is the leaf's
    tree-order (sorted) index, ``node_index`` its index in the flat node array.
    """

    record: Record
    seq: int
    batch: Batch
    leaf: bytes
    proof: tuple[bytes, ...]
    salts: Mapping[str, bytes]
    commitments: Mapping[str, bytes]
    tree_index: int
    node_index: int
    chunk_reads: int


class _ChunkReader:
    """Reads a batch's tree nodes chunk by chunk, counting the chunks it fetched."""

    def __init__(self, conn: Connection, batch: Batch) -> None:
        self.conn = conn
        self.batch = batch
        self.cache: dict[int, bytes] = {}
        self.reads = 0

    def _fetch(self, chunk_nos: Iterable[int]) -> None:
        wanted = sorted(set(chunk_nos) - self.cache.keys())
        if not wanted:
            return
        self.cache.update(tree_chunks(self.conn, self.batch.id, wanted))
        self.reads += len(wanted)
        missing = [c for c in wanted if c not in self.cache]
        if missing:
            raise StorageError(f"batch {self.batch.id}: tree chunks {missing} are missing")

    def node(self, i: int) -> bytes:
        no, off = divmod(i, self.batch.chunk_nodes)
        self._fetch([no])
        data = self.cache[no]
        node = data[off * NODE : off * NODE + NODE]
        if len(node) != NODE:
            raise StorageError(f"batch {self.batch.id}: tree chunk {no} is truncated")
        return node

    def nodes(self, indices: list[int]) -> list[bytes]:
        self._fetch(i // self.batch.chunk_nodes for i in indices)
        return [self.node(i) for i in indices]


def _find_tree_index(reader: _ChunkReader, leaf: bytes) -> int:
    """Binary search of ``leaf`` in the sorted leaf level (tree order ascending)."""
    n = reader.batch.leaf_count

    def leaf_at(k: int) -> bytes:
        return reader.node(node_index_of_leaf(n, k))

    k = bisect_leaves(leaf_at, n, leaf)
    if k < n and leaf_at(k) == leaf:
        return k
    raise StorageError(f"batch {reader.batch.id}: leaf not found in the stored tree")


def get_proof_material(
    db: Database,
    record_id: str,
    *,
    salts_for: Iterable[str] | Literal["all"] = (),
) -> ProofMaterial:
    """The record, its seq, batch, leaf, sibling path and account commitments/salts.

    ``salts_for``: the account ids whose secret salts to include — an API must pass only the
    authenticated user's own accounts; ``"all"`` is for the operator. Raises
    :class:`NotFoundError` for an unknown record, :class:`NotSealedError` when it is not in a
    batch yet, :class:`StorageError` when the stored tree does not reproduce the root.
    """
    with db.connect(write=False) as conn:
        stored = record_leaf(conn, record_id)
        if stored is None:
            raise NotFoundError(f"record {record_id!r} not found")
        seq, canonical, leaf = stored.seq, stored.canonical, stored.leaf
        batch = batch_holding(conn, seq)
        if batch is None:
            raise NotSealedError(f"record {record_id!r} is not sealed into a batch yet")
        record = parse_record(canonical)
        accounts = record.accounts()
        keys = account_keys(conn, accounts)
        want = set(accounts) if salts_for == "all" else set(salts_for) & set(accounts)
        salts = {k.account_id: k.salt for k in keys if k.account_id in want}
        commitments = {k.account_id: k.commitment for k in keys}

        reader = _ChunkReader(conn, batch)
        tree_index = _find_tree_index(reader, leaf)
        node_index = node_index_of_leaf(batch.leaf_count, tree_index)
        proof = tuple(reader.nodes(proof_node_indices(node_index)))
    if process_proof(leaf, proof) != batch.root:
        raise StorageError(f"batch {batch.id}: stored tree does not reproduce the root")
    return ProofMaterial(
        record=record,
        seq=seq,
        batch=batch,
        leaf=leaf,
        proof=proof,
        salts=salts,
        commitments=commitments,
        tree_index=tree_index,
        node_index=node_index,
        chunk_reads=reader.reads,
    )
