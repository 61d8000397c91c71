"""One load of messages from the event bus into the store: the synchronous half of
:mod:`anchor.service.consume` (it runs in the writer process:
:mod:`anchor.service.consume_writer`).

A load is validated by :func:`prepare_load` (ingest's validation, which needs no database:
the writer runs it while the load before is written) and written by :func:`write_prepared`
through :func:`anchor.service.ingest.ingest_prepared` -- the code path of
``POST /v1/records`` and ``anchor ingest`` -- with ``skip_bad=True``: the valid records are
stored in ONE transaction (idempotent by record id), and each refused message comes back
with the field and problem the HTTP 422 would name. The same record id with different
content makes ingest refuse the whole load (:class:`~anchor.errors.ConflictError`); the load
is then checked against the store, the conflicting messages are set aside (never written)
and the rest is written again. What :func:`write_load` returns says, for every message,
whether it is stored (or was already) or must be dead-lettered, and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from anchor.core.hashing import keccak256
from anchor.core.records import parse_record
from anchor.errors import ConflictError, RecordError
from anchor.service.ingest import DEFAULT_CHUNK, ingest_prepared
from anchor.service.ingest_prepare import PreparedChunk, chunks_of, prepare_chunk
from anchor.store.db import Database
from anchor.store.lookup import content_hashes

INVALID = "invalid_record"  # the error codes of the HTTP API's problem+json bodies
CONFLICT = "conflict"
_CONFLICT_ROUNDS = 5


@dataclass(frozen=True)
class Refusal:
    """Why a message is dead-lettered: ``error`` (``invalid_record`` or ``conflict``), the
    ``field`` and the ``problem``, as the HTTP API names them."""

    error: str
    field: str
    problem: str


@dataclass(frozen=True)
class Written:
    """What one load did: counts, and the refused messages by their index in the load."""

    stored: int
    duplicates: int
    refused: dict[int, Refusal] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedLoad:
    """A load validated ahead of its write (:func:`prepare_load`): the messages, the blank
    ones already refused, and the others' chunks as ingest prepares them (line ``n`` is
    ``payloads[keep[n - 1]]``)."""

    payloads: Sequence[bytes]
    chunk_size: int
    refused: dict[int, Refusal]
    keep: list[int]
    chunks: list[PreparedChunk]


def prepare_load(payloads: Sequence[bytes], *, chunk_size: int = DEFAULT_CHUNK) -> PreparedLoad:
    """Validate ``payloads`` as ingest would (no database needed: it can run while an
    earlier load is being written)."""
    refused: dict[int, Refusal] = {}
    keep: list[int] = []
    for i, payload in enumerate(payloads):
        if payload.strip():
            keep.append(i)
        else:  # ingest skips blank lines silently; a message must be accounted for
            refused[i] = Refusal(INVALID, "record", "empty message")
    return PreparedLoad(payloads, chunk_size, refused, keep, _prepared(payloads, keep, chunk_size))


def _prepared(payloads: Sequence[bytes], keep: list[int], chunk_size: int) -> list[PreparedChunk]:
    return [prepare_chunk(c) for c in chunks_of([payloads[i] for i in keep], chunk_size, 1)]


def write_load(
    db: Database,
    payloads: Sequence[bytes],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    references: str = "off",
) -> Written:
    """Validate and store ``payloads`` (one record per message) in one transaction; return
    what became of each. Raises only when the store fails (then nothing is written).
    ``references="strict"``: a message naming an unknown instrument, order or trade is
    refused too (``invalid_record``, the field named), as ingest refuses it."""
    return write_prepared(db, prepare_load(payloads, chunk_size=chunk_size), references=references)


def write_prepared(db: Database, load: PreparedLoad, *, references: str = "off") -> Written:
    """:func:`write_load` of a load validated already."""
    payloads, refused, keep = load.payloads, dict(load.refused), load.keep
    chunks: list[PreparedChunk] | None = load.chunks
    for _ in range(_CONFLICT_ROUNDS):
        if not keep:
            return Written(0, 0, refused)
        try:
            if chunks is None:  # validated again without the conflicting messages
                chunks = _prepared(payloads, keep, load.chunk_size)
            result = ingest_prepared(db, chunks, skip_bad=True, references=references)
        except ConflictError:
            # rare: find every conflicting message of the load, set them aside, write the
            # rest (another round only if a concurrent writer stored a conflicting id since)
            found = _conflicts(db, payloads, keep)
            if not found:
                raise
            refused.update(found)
            keep = [i for i in keep if i not in found]
            chunks = None
            continue
        for bad in result.rejected:  # lines are 1-based positions in what was passed
            refused[keep[bad.line - 1]] = Refusal(INVALID, bad.field, bad.problem)
        return Written(result.accepted, result.duplicates, refused)
    raise ConflictError(f"conflicting record ids still found after {_CONFLICT_ROUNDS} rounds")


def _conflicts(db: Database, payloads: Sequence[bytes], keep: list[int]) -> dict[int, Refusal]:
    """The messages of ``keep`` whose record id is stored (or earlier in the load) with
    different content. Content is compared as ingest compares it: keccak256 of the core's
    canonical JSON. Messages the core refuses are left for ingest to report."""
    parsed: dict[int, tuple[str, bytes]] = {}
    for i in keep:
        try:
            record = parse_record(payloads[i])
            parsed[i] = (record.record_id, keccak256(record.canonical_json()))
        except (RecordError, ValueError, TypeError):
            continue
    known = content_hashes(db, (rid for rid, _ in parsed.values()))
    out: dict[int, Refusal] = {}
    for i in keep:
        if i not in parsed:
            continue
        rid, digest = parsed[i]
        have = known.setdefault(rid, digest)
        if have != digest:
            out[i] = Refusal(
                CONFLICT, "record_id", f"record {rid!r} already exists with different content"
            )
    return out
