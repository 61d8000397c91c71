"""CSV ingest format: one record per row, columns named after the record's JSON fields.

Mapping, the same for every kind:

* a header row is required; each column holds the JSON field of the same name
  (``record_id``, ``ts_ns``, ``account``, ``price``, ... — see docs/records.md and
  :func:`columns` for each kind's list);
* ``kind`` and ``version`` columns say what each row is; a file of one kind may leave
  them out and pass ``--kind KIND`` (version 1 unless ``--kind KIND:VERSION``);
* cells are taken as text, so amounts are decimal strings exactly as in JSON; an EMPTY
  cell means "field absent" (only optional fields such as ``ext`` may be absent);
* unknown columns are errors (the record validator names them), like unknown JSON keys.

Examples::

    kind,version,record_id,ts_ns,account,asset,available,locked
    balance,1,bal-1,1700000000000000000,alice,USDT,1500000,0

    # anchor ingest trades.csv --format csv --kind trade
    record_id,ts_ns,market,buyer,seller,buy_order_id,sell_order_id,taker_side,price,quantity,buyer_fee,seller_fee
    t-1,1700000000000000000,BTC-USD,alice,bob,o1,o2,buy,6500000,3,10,-2
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

from anchor.errors import InputError


def columns(kind: str, version: int = 1) -> tuple[str, ...]:
    """The CSV columns of a kind: ``kind``, ``version``, ``record_id``, then its fields."""
    from anchor.core.records import schema

    return ("kind", "version", "record_id", *(f.name for f in schema(kind, version).fields))


def parse_kind(value: str | None) -> tuple[str, int] | None:
    """``"trade"`` or ``"trade:1"`` → ``("trade", 1)``."""
    if not value:
        return None
    kind, _, version = value.partition(":")
    try:
        return kind, int(version or "1")
    except ValueError:
        raise InputError(f"--kind {value!r}: expected KIND or KIND:VERSION") from None


def read_csv(stream: IO[str], *, kind: tuple[str, int] | None = None) -> Iterator[dict[str, Any]]:
    """Rows of a CSV file as record mappings (empty cells dropped)."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise InputError("CSV header names a column twice")
    for row in reader:
        if not any(cell.strip() for cell in row):
            yield {}
            continue
        if len(row) != len(header):
            raise InputError(f"line {reader.line_num}: {len(row)} cells for {len(header)} columns")
        obj: dict[str, Any] = {}
        if kind is not None:
            obj["kind"], obj["version"] = kind
        for name, cell in zip(header, row, strict=True):
            if cell != "":
                obj[name] = cell
        yield obj
