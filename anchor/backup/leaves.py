"""Recomputing leaves from canonical records, optionally on several processes.

A million records cost ~25 s of parsing, canonical checks and ABI encoding on one core;
:func:`compute_leaves` splits them over forked worker processes (the records are inherited
copy-on-write, only 32-byte leaves come back). Forking is used only from the command-line
tools (restore, verify, reconcile), never inside a threaded server: the backup job calls it
with ``workers=1``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anchor.core.hashing import keccak256
from anchor.core.records import encode_leaf, parse_record
from anchor.errors import InputError

__all__ = ["LeafProblem", "compute_leaves", "default_workers"]

PARALLEL_MIN = 50_000

# Inherited by forked workers (set just before the pool starts, cleared after).
_JOB: dict[str, Any] = {}


@dataclass(frozen=True)
class LeafProblem:
    """Why a record could not give a leaf (index in the input, seq, what)."""

    index: int
    seq: int
    problem: str


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


Meta = tuple[str, str, int, tuple[str, ...]]  # record_id, kind, version, accounts


def _slice(lo: int, hi: int) -> tuple[bytes, set[str], LeafProblem | None, list[Meta]]:
    want_meta: bool = _JOB["meta"]
    meta: list[Meta] = []
    seqs: Sequence[int] = _JOB["seqs"]
    records: Sequence[bytes] = _JOB["records"]
    commitments: Mapping[str, bytes] = _JOB["commitments"]
    k = keccak256
    out: list[bytes] = []
    used: set[str] = set()
    for i in range(lo, hi):
        seq = seqs[i]
        canonical = records[i]
        try:
            rec = parse_record(canonical)
        except (InputError, ValueError, TypeError) as exc:
            return b"", used, LeafProblem(i, seq, f"record does not parse ({exc})"), meta
        if rec.canonical_json() != canonical:
            return (
                b"",
                used,
                LeafProblem(i, seq, f"record {rec.record_id!r} is not in canonical form"),
                meta,
            )
        accounts = rec.accounts()
        for a in accounts:
            if a not in commitments:
                return (
                    b"",
                    used,
                    LeafProblem(i, seq, f"record {rec.record_id!r}: an account has no salt"),
                    meta,
                )
            used.add(a)
        try:
            out.append(k(k(encode_leaf(rec, seq, commitments))))
        except InputError as exc:
            return b"", used, LeafProblem(i, seq, f"record {rec.record_id!r}: {exc}"), meta
        if want_meta:
            meta.append((rec.record_id, rec.kind, rec.version, accounts))
    return b"".join(out), used, None, meta


def compute_leaves(
    seqs: Sequence[int],
    records: Sequence[bytes],
    commitments: Mapping[str, bytes],
    *,
    workers: int = 1,
    meta: list[Meta] | None = None,
) -> tuple[list[bytes], set[str], LeafProblem | None]:
    """Leaf hashes of ``records`` (exact canonical JSON bytes) at ``seqs``: every record is
    parsed with the core, must be in canonical form and have a commitment for each account.
    Returns (leaves in input order, accounts used, the first problem or None). When
    ``meta`` is a list, (record_id, kind, version, accounts) of each record is appended."""
    n = len(records)
    _JOB.update(seqs=seqs, records=records, commitments=commitments, meta=meta is not None)
    try:
        if (
            workers <= 1
            or n < PARALLEL_MIN
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            parts = [_slice(0, n)]
        else:
            step = -(-n // workers)
            bounds = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(len(bounds)) as pool:
                parts = pool.starmap(_slice, bounds)
    finally:
        _JOB.clear()
    leaves: list[bytes] = []
    used: set[str] = set()
    for buf, u, problem, m in parts:
        if problem is not None:
            return [], used, problem
        leaves.extend(buf[i : i + 32] for i in range(0, len(buf), 32))
        used |= u
        if meta is not None:
            meta.extend(m)
    return leaves, used, None
