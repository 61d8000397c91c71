"""The bulk-ingest fast path: it must accept exactly what the core accepts, produce the same
canonical bytes and leaves, and leave every rejection (and its message) to the core.

* ``anchor.core.records.fast_parts`` (C accelerator) and ``fast_parts_py`` (pure Python)
  against ``parse_record`` on thousands of mutated records;
* ``anchor.service.ingest._fast`` (orjson + the key-count duplicate check) on raw lines;
* ingest with the accelerator on and off gives the same store; the optimistic write
  (no id lookups, savepoint) falls back correctly on duplicates and conflicts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from anchor.core import native as native_switch
from anchor.core.records import (
    MAX_RECORD_CHARS,
    U64_MAX,
    U256_MAX,
    Record,
    account_commitment,
    encode_leaf,
    encode_leaf_order,
    fast_accelerator,
    fast_parts,
    fast_parts_py,
    leaf_hash,
    parse_record,
)
from anchor.core.samples import sample_record_objs
from anchor.errors import ConflictError, RecordError
from anchor.service import ingest as ingest_mod
from anchor.service.ingest import ingest
from anchor.store.db import Database
from tests.store.sample import balance, lines, mixed

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


def _reference(obj: Any) -> tuple[tuple[Any, ...], bytes, tuple[str, ...]] | None:
    try:
        r = parse_record(obj)
    except RecordError:
        return None
    return r.leaf_order, r.canonical_json(), r.accounts()


@pytest.fixture
def without_native() -> Iterator[None]:
    native_switch.use_native(False)
    try:
        yield
    finally:
        native_switch.use_native(True)


def test_fast_parts_agrees_with_parse_record_on_mutants() -> None:
    accepted = rejected = 0
    for obj in _mutants(1, 6000):
        ref = _reference(obj)
        py = fast_parts_py(obj)
        fast = fast_parts(obj)
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
        ref = _reference(obj)
        assert ref is not None
        assert fast_parts(obj) == ref
        assert fast_parts_py(obj) == ref
        # integers as JSON numbers and an explicit ext take it too
        as_ints = {k: int(v) if isinstance(v, str) and v.lstrip("-").isdigit() else v
                   for k, v in obj.items()}  # fmt: skip
        as_ints["ext"] = "0x" + "Ab" * 32
        assert fast_parts(as_ints) == fast_parts_py(as_ints) == _reference(as_ints)


def test_fast_parts_ignores_non_dicts_and_subclasses() -> None:
    obj = next(iter(sample_record_objs(1, seed=3)))
    assert fast_parts(obj) is not None

    class D(dict):  # type: ignore[type-arg]
        pass

    class S(str):
        pass

    for odd in (D(obj), json.dumps(obj), list(obj.items()), None, 5):
        assert fast_parts(odd) is None and fast_parts_py(odd) is None
    sub = dict(obj, record_id=S(obj["record_id"]))
    assert fast_parts(sub) is None and fast_parts_py(sub) is None
    flag = dict(obj, version=True)
    assert fast_parts(flag) is None and fast_parts_py(flag) is None


def test_encode_leaf_order_matches_encode_leaf() -> None:
    records = [parse_record(o) for o in sample_record_objs(200, seed=4, accounts=13)]
    commitments = {a: account_commitment(a, bytes([i]) * 32)
                   for i, a in enumerate(sorted({a for r in records for a in r.accounts()}))}  # fmt: skip
    for seq, r in enumerate(records, 1):
        assert encode_leaf_order(r.leaf_order, seq, commitments) == encode_leaf(r, seq, commitments)


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
    for obj in objs:
        for line in _lines_of(obj):
            ref = _reference(line)
            got = ingest_mod._fast(line)
            assert got is None or got == ref, line
            if got is None:
                seen_slow += 1
            else:
                seen_fast += 1
            # and big integers beyond 64 bits (orjson reads them as floats)
    # the native chunk path (what ingest runs) agrees on the same lines
    acc = fast_accelerator()
    if acc is not None:
        items = [line for obj in objs for line in _lines_of(obj)]
        got_chunk, misses = acc.fast_chunk(items, 10, orjson.loads, MAX_RECORD_CHARS)
        assert misses == sum(g is None for g in got_chunk)
        taken = 0
        for i, (item, got) in enumerate(zip(items, got_chunk, strict=True)):
            py = ingest_mod._prepare(10 + i, item) if ingest_mod._fast(item) else None
            assert got == py, item
            taken += got is not None
        assert taken == seen_fast
    big = dict(balance(1), available=U256_MAX)
    line = json.dumps(big)
    assert ingest_mod._fast(line) is None
    assert _reference(line) is not None
    assert seen_fast > 300 and seen_slow > 300


def _store(db: Database) -> tuple[list[tuple[Any, ...]], dict[str, bytes], list[tuple[Any, ...]]]:
    with db.connect(write=False) as conn:
        rows = [
            (r[0], r[1], r[2], r[3], r[4], bytes(r[5]), bytes(r[6]))
            for r in conn.execute(
                sa.text(
                    "SELECT seq, record_id, kind, version, canonical, content_hash, leaf "
                    "FROM records ORDER BY seq"
                )
            )
        ]
        salts = {
            str(a): bytes(s)
            for a, s in conn.execute(sa.text("SELECT account_id, salt FROM accounts"))
        }
        links = [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT account_id, seq FROM record_accounts ORDER BY seq, account_id")
            )
        ]
    return rows, salts, links


def _check_leaves(rows: list[tuple[Any, ...]], salts: dict[str, bytes]) -> None:
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    for seq, _rid, _kind, _version, canonical, _h, leaf in rows:
        record: Record = parse_record(canonical)
        assert leaf == leaf_hash(encode_leaf(record, seq, commitments))


def test_native_and_pure_python_ingest_store_the_same(
    make_db_url: Callable[[str], str], backend: str
) -> None:
    objs = list(sample_record_objs(900, seed=21, accounts=17))
    items: list[Any] = []
    for i, obj in enumerate(objs):
        # a mix of dicts, compact bytes, spaced str and a few lines only the core reads
        if i % 4 == 0:
            items.append(obj)
        elif i % 4 == 1:
            items.append(json.dumps(obj, separators=(",", ":")).encode())
        elif i % 4 == 2:
            items.append(json.dumps(obj))
        else:
            items.append(json.dumps(obj).replace('"version": 1', '"version": 1 '))
    stores = []
    for enabled in (True, False):
        native_switch.use_native(enabled)
        try:
            db = Database.open(make_db_url(backend))
            try:
                result = ingest(db, items, chunk_size=128)
                assert (result.accepted, result.first_seq, result.last_seq) == (900, 1, 900)
                rows, salts, links = _store(db)
            finally:
                db.close()
        finally:
            native_switch.use_native(True)
        _check_leaves(rows, salts)
        for (_seq, _rid, _k, _v, canonical, _h, _leaf), obj in zip(rows, objs, strict=True):
            assert canonical.encode() == parse_record(obj).canonical_json()
        # salts are random per store: compare everything else
        stores.append(([r[:6] for r in rows], sorted(salts), links))
    assert stores[0] == stores[1]


def test_optimistic_write_falls_back_on_stored_ids(db: Database) -> None:
    first = mixed(300)
    ingest(db, lines(first[:150]), chunk_size=50)
    # chunks: new only (optimistic), then ones meeting stored ids, then new ones again
    result = ingest(db, lines(first), chunk_size=50)
    assert (result.accepted, result.duplicates, result.first_seq, result.last_seq) == (
        150,
        150,
        151,
        300,
    )
    rows, salts, links = _store(db)
    assert [r[1] for r in rows] == [r["record_id"] for r in first]
    assert [r[0] for r in rows] == list(range(1, 301))
    _check_leaves(rows, salts)
    assert len(links) == sum(2 if r["kind"] == "trade" else 1 for r in first)
    # new records after stored ones in the SAME chunk
    more = [balance(1000 + i) for i in range(10)]
    mixed_chunk = [*lines(first[-5:]), *lines(more)]
    again = ingest(db, mixed_chunk, chunk_size=50)
    assert (again.accepted, again.duplicates, again.first_seq) == (10, 5, 301)


def test_conflict_after_optimistic_chunks_names_the_line_and_writes_nothing(
    db: Database,
) -> None:
    ingest(db, [balance(7, available=1)])
    items = [*lines([balance(100 + i) for i in range(120)]), json.dumps(balance(7, available=2))]
    with pytest.raises(ConflictError, match=r"line 121: record 'bal-7'"):
        ingest(db, items, chunk_size=40)
    rows, _salts, _links = _store(db)
    assert [r[1] for r in rows] == ["bal-7"]


def test_conflict_inside_a_chunk_reports_the_core_line(db: Database) -> None:
    ingest(db, [balance(1, available=1)])
    # the same id twice in one chunk, the first with new content: the first is the conflict
    items = [json.dumps(balance(1, available=2)), json.dumps(balance(1, available=1))]
    with pytest.raises(ConflictError, match="line 1: "):
        ingest(db, items)


def test_bad_lines_keep_the_core_messages(db: Database, without_native: None) -> None:
    bad = [
        ('{"kind":"balance","kind":"balance"}', "kind", "duplicate key"),
        (json.dumps(dict(balance(1), available=1.5)), "available", None),
        (json.dumps(dict(balance(1), available="1e3")), "available", None),
        (json.dumps(dict(balance(1), asset="")), "asset", "must not be empty"),
    ]
    for line, field, problem in bad:
        with pytest.raises(RecordError) as info:
            ingest(db, [line])
        expected = pytest.raises(RecordError)
        with expected as ref:
            parse_record(line)
        assert (info.value.field, info.value.problem) == (ref.value.field, ref.value.problem)
        assert info.value.field == field
        if problem is not None:
            assert info.value.problem == problem
        assert info.value.line == 1


@pytest.mark.parametrize("native", [True, False])
def test_size_limit_of_the_core_holds_on_the_fast_path(db: Database, native: bool) -> None:
    line = json.dumps(balance(1))
    padded = line[:-1] + " " * MAX_RECORD_CHARS + "}"
    native_switch.use_native(native)
    try:
        with pytest.raises(RecordError) as info:
            ingest(db, [padded.encode()])
        assert (info.value.field, info.value.line) == ("record", 1)
        assert "too large" in info.value.problem
        at_limit = line[:-1] + " " * (MAX_RECORD_CHARS - len(line)) + "}"
        assert ingest(db, [at_limit]).accepted == 1
    finally:
        native_switch.use_native(True)
