"""Ingest's database side: one load, chunk by chunk (:class:`Load`), and the numbering that
lets the validating thread compute a chunk's leaves ahead of it (:class:`Numbering`,
:func:`staged`); see :mod:`anchor.service.ingest`. Records reach the tables through the
store's one record writer (:class:`anchor.store.record_writer.RecordWriter`)."""

from __future__ import annotations

import secrets
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, NamedTuple

from anchor.core.leaves import account_commitment, leaf_hash_buffer
from anchor.core.prepare import (
    ACCOUNTS,
    CONTENT_HASH,
    LEAF_ORDER,
    LINE,
    RECORD_ID,
    Prepared,
    Rejected,
)
from anchor.core.receipt import receipt_leaves
from anchor.core.references import Wanted, wanted_of_leaves
from anchor.errors import ConflictError
from anchor.store.record_writer import NewAccount, RecordWriter, SqlitePayload, sqlite_payload

_LINE: Final = LINE
_RID: Final = RECORD_ID
_HASH: Final = CONTENT_HASH
_ACCOUNTS: Final = ACCOUNTS
_ORDER: Final = LEAF_ORDER


def leaf_hashes(batch: Sequence[Prepared], first_seq: int, commitments: dict[str, bytes]) -> bytes:
    """The 32-byte leaf hashes of ``batch`` numbered from ``first_seq``, concatenated."""
    if not batch:
        return b""
    seqs = array("Q", range(first_seq, first_seq + len(batch)))
    return leaf_hash_buffer([p[_ORDER] for p in batch], seqs, commitments)


def _receipt_leaves(batch: Sequence[Prepared], leaves: bytes, seq0: int) -> bytes:
    """The receipt leaves of ``batch`` (seqs from ``seq0``) from the leaves just computed:
    one call of the core's leaf encoder for the chunk (it lets the GIL go while hashing)."""
    return receipt_leaves([p[_RID] for p in batch], leaves, seq0)


class Numbering:
    """What the validating thread needs to compute leaves ahead of the database thread:
    the seq the load starts at and the load's account commitments (both known only once
    the load holds its database lock). The commitments dict is the load's own: it only
    grows, and an account's commitment never changes once in it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._closed = False
        self.base = 0
        self.commitments: dict[str, bytes] = {}

    def start(self, base: int, commitments: dict[str, bytes]) -> None:
        self.base, self.commitments = base, commitments
        self._ready.set()

    def close(self) -> None:
        self._closed = True

    def wait(self) -> bool:
        """True once started; False if the load ended first."""
        while not self._ready.wait(0.05):
            if self._closed:
                return False
        return True


class Early(NamedTuple):
    """Work done on the validating thread for a chunk whose items are all valid records:
    the SQLite payload (:func:`anchor.store.record_writer.sqlite_payload`), and the leaves numbered from ``seq0``
    if every account's commitment was known then (the database thread uses them only if
    its next seq is ``seq0``, i.e. no record of an earlier chunk turned out a duplicate;
    skipped bad lines take no seq on either side)."""

    sqlite: SqlitePayload | None
    seq0: int
    leaves: bytes | None
    rleaves: bytes | None  # their receipt leaves (a load with receipts), from the same seq0


class Staged(NamedTuple):
    """One chunk as the database thread takes it: everything it can be spared is done."""

    handled: int  # input items of the chunk
    parsed: list[Prepared]  # the valid records, in input order
    bad: list[Rejected]
    accounts: set[str]  # every account the valid records name
    distinct: bool  # no record id twice in ``parsed``
    early: Early | None
    # what the chunk names before defining it, and what it defines (strict reference
    # checks only: anchor.service.ingest_refs)
    refs: Wanted | None = None


def staged(
    chunks: Iterable[tuple[int, list[Prepared | Rejected]]],
    sqlite_json: bool,
    numbering: Numbering,
    receipts: bool = False,
    references: bool = False,
) -> Iterator[Staged]:
    offset = 0  # valid records in earlier chunks
    for count, prepared in chunks:
        parsed: list[Prepared] = []
        bad: list[Rejected] = []
        for p in prepared:
            if type(p) is Rejected:
                bad.append(p)
            else:
                parsed.append(p)  # type: ignore[arg-type]
        accounts = {a for p in parsed for a in p[_ACCOUNTS]}
        distinct = len({p[_RID] for p in parsed}) == len(parsed)
        early = None
        if parsed and not bad and numbering.wait():
            seq0 = numbering.base + offset
            known = numbering.commitments
            leaves = leaf_hashes(parsed, seq0, known) if accounts <= known.keys() else None
            rleaves = None
            if receipts and leaves is not None:
                rleaves = _receipt_leaves(parsed, leaves, seq0)
            early = Early(sqlite_payload(parsed) if sqlite_json else None, seq0, leaves, rleaves)
        offset += len(parsed)
        # here, on the validating thread: the database thread only looks up
        refs = wanted_of_leaves([p[_ORDER] for p in parsed]) if references else None
        yield Staged(count, parsed, bad, accounts, distinct, early, refs)


def accounts_of(chunks: Iterable[tuple[int, list[Prepared | Rejected]]]) -> set[str]:
    """Every account the valid records of prepared ``chunks`` name."""
    return {
        a for _, got in chunks for p in got if not isinstance(p, Rejected) for a in p[_ACCOUNTS]
    }


class Load:
    """The database side of one load, one validated chunk at a time.

    Optimistic mode: a chunk whose record ids are distinct is written without looking its
    ids up first, inside a savepoint; the unique index on record_id refuses a record that is
    already stored, and then the chunk is rolled back to the savepoint and done again the
    careful way (look up, count duplicates, name conflicts). A load that meets stored ids
    stays careful until a chunk finds none.
    """

    def __init__(
        self,
        w: RecordWriter,
        received_at: Any,
        next_seq: int,
        receipts: bool = False,
    ) -> None:
        self.w = w
        self.rleaves: list[bytes] = []  # receipt leaves, chunk by chunk (receipts only)
        self.receipts = receipts
        self.received_at = received_at
        self.next_seq = next_seq
        self.commitments: dict[str, bytes] = {}
        self.optimistic = True
        self.accepted = 0
        self.duplicates = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None

    def add(self, chunk: Staged) -> None:
        """Take one validated chunk."""
        parsed = chunk.parsed
        self.add_accounts(chunk.accounts)
        if self.optimistic and parsed and chunk.distinct:
            self._write_optimistic(parsed, chunk.early)
        else:
            self._careful(parsed, chunk.early if chunk.distinct else None)

    def _write_optimistic(self, batch: list[Prepared], early: Early | None) -> None:
        w = self.w
        # SQLite's one-statement chunk (records first) is undone whole by the statement
        # itself when an id is already stored; COPY and executemany need a savepoint. (On
        # PostgreSQL, looking every id up first instead measured ~9% slower.)
        savepoint = not w.atomic_chunks
        if savepoint:
            w.savepoint()
        try:
            self._write(batch, early)
        except w.integrity_error:  # a record id already stored: do it the careful way
            if savepoint:
                w.rollback_to_savepoint()
            self.optimistic = False
            self._careful(batch)
        else:
            if savepoint:
                w.release()

    def add_accounts(self, accounts: set[str]) -> None:
        """Commitments for ``accounts`` now (stored ones read, new ones salted): each chunk's
        own before its records, or a whole load's before its first chunk
        (:func:`anchor.service.ingest.ingest_prepared`)."""
        # a secret salt at first sight. Taken from every valid record of the chunk: a
        # duplicate's accounts are already stored, and a conflict ends the load.
        commitments = self.commitments
        wanted = sorted(accounts - commitments.keys())
        if not wanted:
            return
        commitments.update(self.w.existing_accounts(wanted))
        new_accounts = []
        for account_id in wanted:
            if account_id in commitments:
                continue
            salt = secrets.token_bytes(32)
            commitment = account_commitment(account_id, salt)
            commitments[account_id] = commitment
            new_accounts.append(NewAccount(account_id, salt, commitment))
        self.w.insert_accounts(new_accounts, self.received_at)

    def _careful(self, parsed: list[Prepared], early: Early | None = None) -> None:
        # idempotency: against the store (including earlier chunks of this load) and within
        # this chunk
        existing = self.w.existing_hashes([p[_RID] for p in parsed])
        self.optimistic = not existing
        fresh: list[Prepared] = []
        for p in parsed:
            rid = p[_RID]
            known = existing.get(rid)
            if known is not None:
                if known != p[_HASH]:
                    raise ConflictError(
                        f"line {p[_LINE]}: record {rid!r} already exists with different content"
                    )
                self.duplicates += 1
                continue
            existing[rid] = p[_HASH]
            fresh.append(p)
        self._write(fresh, early if len(fresh) == len(parsed) else None)

    def _write(self, batch: list[Prepared], early: Early | None = None) -> None:
        """Write ``batch`` (all of a chunk when ``early`` is given) from the next seq."""
        if not batch:
            return
        seq0 = self.next_seq
        rleaves = None
        if early is not None and early.leaves is not None and early.seq0 == seq0:
            leaves, rleaves = early.leaves, early.rleaves
        else:
            leaves = leaf_hashes(batch, seq0, self.commitments)
        if self.receipts:
            self.rleaves.append(rleaves or _receipt_leaves(batch, leaves, seq0))
        payload = None if early is None else early.sqlite
        self.w.insert_records(batch, seq0, leaves, self.received_at, payload)
        if self.first_seq is None:
            self.first_seq = seq0
        self.next_seq = seq0 + len(batch)
        self.last_seq = self.next_seq - 1
        self.accepted += len(batch)
