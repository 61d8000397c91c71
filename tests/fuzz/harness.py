"""The check the fuzzer runs on each input (tests/fuzz/fuzz_records.py), importable without
atheris: tests/fuzz/test_corpus.py replays every committed input through it, and
scripts/check_native.sh replays what the fuzzer found under the full sanitizers.

An input is one record as JSON text, as ingest receives it. For it:

* ``prepare_records`` with the accelerator (C ``fast_chunk``: key count, ``fast_parts``,
  canonical JSON, content hash) and without it (``_fast_parts_py``, ``parse_record``) must
  give the same answer: the same prepared record, or the same rejection (field and
  message), with both JSON readers (orjson and the standard library's);
* if the text is a JSON object, the C ``fast_parts`` and ``_fast_parts_py`` must agree and
  accept nothing that ``parse_record`` refuses, with its canonical bytes and leaf inputs;
* an accepted record's leaf hash must be the same from the C encoder and the Python one,
  and its PostgreSQL COPY rows (``anchor.store.pg_copy``) the same from C and the pure twin.

Any difference raises AssertionError.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import orjson

from anchor.core import prepare
from anchor.core.leaves import account_commitment, leaf_hash_buffer
from anchor.core.native import native, use_native
from anchor.store import pg_copy
from tests.core.strategies import reference

_SEQS = (0, 7, 2**64 - 1)
_AT = bytes(range(8))
_LEAF = bytes(range(32))


def _commitments(accounts: tuple[str, ...]) -> dict[str, bytes]:
    return {a: account_commitment(a, bytes([len(a) % 256]) * 32) for a in accounts}


def _pure(fn: Any, *args: Any, **kwargs: Any) -> Any:
    use_native(False)
    try:
        return fn(*args, **kwargs)
    finally:
        use_native(True)


def _check_leaves(order: tuple[Any, ...], accounts: tuple[str, ...]) -> None:
    com = _commitments(accounts)
    for seq in _SEQS:
        fast = leaf_hash_buffer([order], [seq], com)
        slow = _pure(leaf_hash_buffer, [order], [seq], com)
        assert fast == slow, ("leaf", order, seq)


def check(data: bytes) -> None:
    items: list[bytes | str] = [data]
    with contextlib.suppress(UnicodeDecodeError):
        items.append(data.decode("utf-8"))
    for loads in (orjson.loads, json.loads):
        fast = prepare.prepare_records(items, 1, loads=loads)
        slow = _pure(prepare.prepare_records, items, 1, loads=loads)
        assert fast == slow, ("prepare_records", data, fast, slow)
    for got in fast:
        if type(got) is tuple:
            _check_leaves(got[prepare.LEAF_ORDER], got[prepare.ACCOUNTS])
            rows = pg_copy.chunk_rows([got], 3, _LEAF, _AT)
            assert rows == pg_copy.rows_py([got], 3, _LEAF, _AT), ("pg_copy", data)
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return
    mod = native()
    assert mod is not None, "the C accelerator is not built"
    c = mod.fast_parts(obj)
    py = prepare._fast_parts_py(obj)
    assert c == py, ("fast_parts", data, c, py)
    if py is not None:
        assert py == reference(obj), ("fast_parts accepted differently", data)
