"""Issuing signed ingest receipts and keeping their promises (anchor/core/receipt.py;
docs/receipt-format.md).

* One EIP-712 signature per load, over the Merkle root of the load's receipt leaves.
  :class:`ReceiptSigner` is handed to ``ingest(..., receipts=...)``: ingest computes the
  receipt leaves from the leaves it already computes, as each chunk is prepared, and
  :meth:`ReceiptSigner.sign_load` signs and stores the load (its signed root, seq range,
  deadline and leaves) in the ingest's own transaction.
* A record's receipt (its path to the signed root) is rebuilt on demand from the load's
  records: :func:`receipt_for_record`, :func:`receipts_of_load`.
* :func:`check_deadlines` settles every load whose records are all final (``kept`` when by
  its deadline) and raises the ``receipt_deadline_missed`` alarm for each load whose
  deadline passed first; the alarm is resolved once no missed load has unfinal records.

The receipt key is its own key (``receipt_key_env`` or ``receipt_keystore_path``), never
the anchorer's: :func:`load_receipt_key` refuses the anchorer's address. Keys never appear
in logs, errors or the database; only the signer's address is published.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from anchor.core.merkle import MerkleTree
from anchor.core.receipt import (
    Receipt,
    SignedLoad,
    build_receipts,
    receipt_in_load,
    receipt_leaves,
    sign_load,
)
from anchor.errors import ConfigError
from anchor.store import receipts as store
from anchor.store.db import Database

if TYPE_CHECKING:
    from anchor.service.ingest import IngestResult

__all__ = [
    "DEADLINE_ALARM",
    "DeadlineCheck",
    "ReceiptSigner",
    "check_deadlines",
    "configured_receipt_signer",
    "issue_receipts",
    "load_receipt_key",
    "receipt_for_record",
    "receipts_of_load",
]

DEADLINE_ALARM = "receipt_deadline_missed"


class ReceiptSigner:
    """The receipt key and the promise it signs (``max_merge_delay_seconds``)."""

    def __init__(self, key: Any, max_merge_delay_seconds: int) -> None:
        if max_merge_delay_seconds <= 0:
            raise ConfigError("max_merge_delay_seconds must be positive")
        self._key = key
        self.address = str(key.address).lower()
        self.max_merge_delay_seconds = int(max_merge_delay_seconds)

    def sign(self, digest: bytes) -> bytes:
        return bytes(self._key.sign_message_hash(digest).signature)

    def sign_load(
        self, conn: Connection, first_seq: int, rleaves: bytes, ingested_at: int
    ) -> tuple[SignedLoad, int]:
        """Sign a load (one signature) and store it with its receipt leaves, in the ingest
        transaction ``conn``; the signed load and its id. ``rleaves`` are not stored: the
        tree is kept in this process, and rebuilt from the records elsewhere."""
        deadline = ingested_at + self.max_merge_delay_seconds
        load, tree = sign_load(rleaves, first_seq, ingested_at, deadline, self.sign, self.address)
        load_id = store.insert_load(conn, load)
        _TREES.put(load_id, tree)
        return load, load_id

    def __repr__(self) -> str:
        return f"ReceiptSigner({self.address})"


def load_receipt_key(config: Any, env: Mapping[str, str] | None = None) -> ReceiptSigner:
    """The receipt key from the config (keystore, else the hex key in ``receipt_key_env``);
    ConfigError if it is missing or is the anchorer's key."""
    from anchor.chain.keys import load_signing_key

    key = load_signing_key(
        keystore=config.receipt_keystore_path,
        password_env=config.receipt_keystore_password_env,
        key_env=config.receipt_key_env,
        env=env,
    )
    try:
        anchorer = load_signing_key(
            keystore=config.keystore_path,
            password_env=config.keystore_password_env,
            key_env=config.private_key_env,
            env=env,
            prompt=lambda _: "",
        )
    except Exception:  # no anchorer key here (an API-only replica): nothing to compare
        anchorer = None
    if anchorer is not None and anchorer.address.lower() == key.address.lower():
        raise ConfigError("the receipt key must not be the anchorer key")
    return ReceiptSigner(key, config.max_merge_delay_seconds)


def configured_receipt_signer(
    config: Any, env: Mapping[str, str] | None = None
) -> ReceiptSigner | None:
    """The receipt signer when a receipt key is configured (a keystore path, or the
    variable ``receipt_key_env`` set), else None: then ingest gives no receipts and runs
    exactly as without them. A configured key that cannot be loaded is a ConfigError."""
    env = os.environ if env is None else env
    if config.receipt_keystore_path is None and not env.get(config.receipt_key_env):
        return None
    return load_receipt_key(config, env)


def issue_receipts(
    db: Database, result: IngestResult, signer: ReceiptSigner, ingested_at: int
) -> list[Receipt]:
    """Every record's receipt of a load: the load's own when ingest signed it
    (``ingest(..., receipts=signer)``), else signed now from the stored leaves (none for a
    load of duplicates only)."""
    if result.first_seq is None or result.last_seq is None:
        return []
    if result.load_id is not None:
        return receipts_of_load(db, result.load_id, 0, result.last_seq - result.first_seq + 1)
    entries = store.load_entries(db, result.first_seq, result.last_seq)
    deadline = ingested_at + signer.max_merge_delay_seconds
    return build_receipts(
        [(e.record_id, e.leaf, e.seq) for e in entries],
        ingested_at,
        deadline,
        signer.sign,
        signer.address,
    )


class _TreeCache:
    """The receipt trees of the last few loads: kept from signing, else rebuilt from the
    load's records (read back, receipt leaves and tree through the C accelerator: ~0.1 s
    per 10^5 records), off the ingest path."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._trees: OrderedDict[int, MerkleTree] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, load_id: int, tree: MerkleTree) -> None:
        with self._lock:
            self._trees[load_id] = tree
            self._trees.move_to_end(load_id)
            while len(self._trees) > self._size:
                self._trees.popitem(last=False)

    def get(self, db: Database, load_id: int) -> MerkleTree | None:
        with self._lock:
            tree = self._trees.get(load_id)
        if tree is not None:
            return tree
        load = store.load_by_id(db, load_id)
        if load is None:
            return None
        entries = store.load_entries(db, load.first_seq, load.last_seq)
        if len(entries) != load.count:
            return None  # never: a signed load's records are stored with it
        rleaves = receipt_leaves(
            [e.record_id for e in entries], b"".join(e.leaf for e in entries), load.first_seq
        )
        tree = MerkleTree.from_leaf_buffer(rleaves)
        self.put(load_id, tree)
        return tree


_TREES = _TreeCache()


def receipt_for_record(db: Database, record_id: str) -> Receipt | None:
    """The receipt of a stored record (None: unknown, or stored without a receipt)."""
    entry = store.record_entry(db, record_id)
    if entry is None:
        return None
    load = store.load_of_seq(db, entry.seq)
    if load is None:
        return None
    tree = _TREES.get(db, load.id)
    if tree is None:
        return None
    return receipt_in_load(load.signed(), tree, entry.record_id, entry.leaf, entry.seq)


def receipts_of_load(db: Database, load_id: int, offset: int, limit: int) -> list[Receipt]:
    """Receipts of a load's records from the ``offset``-th, at most ``limit``, seq order."""
    load = store.load_by_id(db, load_id)
    if load is None or offset >= load.count or limit <= 0:
        return []
    tree = _TREES.get(db, load_id)
    if tree is None:
        return []
    signed = load.signed()
    first = load.first_seq + offset
    entries = store.load_entries(db, first, load.last_seq, limit=limit)
    return [receipt_in_load(signed, tree, e.record_id, e.leaf, e.seq) for e in entries]


@dataclass(frozen=True)
class DeadlineCheck:
    """What one pass of :func:`check_deadlines` did."""

    kept: int
    missed: int
    open_missed: int  # missed loads whose records are still not all final


def _final_at(load: store.LoadRow, spans: list[store.BatchSpan]) -> int | None:
    """When every record of the load was final (unix seconds), None if some is not yet."""
    covered = load.first_seq
    latest = 0
    for b in spans:
        if b.first_seq > covered or b.state != "final" or b.final_at is None:
            return None
        covered = b.last_seq + 1
        latest = max(latest, b.final_at)
    return latest if covered > load.last_seq else None


def check_deadlines(db: Database, now: int | None = None) -> DeadlineCheck:
    """Settle the open promises (see the module docstring); one alarm per missed load."""
    from anchor.store.alarms import raise_alarm, resolve_alarms

    now = int(time.time()) if now is None else now
    kept = missed = open_missed = 0
    frontier = store.final_frontier(db)
    for load in store.open_loads(db):
        if load.outcome is None and load.last_seq > frontier and now <= load.deadline:
            continue  # not final yet, and not due: nothing to settle (no query)
        spans = store.covering_batches(db, load.first_seq, load.last_seq)
        final_at = _final_at(load, spans)
        if load.outcome is None and final_at is not None and final_at <= load.deadline:
            with db.connect() as conn:
                store.settle_load(conn, load.id, "kept", final_at)
            kept += 1
            continue
        if load.outcome is None and (final_at is not None or now > load.deadline):
            unfinal = next((b.batch_id for b in spans if b.state != "final"), None)
            with db.session() as s:  # the alarm and the verdict in one transaction
                raise_alarm(
                    s,
                    DEADLINE_ALARM,
                    unfinal,
                    f"load {load.id} (seqs {load.first_seq}..{load.last_seq}, {load.count} "
                    f"records) was promised final on chain by {_iso(load.deadline)}; "
                    + ("not final yet" if final_at is None else f"final at {_iso(final_at)}"),
                )
                store.settle_load(s.connection(), load.id, "missed", final_at)
            missed += 1
        elif load.outcome == "missed" and final_at is not None:
            with db.connect() as conn:
                store.settle_load(conn, load.id, "missed", final_at)
        if final_at is None and (load.outcome == "missed" or now > load.deadline):
            open_missed += 1
    if open_missed == 0:
        with db.session() as s:
            resolve_alarms(s, DEADLINE_ALARM)
    return DeadlineCheck(kept, missed, open_missed)


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
