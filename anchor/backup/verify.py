"""``anchor backup verify``: every bundle on every target against the root on chain.

For each target and each batch id (anchored on chain, or present on the target): the bundle
is *missing* (no object), *unreadable* (cannot be read, bytes do not hash to the name, or
do not decode), *mismatching* (intact, but its records do not rebuild the root on chain),
*unanchored* (intact, batch not anchored yet: nothing to check against — a note, not a
failure) or *ok*. Receipts are checked against the chain's root too. A target that cannot
be listed is *unavailable*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from anchor.backup.bundle import Bundle
from anchor.backup.catalog import RebuildCache, list_target, read_bundle, read_receipt
from anchor.backup.chainview import ZERO32, ChainView
from anchor.backup.targets import Target

if TYPE_CHECKING:
    from anchor.backup.crypto import BackupKeys

__all__ = ["BundleStatus", "VerifyReport", "verify_targets"]

Status = Literal["ok", "missing", "unreadable", "mismatching", "unanchored", "unavailable"]
FAILING: frozenset[str] = frozenset({"missing", "unreadable", "mismatching", "unavailable"})


@dataclass(frozen=True)
class BundleStatus:
    target: str
    batch_id: int | None
    status: Status
    object: str | None = None  # key of the object
    detail: str = ""


@dataclass(frozen=True)
class VerifyReport:
    items: tuple[BundleStatus, ...]
    last_on_chain: int

    @property
    def ok(self) -> bool:
        return not any(i.status in FAILING for i in self.items)

    def failures(self) -> list[BundleStatus]:
        return [i for i in self.items if i.status in FAILING]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "last_batch_on_chain": self.last_on_chain,
            "items": [i.__dict__ for i in self.items],
        }


def verify_targets(
    targets: Sequence[Target],
    chain: ChainView,
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    keys: BackupKeys | None = None,
) -> VerifyReport:
    """Check every bundle (and receipt) on every target; see the module docstring."""
    last = chain.last_batch_id()
    roots: dict[int, bytes] = {}

    def root(batch_id: int) -> bytes:
        if batch_id not in roots:
            roots[batch_id] = chain.root_of(batch_id) if batch_id <= last else ZERO32
        return roots[batch_id]

    cache = RebuildCache(workers=workers)
    items: list[BundleStatus] = []
    listings = [list_target(t) for t in targets]
    live = []
    for listing in listings:
        if listing.error:
            items.append(BundleStatus(listing.name, None, "unavailable", detail=listing.error))
        else:
            live.append(listing)
    ids = sorted(set(range(1, last + 1)).union(*(x.bundles for x in live)))
    for batch_id in ids:
        decoded: dict[str, Bundle] = {}  # one decode per distinct content in this batch
        chain_root = root(batch_id)
        for listing in live:
            target = listing.target
            objects = listing.bundles.get(batch_id, [])
            if not objects:
                items.append(BundleStatus(target.name, batch_id, "missing", detail="no bundle"))
            for key in objects:
                read = read_bundle(target, key, decoded=decoded, keys=keys)
                if read.status != "ok":
                    status: Status = "unavailable" if read.status == "unavailable" else "unreadable"
                    items.append(
                        BundleStatus(target.name, batch_id, status, key.key, read.problem or "")
                    )
                    continue
                if chain_root == ZERO32:
                    items.append(
                        BundleStatus(
                            target.name, batch_id, "unanchored", key.key, "not anchored yet"
                        )
                    )
                    continue
                if progress:
                    progress(f"{target.name}: batch {batch_id}")
                rebuilt = cache.rebuild(read)
                if isinstance(rebuilt, str):
                    items.append(
                        BundleStatus(target.name, batch_id, "unreadable", key.key, rebuilt)
                    )
                elif rebuilt.root != chain_root:
                    items.append(
                        BundleStatus(
                            target.name,
                            batch_id,
                            "mismatching",
                            key.key,
                            "recomputed root differs from the root on chain",
                        )
                    )
                else:
                    items.append(BundleStatus(target.name, batch_id, "ok", key.key))
        for name in decoded:
            cache.forget(name)
        for listing in live:
            for rkey in listing.receipts.get(batch_id, []):
                receipt, problem = read_receipt(listing.target, rkey)
                if receipt is None:
                    items.append(
                        BundleStatus(
                            listing.name, batch_id, "unreadable", rkey.key, f"receipt: {problem}"
                        )
                    )
                elif receipt.root != chain_root or chain_root == ZERO32:
                    items.append(
                        BundleStatus(
                            listing.name,
                            batch_id,
                            "mismatching",
                            rkey.key,
                            "receipt root differs from the root on chain",
                        )
                    )
    return VerifyReport(items=tuple(items), last_on_chain=last)
