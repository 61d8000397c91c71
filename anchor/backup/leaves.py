"""Recomputing leaves from canonical records, optionally on several processes.

Each record goes through a *fast lane* first: ``orjson`` parsing, typing by the core's own
schema (:func:`anchor.core.records.schema`), a check that the bytes are EXACTLY the
canonical form of the typed values (sorted keys, compact, ASCII, integers as canonical
decimal strings, ``ext`` only when non-zero), then ABI packing of the core's leaf layout
(used only when :func:`leaf_types` matches the layout it packs; tests compare it with
:func:`encode_leaf` for every kind). A record the fast lane does not accept goes through
:func:`anchor.core.records.parse_record` (the authority on errors). A packing mistake could
only make a leaf differ (a bundle refused), never make a forged record match the root on
chain.

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

import orjson

from anchor.core.hashing import keccak256
from anchor.core.records import ACCOUNT_ID_MAX, encode_leaf, leaf_types, parse_record, schema
from anchor.errors import InputError

__all__ = ["LeafJob", "LeafProblem", "compute_leaves", "default_workers", "fast_leaf"]

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


_INT_RANGE = {
    "u32": (0, (1 << 32) - 1),
    "u64": (0, (1 << 64) - 1),
    "u256": (0, (1 << 256) - 1),
    "i256": (-(1 << 255), (1 << 255) - 1),
}
_ZERO32 = b"\x00" * 32
_PREFIX = ("uint8", "uint16", "string", "uint64")
_U64 = (1 << 64) - 1

Spec = tuple[str, str, int, tuple[str, ...], bool]
# (kind, version) -> (kind code, field specs) or None when the fast lane does not apply
_SPECS: dict[tuple[str, int], tuple[int, tuple[Spec, ...]] | None] = {}


def _specs(kind: str, version: int) -> tuple[int, tuple[Spec, ...]] | None:
    key = (kind, version)
    if key not in _SPECS:
        try:
            sch = schema(kind, version)
        except InputError:
            _SPECS[key] = None
            return None
        specs = tuple((f.name, f.tag, f.max_len, f.choices, f.optional) for f in sch.fields)
        # the fast lane packs exactly the core's leaf layout, or stands aside
        expected = (*_PREFIX, *(f.abi_type for f in sch.fields))
        ok = tuple(leaf_types(kind, version)) == expected and all(
            t in ("id", "account", "enum", "hex32", *_INT_RANGE) for _, t, _, _, _ in specs
        )
        _SPECS[key] = (sch.code, specs) if ok else None
    return _SPECS[key]


def _ident(v: object, max_len: int) -> bool:
    return (
        type(v) is str
        and 0 < len(v) <= max_len
        and v.isascii()
        and v.isprintable()
        and " " not in v
    )


def _string(v: str) -> bytes:
    data = v.encode("ascii")
    n = len(data)
    return n.to_bytes(32, "big") + data + b"\x00" * ((-n) % 32)


def fast_leaf(
    canonical: bytes, seq: int, commitments: Mapping[str, bytes]
) -> tuple[bytes, Meta] | None:
    """``(abi.encode(leaf), (record_id, kind, version, accounts))`` when ``canonical`` is
    EXACTLY the canonical form of valid typed values and every account has a commitment;
    None otherwise (the caller then asks the core's :func:`parse_record`)."""
    try:
        if not canonical.isascii() or not 0 <= seq <= _U64:
            return None
        obj = orjson.loads(canonical)
        if type(obj) is not dict:
            return None
        if orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) != canonical:
            return None
        kind, version, record_id = obj["kind"], obj["version"], obj["record_id"]
        if type(kind) is not str or type(version) is not int or not _ident(record_id, 128):
            return None
        compiled = _specs(kind, version)
        if compiled is None:
            return None
        code, specs = compiled
        if len(obj) != 3 + sum(1 for sp in specs if not sp[4] or sp[0] in obj):
            return None
        head = [
            code.to_bytes(32, "big"),
            version.to_bytes(32, "big"),
            b"",  # offset of record_id, filled below
            seq.to_bytes(32, "big"),
        ]
        strings: list[tuple[int, str]] = [(2, record_id)]
        accounts: list[str] = []
        for name, tag, max_len, choices, optional in specs:
            if optional and name not in obj:
                head.append(_ZERO32)
                continue
            v = obj[name]
            rng = _INT_RANGE.get(tag)
            if rng is not None:
                if type(v) is not str:
                    return None
                n = int(v, 10)
                if str(n) != v or not rng[0] <= n <= rng[1]:
                    return None
                head.append(n.to_bytes(32, "big", signed=tag == "i256"))
            elif tag == "id":
                if not _ident(v, max_len):
                    return None
                strings.append((len(head), v))
                head.append(b"")
            elif tag == "account":
                if not _ident(v, ACCOUNT_ID_MAX):
                    return None
                head.append(commitments[v])
                if v not in accounts:
                    accounts.append(v)
            elif tag == "enum":
                head.append(choices.index(v).to_bytes(32, "big"))
            else:  # hex32
                if type(v) is not str or len(v) != 66 or not v.startswith("0x"):
                    return None
                b = bytes.fromhex(v[2:])
                if b == _ZERO32 or "0x" + b.hex() != v:
                    return None
                head.append(b)
        offset = 32 * len(head)
        tail: list[bytes] = []
        for at, text in strings:
            head[at] = offset.to_bytes(32, "big")
            enc = _string(text)
            tail.append(enc)
            offset += len(enc)
        return b"".join(head) + b"".join(tail), (record_id, kind, version, tuple(accounts))
    except (ValueError, KeyError, TypeError, InputError, orjson.JSONDecodeError):
        return None


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


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
        fast = fast_leaf(canonical, seq, commitments)
        if fast is not None:
            encoded, m = fast
            used.update(m[3])
            out.append(k(k(encoded)))
            if want_meta:
                meta.append(m)
            continue
        # the slow lane: the core decides, and names what is wrong
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
            _JOB.update(seqs=seqs, records=records, commitments=commitments, meta=meta is not None)
            try:
                self._pool = multiprocessing.get_context("fork").Pool(len(bounds))
            finally:
                _JOB.clear()  # the workers were forked with it
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
                self._pool.terminate()
                self._pool.join()
                self._pool = None
        else:
            seqs, records, commitments, want_meta = self._args
            _JOB.update(seqs=seqs, records=records, commitments=commitments, meta=want_meta)
            try:
                parts = [_slice(0, len(records))]
            finally:
                _JOB.clear()
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
    *,
    workers: int = 1,
    meta: list[Meta] | None = None,
    min_parallel: int = PARALLEL_MIN,
) -> LeafResult:
    """Leaf hashes of ``records`` (exact canonical JSON bytes) at ``seqs``: every record is
    parsed with the core, must be in canonical form and have a commitment for each account.
    Returns (leaves in input order, accounts used, the first problem or None). When
    ``meta`` is a list, (record_id, kind, version, accounts) of each record is appended."""
    return LeafJob(
        seqs, records, commitments, workers=workers, meta=meta, min_parallel=min_parallel
    ).result()
