"""A value's JSON object from its attributes: one rule for the reports and answers that list
their fields in a ``to_json``, key order as listed: for instance
``json_fields(summary, "batch_id records intact_copies", rename={"intact_copies": "copies"})``.

Each key's value is the attribute of that name (or the dotted path ``rename`` gives for it;
a method is called), made plain: an object with a ``to_json`` gives its ``to_json()``, a
dataclass its fields (as a dict), a tuple or list a list of plain values; anything else is
taken as it is.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

__all__ = ["json_fields", "plain"]


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (see the module's docstring)."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return value


def json_fields(obj: object, keys: str, rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{key: plain value}`` for each of the space-separated ``keys``, in their order."""
    out: dict[str, Any] = {}
    for key in keys.split():
        value = attrgetter((rename or {}).get(key, key))(obj)
        out[key] = plain(value() if inspect.ismethod(value) else value)
    return out
