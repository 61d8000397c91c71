"""A proof bundle read as a JSON *value*: what the verifiers (CLI, library, browser) accept.

:func:`anchor.core.proof.parse_bundle` demands the canonical bytes. A user's browser,
editor or ``jq`` may pretty-print a bundle; that changes no member, so the verifiers take
any JSON formatting (whitespace, member order) as long as the document, parsed, is exactly
the canonical bundle's JSON value: same members, same types, same strings (so ``"007"`` for
``"7"``, uppercase hex, an explicit zero ``ext``, a duplicate key, a float or trailing data
are still refused). The checksum is over the canonical serialization, so it is unchanged.

The browser verifier (scripts/web/src/bundle.mjs) implements the same rule; the tests run both on
every committed vector.

What a user receives is either one bundle or the balance-proof response of
``GET /v1/me/balance-proofs`` (``{"account_id", "proofs": [bundle, ...], "pending": [...]}``);
:func:`read_bundle_document` tells them apart and hands back each bundle's bytes, so each is
then parsed (and judged) on its own. The envelope is as strict as a bundle: a duplicate key,
a float, an unknown member or trailing data anywhere refuses the whole document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from anchor.core.proof_bundle import MAX_BUNDLE_BYTES, ProofBundle
from anchor.core.proof_parse import _DECODER, _parse_strict, parse_bundle
from anchor.errors import ProofFormatError

__all__ = ["BALANCE_PROOFS_KEYS", "BundleDocument", "parse_bundle_value", "read_bundle_document"]

# the members of the balance-proof response (anchor/api/me.py, latest_balance_proofs)
BALANCE_PROOFS_KEYS = ("account_id", "proofs", "pending")
_PENDING_KEYS = ("record_id", "asset", "state")


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


@dataclass(frozen=True)
class BundleDocument:
    """A file a user was given: ``bundles`` are (label, bytes) pairs, each to be parsed with
    :func:`parse_bundle_value`; ``pending`` the response's records not anchored yet
    (``record_id``, ``asset``, ``state``); ``several`` False for a plain bundle."""

    bundles: tuple[tuple[str, bytes], ...]
    pending: tuple[dict[str, str], ...] = ()
    several: bool = False


def _fail(msg: str) -> ProofFormatError:
    return ProofFormatError(f"balance-proof response: {msg}")


def _is_envelope(top: Any) -> bool:
    return isinstance(top, dict) and "proofs" in top and "format" not in top


def _lenient(text: str) -> Any:
    """The first JSON value of ``text`` by the plain decoder, or None."""
    try:
        return json.JSONDecoder().raw_decode(text.lstrip())[0]
    except (ValueError, RecursionError):
        return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ProofFormatError):  # the strict decoder's hooks: a float, a dupe
        return str(exc).removeprefix("proof bundle: ")
    if isinstance(exc, json.JSONDecodeError):
        what = "trailing data" if exc.msg == "Extra data" else exc.msg
        return f"not valid JSON: {what} at byte {exc.pos}"
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    return "not valid JSON"


def read_bundle_document(data: bytes | str) -> BundleDocument:
    """One bundle, or the balance-proof response holding several (see the module docstring).

    A document that is not a JSON object with a ``proofs`` member is taken as one bundle,
    as given (its own parse names whatever is wrong with it)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BUNDLE_BYTES * 64:
        raise _fail(f"too large ({len(raw)} bytes)")
    text = raw.decode("utf-8", errors="replace")
    try:
        top = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        if _is_envelope(_lenient(text)):
            raise _fail(_reason(exc)) from None
        top = None  # not an envelope: the bundle parser says what is wrong
    if not _is_envelope(top):
        return BundleDocument(bundles=(("bundle", raw),))
    unknown = sorted(set(top) - set(BALANCE_PROOFS_KEYS))
    if unknown:
        raise _fail(f"unknown member {unknown[0]!r} (expected {', '.join(BALANCE_PROOFS_KEYS)})")
    if not isinstance(top.get("account_id", ""), str):
        raise _fail("account_id must be a string")
    proofs, pending = top["proofs"], top.get("pending", [])
    if not isinstance(proofs, list) or not all(isinstance(p, dict) for p in proofs):
        raise _fail("proofs must be an array of bundle objects")
    if not isinstance(pending, list):
        raise _fail("pending must be an array")
    waiting: list[dict[str, str]] = []
    for i, item in enumerate(pending):
        if (
            not isinstance(item, dict)
            or set(item) != set(_PENDING_KEYS)
            or not all(isinstance(item[k], str) for k in _PENDING_KEYS)
        ):
            raise _fail(f"pending[{i}] must be an object of {', '.join(_PENDING_KEYS)} strings")
        waiting.append({k: item[k] for k in _PENDING_KEYS})
    bundles = tuple(
        (f"proofs[{i}]", (json.dumps(p, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        for i, p in enumerate(proofs)
    )
    return BundleDocument(bundles=bundles, pending=tuple(waiting), several=True)
