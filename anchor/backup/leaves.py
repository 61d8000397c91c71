"""Recomputing leaves from canonical records, optionally on several processes.

Every record goes through the core: :func:`anchor.core.prepare.prepare_records` validates it
(the C fast path when built, else ``parse_record``, which names any problem), it must be
EXACTLY its canonical form, every account must have a commitment, and
:func:`anchor.core.leaves.leaf_hash_buffer` hashes the leaves.

:func:`compute_leaves` splits a large batch over forked worker processes (the records are
inherited copy-on-write, only 32-byte leaves come back). Forking is used only from the
command-line tools (restore, verify, reconcile), never inside a threaded server: the backup
job calls it with ``workers=1``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import orjson

from anchor.core.leaves import leaf_hash_buffer
from anchor.core.prepare import (
    ACCOUNTS,
    CANONICAL,
    KIND,
    LEAF_ORDER,
    RECORD_ID,
    VERSION,
    Rejected,
    prepare_records,
)
from anchor.errors import InputError, RecordError

__all__ = ["LeafJob", "LeafOptions", "LeafProblem", "compute_leaves", "default_workers"]

PARALLEL_MIN = 50_000

# Inherited by forked workers (set just before the pool starts, cleared after).
_JOB: dict[str, Any] = {}

Meta = tuple[str, str, int, tuple[str, ...]]  # record_id, kind, version, accounts


@dataclass(frozen=True)
class LeafProblem:
    """Why a record could not give a leaf (index in the input, seq, what)."""

    index: int
    seq: int
    problem: str


class LeafOptions(TypedDict, total=False):
    """How the leaves are computed: on ``workers`` forked processes when there are at least
    ``min_parallel`` records; when ``meta`` is a list, (record_id, kind, version, accounts) of
    each record is appended to it."""

    workers: int
    meta: list[Meta] | None
    min_parallel: int


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@contextmanager
def _job(
    seqs: Sequence[int], records: Sequence[bytes], commitments: Mapping[str, bytes], meta: bool
) -> Iterator[None]:
    """The job :func:`_slice` reads, set for the block (forked workers inherit it)."""
    _JOB.update(seqs=seqs, records=records, commitments=commitments, meta=meta)
    try:
        yield
    finally:
        _JOB.clear()


def _slice(lo: int, hi: int) -> tuple[bytes, set[str], LeafProblem | None, list[Meta]]:
    want_meta: bool = _JOB["meta"]
    meta: list[Meta] = []
    seqs: Sequence[int] = _JOB["seqs"]
    records: Sequence[bytes] = _JOB["records"]
    commitments: Mapping[str, bytes] = _JOB["commitments"]
    used: set[str] = set()
    orders: list[tuple[Any, ...]] = []
    for i, p in enumerate(prepare_records(list(records[lo:hi]), lo, loads=orjson.loads), lo):
        seq = seqs[i]
        if p is None or isinstance(p, Rejected):  # the core names the problem
            exc = RecordError(p.field, p.problem) if p is not None else "an empty line"
            return b"", used, LeafProblem(i, seq, f"record does not parse ({exc})"), meta
        rid = p[RECORD_ID]
        if p[CANONICAL].encode("ascii") != records[i]:
            return b"", used, LeafProblem(i, seq, f"record {rid!r} is not in canonical form"), meta
        accounts = p[ACCOUNTS]
        for a in accounts:
            if a not in commitments:
                problem = f"record {rid!r}: an account has no salt"
                return b"", used, LeafProblem(i, seq, problem), meta
        used.update(accounts)
        orders.append(p[LEAF_ORDER])
        if want_meta:
            meta.append((rid, p[KIND], p[VERSION], accounts))
    try:
        leaves = leaf_hash_buffer(orders, seqs[lo:hi], commitments)
    except InputError as exc:  # pragma: no cover - every input was checked above
        return b"", used, LeafProblem(lo, seqs[lo], str(exc)), meta
    return leaves, used, None, meta


LeafResult = tuple[list[bytes], set[str], "LeafProblem | None"]


class LeafJob:
    """:func:`compute_leaves` started in the background (forked workers), so the caller can
    read the database meanwhile; :meth:`result` waits. With one worker (or few records)
    the work is done in :meth:`result`, in this process."""

    def __init__(
        self,
        seqs: Sequence[int],
        records: Sequence[bytes],
        commitments: Mapping[str, bytes],
        *,
        workers: int = 1,
        meta: list[Meta] | None = None,
        min_parallel: int = PARALLEL_MIN,
    ) -> None:
        self._args = (seqs, records, commitments, meta is not None)
        self._meta = meta
        self._pool: Any = None
        self._async: Any = None
        n = len(records)
        if workers > 1 and n >= min_parallel and "fork" in multiprocessing.get_all_start_methods():
            step = -(-n // workers)
            bounds = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
            with _job(*self._args):  # the workers are forked with it
                self._pool = multiprocessing.get_context("fork").Pool(len(bounds))
            self._async = self._pool.starmap_async(_slice, bounds)

    def close(self) -> None:
        """Stop the workers (if still running) without waiting for a result."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def result(self) -> LeafResult:
        if self._pool is not None:
            try:
                parts = self._async.get()
            finally:
                self.close()
        else:
            records = self._args[1]
            with _job(*self._args):
                parts = [_slice(0, len(records))]
        leaves: list[bytes] = []
        used: set[str] = set()
        for buf, u, problem, m in parts:
            if problem is not None:
                return [], used, problem
            leaves.extend(buf[i : i + 32] for i in range(0, len(buf), 32))
            used |= u
            if self._meta is not None:
                self._meta.extend(m)
        return leaves, used, None


def compute_leaves(
    seqs: Sequence[int],
    records: Sequence[bytes],
    commitments: Mapping[str, bytes],
    **options: Unpack[LeafOptions],
) -> LeafResult:
    """Leaf hashes of ``records`` (exact canonical JSON bytes) at ``seqs``: every record is
    parsed with the core, must be in canonical form and have a commitment for each account.
    Returns (leaves in input order, accounts used, the first problem or None); ``options``
    as :class:`LeafOptions` says."""
    return LeafJob(seqs, records, commitments, **options).result()
