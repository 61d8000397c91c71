"""The backup job: every sealed batch onto every configured target.

:func:`run_backups` is idempotent and cheap when there is nothing to do (one query). For
each batch it finds the targets that have no record of its bundle in ``backup_objects``,
builds the bundle once from the database (leaves recomputed, root checked against the
sealed root), and writes it to each of them. A target that is down is reported and skipped
for the rest of the run; since the database still holds the batch, the next run writes it
there: nothing is lost. Once a batch is final on chain, its receipt object follows the same
way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from anchor.backup.bundle import Receipt, content_name, encode_bundle, encode_receipt
from anchor.backup.layout import bundle_key, receipt_key
from anchor.backup.source import BatchMismatch, BatchRow, bundle_from_db, list_batches
from anchor.backup.targets import Target, TargetConflict, TargetUnavailable, open_target
from anchor.errors import StorageError
from anchor.store.backup_models import KIND_BUNDLE, KIND_RECEIPT
from anchor.store.backup_objects import known_objects, record_object

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

__all__ = ["BackupReport", "Failure", "Written", "run_backups"]

log = logging.getLogger("anchor.backup")

FailureKind = Literal["unavailable", "conflict", "mismatch"]


@dataclass(frozen=True)
class Written:
    """An object put on a target (``result`` is "exists" when it was already there)."""

    batch_id: int
    target: str
    kind: str
    key: str
    result: str


@dataclass(frozen=True)
class Failure:
    """Something not written this run (retried next run)."""

    target: str | None
    batch_id: int | None
    kind: FailureKind
    problem: str


@dataclass(frozen=True)
class BackupReport:
    """What one run did. ``missing`` counts (batch, target) bundles still not written."""

    targets: tuple[str, ...]
    batches: int
    written: tuple[Written, ...] = ()
    failures: tuple[Failure, ...] = ()
    missing: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failures and self.missing == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "targets": list(self.targets),
            "batches": self.batches,
            "written": [w.__dict__ for w in self.written],
            "failures": [f.__dict__ for f in self.failures],
            "missing": self.missing,
            "notes": list(self.notes),
        }


def _receipt_of(batch: BatchRow, bundle_name: str, config: Config) -> Receipt | None:
    if batch.state != "final" or batch.tx_hash is None or batch.block_hash is None:
        return None
    if batch.block_number is None:
        return None
    chain_id = batch.chain_id if batch.chain_id is not None else config.chain_id
    contract = batch.contract or config.contract_address
    if chain_id is None or contract is None:
        return None
    return Receipt(
        batch_id=batch.id,
        bundle=bundle_name,
        root=batch.root,
        leaf_count=batch.leaf_count,
        chain_id=chain_id,
        contract=contract,
        tx_hash=batch.tx_hash,
        block_number=batch.block_number,
        block_hash=batch.block_hash,
        state="final",
    )


def run_backups(
    db: Database,
    config: Config,
    *,
    targets: Sequence[Target] | None = None,
    workers: int = 1,
    watch: bool | None = None,
) -> BackupReport:
    """Write every sealed batch (and, once final, its receipt) not yet on every target.

    ``workers`` > 1 re-hashes records in forked processes: for the command line only, not
    inside a threaded server (the scheduler calls this with the default, 1). ``watch``
    (default: when the configured targets are used) records each target's state and
    raises or resolves the backup alarms (:mod:`anchor.backup.watch`)."""
    if watch is None:
        watch = targets is None
    if targets is None:
        targets = [open_target(spec) for spec in config.backup_targets]
    names = tuple(t.name for t in targets)
    if not targets:
        return BackupReport(targets=(), batches=0, notes=("no backup targets configured",))
    if len(targets) < 2:
        notes: tuple[str, ...] = ("fewer than two backup targets configured",)
    else:
        notes = ()

    from anchor.backup.crypto import sealer_for

    sealer = sealer_for(config)  # encrypted, or plaintext by explicit opt-out only
    with db.connect(write=False) as conn:
        batches = list_batches(conn)
        rows = known_objects(conn)
    bundles: dict[tuple[int, str], str] = {}
    bundle_names: dict[int, str] = {}
    receipts: set[tuple[int, str, str]] = set()
    for r in rows:
        if r.kind == KIND_BUNDLE:
            bundles[(int(r.batch_id), str(r.target))] = str(r.sha256)
            bundle_names.setdefault(int(r.batch_id), str(r.sha256))
        elif r.kind == KIND_RECEIPT:
            receipts.add((int(r.batch_id), str(r.target), str(r.sha256)))

    written: list[Written] = []
    failures: list[Failure] = []
    down: set[str] = set()
    for t in targets:
        try:
            t.check()
        except StorageError as exc:
            down.add(t.name)
            failures.append(Failure(t.name, None, "unavailable", str(exc)))
            log.debug("backup target down: %s", exc)  # logged once per change (watch.py)

    def put(t: Target, batch_id: int, kind: str, key: str, data: bytes, sha: str) -> bool:
        try:
            result = t.put(key, data)
        except TargetUnavailable as exc:
            down.add(t.name)
            failures.append(Failure(t.name, batch_id, "unavailable", str(exc)))
            log.debug("backup target down: %s", exc)
            return False
        except TargetConflict as exc:
            failures.append(Failure(t.name, batch_id, "conflict", str(exc)))
            log.debug("backup conflict: %s", exc)
            return False
        record_object(db, batch_id, t.name, kind, key, sha, len(data))
        written.append(Written(batch_id, t.name, kind, key, result))
        return True

    for batch in batches:
        wanted = [t for t in targets if (batch.id, t.name) not in bundles and t.name not in down]
        if wanted:
            try:
                with db.connect(write=False) as conn:
                    bundle, _ = bundle_from_db(conn, batch, workers=workers)
            except BatchMismatch as exc:
                failures.append(Failure(None, batch.id, "mismatch", str(exc)))
                log.debug("batch not backed up: %s", exc)  # an alarm says it once
                continue
            data = sealer.seal(encode_bundle(bundle), batch.id)
            del bundle
            sha = content_name(data)
            for t in wanted:
                if put(t, batch.id, KIND_BUNDLE, bundle_key(batch.id, sha), data, sha):
                    bundles[(batch.id, t.name)] = sha
                    bundle_names.setdefault(batch.id, sha)
            del data
        name = bundle_names.get(batch.id)
        receipt = _receipt_of(batch, name, config) if name else None
        if receipt is not None:
            rdata = encode_receipt(receipt)
            rsha = content_name(rdata)
            for t in targets:
                if t.name in down or (batch.id, t.name, rsha) in receipts:
                    continue
                if put(t, batch.id, KIND_RECEIPT, receipt_key(batch.id, rsha), rdata, rsha):
                    receipts.add((batch.id, t.name, rsha))

    missing = sum(1 for b in batches for t in targets if (b.id, t.name) not in bundles)
    report = BackupReport(
        targets=names,
        batches=len(batches),
        written=tuple(written),
        failures=tuple(failures),
        missing=missing,
        notes=notes,
    )
    if watch:
        from anchor.backup.watch import observe

        observe(db, config, report)
    return report
