"""A batch's backup bundle from the live database (for backups and reconciliation); the
rows come from the store (:mod:`anchor.store.batch_rows`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from anchor.backup.bundle import Bundle, BundleFormatError, RebuiltBatch
from anchor.core.records import account_commitment, parse_record
from anchor.errors import InputError, StorageError
from anchor.store.batch_rows import (
    BatchRow,
    RecordRow,
    iso_utc,
    list_batches,
    read_records,
    salts_of,
)
from anchor.store.batch_rows import salts_in_range as read_salts

__all__ = [
    "BatchMismatch",
    "BatchRow",
    "RecordRow",
    "bundle_from_db",
    "iso_utc",
    "list_batches",
    "parse_iso",
    "read_records",
    "read_salts",
]


class BatchMismatch(StorageError):
    """The database's records do not rebuild the batch's sealed root (tampered or broken)."""


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso_utc` (an aware UTC datetime)."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BundleFormatError(f"bad time stamp {text!r}") from None
    if dt.tzinfo is None:
        raise BundleFormatError(f"time stamp without a zone {text!r}")
    return dt.astimezone(UTC)


def _salts_for(conn: Any, account_ids: set[str], known: Mapping[str, bytes]) -> dict[str, bytes]:
    out = {a: known[a] for a in account_ids if a in known}
    missing = account_ids - out.keys()
    if missing:
        found = salts_of(conn, missing)
        if len(found) != len(missing):
            raise BatchMismatch("a record's account has no row in accounts")
        out.update(found)
    return out


def bundle_from_db(conn: Any, batch: BatchRow, *, workers: int = 1) -> tuple[Bundle, RebuiltBatch]:
    """The bundle of ``batch`` from the live database, records in tree order, leaves
    RECOMPUTED from the records (stored leaves are not trusted). Raises
    :class:`BatchMismatch` when the records do not rebuild the sealed root: such a batch is
    never backed up (the database has changed since sealing)."""
    from anchor.backup.leaves import compute_leaves
    from anchor.core.merkle import MerkleTree

    rows = list(read_records(conn, batch.first_seq, batch.last_seq))
    if len(rows) != batch.leaf_count:
        raise BatchMismatch(
            f"batch {batch.id}: {len(rows)} records in seq range, sealed with {batch.leaf_count}"
        )
    seqs = [r.seq for r in rows]
    canon = [r.canonical for r in rows]
    # the salts of the accounts linked to the range; if a link is missing, fall back to
    # reading every record's accounts
    linked = read_salts(conn, batch.first_seq, batch.last_seq)
    commitments = {a: account_commitment(a, s) for a, s in linked.items()}
    leaves, used, problem = compute_leaves(seqs, canon, commitments, workers=workers)
    if problem is not None and "no salt" in problem.problem:
        accounts: set[str] = set()
        for row in rows:
            try:
                accounts.update(parse_record(row.canonical).accounts())
            except InputError:
                raise BatchMismatch(
                    f"batch {batch.id}: record {row.record_id!r} does not parse"
                ) from None
        linked = _salts_for(conn, accounts, linked)
        commitments = {a: account_commitment(a, s) for a, s in linked.items()}
        leaves, used, problem = compute_leaves(seqs, canon, commitments, workers=workers)
    if problem is not None:
        raise BatchMismatch(f"batch {batch.id}: seq {problem.seq}: {problem.problem}")
    salts = {a: linked[a] for a in used}
    commitments = {a: commitments[a] for a in used}
    order = sorted(range(len(rows)), key=leaves.__getitem__)
    sorted_leaves = [leaves[i] for i in order]
    tree = MerkleTree.from_leaves(sorted_leaves)
    if tree.root != batch.root:
        raise BatchMismatch(f"batch {batch.id}: the records do not rebuild the sealed root")
    bundle = Bundle(
        batch_id=batch.id,
        root=batch.root,
        leaf_count=batch.leaf_count,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        sealed_at=batch.sealed_at,
        seqs=[rows[i].seq for i in order],
        received_at=[rows[i].received_at for i in order],
        records=[rows[i].canonical for i in order],
        salts=salts,
    )
    return bundle, RebuiltBatch(
        root=tree.root, leaves=sorted_leaves, nodes=tree.nodes_bytes(), commitments=commitments
    )
