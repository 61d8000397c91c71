"""What the targets hold: listing, reading and checking bundles (shared by restore, verify
and reconcile).

Reading a bundle checks, in order: the object can be read (else *unavailable*), its bytes
hash to its name and it decodes strictly (else *unreadable*). Whether its records rebuild
the root on chain is the caller's question; :class:`RebuildCache` rebuilds each distinct
bundle (by content name) once, however many targets hold a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from anchor.backup.bundle import (
    Bundle,
    BundleFormatError,
    RebuildJob,
    RebuiltBatch,
    Receipt,
    content_name,
    decode_bundle,
    decode_receipt,
)
from anchor.backup.layout import ObjectKey, parse_key
from anchor.backup.targets import Target
from anchor.errors import StorageError

if TYPE_CHECKING:
    from anchor.backup.crypto import BackupKeys

__all__ = [
    "BundleRead",
    "RebuildCache",
    "TargetListing",
    "list_target",
    "read_bundle",
    "read_receipt",
]


@dataclass
class TargetListing:
    """A target's bundles and receipts by batch id; ``error`` when it could not be listed."""

    target: Target
    bundles: dict[int, list[ObjectKey]] = field(default_factory=dict)
    receipts: dict[int, list[ObjectKey]] = field(default_factory=dict)
    foreign: list[str] = field(default_factory=list)  # keys this layout did not write
    error: str | None = None

    @property
    def name(self) -> str:
        return self.target.name


def list_target(target: Target) -> TargetListing:
    listing = TargetListing(target)
    try:
        target.check()
        keys = target.list("batches")
    except StorageError as exc:
        listing.error = str(exc)
        return listing
    for key in keys:
        ok = parse_key(key)
        if ok is None:
            listing.foreign.append(key)
        elif ok.kind == "bundle":
            listing.bundles.setdefault(ok.batch_id, []).append(ok)
        else:
            listing.receipts.setdefault(ok.batch_id, []).append(ok)
    return listing


@dataclass(frozen=True)
class BundleRead:
    """One bundle object as read from one target."""

    target: str
    key: ObjectKey
    status: Literal["ok", "unreadable", "unavailable"]
    bundle: Bundle | None = None
    problem: str | None = None


def read_bundle(
    target: Target,
    key: ObjectKey,
    *,
    decoded: dict[str, Bundle] | None = None,
    keys: BackupKeys | None = None,
) -> BundleRead:
    """Read, hash-check, decrypt (an encrypted bundle) and decode one bundle. ``decoded``
    (name -> bundle) lets a second copy of the same content skip decoding: its bytes hash to
    the same name, so they are the same bytes. Bundles decoded here are added to it.

    An encrypted bundle whose key is not in ``keys`` (or is not the right key) raises
    :class:`anchor.backup.crypto.BackupKeyError`: a key problem is the operator's to fix,
    not a verdict on the bundle."""
    from anchor.backup.crypto import open_bundle

    try:
        data = target.get(key.key)
    except StorageError as exc:
        return BundleRead(target.name, key, "unavailable", problem=str(exc))
    if content_name(data) != key.name:
        return BundleRead(
            target.name, key, "unreadable", problem="bytes do not hash to the object's name"
        )
    if decoded is not None and key.name in decoded:
        return BundleRead(target.name, key, "ok", bundle=decoded[key.name])
    try:
        bundle = decode_bundle(open_bundle(data, keys, what=f"bundle {key.key} on {target.name}"))
    except BundleFormatError as exc:
        return BundleRead(target.name, key, "unreadable", problem=str(exc))
    if bundle.batch_id != key.batch_id:
        return BundleRead(
            target.name,
            key,
            "unreadable",
            problem=f"holds batch {bundle.batch_id}, filed under {key.batch_id}",
        )
    if decoded is not None:
        decoded[key.name] = bundle
    return BundleRead(target.name, key, "ok", bundle=bundle)


def read_receipt(target: Target, key: ObjectKey) -> tuple[Receipt | None, str | None]:
    try:
        data = target.get(key.key)
    except StorageError as exc:
        return None, str(exc)
    if content_name(data) != key.name:
        return None, "bytes do not hash to the object's name"
    try:
        receipt = decode_receipt(data)
    except BundleFormatError as exc:
        return None, str(exc)
    if receipt.batch_id != key.batch_id:
        return None, f"holds batch {receipt.batch_id}, filed under {key.batch_id}"
    return receipt, None


class RebuildCache:
    """Rebuild each distinct bundle once (keyed by its content name); :meth:`start` begins a
    rebuild in the background so the caller can work meanwhile."""

    def __init__(self, *, workers: int = 1, with_meta: bool = False) -> None:
        self.workers = workers
        self.with_meta = with_meta
        self._done: dict[str, RebuiltBatch | str] = {}
        self._running: dict[str, RebuildJob] = {}

    def start(self, read: BundleRead) -> None:
        assert read.bundle is not None
        name = read.key.name
        if name not in self._done and name not in self._running:
            self._running[name] = RebuildJob(
                read.bundle, workers=self.workers, with_meta=self.with_meta
            )

    def rebuild(self, read: BundleRead) -> RebuiltBatch | str:
        """The rebuilt batch, or the reason its records do not rebuild."""
        name = read.key.name
        got = self._done.get(name)
        if got is None:
            self.start(read)
            job = self._running.pop(name)
            try:
                got = job.result()
            except BundleFormatError as exc:
                got = str(exc)
            self._done[name] = got
        return got

    def forget(self, name: str) -> None:
        self._done.pop(name, None)
        job = self._running.pop(name, None)
        if job is not None:
            job.close()
