"""The bulk fast path (:mod:`anchor.core.prepare`): the C ``fast_parts``/``fast_chunk`` and
the pure ``_fast_parts_py`` accept exactly the same records as each other, never one the
core's ``parse_record`` refuses, and give the same canonical bytes and leaf inputs; every
rejection is the core's.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import orjson

from anchor.core import prepare
from anchor.core.native import native, pure_python
from anchor.core.prepare import _fast_parts_py, prepare_records
from anchor.core.records import MAX_RECORD_CHARS, U64_MAX, U256_MAX
from anchor.core.samples import sample_record_objs
from tests.core.accel import needs_native
from tests.core.strategies import reference
from tests.store.sample import balance

pytestmark = needs_native


def c_fast_parts(obj: Any) -> Any:
    mod = native()
    assert mod is not None
    return mod.fast_parts(obj)


I256_MIN = -(1 << 255)
I256_MAX = (1 << 255) - 1

VALUES: list[Any] = [
    0, 1, -1, 7, True, False, None, 1.0, 1.5, -0.0, [], {}, [1], {"a": 1},
    "0", "7", "007", "-0", "-007", "-000", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "", "-",
    "٣", "１", "1_000", "9" * 80, "9" * 81, "-" + "9" * 79, "1" * 19, "1" * 20,
    str((1 << 32) - 1), str(1 << 32), (1 << 32) - 1, 1 << 32,
    str(U64_MAX), str(U64_MAX + 1), U64_MAX, U64_MAX + 1,
    str(U256_MAX), str(U256_MAX + 1), U256_MAX, U256_MAX + 1,
    str(I256_MIN), str(I256_MIN - 1), I256_MIN, I256_MIN - 1, I256_MAX, I256_MAX + 1,
    "-12", -12, "12", 10**30, -(10**30), str(10**30),
    "a", "BTC-USD", 'a"b', "a\\b", "a b", "a\x7f", "a\x1f", "é", "a" * 32, "a" * 33,
    "a" * 128, "a" * 129, "acct-1", "alice",
    "buy", "sell", "Buy", "new", "amend", "cancel", "fill", "nope",
    "0x" + "00" * 32, "0x" + "ab" * 32, "0x" + "AB" * 32, "0x" + "aB" * 32, "0X" + "ab" * 32,
    "0x" + "ab" * 31, "0x" + "ab" * 33, "0x" + "gg" * 32, "ab" * 33, "0x" + "00" * 31 + "01",
]  # fmt: skip
EXTRA_KEYS = ["kind", "version", "record_id", "ext", "unknown", "Kind", "seq"]


def _mutants(seed: int, n: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    bases = list(sample_record_objs(50, seed=seed, accounts=9))
    for i in range(n):
        obj = dict(rng.choice(bases))
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            action = rng.random()
            keys = list(obj) + EXTRA_KEYS
            if action < 0.7:
                obj[rng.choice(keys)] = rng.choice(VALUES)
            elif action < 0.85:
                obj.pop(rng.choice(keys), None)
            elif action < 0.95:
                obj["ext"] = rng.choice(VALUES[-10:])
            else:
                obj["version"] = rng.choice([1, "1", "01", 2, 0, "x", True, 1.0])
        if i % 50 == 0:
            obj = dict(reversed(list(obj.items())))
        yield obj


def test_fast_parts_agrees_with_parse_record_on_mutants() -> None:
    accepted = rejected = 0
    for obj in _mutants(1, 6000):
        ref = reference(obj)
        py = _fast_parts_py(obj)
        fast = c_fast_parts(obj)
        # never accepts what the core refuses; what it accepts is identical to the core's
        assert py is None or py == ref, obj
        assert fast is None or fast == ref, obj
        # the C and Python fast paths take the same cases
        assert fast == py, obj
        if ref is None:
            rejected += 1
        else:
            accepted += 1
            assert py is not None, f"fast path refused a valid plain record: {obj}"
    # the mutations exercise both sides
    assert accepted > 1000 and rejected > 1000


def test_fast_parts_takes_every_sample_kind() -> None:
    for obj in sample_record_objs(500, seed=11, accounts=20):
        ref = reference(obj)
        assert ref is not None
        assert c_fast_parts(obj) == ref
        assert _fast_parts_py(obj) == ref
        # integers as JSON numbers and an explicit ext take it too
        as_ints = {k: int(v) if isinstance(v, str) and v.lstrip("-").isdigit() else v
                   for k, v in obj.items()}  # fmt: skip
        as_ints["ext"] = "0x" + "Ab" * 32
        assert c_fast_parts(as_ints) == _fast_parts_py(as_ints) == reference(as_ints)


def test_fast_parts_ignores_non_dicts_and_subclasses() -> None:
    obj = next(iter(sample_record_objs(1, seed=3)))
    assert c_fast_parts(obj) is not None

    class D(dict):  # type: ignore[type-arg]
        pass

    class S(str):
        pass

    for odd in (D(obj), json.dumps(obj), list(obj.items()), None, 5):
        assert c_fast_parts(odd) is None and _fast_parts_py(odd) is None
    sub = dict(obj, record_id=S(obj["record_id"]))
    assert c_fast_parts(sub) is None and _fast_parts_py(sub) is None
    flag = dict(obj, version=True)
    assert c_fast_parts(flag) is None and _fast_parts_py(flag) is None


def _lines_of(obj: dict[str, Any]) -> Iterator[bytes | str]:
    compact = json.dumps(obj, separators=(",", ":"))
    yield compact
    yield compact.encode()
    yield json.dumps(obj)  # ", " and ": "
    yield json.dumps(obj, indent=1)  # newlines
    yield json.dumps(obj, separators=(" ,", " : ")).encode()
    yield json.dumps(obj, separators=(",", "\t:\t")).encode()
    items = list(obj.items())
    if items:
        k, v = items[-1]
        # a duplicate key, written several ways: the core refuses it, so must the fast path
        body = compact[:-1]
        yield body + f",{json.dumps(k)}:{json.dumps(v)}}}"
        yield body + f",{json.dumps(k)} :{json.dumps(v)}}}"
        yield body + f",{json.dumps(k)}\n:{json.dumps(v)}}}"
        yield (body + f", {json.dumps(k)}\t: {json.dumps('0')}}}").encode()
    yield compact.replace('"1"', "1.0")
    yield compact.replace('"1', "1e")
    yield compact.replace('":"', '":NaN,"x":"', 1)
    yield compact.encode() + b"\xff"
    yield b"\xef\xbb\xbf" + compact.encode()
    yield "\ufeff" + compact
    yield compact + "\x00"
    yield compact.encode().replace(b"acct", b"\xc3\xa9cct")
    # over the core's size limit only by whitespace: the core refuses it as too large
    yield compact[:-1] + " " * MAX_RECORD_CHARS + "}"
    yield (compact[:-1] + " " * (MAX_RECORD_CHARS - len(compact)) + "}").encode()


def test_fast_line_agrees_with_parse_record() -> None:
    seen_fast = seen_slow = 0
    objs = [*sample_record_objs(60, seed=8, accounts=5), *list(_mutants(2, 400))]
    items = [line for obj in objs for line in _lines_of(obj)]
    py_taken: list[bool] = []
    for line in items:
        ref = reference(line)
        got = prepare._fast_item(line, orjson.loads)
        assert got is None or got == ref, line
        py_taken.append(got is not None)
        if got is None:
            seen_slow += 1
        else:
            seen_fast += 1
    # the native chunk path takes the same lines, with the same prepared records
    mod = native()
    assert mod is not None
    got_chunk, misses = mod.fast_chunk(items, 10, orjson.loads, MAX_RECORD_CHARS)
    assert misses == sum(g is None for g in got_chunk)
    for i, (item, got, taken) in enumerate(zip(items, got_chunk, py_taken, strict=True)):
        assert (got is not None) == taken, item
        if got is not None:
            assert got == prepare._prepare_one(10 + i, item, orjson.loads), item
    # prepare_records gives the same with and without the accelerator
    with_c = prepare_records(items, 10, loads=orjson.loads)
    with pure_python():
        without_c = prepare_records(items, 10, loads=orjson.loads)
    assert with_c == without_c
    big = dict(balance(1), available=U256_MAX)
    line = json.dumps(big)
    assert prepare._fast_item(line, orjson.loads) is None  # orjson reads it as a float
    assert reference(line) is not None
    assert seen_fast > 300 and seen_slow > 300
