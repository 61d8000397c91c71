"""Many records at once: validation, canonical JSON and the leaf inputs in one pass.

:func:`prepare_records` is what bulk ingest and backups call. For each input (a mapping, or
JSON text/bytes such as an NDJSON line) it gives either the prepared record -- the
canonical JSON and its keccak256 content hash, the accounts, the ``leaf_order`` tuple
that :func:`anchor.core.leaves.leaf_hash_buffer` takes -- or the rejection
(:class:`Rejected`), always the one :func:`anchor.core.records.parse_record` gives, with
its field and message; ``None`` for a blank input.

Speed: the common shape of a record (a plain dict of str/int values, every field valid)
takes a one-pass fast path -- C (``fast_chunk``/``fast_parts`` in
:mod:`anchor.core._native`) when the accelerator is built, else :func:`_fast_parts_py`.
The fast path never raises and never decides that a record is bad: anything it does not
accept exactly as it is goes to ``parse_record`` (which names the error or, should the fast
path be too cautious, gives the same record). JSON text is read with ``loads`` (the
standard library's unless the caller passes a faster one, such as orjson's). The reader differs from the core's in ways that
only ever lead to ``parse_record``: floats, exponents and (with orjson) integers beyond 64
bits come back as floats, which no field takes; NaN and Infinity are refused or read as
floats; a duplicate key silently keeps the last value -- caught by comparing the number of
keys with :func:`_quoted_keys` of the raw text. tests/core/test_parity.py and the fuzzer
(tests/fuzz/) check that the fast paths agree with ``parse_record``.

Why C and not a library: the C reads no JSON (orjson or the standard library does); it
validates the decoded values and writes the canonical JSON, its hash and the leaf inputs in
one pass. msgspec's typed decoding alone (a tagged union of the record structs, no range
checks, canonical JSON or hash) measured ~2.6 us a record here, against ~5 us for the whole
C path including orjson's decoding, and the rest would be Python (~6.7 us a record for
``_fast_parts_py`` on decoded dicts): it would not be as fast.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from json.scanner import make_scanner
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from anchor.core.hashing import keccak256
from anchor.core.native import native
from anchor.core.records import _HEX32_RE, MAX_RECORD_CHARS, Record, _dumps, parse_record
from anchor.core.schemas import (
    _INT_RANGE,
    _SCHEMAS,
    ACCOUNT_ID_MAX,
    RECORD_ID_MAX,
    SCHEMA_INDEX,
    SCHEMA_LIST,
    ZERO32,
    Schema,
)
from anchor.errors import RecordError

__all__ = [
    "ACCOUNTS",
    "CANONICAL",
    "CONTENT_HASH",
    "KIND",
    "LEAF_ORDER",
    "LINE",
    "RECORD_ID",
    "VERSION",
    "Prepared",
    "RecordInput",
    "Rejected",
    "canonical_parts",
    "parse_canonical",
    "prepare_records",
    "record_of_order",
]

RecordInput = Mapping[str, Any] | str | bytes

# A prepared record, a plain tuple (as the native fast_chunk builds it):
#   (line, record_id, kind, version, canonical JSON text, keccak256(canonical), accounts,
#    Record.leaf_order)
Prepared = tuple[int, str, str, int, str, bytes, tuple[str, ...], tuple[Any, ...]]
LINE: Final = 0
RECORD_ID: Final = 1
KIND: Final = 2
VERSION: Final = 3
CANONICAL: Final = 4
CONTENT_HASH: Final = 5
ACCOUNTS: Final = 6
LEAF_ORDER: Final = 7


class Rejected(NamedTuple):
    """A record ``parse_record`` refused: its line, the field and the problem."""

    line: int
    field: str
    problem: str


def prepare_records(
    items: Sequence[RecordInput],
    first_line: int = 1,
    *,
    loads: Callable[[Any], Any] = json.loads,
) -> list[Prepared | Rejected | None]:
    """One entry per item (``first_line`` is the line number of the first): the prepared
    record, its :class:`Rejected`, or ``None`` for a blank item (an empty mapping, an empty
    or whitespace-only text).

    ``loads`` reads JSON text for the fast path only (a server passes ``orjson.loads``,
    about twice as fast); whatever it returns is checked again (see the module docstring),
    so it can make a record slower, never accept or change one."""
    batch = items if type(items) is list else list(items)
    acc = _accelerator()
    if acc is not None:
        fast: list[Any]
        fast, misses = acc.fast_chunk(batch, first_line, loads, MAX_RECORD_CHARS)
        if not misses:
            return fast
    else:
        fast = [None] * len(batch)
    out: list[Prepared | Rejected | None] = []
    for line, item, got in zip(
        range(first_line, first_line + len(batch)), batch, fast, strict=True
    ):
        if got is None and not _blank(item):
            got = _prepare_one(line, item, None if acc is not None else loads)
        out.append(got)
    return out


def parse_canonical(text: str) -> Record:
    """``parse_record(text)`` for a record's canonical JSON (as stored at ingest), through
    the fast path: the text is read, the fast path (C when built) validates it and writes
    its canonical JSON again, and when that is ``text`` itself the record is built from
    its leaf order; any other text (or a record the fast path declines) goes to
    ``parse_record``, which gives the record or the error. Same record either way
    (tests/core/test_parity.py)."""
    parts = canonical_parts(text)
    if parts is None:
        return parse_record(text)
    return record_of_order(parts[0])


# what json.loads runs (the C scanner), without its wrappers
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)


def canonical_parts(text: str) -> Parts | None:
    """The fast path's parts (leaf order, canonical bytes, accounts) of a record's canonical
    JSON, when the fast path takes it and writes ``text`` itself again; else None (then
    ``parse_record(text)`` decides)."""
    parts: Parts | None = None
    if type(text) is str and len(text) <= MAX_RECORD_CHARS and text.isascii():
        try:  # json.loads, less its wrappers: a canonical text has no surrounding space
            obj, end = _SCAN(text, 0)
        except (StopIteration, ValueError, RecursionError):
            obj, end = None, 0
        if type(obj) is dict and end == len(text):
            acc = _accelerator()
            parts = acc.fast_parts(obj) if acc is not None else _fast_parts_py(obj)
    if parts is None or parts[1] != text.encode("ascii"):
        return None
    return parts


def record_of_order(order: tuple[Any, ...]) -> Record:
    """The record of a fast path's leaf order tuple."""
    kind, version, names = _FIELDS[order[0]]
    fields = {
        name: v if choices is None else choices[v]
        for (name, choices), v in zip(names, order[4:], strict=True)
    }
    return Record(kind, version, order[3], MappingProxyType(fields))


def _blank(item: RecordInput) -> bool:
    if isinstance(item, Mapping):
        return not item
    return isinstance(item, str | bytes | bytearray) and not item.strip()


def _prepare_one(
    line: int, item: RecordInput, loads: Callable[[Any], Any] | None
) -> Prepared | Rejected:
    """One item: the pure fast path when ``loads`` is given (None: the native one has
    declined it already), else (and when it declines) ``parse_record``."""
    parts = None if loads is None else _fast_item(item, loads)
    if parts is not None:
        order, canonical, accounts = parts
    else:
        try:
            record = parse_record(item)
        except RecordError as exc:
            return Rejected(line, exc.field, exc.problem)
        except (ValueError, TypeError) as exc:  # anything the core did not name
            return Rejected(line, "record", f"cannot be parsed ({exc.__class__.__name__})")
        order, canonical, accounts = record.leaf_order, record.canonical_json(), record.accounts()
    return (
        line,
        order[3],
        SCHEMA_LIST[order[0]][0],
        order[2],
        canonical.decode("ascii"),
        keccak256(canonical),
        accounts,
        order,
    )


def _quoted_keys(raw: bytes | str) -> int:
    """Never less than the number of object keys in a JSON text (duplicates included):
    every key ends with a quote followed by ':' or by whitespace (then ':'); matches inside
    strings only make it larger. Equal to the length of the parsed (flat) object only if
    the text has no duplicate key. (The C ``fp_quoted_keys`` is the same count.)"""
    if type(raw) is bytes:
        c = raw.count
        return c(b'":') + c(b'" ') + c(b'"\t') + c(b'"\n') + c(b'"\r')
    assert type(raw) is str
    t = raw.count
    return t('":') + t('" ') + t('"\t') + t('"\n') + t('"\r')


def _fast_item(item: RecordInput, loads: Callable[[Any], Any] = json.loads) -> Parts | None:
    """:func:`_fast_parts_py` of a dict, or of a JSON text read with ``loads`` (an ASCII
    text within the size limit whose keys are all distinct); None otherwise."""
    t = type(item)
    if t is dict:
        return _fast_parts_py(item)
    if t is not bytes and t is not str:
        return None
    if len(item) > MAX_RECORD_CHARS or not item.isascii():  # type: ignore[union-attr]
        return None
    try:
        obj = loads(item)
    except (ValueError, RecursionError):  # a JSON syntax error, nested too deeply
        return None
    if type(obj) is not dict or not obj or _quoted_keys(item) != len(obj):  # type: ignore[arg-type]
        return None
    return _fast_parts_py(obj)


# --------------------------------------------------------------------------- the fast path
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
# schema index -> (kind, version, (field name, enum choices or None) in leaf order)
_FIELDS: Final = {
    SCHEMA_INDEX[key]: (
        s.kind,
        s.version,
        tuple((f.name, f.choices if f.tag == "enum" else None) for f in s.fields),
    )
    for key, s in _SCHEMAS.items()
}


def _fast_str(v: str) -> str:
    if '"' in v or "\\" in v:
        return json.dumps(v)
    return '"' + v + '"'


def _accelerator() -> Any:
    """The C accelerator module when its record fast path (``fast_parts``,
    ``fast_chunk``) is built, set up and enabled; else None."""
    return native() if _native_fast else None


Parts = tuple[tuple[Any, ...], bytes, tuple[str, ...]]


def _fast_parts_py(obj: Any) -> Parts | None:
    """``(record.leaf_order, record.canonical_json(), record.accounts())`` of the record
    ``parse_record(obj)`` would return, computed in one pass for a plain ``dict`` whose
    values are ``str``/``int`` and all valid; ``None`` for anything else (then
    :func:`parse_record` gives the exact error). Never raises for a record. The C
    ``fast_parts`` is the same function (tests/core/test_parity.py)."""
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
