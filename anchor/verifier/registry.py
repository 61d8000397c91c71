"""The published registry's runtime code, as the verifier knows it: read at run time from
the committed artifact (``anchor/chain/AnchorRegistry.json``, field ``deployedBytecode``),
never hard-coded, so a new artifact changes what the verifier expects with no code change.

The file is read directly (not through :mod:`anchor.chain`, which the standalone verifier
must not import). Immutable references, if the artifact has any, are masked with zeros on
both sides before hashing: they are per-deployment values, not code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.errors import InputError

__all__ = ["ARTIFACT_RESOURCE", "PublishedCode", "published_code"]

ARTIFACT_RESOURCE: Final = ("chain", "AnchorRegistry.json")


@dataclass(frozen=True)
class PublishedCode:
    """What the runtime code of the published registry must look like."""

    contract_name: str
    code_hash: bytes  # keccak256 of the runtime code, immutables masked
    ranges: tuple[tuple[int, int], ...]  # (start, length) of immutable references

    def hash_of(self, code: bytes) -> bytes:
        """keccak256 of ``code`` with the immutable references masked like the artifact's."""
        if self.ranges:
            buf = bytearray(code)
            for start, length in self.ranges:
                if start + length <= len(buf):
                    buf[start : start + length] = bytes(length)
            code = bytes(buf)
        return keccak256(code)

    def matches(self, code: bytes) -> bool:
        return self.hash_of(code) == self.code_hash


def _ranges(refs: Any) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    if isinstance(refs, dict):
        for spans in refs.values():
            for s in spans if isinstance(spans, list) else []:
                out.append((int(s["start"]), int(s["length"])))
    return tuple(sorted(out))


def code_info_from_artifact(raw: bytes, origin: str) -> PublishedCode:
    """The published code of an artifact file's bytes."""
    try:
        data = json.loads(raw)
        name = str(data.get("contractName", "AnchorRegistry"))
        code_hex = data["deployedBytecode"]
        code = bytes.fromhex(code_hex.removeprefix("0x"))
        ranges = _ranges(data.get("immutableReferences"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"artifact {origin}: no usable deployedBytecode ({exc})") from None
    if not code:
        raise InputError(f"artifact {origin}: empty deployedBytecode")
    info = PublishedCode(name, b"", ranges)
    return PublishedCode(name, info.hash_of(code), ranges)


@lru_cache(maxsize=4)
def published_code(artifact: str | None = None) -> PublishedCode:
    """The packaged artifact's code (or the artifact file at ``artifact``)."""
    if artifact is None:
        raw = resources.files("anchor").joinpath(*ARTIFACT_RESOURCE).read_bytes()
        return code_info_from_artifact(raw, "anchor/" + "/".join(ARTIFACT_RESOURCE))
    try:
        raw = Path(artifact).read_bytes()
    except OSError as exc:
        raise InputError(f"artifact {artifact}: {exc.strerror or exc}") from None
    return code_info_from_artifact(raw, artifact)
