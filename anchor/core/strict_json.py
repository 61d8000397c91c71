"""The hooks of a strict JSON reading: no duplicate keys, no floats or NaN/Infinity.

Each format names its own error (a proof bundle's, a receipt's, a liability bundle's): the
hooks take the function that makes it from a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["no_dupes_hook", "strict_decoder", "strict_hooks"]

Fail = Callable[[str], Exception]


def no_dupes_hook(fail: Fail) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An ``object_pairs_hook`` that raises ``fail("duplicate key 'k'")`` for a repeated key."""

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise fail(f"duplicate key {k!r}")
            out[k] = v
        return out

    return no_dupes


def strict_hooks(fail: Fail) -> dict[str, Any]:
    """The keyword arguments of ``json.loads`` (or ``json.JSONDecoder``) refusing duplicate
    keys and any non-integer number, NaN and Infinity included (``fail`` names them)."""

    def reject_float(text: str) -> Any:
        raise fail(f"non-integer number {text!r}")

    return {
        "parse_float": reject_float,
        "parse_constant": reject_float,
        "object_pairs_hook": no_dupes_hook(fail),
    }


def strict_decoder(fail: Fail) -> json.JSONDecoder:
    """A decoder with :func:`strict_hooks`."""
    return json.JSONDecoder(**strict_hooks(fail))
