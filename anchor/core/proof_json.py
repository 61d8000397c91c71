"""A proof bundle read as a JSON *value*: what the verifiers (CLI, library, browser) accept.

:func:`anchor.core.proof.parse_bundle` demands the canonical bytes. A user's browser,
editor or ``jq`` may pretty-print a bundle; that changes no member, so the verifiers take
any JSON formatting (whitespace, member order) as long as the document, parsed, is exactly
the canonical bundle's JSON value: same members, same types, same strings (so ``"007"`` for
``"7"``, uppercase hex, an explicit zero ``ext``, a duplicate key, a float or trailing data
are still refused). The checksum is over the canonical serialization, so it is unchanged.

The browser verifier (scripts/web/src/bundle.mjs) implements the same rule; the tests run both on
every committed vector.
"""

from __future__ import annotations

import json
from typing import Any

from anchor.core.proof_bundle import MAX_BUNDLE_BYTES, ProofBundle
from anchor.core.proof_parse import _DECODER, _parse_strict, parse_bundle
from anchor.errors import ProofFormatError

__all__ = ["parse_bundle_value"]


def _first_difference(given: Any, canon: Any, path: str) -> str | None:
    """The path of the first member where two decoded JSON values differ (types exact:
    ``true`` is not ``1``), or None."""
    if type(given) is not type(canon):
        return path or "the document"
    if isinstance(canon, dict):
        for k in canon:
            if k not in given:
                return f"{path}.{k}" if path else k
        for k in given:
            if k not in canon:
                return f"{path}.{k}" if path else k
        for k, v in canon.items():
            found = _first_difference(given[k], v, f"{path}.{k}" if path else k)
            if found:
                return found
        return None
    if isinstance(canon, list):
        if len(given) != len(canon):
            return path
        for i, (g, c) in enumerate(zip(given, canon, strict=True)):
            found = _first_difference(g, c, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if given == canon else path


def parse_bundle_value(data: bytes | str) -> ProofBundle:
    """Parse a bundle in any JSON formatting; ProofFormatError unless its JSON value is
    exactly the canonical bundle's (see the module docstring)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        return parse_bundle(raw)  # canonical bytes: the fast path
    except ProofFormatError:
        pass
    bundle = _parse_strict(raw, canonical_bytes=False)  # every other format error, named
    if len(raw) > MAX_BUNDLE_BYTES:  # pragma: no cover - _parse_strict refuses first
        raise ProofFormatError("proof bundle: too large")
    given = _DECODER.decode(raw.decode("utf-8"))
    canon = json.loads(bundle.to_json())
    where = _first_difference(given, canon, "")
    if where is not None:
        raise ProofFormatError(
            f"proof bundle: {where} is not in canonical form (the bundle may be pretty-printed, "
            "but no member may be written differently)"
        )
    return bundle
