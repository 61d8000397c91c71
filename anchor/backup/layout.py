"""Where objects live on a target: ``batches/<batch id, 12 digits>/<sha256>.bundle`` and
``batches/<batch id>/<sha256>.receipt``. The file name is the sha256 of the object's bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from anchor.backup.bundle import BUNDLE_EXT, RECEIPT_EXT

__all__ = ["ObjectKey", "bundle_key", "parse_key", "receipt_key"]

_KEY: Final = re.compile(r"^batches/(\d{12})/([0-9a-f]{64})(\.bundle|\.receipt)$")


@dataclass(frozen=True)
class ObjectKey:
    """A parsed object key."""

    batch_id: int
    name: str  # sha256 hex of the object's bytes
    kind: str  # "bundle" | "receipt"
    key: str


def bundle_key(batch_id: int, name: str) -> str:
    return f"batches/{batch_id:012d}/{name}{BUNDLE_EXT}"


def receipt_key(batch_id: int, name: str) -> str:
    return f"batches/{batch_id:012d}/{name}{RECEIPT_EXT}"


def parse_key(key: str) -> ObjectKey | None:
    """The parts of a key this layout wrote, or None for anything else."""
    m = _KEY.match(key)
    if m is None:
        return None
    kind = "bundle" if m.group(3) == BUNDLE_EXT else "receipt"
    return ObjectKey(int(m.group(1)), m.group(2), kind, key)
