"""``anchor reconcile``: the live database, the backups and the chain, batch by batch.

For each batch id (in the database, anchored on chain, or on a target):

* chain — the database's root must equal the root on chain; a batch the database says is
  included/final must be on chain; a batch on chain must be in the database. A batch only
  sealed (not anchored yet) is *pending*: listed, not a difference.
* backups — each target must hold an intact bundle (bytes hash to the name, strict decode)
  whose records rebuild the root on chain (or, pending, the sealed root). A batch not on
  chain yet may have no bundle yet (the service writes it on its next tick). The first such
  bundle is the *reference*.
* records — the database's records are compared with the reference seq by seq: a record
  whose canonical content changed is *altered* and the differing JSON fields are named (so
  are stored columns that disagree: ``seq``, ``content_hash``, ``leaf``, ``record_id``,
  ``kind``, ``version``); a reference record absent from the database is *deleted*; a row
  in the batch's seq range the reference does not hold is *inserted* (after anchoring).
  Account salts are compared too (named by account id, values never shown). The batch
  row's ``leaf_count``/``first_seq``/``last_seq`` are compared with the reference's.
* lost writes — a batch on chain that the database does not hold (a database recovered
  from an older copy): each record of its verified bundle the database does not hold at
  all is *missing* (``record_missing``: anchored, lost); one it holds with other content
  is *altered* (the fields named), one at another seq too. A record it holds unchanged
  (ingested before the copy, sealed after) is not listed: only its batch is.
* no intact bundle — the database's own records are rebuilt and compared with the root on
  chain instead (this says *whether* the batch changed; naming records needs a backup).

No fact is taken from the database to judge the backups, nor the reverse: the chain decides.
With no targets at all, the database is still compared with the chain (roots, and each
batch's records rebuilt) and the report says the backups were not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from anchor.backup.bundle import Bundle, RebuiltBatch
from anchor.backup.catalog import BundleRead, RebuildCache, list_target, read_bundle
from anchor.backup.chainview import ZERO32, ChainView
from anchor.backup.reconcile_report import BatchSummary, Difference, ReconcileReport
from anchor.backup.source import BatchMismatch, BatchRow, bundle_from_db, list_batches
from anchor.backup.targets import Target
from anchor.core.hashing import keccak256
from anchor.store.batch_rows import RecordRow, record_by_id, records_by_seq, salts_of

if TYPE_CHECKING:
    from anchor.backup.crypto import BackupKeys

__all__ = ["BatchSummary", "Difference", "ReconcileReport", "reconcile"]


def _fields(a: bytes, b: bytes) -> list[str]:
    """Names of the JSON fields that differ between two canonical records."""
    try:
        x, y = orjson.loads(a), orjson.loads(b)
    except orjson.JSONDecodeError:
        return ["canonical"]
    if not isinstance(x, dict) or not isinstance(y, dict):
        return ["canonical"]
    names = sorted(k for k in set(x) | set(y) if x.get(k, _MISSING) != y.get(k, _MISSING))
    return names or ["canonical"]


_MISSING = object()


def _record_id(canonical: bytes) -> str:
    try:
        obj = orjson.loads(canonical)
        return str(obj["record_id"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return "?"


# a leaf still to compare once the reference is rebuilt: (reference index, stored leaf,
# record id, seq)
LeafCheck = tuple[int, bytes, str, int]


def _columns_agree(row: RecordRow) -> bool:
    """Do the stored record_id, kind and version columns say what the canonical JSON says?"""
    c = row.canonical
    version = b'"version":' + str(row.version).encode()
    return (
        (b'"record_id":"' + row.record_id.encode() + b'"') in c
        and (b'"kind":"' + row.kind.encode() + b'"') in c
        and (version + b"," in c or version + b"}" in c)
    )


def _compare_content(conn: Any, b: BatchRow, ref: Bundle, out: list[Difference]) -> list[LeafCheck]:
    """Everything but the leaves: the batch row, each record's bytes and stored columns,
    deleted and inserted rows, salts. Returns the leaves to check after the rebuild."""
    bid = b.id
    for name, dbv, refv in (
        ("leaf_count", b.leaf_count, ref.leaf_count),
        ("first_seq", b.first_seq, ref.first_seq),
        ("last_seq", b.last_seq, ref.last_seq),
    ):
        if dbv != refv:
            out.append(
                Difference(
                    "batch_altered", bid, field=name, detail=f"database {dbv}, anchored {refv}"
                )
            )
    lo, hi = min(b.first_seq, ref.first_seq), max(b.last_seq, ref.last_seq)
    db_rows = records_by_seq(conn, lo, hi)
    k = keccak256
    checks: list[LeafCheck] = []
    missing: list[int] = []  # reference indices not found at their seq
    for i, seq in enumerate(ref.seqs):
        row = db_rows.get(seq)
        canonical = ref.records[i]
        if row is None:
            missing.append(i)
            continue
        if row.canonical != canonical:
            ref_rid = _record_id(canonical)
            if row.record_id != ref_rid or _record_id(row.canonical) != ref_rid:
                missing.append(i)  # another record at this seq: stays in db_rows
                continue
            for f in _fields(row.canonical, canonical):
                out.append(Difference("record_altered", bid, ref_rid, f, detail=f"seq {seq}"))
        elif not _columns_agree(row):
            obj = orjson.loads(canonical)
            for cname, cdb, cref in (
                ("record_id", row.record_id, obj["record_id"]),
                ("kind", row.kind, obj["kind"]),
                ("version", row.version, obj["version"]),
            ):
                if cdb != cref:
                    out.append(
                        Difference(
                            "record_altered", bid, str(obj["record_id"]), cname, detail=f"seq {seq}"
                        )
                    )
        if row.content_hash != k(canonical):
            out.append(
                Difference(
                    "record_altered", bid, row.record_id, "content_hash", detail=f"seq {seq}"
                )
            )
        checks.append((i, row.leaf, row.record_id, seq))
        del db_rows[seq]
    # reference records not at their seq: moved elsewhere, or deleted
    by_rid = {r.record_id: r for r in db_rows.values()}
    for i in missing:
        rid = _record_id(ref.records[i])
        seq = ref.seqs[i]
        found = by_rid.pop(rid, None)
        if found is None:
            found = record_by_id(conn, rid)
        if found is None:
            out.append(Difference("record_deleted", bid, rid, detail=f"seq {seq}"))
            continue
        db_rows.pop(found.seq, None)
        out.append(
            Difference(
                "record_altered", bid, rid, "seq", detail=f"anchored at seq {seq}, now {found.seq}"
            )
        )
        if found.canonical != ref.records[i]:
            for f in _fields(found.canonical, ref.records[i]):
                out.append(Difference("record_altered", bid, rid, f))
    for row in sorted(db_rows.values()):
        if row.record_id in by_rid:
            out.append(
                Difference(
                    "record_inserted",
                    bid,
                    row.record_id,
                    detail=f"seq {row.seq}: not in the anchored batch",
                )
            )
    _compare_salts(conn, bid, ref, out)
    return checks


def _compare_leaves(
    b: BatchRow, rebuilt: RebuiltBatch, checks: list[LeafCheck], out: list[Difference]
) -> None:
    if b.root != rebuilt.root:
        out.append(
            Difference(
                "batch_altered",
                b.id,
                field="root",
                detail="database root differs from the anchored root",
            )
        )
    leaves = rebuilt.leaves
    for i, stored, rid, seq in checks:
        if stored != leaves[i]:
            out.append(Difference("record_altered", b.id, rid, "leaf", detail=f"seq {seq}"))


def _compare_salts(conn: Any, bid: int, ref: Bundle, out: list[Difference]) -> None:
    wanted = sorted(ref.salts)
    found = salts_of(conn, wanted)
    for a in wanted:
        salt = found.get(a)
        if salt is None:
            out.append(Difference("account_deleted", bid, field="account", detail=f"account {a!r}"))
        elif salt != ref.salts[a]:
            out.append(Difference("account_altered", bid, field="salt", detail=f"account {a!r}"))


def _check_db_alone(
    conn: Any, b: BatchRow, expected: bytes, workers: int, out: list[Difference]
) -> None:
    try:
        _bundle, rebuilt = bundle_from_db(conn, b, workers=workers)
    except BatchMismatch as exc:
        out.append(Difference("batch_unverified", b.id, detail=f"no intact bundle, and {exc}"))
        return
    if rebuilt.root != expected:
        out.append(
            Difference(
                "batch_unverified",
                b.id,
                detail="no intact bundle; database records do not rebuild the anchored root",
            )
        )


def _lost_batch(conn: Any, bid: int, ref: Bundle, out: list[Difference]) -> None:
    """The records of batch ``bid`` (on chain, not in the database), as the verified bundle
    ``ref`` holds them, compared with the database's records of the same id."""
    for seq, canonical in sorted(zip(ref.seqs, ref.records, strict=True)):  # in seq order
        rid = _record_id(canonical)
        row = record_by_id(conn, rid)
        if row is None:
            out.append(
                Difference(
                    "record_missing",
                    bid,
                    rid,
                    detail=f"seq {seq}: anchored, not in the database (a lost write)",
                )
            )
            continue
        if row.seq != seq:
            detail = f"anchored at seq {seq}, now {row.seq}"
            out.append(Difference("record_altered", bid, rid, "seq", detail=detail))
        if row.canonical != canonical:
            for f in _fields(row.canonical, canonical):
                out.append(Difference("record_altered", bid, rid, f, detail=f"seq {seq}"))


def reconcile(
    db: Any,
    targets: Sequence[Target],
    chain: ChainView,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keys: BackupKeys | None = None,
) -> ReconcileReport:
    """Compare the database, the targets and the chain; see the module docstring. With no
    targets, only the database and the chain are compared (``backups_checked`` False).
    ``progress(done, total)`` is called before the first batch and after each one."""
    out: list[Difference] = []
    summaries: list[BatchSummary] = []
    last = chain.last_batch_id()
    listings = [list_target(t) for t in targets]
    for x in listings:
        if x.error:
            out.append(Difference("target_unavailable", target=x.name, detail=x.error))
    live = [x for x in listings if not x.error]
    pending: list[int] = []
    records = 0
    cache = RebuildCache(workers=workers)
    with db.connect(write=False) as conn:
        db_batches = {b.id: b for b in list_batches(conn)}
        ids = sorted(
            set(db_batches) | set(range(1, last + 1)) | {i for x in live for i in x.bundles}
        )
        if progress:
            progress(0, len(ids))
        for done, bid in enumerate(ids, 1):
            first_difference, records_before, copies = len(out), records, 0
            b = db_batches.get(bid)
            chain_root = chain.root_of(bid) if bid <= last else ZERO32
            if b is None:
                out.append(
                    Difference(
                        "batch_missing_in_db",
                        bid,
                        detail="on chain or in backups, not in the database",
                    )
                )
            elif chain_root == ZERO32:
                if b.state in ("included", "final"):
                    out.append(
                        Difference(
                            "batch_missing_on_chain",
                            bid,
                            detail=f"database state {b.state}, no root on chain",
                        )
                    )
                else:
                    pending.append(bid)
            elif b.root != chain_root:
                out.append(
                    Difference(
                        "batch_altered",
                        bid,
                        field="root",
                        detail="database root differs from the root on chain",
                    )
                )
            expected = chain_root if chain_root != ZERO32 else (b.root if b is not None else None)

            decoded: dict[str, Bundle] = {}
            reads: list[tuple[str, BundleRead]] = []  # intact copies, in target order
            # a batch sealed moments ago is backed up in the service's next tick: on a live
            # system its bundle may not be there yet (once on chain, it must be)
            just_sealed = (
                chain_root == ZERO32 and b is not None and b.state in ("sealed", "submitted")
            )
            for x in live:
                objects = x.bundles.get(bid, [])
                if not objects:
                    if not just_sealed:
                        out.append(Difference("bundle_missing", bid, target=x.name))
                    continue
                for key in objects:
                    read = read_bundle(x.target, key, decoded=decoded, keys=keys)
                    if read.status != "ok" or read.bundle is None:
                        out.append(
                            Difference(
                                "bundle_altered",
                                bid,
                                target=x.name,
                                detail=f"{key.key}: {read.problem}",
                            )
                        )
                    else:
                        reads.append((x.name, read))
            # rebuild the first intact copy in the background and compare the database with
            # it meanwhile (it is the reference unless its root turns out wrong)
            early: tuple[str, list[Difference], list[LeafCheck]] | None = None
            if reads and b is not None:
                first = reads[0][1]
                assert first.bundle is not None
                cache.start(first)
                diffs: list[Difference] = []
                early = (first.key.name, diffs, _compare_content(conn, b, first.bundle, diffs))
            reference: tuple[BundleRead, RebuiltBatch] | None = None
            which = "anchored" if chain_root != ZERO32 else "sealed"
            for target_name, read in reads:
                rebuilt = cache.rebuild(read)
                if isinstance(rebuilt, str):
                    out.append(
                        Difference(
                            "bundle_altered",
                            bid,
                            target=target_name,
                            detail=f"{read.key.key}: {rebuilt}",
                        )
                    )
                elif expected is not None and rebuilt.root != expected:
                    out.append(
                        Difference(
                            "bundle_mismatching",
                            bid,
                            target=target_name,
                            detail=f"{read.key.key}: records do not rebuild the {which} root",
                        )
                    )
                else:
                    copies += 1
                    if reference is None:
                        reference = (read, rebuilt)
            if b is not None:
                if reference is not None:
                    rread, rebuilt_ref = reference
                    assert rread.bundle is not None
                    if early is not None and early[0] == rread.key.name:
                        diffs, checks = early[1], early[2]
                    else:
                        diffs = []
                        checks = _compare_content(conn, b, rread.bundle, diffs)
                    out.extend(diffs)
                    _compare_leaves(b, rebuilt_ref, checks, out)
                    records += len(rread.bundle.seqs)
                elif expected is not None:
                    _check_db_alone(conn, b, expected, workers, out)
                    records += b.leaf_count
            elif reference is not None and reference[0].bundle is not None:
                _lost_batch(conn, bid, reference[0].bundle, out)
                records += len(reference[0].bundle.seqs)
            for name in decoded:
                cache.forget(name)
            summaries.append(
                BatchSummary(
                    bid,
                    None if b is None else b.state,
                    chain_root != ZERO32,
                    records - records_before,
                    copies,
                    tuple(out[first_difference:]),
                )
            )
            if progress:
                progress(done, len(ids))
    return ReconcileReport(
        differences=tuple(out),
        batches=len(ids),
        records=records,
        pending=tuple(pending),
        last_on_chain=last,
        targets=tuple(t.name for t in targets),
        per_batch=tuple(summaries),
    )
