"""``anchor reconcile``: the live database, the backups and the chain, batch by batch.

For each batch id (in the database, anchored on chain, or on a target):

* chain — the database's root must equal the root on chain; a batch the database says is
  included/final must be on chain; a batch on chain must be in the database. A batch only
  sealed (not anchored yet) is *pending*: listed, not a difference.
* backups — each target must hold an intact bundle (bytes hash to the name, strict decode)
  whose records rebuild the root on chain (or, pending, the sealed root). The first such
  bundle is the *reference*.
* records — the database's records are compared with the reference seq by seq: a record
  whose canonical content changed is *altered* and the differing JSON fields are named (so
  are stored columns that disagree: ``seq``, ``content_hash``, ``leaf``, ``record_id``,
  ``kind``, ``version``); a reference record absent from the database is *deleted*; a row
  in the batch's seq range the reference does not hold is *inserted* (after anchoring).
  Account salts are compared too (named by account id, values never shown). The batch
  row's ``leaf_count``/``first_seq``/``last_seq`` are compared with the reference's.
* no intact bundle — the database's own records are rebuilt and compared with the root on
  chain instead (this says *whether* the batch changed; naming records needs a backup).

No fact is taken from the database to judge the backups, nor the reverse: the chain decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from anchor.backup.bundle import Bundle, RebuiltBatch
from anchor.backup.catalog import RebuildCache, list_target, read_bundle
from anchor.backup.chainview import ZERO32, ChainView
from anchor.backup.source import BatchMismatch, BatchRow, bundle_from_db, list_batches, read_records
from anchor.backup.targets import Target
from anchor.core.hashing import keccak256

__all__ = ["Difference", "ReconcileReport", "reconcile"]


@dataclass(frozen=True)
class Difference:
    """One thing that differs. ``kind`` is one of: record_altered, record_deleted,
    record_inserted, account_altered, account_deleted, batch_altered, batch_missing_in_db,
    batch_missing_on_chain, bundle_missing, bundle_altered, bundle_mismatching,
    target_unavailable, batch_unverified."""

    kind: str
    batch_id: int | None = None
    record_id: str | None = None
    field: str | None = None
    target: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ReconcileReport:
    differences: tuple[Difference, ...]
    batches: int
    records: int
    pending: tuple[int, ...] = ()
    last_on_chain: int = 0
    targets: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "batches": self.batches,
            "records": self.records,
            "last_batch_on_chain": self.last_on_chain,
            "pending": list(self.pending),
            "targets": list(self.targets),
            "differences": [d.__dict__ for d in self.differences],
        }


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


def _compare_records(
    conn: Any, b: BatchRow, ref: Bundle, rebuilt: RebuiltBatch, out: list[Difference]
) -> int:
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
    if b.root != rebuilt.root:
        out.append(
            Difference(
                "batch_altered",
                bid,
                field="root",
                detail="database root differs from the anchored root",
            )
        )

    lo, hi = min(b.first_seq, ref.first_seq), max(b.last_seq, ref.last_seq)
    db_rows = {r.seq: r for r in read_records(conn, lo, hi, received_at=False)}
    ref_index = {seq: i for i, seq in enumerate(ref.seqs)}
    k = keccak256
    loads = orjson.loads
    missing: list[int] = []  # reference indices not found at their seq
    for seq, i in ref_index.items():
        row = db_rows.get(seq)
        canonical = ref.records[i]
        if row is None:
            missing.append(i)
            continue
        if row.canonical != canonical:
            ref_rid = _record_id(canonical)
            if row.record_id == ref_rid and _record_id(row.canonical) == ref_rid:
                for f in _fields(row.canonical, canonical):
                    out.append(Difference("record_altered", bid, ref_rid, f, detail=f"seq {seq}"))
            else:
                missing.append(i)
                db_rows[seq] = row  # stays: reported as inserted below unless matched
                continue
        else:
            obj = loads(canonical)
            checks: tuple[tuple[str, object, object], ...] = (
                ("record_id", row.record_id, obj["record_id"]),
                ("kind", row.kind, obj["kind"]),
                ("version", row.version, obj["version"]),
            )
            for cname, cdb, cref in checks:
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
        if row.leaf != rebuilt.leaves[i]:
            out.append(
                Difference("record_altered", bid, row.record_id, "leaf", detail=f"seq {seq}")
            )
        del db_rows[seq]
    # reference records not at their seq: moved elsewhere, or deleted
    by_rid = {r.record_id: r for r in db_rows.values()}
    for i in missing:
        rid = _record_id(ref.records[i])
        seq = ref.seqs[i]
        row = by_rid.pop(rid, None)
        if row is None:
            row = _find_record(conn, rid)
        if row is None:
            out.append(Difference("record_deleted", bid, rid, detail=f"seq {seq}"))
            continue
        db_rows.pop(row.seq, None)
        out.append(
            Difference(
                "record_altered", bid, rid, "seq", detail=f"anchored at seq {seq}, now {row.seq}"
            )
        )
        if row.canonical != ref.records[i]:
            for f in _fields(row.canonical, ref.records[i]):
                out.append(Difference("record_altered", bid, rid, f))
    for row in sorted(db_rows.values(), key=lambda r: r.seq):
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
    return len(ref.seqs)


def _find_record(conn: Any, record_id: str) -> Any:
    from anchor.backup.source import RecordRow, iso_utc

    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    raw = conn.connection.dbapi_connection
    cur = raw.cursor()
    try:
        cur.execute(
            "SELECT seq, record_id, kind, version, canonical, content_hash, leaf, received_at"
            f" FROM records WHERE record_id = {ph}",
            (record_id,),
        )
        r = cur.fetchone()
    finally:
        cur.close()
    if r is None:
        return None
    c = r[4]
    return RecordRow(
        int(r[0]),
        str(r[1]),
        str(r[2]),
        int(r[3]),
        c.encode() if isinstance(c, str) else bytes(c),
        bytes(r[5]),
        bytes(r[6]),
        iso_utc(r[7]),
    )


def _compare_salts(conn: Any, bid: int, ref: Bundle, out: list[Difference]) -> None:
    ph = "?" if conn.dialect.name == "sqlite" else "%s"
    raw = conn.connection.dbapi_connection
    cur = raw.cursor()
    try:
        wanted = sorted(ref.salts)
        found: dict[str, bytes] = {}
        step = 500
        for i in range(0, len(wanted), step):
            part = wanted[i : i + step]
            marks = ",".join([ph] * len(part))
            cur.execute(
                f"SELECT account_id, salt FROM accounts WHERE account_id IN ({marks})", part
            )
            found.update((str(a), bytes(s)) for a, s in cur.fetchall())
    finally:
        cur.close()
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


def reconcile(
    db: Any,
    targets: Sequence[Target],
    chain: ChainView,
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> ReconcileReport:
    """Compare the database, the targets and the chain; see the module docstring."""
    out: list[Difference] = []
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
        for bid in ids:
            if progress:
                progress(f"batch {bid}")
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

            reference: tuple[Bundle, RebuiltBatch] | None = None
            decoded: dict[str, Bundle] = {}
            for x in live:
                keys = x.bundles.get(bid, [])
                if not keys:
                    out.append(Difference("bundle_missing", bid, target=x.name))
                    continue
                for key in keys:
                    read = read_bundle(x.target, key, decoded=decoded)
                    if read.status != "ok" or read.bundle is None:
                        out.append(
                            Difference(
                                "bundle_altered",
                                bid,
                                target=x.name,
                                detail=f"{key.key}: {read.problem}",
                            )
                        )
                        continue
                    rebuilt = cache.rebuild(read)
                    if isinstance(rebuilt, str):
                        out.append(
                            Difference(
                                "bundle_altered", bid, target=x.name, detail=f"{key.key}: {rebuilt}"
                            )
                        )
                    elif expected is not None and rebuilt.root != expected:
                        out.append(
                            Difference(
                                "bundle_mismatching",
                                bid,
                                target=x.name,
                                detail=f"{key.key}: records do not rebuild the {'anchored' if chain_root != ZERO32 else 'sealed'} root",
                            )
                        )
                    elif reference is None:
                        reference = (read.bundle, rebuilt)
            for name in decoded:
                cache.forget(name)
            if b is None:
                continue
            if reference is not None:
                records += _compare_records(conn, b, reference[0], reference[1], out)
            elif expected is not None:
                _check_db_alone(conn, b, expected, workers, out)
                records += b.leaf_count
    return ReconcileReport(
        differences=tuple(out),
        batches=len(ids),
        records=records,
        pending=tuple(pending),
        last_on_chain=last,
        targets=tuple(t.name for t in targets),
    )
