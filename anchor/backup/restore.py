"""Restore: rebuild records, accounts and batches from bundles into an EMPTY database.

Batches are restored in id order from 1. For each, the bundles the sources hold are tried in
turn; one is accepted only when its bytes hash to its name, it decodes strictly, its records
(parsed and re-encoded by the core, salts turned into commitments) rebuild a root EQUAL to
the root the registry holds on chain for that batch id. The accepted batch is written in one
transaction: accounts (first sight), records (canonical text, content hash, leaf), record ↔
account links, the batch row with its anchor facts read from the chain's ``Anchored`` event
(state ``final`` when that block is final, else ``included``) and the flat tree in chunks,
so proofs are served from the restored database exactly as from the original.

A batch with no acceptable bundle stops the restore (batch ids are sequential; later
batches cannot be placed after a hole): the error names the batch and why each candidate was
refused. Batches restored before it stay (each was verified against the chain).
``up_to_batch=N`` (``anchor restore --up-to-batch N``) restores exactly batches 1..N, the
books as of batch N; N must be anchored on chain.

Not restored: account ``eth_address`` links and user credentials (not in bundles), the
transaction manager's attempt history. Batches sealed but not anchored cannot be verified
and are reported, not restored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from anchor.backup.bundle import Bundle, RebuiltBatch
from anchor.backup.catalog import RebuildCache, TargetListing, list_target, read_bundle
from anchor.backup.chainview import ZERO32, ChainView
from anchor.backup.source import parse_iso
from anchor.backup.targets import Target
from anchor.core.hashing import keccak256
from anchor.core.prepare import Prepared
from anchor.errors import StorageError
from anchor.store.batches import insert_batch
from anchor.store.models import Batch
from anchor.store.queries import first_table_with_rows
from anchor.store.record_writer import NewAccount, RecordWriter

if TYPE_CHECKING:
    from anchor.backup.crypto import BackupKeys

__all__ = ["RestoreRefused", "RestoreReport", "accepted_bundles", "restore"]

CHUNK_NODES = 256  # the store's default (anchor.service.seal.DEFAULT_CHUNK_NODES)


class RestoreRefused(StorageError):
    """No bundle of a batch could be accepted (or the database is not empty)."""

    exit_code = 1


@dataclass(frozen=True)
class RestoreReport:
    batches: tuple[int, ...] = ()
    records: int = 0
    accounts: int = 0
    unanchored: tuple[int, ...] = ()  # on targets but not on chain: not restored
    chain_only: tuple[int, ...] = ()  # on chain but on no target
    refused: tuple[str, ...] = ()  # candidates refused on the way (another was accepted)
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "batches": list(self.batches),
            "records": self.records,
            "accounts": self.accounts,
            "unanchored": list(self.unanchored),
            "chain_only": list(self.chain_only),
            "refused": list(self.refused),
            "notes": list(self.notes),
        }


def _check_empty(db: Any) -> None:
    table = first_table_with_rows(db, ("records", "batches", "accounts", "tree_chunks"))
    if table is not None:
        raise RestoreRefused(f"the target database is not empty ({table} has rows)")


def _write_batch(
    db: Any,
    bundle: Bundle,
    rebuilt: RebuiltBatch,
    chain: ChainView,
    salts_seen: dict[str, bytes],
) -> int:
    """One transaction: accounts, records, links (the store's one record writer, as
    ingest), the batch and its tree chunks (its one batch writer, as seal)."""
    assert rebuilt.meta is not None
    facts = chain.anchor_facts(bundle.batch_id)
    new_accounts = []
    for account_id, salt in sorted(bundle.salts.items()):
        known = salts_seen.get(account_id)
        if known is None:
            new_accounts.append(NewAccount(account_id, salt, rebuilt.commitments[account_id]))
        elif known != salt:
            raise RestoreRefused(
                f"batch {bundle.batch_id}: account salt differs from an earlier batch's bundle"
            )
    # records in seq order (the store's physical order): first_seq, first_seq + 1, ... (the
    # candidate was refused otherwise)
    order = sorted(range(len(bundle.seqs)), key=bundle.seqs.__getitem__)
    first = bundle.first_seq
    sealed_dt = parse_iso(bundle.sealed_at)
    with db.connect(write=True) as conn:
        w = RecordWriter(db, conn)
        w.insert_accounts(new_accounts, w.timestamp(sealed_dt))
        k = keccak256
        records: list[Prepared] = []
        times: list[Any] = []
        ts_cache: dict[str, Any] = {}
        for i in order:
            canonical = bundle.records[i]
            record_id, kind, version, accounts = rebuilt.meta[i]
            at = bundle.received_at[i]
            when = ts_cache.get(at)
            if when is None:
                when = ts_cache[at] = w.timestamp(parse_iso(at))
            times.append(when)
            records.append(
                (i, record_id, kind, version, canonical.decode("ascii"), k(canonical), accounts, ())
            )
        leaves = b"".join([rebuilt.leaves[i] for i in order])
        w.insert_records(records, first, leaves, times)
        now = datetime.now(UTC)
        anchored = facts is not None
        insert_batch(
            db,
            conn,
            Batch(
                id=bundle.batch_id,
                root=rebuilt.root,
                leaf_count=bundle.leaf_count,
                first_seq=bundle.first_seq,
                last_seq=bundle.last_seq,
                chunk_nodes=CHUNK_NODES,
                sealed_at=sealed_dt,
                state=("final" if facts.final else "included") if facts else "sealed",
                tx_hash=facts.tx_hash if facts else None,
                block_number=facts.block_number if facts else None,
                block_hash=facts.block_hash if facts else None,
                chain_id=chain.chain_id if anchored else None,
                contract=chain.contract if anchored else None,
                anchored_at=now if anchored else None,
                final_at=now if facts and facts.final else None,
            ),
            rebuilt.nodes,
        )
    for a in new_accounts:
        salts_seen[a.account_id] = a.salt
    return len(new_accounts)


def _check_keys(listings: Sequence[Any], last: int, keys: BackupKeys | None) -> None:
    """Before anything is written: every batch's first candidate bundle (by its header
    alone) must be plaintext or encrypted with a configured, right key — a missing or wrong
    key stops the restore with nothing changed."""
    from anchor.backup.crypto import MAX_HEADER, check_key_for

    for batch_id in range(1, last + 1):
        for listing in listings:
            objects = listing.bundles.get(batch_id, [])
            if not objects:
                continue
            try:
                head = listing.target.head(objects[0].key, MAX_HEADER)
            except StorageError:
                continue  # judged (and reported) when the batch is restored
            check_key_for(head, keys, what=f"bundle {objects[0].key} on {listing.name}")
            break


def _accept_batch(
    batch_id: int,
    listings: Sequence[TargetListing],
    chain: ChainView,
    cache: RebuildCache,
    prev_last_seq: int,
    keys: BackupKeys | None,
    progress: Callable[[str], None] | None,
    restored: Sequence[int],
) -> tuple[Bundle, RebuiltBatch, list[str]]:
    """The first bundle of ``batch_id`` whose records rebuild the root on chain, its rebuilt
    batch and why the candidates before it were refused; RestoreRefused when none."""
    chain_root = chain.root_of(batch_id)
    if chain_root == ZERO32:
        raise RestoreRefused(f"batch {batch_id}: not anchored on chain")
    reasons: list[str] = []
    for listing in listings:
        for key in listing.bundles.get(batch_id, []):
            read = read_bundle(listing.target, key, keys=keys)
            where = f"batch {batch_id} on {listing.name} ({key.name[:12]})"
            if read.status != "ok" or read.bundle is None:
                reasons.append(f"{where}: {read.status}: {read.problem}")
                continue
            bundle = read.bundle
            if progress:
                progress(f"batch {batch_id}: verifying {bundle.leaf_count} records")
            rebuilt = cache.rebuild(read)
            if isinstance(rebuilt, str):
                reasons.append(f"{where}: records do not rebuild: {rebuilt}")
                continue
            if rebuilt.root != chain_root:
                reasons.append(f"{where}: recomputed root differs from the root on chain")
                continue
            if bundle.root != chain_root:
                reasons.append(f"{where}: header root differs from the root on chain")
                continue
            if bundle.first_seq <= prev_last_seq:
                reasons.append(f"{where}: seq range overlaps the previous batch")
                continue
            if sorted(bundle.seqs) != list(range(bundle.first_seq, bundle.last_seq + 1)):
                reasons.append(f"{where}: its seqs are not the range first_seq..last_seq")
                continue
            cache.forget(key.name)
            return bundle, rebuilt, reasons
    raise RestoreRefused(
        f"batch {batch_id}: no bundle accepted (restored batches {list(restored) or 'none'}"
        f" kept): " + "; ".join(reasons or ["no readable bundle"])
    )


def _last_batch(chain: ChainView, up_to_batch: int | None) -> int:
    """The last batch to restore: the last on chain, or ``up_to_batch`` (which must be
    anchored on chain)."""
    last_on_chain = chain.last_batch_id()
    if up_to_batch is None:
        return last_on_chain
    if up_to_batch < 1:
        raise RestoreRefused(f"--up-to-batch {up_to_batch}: batch ids start at 1")
    if up_to_batch > last_on_chain:
        raise RestoreRefused(
            f"--up-to-batch {up_to_batch}: the registry's last anchored batch is {last_on_chain}"
        )
    return up_to_batch


def _listings(sources: Sequence[Target], notes: list[str]) -> list[TargetListing]:
    if not sources:
        raise RestoreRefused("no backup source given")
    listings = [list_target(t) for t in sources]
    notes.extend(f"source {x.name} unavailable: {x.error}" for x in listings if x.error)
    if all(x.error for x in listings):
        raise RestoreRefused("; ".join(notes))
    return listings


def accepted_bundles(
    sources: Sequence[Target],
    chain: ChainView,
    *,
    keys: BackupKeys | None = None,
    up_to_batch: int | None = None,
    notes: list[str] | None = None,
) -> Iterator[Bundle]:
    """The bundles of batches 1.. (up to ``up_to_batch``) whose records rebuild the root on
    chain, in batch order; stops (with a note) at a batch anchored on chain but in no
    backup. RestoreRefused when a batch's every bundle is refused."""
    notes = [] if notes is None else notes
    listings = _listings(sources, notes)
    last = _last_batch(chain, up_to_batch)
    _check_keys(listings, last, keys)
    on_targets = {b for x in listings for b in x.bundles}
    cache = RebuildCache(workers=1)
    prev_last_seq = 0
    done: list[int] = []
    for batch_id in range(1, last + 1):
        if batch_id not in on_targets:
            notes.append(f"anchored on chain but in no backup: batches {batch_id}..{last}")
            return
        bundle, _, _ = _accept_batch(
            batch_id, listings, chain, cache, prev_last_seq, keys, None, done
        )
        prev_last_seq = bundle.last_seq
        done.append(batch_id)
        yield bundle


def restore(
    db: Any,
    sources: Sequence[Target],
    chain: ChainView,
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    keys: BackupKeys | None = None,
    up_to_batch: int | None = None,
) -> RestoreReport:
    """Restore every anchored batch the ``sources`` hold into the empty ``db``; with
    ``up_to_batch``, exactly the batches 1..up_to_batch (each verified on chain)."""
    if not sources:
        raise RestoreRefused("no backup source given")
    _check_empty(db)
    notes: list[str] = []
    listings = _listings(sources, notes)
    on_targets = sorted({b for x in listings for b in x.bundles})
    last = _last_batch(chain, up_to_batch)
    _check_keys(listings, last, keys)
    restored: list[int] = []
    refused: list[str] = []
    records = accounts = 0
    salts_seen: dict[str, bytes] = {}
    cache = RebuildCache(workers=workers, with_meta=True)
    prev_last_seq = 0
    unanchored = tuple(b for b in on_targets if b > chain.last_batch_id())
    for batch_id in range(1, last + 1):
        if batch_id not in on_targets:
            break
        bundle, rebuilt, reasons = _accept_batch(
            batch_id, listings, chain, cache, prev_last_seq, keys, progress, restored
        )
        if progress:
            progress(f"batch {batch_id}: writing")
        accounts += _write_batch(db, bundle, rebuilt, chain, salts_seen)
        records += bundle.leaf_count
        prev_last_seq = bundle.last_seq
        restored.append(batch_id)
        refused.extend(reasons)
    chain_only = tuple(b for b in range(len(restored) + 1, last + 1))
    return RestoreReport(
        batches=tuple(restored),
        records=records,
        accounts=accounts,
        unanchored=unanchored,
        chain_only=chain_only,
        refused=tuple(refused),
        notes=tuple(notes),
    )
