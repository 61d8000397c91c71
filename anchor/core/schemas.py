"""Record kinds and versions: their fields, bounds and OpenZeppelin leaf layout.

Every kind at every version has a fixed ABI schema (docs/records.md, field by field); every
leaf starts with ``(uint8 kind, uint16 version, string record_id, uint64 seq)``. The tables
here are the single source that parsing, canonical JSON, leaf encoding and the accelerator
read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Final

from anchor.errors import RecordError

__all__ = [
    "ACCOUNT_ID_MAX",
    "KINDS",
    "KIND_CODES",
    "LEAF_PREFIX_TYPES",
    "FieldSpec",
    "Schema",
    "account_fields",
    "leaf_types",
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
INSTRUMENT_TYPES: Final = ("spot", "perpetual", "future", "option")
OPTION_TYPES: Final = ("none", "call", "put")
# why a journal entry changes a balance (every change that is not a trade)
REASONS: Final = (
    "deposit",
    "withdrawal",
    "fee",
    "funding",
    "realized_pnl",
    "liquidation",
    "insurance_fund",
    "transfer",
    "option_settlement",
)


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


# Fields several kinds share, each defined once.
_TS = FieldSpec("ts_ns", "u64")
_EXT = FieldSpec("ext", "hex32", optional=True)
_MARKET = FieldSpec("market", "id", max_len=32)
_ASSET = FieldSpec("asset", "id", max_len=32)
_ACCOUNT = FieldSpec("account", "account")
_SIDE = FieldSpec("side", "enum", choices=SIDES)
_PRICE = FieldSpec("price", "u256")
_QUANTITY = FieldSpec("quantity", "u256")


def _v1(kind: str, code: int, *fields: FieldSpec) -> Schema:
    """Version 1 of ``kind``: ``ts_ns`` first, ``fields``, the optional ``ext`` last (every
    kind's leaf has them there)."""
    return Schema(kind, code, 1, (_TS, *fields, _EXT))


_SCHEMAS: Final[dict[tuple[str, int], Schema]] = {
    (s.kind, s.version): s
    for s in (
        _v1(
            "order_event",
            1,
            _MARKET,
            FieldSpec("order_id", "id", max_len=128),
            _ACCOUNT,
            FieldSpec("action", "enum", choices=ACTIONS),
            _SIDE,
            _PRICE,
            _QUANTITY,
        ),
        _v1("book_snapshot", 2, _MARKET, _SIDE, _PRICE, _QUANTITY, FieldSpec("order_count", "u32")),
        _v1(
            "trade",
            3,
            _MARKET,
            FieldSpec("buyer", "account"),
            FieldSpec("seller", "account"),
            FieldSpec("buy_order_id", "id", max_len=128),
            FieldSpec("sell_order_id", "id", max_len=128),
            FieldSpec("taker_side", "enum", choices=SIDES),
            _PRICE,
            _QUANTITY,
            FieldSpec("buyer_fee", "i256"),
            FieldSpec("seller_fee", "i256"),
        ),
        _v1(
            "balance",
            4,
            _ACCOUNT,
            _ASSET,
            FieldSpec("available", "u256"),
            FieldSpec("locked", "u256"),
        ),
        _v1(
            "position",
            5,
            _ACCOUNT,
            _MARKET,
            FieldSpec("size", "i256"),
            FieldSpec("entry_price", "u256"),
            FieldSpec("collateral_asset", "id", max_len=32),
            FieldSpec("collateral", "u256"),
            FieldSpec("initial_margin", "u256"),
            FieldSpec("maintenance_margin", "u256"),
        ),
        # the books' replay kinds (docs/records.md, "Books"): what an instrument is, every
        # balance change that is not a trade, and the mark price / funding rate of a market
        _v1(
            "instrument",
            6,
            _MARKET,
            FieldSpec("instrument_type", "enum", choices=INSTRUMENT_TYPES),
            FieldSpec("base_asset", "id", max_len=32),
            FieldSpec("settlement_asset", "id", max_len=32),
            FieldSpec("contract_size", "u256"),
            FieldSpec("initial_margin_bps", "u32"),
            FieldSpec("maintenance_margin_bps", "u32"),
            FieldSpec("expiry_ns", "u64"),
            FieldSpec("strike", "u256"),
            FieldSpec("option_type", "enum", choices=OPTION_TYPES),
        ),
        _v1(
            "journal",
            7,
            _ACCOUNT,
            _ASSET,
            FieldSpec("amount", "i256"),
            FieldSpec("reason", "enum", choices=REASONS),
            FieldSpec("reference", "id", max_len=128),
        ),
        _v1(
            "mark_price",
            8,
            _MARKET,
            FieldSpec("mark_price", "u256"),
            FieldSpec("funding_rate", "i256"),
        ),
    )
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

KINDS: Final[tuple[str, ...]] = (
    "order_event",
    "book_snapshot",
    "trade",
    "balance",
    "position",
    "instrument",
    "journal",
    "mark_price",
)
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


# Per schema index (SCHEMA_LIST order): the field names in leaf order.
FIELD_NAMES: Final = tuple(tuple(f.name for f in _SCHEMAS[key].fields) for key in SCHEMA_LIST)
