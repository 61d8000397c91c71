"""Exchange records: validation and canonical JSON.

A record is what the exchange sends us (JSON). It is validated strictly into a
:class:`Record` (:func:`parse_record`, the authority on every rejection and its message);
its canonical JSON (:meth:`Record.canonical_json`) is what is stored and backed up. The
kinds and their fields are in :mod:`anchor.core.schemas`; the leaf, a function of the
record, its ingest sequence number ``seq`` and the account commitments, is in
:mod:`anchor.core.leaves` (``encode_leaf``, ``leaf_hash``); many records at once go
through :func:`anchor.core.prepare.prepare_records`. docs/records.md documents every kind
field by field.

Accounts never enter a leaf in clear: only ``account_commitment(account_id, salt) =
keccak256(salt ‖ utf8(account_id))`` with a per-account 32-byte secret salt.

The names of those modules are importable from here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final

from anchor.core.leaves import (
    account_commitment,
    commitment_for,
    encode_leaf,
    encode_leaf_redacted,
    leaf_hash,
    leaf_hash_buffer,
    leaf_hashes,
    leaf_values,
    leaf_values_json,
    leaf_values_redacted,
)
from anchor.core.schemas import (
    _ACCOUNT_FIELDS,
    _INT_RANGE,
    _SCHEMAS,
    ACCOUNT_ID_MAX,
    I256_MAX,
    I256_MIN,
    KIND_CODES,
    KINDS,
    LEAF_PREFIX_TYPES,
    RECORD_ID_MAX,
    SCHEMA_INDEX,
    U16_MAX,
    U32_MAX,
    U64_MAX,
    U256_MAX,
    ZERO32,
    FieldSpec,
    Schema,
    account_fields,
    leaf_types,
    schema,
)
from anchor.errors import RecordError

__all__ = [
    "ACCOUNT_ID_MAX",
    "I256_MAX",
    "I256_MIN",
    "KINDS",
    "KIND_CODES",
    "LEAF_PREFIX_TYPES",
    "MAX_RECORD_CHARS",
    "U32_MAX",
    "U64_MAX",
    "U256_MAX",
    "FieldSpec",
    "Record",
    "RedactedRecord",
    "Schema",
    "account_commitment",
    "account_fields",
    "encode_leaf",
    "encode_leaf_redacted",
    "leaf_hash",
    "leaf_hash_buffer",
    "leaf_hashes",
    "leaf_types",
    "leaf_values",
    "leaf_values_json",
    "leaf_values_redacted",
    "parse_account_id",
    "parse_record",
    "parse_redacted",
    "redact",
    "schema",
]

# --------------------------------------------------------------------------- records


# (schema index, kind code, version) and (field name, enum choices or None) in leaf order:
# what Record.leaf_order is built from
_ORDER: Final = {
    key: (
        (SCHEMA_INDEX[key], s.code, s.version),
        tuple((f.name, f.choices if f.tag == "enum" else None) for f in s.fields),
    )
    for key, s in _SCHEMAS.items()
}


def _leaf_order(r: _RecordBody) -> tuple[Any, ...]:
    order = _ORDER.get((r.kind, r.version))
    if order is None:
        schema(r.kind, r.version)  # raises RecordError for an unknown kind/version
        raise AssertionError("unreachable")  # pragma: no cover
    head, names = order
    fields = r.fields
    vals: list[Any] = [*head, r.record_id]
    for name, choices in names:
        v = fields[name]
        vals.append(v if choices is None else choices.index(v))
    return tuple(vals)


def _freeze(fields: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(fields)


@dataclass(frozen=True, eq=False, slots=True)
class _RecordBody:
    """What a record and its redacted form share: the fields, the leaf order, the canonical
    JSON, and equality and hashing by the canonical bytes (a record never equals a redacted
    record)."""

    _REDACTED: ClassVar[bool] = False
    kind: str
    version: int
    record_id: str
    fields: Mapping[str, Any]
    # (schema index, kind code, version, record_id, *field values in leaf order; enums as
    # their index, accounts as ids or, redacted, commitments): what the leaf encoders read
    # (the native one in one attribute lookup)
    # (computed from the other fields, so dataclasses.replace keeps it consistent)
    leaf_order: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "leaf_order", _leaf_order(self))

    def canonical_obj(self) -> dict[str, Any]:
        """The canonical JSON object (sorted keys when serialized)."""
        return _canonical_obj(
            self.kind, self.version, self.record_id, self.fields, redacted=self._REDACTED
        )

    def canonical_json(self) -> bytes:
        """Canonical JSON: sorted keys, no spaces, integers as decimal strings, ASCII only;
        the optional ``ext`` is omitted when zero. No seq, no salt."""
        return _dumps(self.canonical_obj())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.canonical_json() == other.canonical_json()

    def __hash__(self) -> int:
        return hash(self.canonical_json())


@dataclass(frozen=True, eq=False, slots=True)
class Record(_RecordBody):
    """A validated record. ``fields`` holds typed values (ints, str, bytes for hex32).

    Account fields hold account ids (str). Equality and hashing follow the canonical bytes.
    """

    def accounts(self) -> tuple[str, ...]:
        """Account ids the record mentions, in leaf order (duplicates removed)."""
        out: list[str] = []
        for name in _ACCOUNT_FIELDS[(self.kind, self.version)]:
            acc = self.fields[name]
            if acc not in out:
                out.append(acc)
        return tuple(out)

    @property
    def schema(self) -> Schema:
        return schema(self.kind, self.version)

    def __repr__(self) -> str:
        return f"Record({self.kind}/v{self.version} {self.record_id!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # pickle/copy through the canonical form
        return (parse_record, (self.canonical_json(),))


@dataclass(frozen=True, eq=False, slots=True)
class RedactedRecord(_RecordBody):
    """A record as a proof bundle shows it: every account replaced by its 32-byte commitment.

    Nothing in it names an account; the leaf can be recomputed from it and the seq alone.
    """

    _REDACTED: ClassVar[bool] = True

    def commitments(self) -> dict[str, bytes]:
        """Account field name -> commitment."""
        return {n: self.fields[n] for n in account_fields(self.kind, self.version)}

    def __reduce__(self) -> tuple[Any, ...]:
        return (parse_redacted, (self.canonical_json(),))


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _canonical_obj(
    kind: str, version: int, record_id: str, fields: Mapping[str, Any], *, redacted: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "version": version, "record_id": record_id}
    for spec in schema(kind, version).fields:
        v = fields[spec.name]
        if spec.tag in _INT_RANGE:
            out[spec.name] = str(v)
        elif spec.tag == "hex32":
            if v != ZERO32:
                out[spec.name] = "0x" + v.hex()
        elif spec.tag == "account" and redacted:
            out[spec.name] = "0x" + v.hex()
        else:
            out[spec.name] = v
    return out


# --------------------------------------------------------------------------- parsing


class _Bad:
    """A JSON literal we refuse (float, exponent, NaN, Infinity), kept to name the field."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise RecordError(k, "duplicate key")
            seen.add(k)
    return out


_DECODER: Final = json.JSONDecoder(
    parse_float=_Bad, parse_constant=_Bad, object_pairs_hook=_no_dupes
)


MAX_RECORD_CHARS: Final = 65_536
_MAX_NESTING: Final = 32


def _nesting_depth(text: str) -> int:
    """The deepest bracket nesting in ``text``, outside JSON strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _load_json(data: bytes | str) -> Any:
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError("record", f"not valid UTF-8 (byte {exc.start})") from None
    else:
        text = data
    if len(text) > MAX_RECORD_CHARS:
        raise RecordError(
            "record", f"too large ({len(text)} characters; at most {MAX_RECORD_CHARS})"
        )
    if text.count("[") + text.count("{") > _MAX_NESTING and _nesting_depth(text) > _MAX_NESTING:
        # json's C scanner recurses per level: refuse before it can exhaust a thread's stack
        raise RecordError("record", "JSON nested too deeply")
    try:
        return json.loads(text, parse_float=_Bad, parse_constant=_Bad, object_pairs_hook=_no_dupes)
    except json.JSONDecodeError as exc:
        raise RecordError("record", f"not valid JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise RecordError("record", "JSON nested too deeply") from None


_DEC_RE: Final = re.compile(r"-?[0-9]+\Z")
_HEX32_RE: Final = re.compile(r"0x[0-9a-fA-F]{64}\Z")
_ID_RE: Final = re.compile(r"[\x21-\x7e]+\Z")


def _parse_int(name: str, v: Any, lo: int, hi: int) -> int:
    t = type(v)
    if t is str:
        digits = v[1:] if v[:1] == "-" else v
        if len(v) > 80 or not (digits.isascii() and digits.isdigit()):
            raise RecordError(
                name,
                "must be an integer or a decimal string of digits (no sign '+', point, "
                "exponent, spaces or hex)",
            )
        n = int(v, 10)
    elif t is int:
        n = v
    elif isinstance(v, bool):
        raise RecordError(name, "must be an integer, not a boolean")
    elif isinstance(v, int):
        n = int(v)
    elif isinstance(v, str):
        if len(v) > 80 or not _DEC_RE.match(v):
            raise RecordError(
                name,
                "must be an integer or a decimal string of digits (no sign '+', point, "
                "exponent, spaces or hex)",
            )
        n = int(v, 10)
    elif isinstance(v, _Bad | float):
        raise RecordError(name, "must be an integer in the smallest unit, not a float/exponent/NaN")
    else:
        raise RecordError(name, f"must be an integer or a decimal string, not {_jtype(v)}")
    if n < lo:
        raise RecordError(name, "must not be negative" if lo == 0 else f"below minimum {lo}")
    if n > hi:
        raise RecordError(name, f"out of range (maximum {hi})")
    return n


def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, _Bad):
        return "a float"
    return type(v).__name__


def _parse_id(name: str, v: Any, max_len: int) -> str:
    if not isinstance(v, str):
        raise RecordError(name, f"must be a string, not {_jtype(v)}")
    if not v:
        raise RecordError(name, "must not be empty")
    if len(v) > max_len:
        raise RecordError(name, f"too long ({len(v)} characters, maximum {max_len})")
    if not _ID_RE.match(v):
        raise RecordError(name, "must be printable ASCII without spaces or control characters")
    return v


def _parse_hex32(name: str, v: Any) -> bytes:
    if not isinstance(v, str):
        raise RecordError(name, f"must be a 0x-prefixed 32-byte hex string, not {_jtype(v)}")
    if not _HEX32_RE.match(v):
        raise RecordError(name, "bad hex: expected 0x followed by exactly 64 hex digits")
    return bytes.fromhex(v[2:])


def _parse_enum(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise RecordError(name, f"must be one of {', '.join(choices)}")
    return v


def _as_obj(obj: Mapping[str, Any] | bytes | str) -> Mapping[str, Any]:
    if isinstance(obj, bytes | bytearray | memoryview | str):
        obj = _load_json(obj)
    if not isinstance(obj, Mapping):
        raise RecordError("record", f"must be a JSON object, not {_jtype(obj)}")
    for k in obj:
        if not isinstance(k, str):
            raise RecordError("record", "keys must be strings")
    return obj


def _parse_common(obj: Mapping[str, Any]) -> tuple[Schema, str]:
    if "kind" not in obj:
        raise RecordError("kind", "missing field")
    kind = obj["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise RecordError("kind", f"unknown kind (expected one of {', '.join(KINDS)})")
    if "version" not in obj:
        raise RecordError("version", "missing field")
    version = _parse_int("version", obj["version"], 1, U16_MAX)
    s = schema(kind, version)
    if "record_id" not in obj:
        raise RecordError("record_id", "missing field")
    record_id = _parse_id("record_id", obj["record_id"], RECORD_ID_MAX)
    allowed = s.allowed_keys
    if not allowed.issuperset(obj):
        for k in obj:
            if k not in allowed:
                raise RecordError(k, "unknown field")
    return s, record_id


def _parse_fields(s: Schema, obj: Mapping[str, Any], *, redacted: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for spec in s.fields:
        name = spec.name
        if name not in obj:
            if spec.optional:
                fields[name] = ZERO32
                continue
            raise RecordError(name, "missing field")
        v = obj[name]
        tag = spec.tag
        if tag in _INT_RANGE:
            lo, hi = _INT_RANGE[tag]
            fields[name] = _parse_int(name, v, lo, hi)
        elif tag == "id":
            fields[name] = _parse_id(name, v, spec.max_len)
        elif tag == "account":
            if redacted:
                fields[name] = _parse_hex32(name, v)
            else:
                fields[name] = _parse_id(name, v, ACCOUNT_ID_MAX)
        elif tag == "enum":
            fields[name] = _parse_enum(name, v, spec.choices)
        elif tag == "hex32":
            fields[name] = _parse_hex32(name, v)
        else:  # pragma: no cover - schema table is static
            raise AssertionError(tag)
    return fields


def parse_record(obj: Mapping[str, Any] | bytes | str) -> Record:
    """Validate a record (a mapping, or JSON text/bytes) into a :class:`Record`.

    Raises :class:`anchor.errors.RecordError` naming the field and the problem.
    """
    o = _as_obj(obj)
    s, record_id = _parse_common(o)
    fields = _parse_fields(s, o, redacted=False)
    return Record(s.kind, s.version, record_id, _freeze(fields))


def parse_redacted(obj: Mapping[str, Any] | bytes | str) -> RedactedRecord:
    """Validate a redacted record (accounts as 0x commitments), as found in a proof bundle."""
    o = _as_obj(obj)
    s, record_id = _parse_common(o)
    fields = _parse_fields(s, o, redacted=True)
    return RedactedRecord(s.kind, s.version, record_id, _freeze(fields))


def parse_account_id(v: Any, name: str = "account") -> str:
    """Validate an account id: printable ASCII without spaces, 1..128 characters."""
    return _parse_id(name, v, ACCOUNT_ID_MAX)


def redact(record: Record, commitments: Mapping[str, bytes]) -> RedactedRecord:
    """The record with each account replaced by its commitment (``commitments[account_id]``)."""
    fields = dict(record.fields)
    for name in account_fields(record.kind, record.version):
        fields[name] = commitment_for(commitments, record.fields[name], name)
    return RedactedRecord(record.kind, record.version, record.record_id, _freeze(fields))
