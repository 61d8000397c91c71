"""``anchor books``: replay the anchored records of the store (or of verified backups) into
books and check them (:mod:`anchor.core.books`).

From the store: the batches anchored on chain (state included or final), in id order, up to
the first that is not (later batches cannot be proven yet: they are named in a note), or up
to ``at_batch``. From backups: every batch whose bundle rebuilds the root the registry holds
on chain (:func:`anchor.backup.restore.accepted_bundles`), nothing else.

What a record of the last batch still waits for (a trade's fee entries, a funding payment)
may come in the next batch: it is a note, not a break, until that batch is anchored. With
``at_batch`` everything still open is a note (the books of a prefix).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from anchor.core.books import Replay
from anchor.core.books_checks import BooksReport
from anchor.errors import InputError, NotFoundError
from anchor.store.books import BatchSpan, batch_spans, records_in_spans

if TYPE_CHECKING:
    from anchor.backup.chainview import ChainView
    from anchor.backup.crypto import BackupKeys
    from anchor.backup.targets import Target
    from anchor.store.db import Database

__all__ = ["books_from_backups", "books_from_store"]

Progress = Callable[[str], None] | None

_orjson_loads: Callable[[bytes | str], Any] | None
try:
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is a server dependency
    _orjson_loads = None


def _decode(canonical: str | bytes) -> Any:
    """A record's canonical JSON object: orjson when there (about 3x faster than the json
    module, which took a third of a replay), the json module for what orjson refuses (an
    integer past 64 bits); both give the same object for canonical text."""
    if _orjson_loads is not None:
        try:
            return _orjson_loads(canonical)
        except ValueError:
            pass
    return json.loads(canonical)


def _run(
    items: Iterator[tuple[int, int, Mapping[str, Any]]],
    *,
    at_batch: int | None,
    notes: list[str],
    progress: Progress,
) -> BooksReport:
    r = Replay(provenance=at_batch is not None)
    apply = r.apply
    last_batch = None
    last_batch_from = None  # the first seq of the last batch
    for seq, batch_id, obj in items:
        if batch_id != last_batch:
            if progress is not None:
                progress(f"replaying batch {batch_id}")
            last_batch, last_batch_from = batch_id, seq
        apply(seq, batch_id, obj)
    report = r.finish(complete=at_batch is None, settle_from=last_batch_from)
    if not notes:
        return report
    from dataclasses import replace

    return replace(report, notes=(*notes, *report.notes))


def books_from_store(
    db: Database, *, at_batch: int | None = None, progress: Progress = None
) -> BooksReport:
    """Replay the anchored batches of ``db`` (up to ``at_batch``)."""
    spans = batch_spans(db, up_to_batch=at_batch)
    notes: list[str] = []
    if at_batch is not None:
        if at_batch < 1 or not spans or spans[-1].batch_id != at_batch:
            raise NotFoundError(f"batch {at_batch}: no such batch")
        pending = [s.batch_id for s in spans if not s.anchored]
        if pending:
            raise InputError(
                f"batch {pending[0]} is not anchored yet (state"
                f" {next(s.state for s in spans if s.batch_id == pending[0])}): books as of"
                f" batch {at_batch} cannot be proven"
            )
    else:
        prefix: list[BatchSpan] = []
        for s in spans:
            if not s.anchored:
                later = spans[len(prefix)].batch_id
                notes.append(f"batches from {later} on are not anchored yet: not replayed")
                break
            prefix.append(s)
        spans = prefix
    if not spans:
        notes.append("no anchored batch: nothing to replay")
    rows = ((r.seq, r.batch_id, _decode(r.canonical)) for r in records_in_spans(db, spans))
    return _run(rows, at_batch=at_batch, notes=notes, progress=progress)


def books_from_backups(
    sources: Sequence[Target],
    chain: ChainView,
    *,
    at_batch: int | None = None,
    keys: BackupKeys | None = None,
    progress: Progress = None,
) -> BooksReport:
    """Replay the batches whose backed-up bundle rebuilds the root on chain."""
    from anchor.backup.restore import accepted_bundles

    notes: list[str] = []

    def rows() -> Iterator[tuple[int, int, Mapping[str, Any]]]:
        for bundle in accepted_bundles(
            sources, chain, keys=keys, up_to_batch=at_batch, notes=notes
        ):
            for seq, canonical in sorted(zip(bundle.seqs, bundle.records, strict=True)):
                yield seq, bundle.batch_id, _decode(canonical)

    return _run(rows(), at_batch=at_batch, notes=notes, progress=progress)
