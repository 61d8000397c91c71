"""Exchange records: kinds, versions, validation, canonical JSON and ABI leaves.

A record is what the exchange sends us (JSON). It is validated strictly into a
:class:`Record`; its leaf is ``abi.encode(leaf_types(kind, version), leaf_values(...))``,
a function of the record, the ingest sequence number ``seq`` and the account
commitments. Every leaf starts with ``(uint8 kind, uint16 version, string record_id,
uint64 seq)``. docs/records.md documents every kind field by field.

Accounts never enter a leaf in clear: only ``account_commitment(account_id, salt) =
keccak256(salt ‖ utf8(account_id))`` with a per-account 32-byte secret salt.

The ABI encoding is packed by hand (about 50x faster than ``eth_abi.encode``); the tests
check it is byte-identical to ``eth_abi.encode``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Final

from anchor.core.hashing import keccak256
from anchor.core.native import native
from anchor.errors import RecordError

__all__ = [
    "ACCOUNT_ID_MAX",
    "KINDS",
    "KIND_CODES",
    "LEAF_PREFIX_TYPES",
    "FieldSpec",
    "Record",
    "RedactedRecord",
    "Schema",
    "account_commitment",
    "account_fields",
    "encode_leaf",
    "encode_leaf_order",
    "encode_leaf_redacted",
    "fast_accelerator",
    "fast_parts",
    "fast_parts_py",
    "leaf_hash",
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

ACCOUNT_ID_MAX: Final = 128
RECORD_ID_MAX: Final = 128
SALT_LEN: Final = 32

U8_MAX: Final = (1 << 8) - 1
U16_MAX: Final = (1 << 16) - 1
U32_MAX: Final = (1 << 32) - 1
U64_MAX: Final = (1 << 64) - 1
U256_MAX: Final = (1 << 256) - 1
I256_MIN: Final = -(1 << 255)
I256_MAX: Final = (1 << 255) - 1

ZERO32: Final = b"\x00" * 32

# Field type tags (JSON side) and the ABI type they become in the leaf.
#   id      identifier string, printable ASCII without spaces   -> string
#   account account id (printable ASCII); leaf holds commitment -> bytes32
#   u32/u64/u256                                                -> uint32/uint64/uint256
#   i256    signed (e.g. a position size)                       -> int256
#   enum    one of a fixed list of names                        -> uint8 (index in the list)
#   hex32   optional 0x + 64 lowercase-or-uppercase hex, default zero -> bytes32
_ABI_OF_TAG: Final = {
    "id": "string",
    "account": "bytes32",
    "u32": "uint32",
    "u64": "uint64",
    "u256": "uint256",
    "i256": "int256",
    "enum": "uint8",
    "hex32": "bytes32",
}
_INT_RANGE: Final = {
    "u32": (0, U32_MAX),
    "u64": (0, U64_MAX),
    "u256": (0, U256_MAX),
    "i256": (I256_MIN, I256_MAX),
}

SIDES: Final = ("buy", "sell")
ACTIONS: Final = ("new", "amend", "cancel", "fill")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record kind: JSON name, type tag, bounds."""

    name: str
    tag: str
    max_len: int = 0  # for "id"
    choices: tuple[str, ...] = ()  # for "enum"
    optional: bool = False  # only "hex32" fields are optional (default: zero)

    @property
    def abi_type(self) -> str:
        return _ABI_OF_TAG[self.tag]


@dataclass(frozen=True)
class Schema:
    """A record kind at one version: its code in the leaf and its fields in leaf order."""

    kind: str
    code: int
    version: int
    fields: tuple[FieldSpec, ...]

    @cached_property
    def field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    @cached_property
    def allowed_keys(self) -> frozenset[str]:
        return self.field_names | {"kind", "version", "record_id"}


_EXT = FieldSpec("ext", "hex32", optional=True)

_SCHEMAS: Final[dict[tuple[str, int], Schema]] = {
    ("order_event", 1): Schema(
        "order_event",
        1,
        1,
        (
            FieldSpec("ts_ns", "u64"),
            FieldSpec("market", "id", max_len=32),
            FieldSpec("order_id", "id", max_len=128),
            FieldSpec("account", "account"),
            FieldSpec("action", "enum", choices=ACTIONS),
            FieldSpec("side", "enum", choices=SIDES),
            FieldSpec("price", "u256"),
            FieldSpec("quantity", "u256"),
            _EXT,
        ),
    ),
    ("book_snapshot", 1): Schema(
        "book_snapshot",
        2,
        1,
        (
            FieldSpec("ts_ns", "u64"),
            FieldSpec("market", "id", max_len=32),
            FieldSpec("side", "enum", choices=SIDES),
            FieldSpec("price", "u256"),
            FieldSpec("quantity", "u256"),
            FieldSpec("order_count", "u32"),
            _EXT,
        ),
    ),
    ("trade", 1): Schema(
        "trade",
        3,
        1,
        (
            FieldSpec("ts_ns", "u64"),
            FieldSpec("market", "id", max_len=32),
            FieldSpec("buyer", "account"),
            FieldSpec("seller", "account"),
            FieldSpec("buy_order_id", "id", max_len=128),
            FieldSpec("sell_order_id", "id", max_len=128),
            FieldSpec("taker_side", "enum", choices=SIDES),
            FieldSpec("price", "u256"),
            FieldSpec("quantity", "u256"),
            FieldSpec("buyer_fee", "i256"),
            FieldSpec("seller_fee", "i256"),
            _EXT,
        ),
    ),
    ("balance", 1): Schema(
        "balance",
        4,
        1,
        (
            FieldSpec("ts_ns", "u64"),
            FieldSpec("account", "account"),
            FieldSpec("asset", "id", max_len=32),
            FieldSpec("available", "u256"),
            FieldSpec("locked", "u256"),
            _EXT,
        ),
    ),
    ("position", 1): Schema(
        "position",
        5,
        1,
        (
            FieldSpec("ts_ns", "u64"),
            FieldSpec("account", "account"),
            FieldSpec("market", "id", max_len=32),
            FieldSpec("size", "i256"),
            FieldSpec("entry_price", "u256"),
            FieldSpec("collateral_asset", "id", max_len=32),
            FieldSpec("collateral", "u256"),
            FieldSpec("initial_margin", "u256"),
            FieldSpec("maintenance_margin", "u256"),
            _EXT,
        ),
    ),
}

# Native field tags per schema, indexed like SCHEMA_INDEX: u uint, i int256, s string,
# a account (commitment looked up by id), h bytes32.
_NATIVE_TAG: Final = {"id": "s", "account": "a", "u32": "u", "u64": "u", "u256": "u",
                      "i256": "i", "enum": "u", "hex32": "h"}  # fmt: skip
SCHEMA_LIST: Final = tuple(_SCHEMAS)
SCHEMA_INDEX: Final = {key: i for i, key in enumerate(SCHEMA_LIST)}
NATIVE_TAGS: Final = tuple(
    "".join(_NATIVE_TAG[f.tag] for f in _SCHEMAS[key].fields) for key in SCHEMA_LIST
)

KINDS: Final[tuple[str, ...]] = ("order_event", "book_snapshot", "trade", "balance", "position")
KIND_CODES: Final[Mapping[str, int]] = MappingProxyType(
    {k: s.code for (k, _), s in _SCHEMAS.items()}
)
LEAF_PREFIX_TYPES: Final = ("uint8", "uint16", "string", "uint64")
_TOP_KEYS: Final = frozenset({"kind", "version", "record_id"})


def schema(kind: str, version: int) -> Schema:
    """The schema of ``kind`` at ``version``; RecordError if unknown."""
    found = _SCHEMAS.get((kind, version))
    if found is None:
        if kind not in KINDS:
            raise RecordError("kind", f"unknown kind (expected one of {', '.join(KINDS)})")
        raise RecordError("version", f"unknown version {version} for kind {kind}")
    return found


def leaf_types(kind: str, version: int) -> tuple[str, ...]:
    """The OpenZeppelin ``leafEncoding`` (ABI types) of a kind at a version."""
    return _LEAF_TYPES[(kind, version)] if (kind, version) in _LEAF_TYPES else _types(kind, version)


def _types(kind: str, version: int) -> tuple[str, ...]:
    s = schema(kind, version)
    return LEAF_PREFIX_TYPES + tuple(f.abi_type for f in s.fields)


_LEAF_TYPES: Final = {key: _types(*key) for key in _SCHEMAS}


def account_fields(kind: str, version: int) -> tuple[str, ...]:
    """Names of the fields that hold an account (in leaf order)."""
    found = _ACCOUNT_FIELDS.get((kind, version))
    if found is None:
        return tuple(f.name for f in schema(kind, version).fields if f.tag == "account")
    return found


_ACCOUNT_FIELDS: Final = {
    key: tuple(f.name for f in s.fields if f.tag == "account") for key, s in _SCHEMAS.items()
}


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


def _freeze(fields: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(fields)


@dataclass(frozen=True, eq=False, slots=True)
class Record:
    """A validated record. ``fields`` holds typed values (ints, str, bytes for hex32).

    Account fields hold account ids (str). Equality and hashing follow the canonical bytes.
    """

    kind: str
    version: int
    record_id: str
    fields: Mapping[str, Any]
    # (schema index, kind code, version, record_id, *field values in leaf order; enums as
    # their index, accounts as ids): what the native sealer reads in one attribute lookup
    # (computed from the other fields, so dataclasses.replace keeps it consistent)
    leaf_order: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = _ORDER.get((self.kind, self.version))
        if order is None:
            schema(self.kind, self.version)  # raises RecordError for an unknown kind/version
            raise AssertionError("unreachable")  # pragma: no cover
        head, names = order
        fields = self.fields
        vals: list[Any] = [*head, self.record_id]
        for name, choices in names:
            v = fields[name]
            vals.append(v if choices is None else choices.index(v))
        object.__setattr__(self, "leaf_order", tuple(vals))

    def accounts(self) -> tuple[str, ...]:
        """Account ids the record mentions, in leaf order (duplicates removed)."""
        out: list[str] = []
        for name in _ACCOUNT_FIELDS[(self.kind, self.version)]:
            acc = self.fields[name]
            if acc not in out:
                out.append(acc)
        return tuple(out)

    def canonical_obj(self) -> dict[str, Any]:
        """The canonical JSON object (sorted keys when serialized)."""
        return _canonical_obj(self.kind, self.version, self.record_id, self.fields, redacted=False)

    def canonical_json(self) -> bytes:
        """Canonical JSON: sorted keys, no spaces, integers as decimal strings, ASCII only;
        the optional ``ext`` is omitted when zero. No seq, no salt."""
        return _dumps(self.canonical_obj())

    @property
    def schema(self) -> Schema:
        return schema(self.kind, self.version)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return self.canonical_json() == other.canonical_json()

    def __hash__(self) -> int:
        return hash(self.canonical_json())

    def __repr__(self) -> str:
        return f"Record({self.kind}/v{self.version} {self.record_id!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # pickle/copy through the canonical form
        return (parse_record, (self.canonical_json(),))


@dataclass(frozen=True, eq=False, slots=True)
class RedactedRecord:
    """A record as a proof bundle shows it: every account replaced by its 32-byte commitment.

    Nothing in it names an account; the leaf can be recomputed from it and the seq alone.
    """

    kind: str
    version: int
    record_id: str
    fields: Mapping[str, Any]

    def canonical_obj(self) -> dict[str, Any]:
        return _canonical_obj(self.kind, self.version, self.record_id, self.fields, redacted=True)

    def canonical_json(self) -> bytes:
        return _dumps(self.canonical_obj())

    def commitments(self) -> dict[str, bytes]:
        """Account field name -> commitment."""
        return {n: self.fields[n] for n in account_fields(self.kind, self.version)}

    def __reduce__(self) -> tuple[Any, ...]:
        return (parse_redacted, (self.canonical_json(),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RedactedRecord):
            return NotImplemented
        return self.canonical_json() == other.canonical_json()

    def __hash__(self) -> int:
        return hash(self.canonical_json())


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


# --------------------------------------------------------------------------- bulk fast path
#
# ``fast_parts`` does parse_record + canonical_json + the leaf inputs in one pass for the
# common shape of a record (a plain dict, str/int values, every field valid). It never
# raises and never decides that a record is bad: anything it does not accept as it is
# returns None, and the caller runs parse_record, which gives the exact error (or, should
# the fast path be too cautious, the same record). The tests check both paths agree.

_F_INT, _F_ID, _F_ACC, _F_ENUM, _F_HEX = range(5)
_FastField = tuple[str, int, Any, Any]


def _fast_plan(
    key: tuple[str, int], s: Schema
) -> tuple[tuple[Any, ...], frozenset[str], tuple[_FastField, ...], str, str]:
    fields: list[_FastField] = []
    for f in s.fields:
        if f.tag in _INT_RANGE:
            fields.append((f.name, _F_INT, *_INT_RANGE[f.tag]))
        elif f.tag == "id":
            fields.append((f.name, _F_ID, f.max_len, None))
        elif f.tag == "account":
            fields.append((f.name, _F_ACC, ACCOUNT_ID_MAX, None))
        elif f.tag == "enum":
            fields.append((f.name, _F_ENUM, {c: i for i, c in enumerate(f.choices)}, None))
        else:
            fields.append((f.name, _F_HEX, None, None))
    hexes = [i for i, f in enumerate(s.fields) if f.tag == "hex32"]
    assert len(hexes) <= 1, "the fast path handles at most one optional hex32 field"

    def template(omit: int | None) -> str:
        # canonical JSON with positional slots: {0} record_id, {i+1} field i (leaf order)
        parts = {"kind": _dumps(s.kind).decode(), "version": str(s.version), "record_id": "{0}"}
        for i, f in enumerate(s.fields):
            if i != omit:
                parts[f.name] = f"{{{i + 1}}}"
        return "{{" + ",".join(f'"{k}":{parts[k]}' for k in sorted(parts)) + "}}"

    full = template(None)
    bare = template(hexes[0]) if hexes else full
    head = (SCHEMA_INDEX[key], s.code, s.version)
    return head, s.allowed_keys, tuple(fields), full, bare


_FAST: Final = {key: _fast_plan(key, s) for key, s in _SCHEMAS.items()}


def _fast_str(v: str) -> str:
    if '"' in v or "\\" in v:
        return json.dumps(v)
    return '"' + v + '"'


def fast_parts(obj: Any) -> tuple[tuple[Any, ...], bytes, tuple[str, ...]] | None:
    """``(record.leaf_order, record.canonical_json(), record.accounts())`` of the record
    ``parse_record(obj)`` would return, computed in one pass for a plain ``dict`` whose
    values are ``str``/``int`` and all valid; ``None`` for anything else (then call
    :func:`parse_record`: it gives the exact error). Never raises for a record.

    Uses the C accelerator when it is built and enabled, else :func:`fast_parts_py`; the
    tests check both agree with each other and with :func:`parse_record`."""
    acc = fast_accelerator()
    if acc is not None:
        result: tuple[tuple[Any, ...], bytes, tuple[str, ...]] | None = acc.fast_parts(obj)
        return result
    return fast_parts_py(obj)


def fast_accelerator() -> Any:
    """The C accelerator module when its record fast path (``fast_parts``,
    ``fast_chunk``) is built, set up and enabled; else None."""
    return native() if _native_fast else None


def fast_parts_py(obj: Any) -> tuple[tuple[Any, ...], bytes, tuple[str, ...]] | None:
    """The pure Python :func:`fast_parts`."""
    if type(obj) is not dict:
        return None
    try:
        kind = obj["kind"]
        ver: Any = obj["version"]
        if type(ver) is str:
            if len(ver) > 80 or not (ver.isascii() and ver.isdigit()):
                return None
            ver = int(ver, 10)
        elif type(ver) is not int:
            return None
        plan = _FAST[(kind, ver)]
    except (KeyError, TypeError):  # missing key, unhashable kind, unknown kind/version
        return None
    head, allowed, fields, full, bare = plan
    if not obj.keys() <= allowed:
        return None
    rid = obj.get("record_id")
    if (
        type(rid) is not str
        or not 0 < len(rid) <= RECORD_ID_MAX
        or not (rid.isascii() and rid.isprintable())
        or " " in rid
    ):
        return None
    order: list[Any] = [*head, rid]
    enc: list[str] = [_fast_str(rid)]
    accounts: list[str] = []
    template = full
    get = obj.get
    v: Any
    for name, code, a, b in fields:
        v = get(name)
        t = type(v)
        if code == _F_INT:
            if t is str:
                digits = v[1:] if v[:1] == "-" else v
                if len(v) > 80 or not (digits.isascii() and digits.isdigit()):
                    return None
                n = int(v, 10)
            elif t is int:
                n = v
            else:
                return None
            if n < a or n > b:
                return None
            order.append(n)
            enc.append(f'"{n}"')
        elif code in (_F_ID, _F_ACC):
            if (
                t is not str
                or not 0 < len(v) <= a
                or not (v.isascii() and v.isprintable())
                or " " in v
            ):
                return None
            order.append(v)
            enc.append(_fast_str(v))
            if code == _F_ACC and v not in accounts:
                accounts.append(v)
        elif code == _F_ENUM:
            if t is not str or v not in a:
                return None
            order.append(a[v])
            enc.append('"' + v + '"')
        else:  # optional hex32
            if v is None:
                if name in obj:
                    return None
                order.append(ZERO32)
                enc.append("")
                template = bare
                continue
            if t is not str or not _HEX32_RE.match(v):
                return None
            raw = bytes.fromhex(v[2:])
            order.append(raw)
            if raw == ZERO32:
                enc.append("")
                template = bare
            else:
                enc.append('"0x' + raw.hex() + '"')
    return tuple(order), template.format(*enc).encode("ascii"), tuple(accounts)


def _native_plans() -> tuple[Any, ...]:
    """The schemas as the native ``fast_setup`` takes them (see _seal.c)."""
    codes = {"id": 1, "account": 2, "enum": 3, "hex32": 4}
    ranges = {"u32": 0, "u64": 1, "u256": 2, "i256": 3}
    plans = []
    for key, s in _SCHEMAS.items():
        fields = []
        keys: dict[str, tuple[bytes, int]] = {
            "kind": (b'"kind":' + _dumps(s.kind), -1),
            "version": (b'"version":' + str(s.version).encode(), -1),
            "record_id": (b'"record_id":', 0),
        }
        for i, f in enumerate(s.fields):
            lo, hi = _INT_RANGE.get(f.tag, (0, 0))
            max_len = f.max_len if f.tag == "id" else ACCOUNT_ID_MAX
            choices = {c: n for n, c in enumerate(f.choices)} if f.tag == "enum" else None
            code = 0 if f.tag in _INT_RANGE else codes[f.tag]
            fields.append((f.name, code, ranges.get(f.tag, 0), lo, hi, max_len, choices))
            keys[f.name] = (_dumps(f.name) + b":", i + 1)
        head = (SCHEMA_INDEX[key], s.code, s.version)
        plans.append(
            (
                s.kind,
                s.version,
                head,
                s.allowed_keys,
                tuple(fields),
                tuple(keys[k] for k in sorted(keys)),
            )
        )
    return tuple(plans)


def _setup_native_fast() -> bool:
    acc = native()
    if acc is None or not hasattr(acc, "fast_setup"):
        return False
    with contextlib.suppress(ValueError):  # already set up by an earlier import
        acc.fast_setup(_native_plans())
    return True


_native_fast: Final = _setup_native_fast()


def encode_leaf_order(
    leaf_order: Sequence[Any], seq: int, commitments: Mapping[str, bytes]
) -> bytes:
    """``encode_leaf`` from a ``Record.leaf_order`` (or :func:`fast_parts`) tuple: the pure
    Python twin of the native ``leaf_hashes`` encoder. ``commitments`` maps account id to
    commitment."""
    _check_seq(seq)
    key = SCHEMA_LIST[leaf_order[0]]
    values: list[Any] = [leaf_order[1], leaf_order[2], leaf_order[3], seq]
    for tag, v in zip(NATIVE_TAGS[SCHEMA_INDEX[key]], leaf_order[4:], strict=True):
        values.append(commitments[v] if tag == "a" else v)
    return _abi_encode(_LEAF_TYPES[key], values)


def account_commitment(account_id: str, salt: bytes) -> bytes:
    """``keccak256(salt ‖ utf8(account_id))``: how an account appears in a leaf (32 bytes)."""
    if not isinstance(salt, bytes) or len(salt) != SALT_LEN:
        raise ValueError("salt must be exactly 32 bytes")
    return keccak256(salt + account_id.encode("utf-8"))


def redact(record: Record, commitments: Mapping[str, bytes]) -> RedactedRecord:
    """The record with each account replaced by its commitment (``commitments[account_id]``)."""
    fields = dict(record.fields)
    for name in account_fields(record.kind, record.version):
        fields[name] = _commitment_for(commitments, record.fields[name], name)
    return RedactedRecord(record.kind, record.version, record.record_id, _freeze(fields))


def _commitment_for(commitments: Mapping[str, bytes], account_id: str, name: str) -> bytes:
    c = commitments.get(account_id)
    if c is None:
        raise RecordError(name, "no commitment given for this account")
    if len(c) != 32:
        raise RecordError(name, "commitment must be 32 bytes")
    return c


# --------------------------------------------------------------------------- leaves


def _check_seq(seq: int) -> None:
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= U64_MAX:
        raise RecordError("seq", "must be an integer in uint64 range")


def _values(
    s: Schema, record_id: str, seq: int, fields: Mapping[str, Any], accounts: Mapping[str, bytes]
) -> tuple[Any, ...]:
    out: list[Any] = [s.code, s.version, record_id, seq]
    for spec in s.fields:
        v = fields[spec.name]
        if spec.tag == "enum":
            out.append(spec.choices.index(v))
        elif spec.tag == "account":
            out.append(accounts[spec.name])
        else:
            out.append(v)
    return tuple(out)


def leaf_values(record: Record, seq: int, commitments: Mapping[str, bytes]) -> tuple[Any, ...]:
    """The values matching :func:`leaf_types`: ints, str and 32-byte ``bytes``."""
    _check_seq(seq)
    s = record.schema
    acc = {
        name: _commitment_for(commitments, record.fields[name], name)
        for name in account_fields(record.kind, record.version)
    }
    return _values(s, record.record_id, seq, record.fields, acc)


def leaf_values_redacted(record: RedactedRecord, seq: int) -> tuple[Any, ...]:
    """Leaf values of a redacted record (its account fields already are commitments)."""
    _check_seq(seq)
    s = schema(record.kind, record.version)
    return _values(s, record.record_id, seq, record.fields, record.commitments())


def leaf_values_json(values: Sequence[Any]) -> list[str]:
    """Leaf values as OpenZeppelin's ``StandardMerkleTree`` takes them from JSON: integers
    as decimal strings, bytes32 as 0x-hex, strings as they are."""
    out: list[str] = []
    for v in values:
        if isinstance(v, bytes):
            out.append("0x" + v.hex())
        elif isinstance(v, int):
            out.append(str(v))
        else:
            out.append(v)
    return out


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _abi_encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encode`` of a flat tuple of static words and strings (all our leaves need)."""
    head: list[bytes] = []
    tail: list[bytes] = []
    offset = 32 * len(types)
    for t, v in zip(types, values, strict=True):
        if t == "string":
            data = v.encode("utf-8")
            n = len(data)
            pad = (-n) % 32
            head.append(offset.to_bytes(32, "big"))
            chunk = n.to_bytes(32, "big") + data + b"\x00" * pad
            tail.append(chunk)
            offset += len(chunk)
        elif t == "bytes32":
            head.append(v)
        elif t[0] == "i":  # int256
            head.append(v.to_bytes(32, "big", signed=True))
        else:  # uintN
            head.append(v.to_bytes(32, "big"))
    return b"".join(head) + b"".join(tail)


def encode_leaf(record: Record, seq: int, commitments: Mapping[str, bytes]) -> bytes:
    """``abi.encode(leaf_types(kind, version), leaf_values(record, seq, commitments))``."""
    return _abi_encode(
        _LEAF_TYPES[(record.kind, record.version)], leaf_values(record, seq, commitments)
    )


def encode_leaf_redacted(record: RedactedRecord, seq: int) -> bytes:
    """The encoded leaf of a redacted record."""
    return _abi_encode(
        _LEAF_TYPES[(record.kind, record.version)], leaf_values_redacted(record, seq)
    )


def leaf_hash(encoded: bytes) -> bytes:
    """OpenZeppelin's standard leaf hash: ``keccak256(keccak256(encoded))``."""
    return keccak256(keccak256(encoded))


def leaf_hashes(
    items: Iterable[tuple[Record, int]], commitments: Mapping[str, bytes]
) -> list[bytes]:
    """Leaf hashes of many ``(record, seq)`` pairs (the sealing path)."""
    k = keccak256
    return [k(k(encode_leaf(r, seq, commitments))) for r, seq in items]
