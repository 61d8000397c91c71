"""Backup leaves are exactly the core's leaves; nothing but canonical records is accepted."""

from __future__ import annotations

import random

import orjson

from anchor.backup.leaves import compute_leaves
from anchor.core.records import KINDS, account_commitment, encode_leaf, leaf_hash, parse_record
from anchor.core.samples import sample_record_objs


def _canon(n: int, seed: int = 1) -> list[bytes]:
    return [parse_record(o).canonical_json() for o in sample_record_objs(n, seed, accounts=40)]


def _commitments(records: list[bytes]) -> dict[str, bytes]:
    accts = {a for c in records for a in parse_record(c).accounts()}
    return {a: account_commitment(a, bytes([len(a)]) * 32) for a in accts}


def _leaf(
    canonical: bytes, seq: int, com: dict[str, bytes]
) -> tuple[bytes, tuple[object, ...]] | None:
    meta: list[tuple[str, str, int, tuple[str, ...]]] = []
    leaves, _used, problem = compute_leaves([seq], [canonical], com, meta=meta)
    return None if problem is not None else (leaves[0], meta[0])


def test_leaves_equal_the_core_for_every_kind() -> None:
    records = _canon(500)
    with_ext = []
    for c in records[:50]:
        obj = orjson.loads(c)
        obj["ext"] = "0x" + "ab" * 32
        with_ext.append(parse_record(obj).canonical_json())
    records += with_ext
    com = _commitments(records)
    kinds = set()
    for seq, c in enumerate(records, 1):
        rec = parse_record(c)
        got = _leaf(c, seq, com)
        assert got is not None, c
        assert got[0] == leaf_hash(encode_leaf(rec, seq, com))
        assert got[1] == (rec.record_id, rec.kind, rec.version, rec.accounts())
        kinds.add(rec.kind)
    assert kinds == set(KINDS)


def _mutations(c: bytes, rnd: random.Random) -> list[bytes]:
    obj = orjson.loads(c)
    out = []
    for _ in range(6):
        b = bytearray(c)
        b[rnd.randrange(len(b))] = rnd.randrange(32, 127)
        out.append(bytes(b))
    out.append(c.replace(b",", b", ", 1))
    out.append(orjson.dumps(dict(reversed(list(obj.items())))))
    for k, v in obj.items():
        if isinstance(v, str) and v.isdigit():
            out.append(orjson.dumps({**obj, k: "0" + v}, option=orjson.OPT_SORT_KEYS))
            out.append(orjson.dumps({**obj, k: int(v)}, option=orjson.OPT_SORT_KEYS))
            out.append(orjson.dumps({**obj, k: v + "_0"}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "ext": "0x" + "00" * 32}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "ext": "0x" + "AB" * 32}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "extra": "1"}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "record_id": "a b"}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "version": "1"}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "record_id": "é"}, option=orjson.OPT_SORT_KEYS))
    return out


def test_nothing_but_canonical_records_is_accepted() -> None:
    rnd = random.Random(7)
    records = _canon(200, seed=3)
    com = _commitments(records)
    accepted = refused = 0
    for c in records:
        for m in _mutations(c, rnd):
            got = _leaf(m, 5, com)
            if got is None:
                refused += 1
                continue
            accepted += 1
            rec = parse_record(m)  # the core accepts it too...
            assert rec.canonical_json() == m  # ...as canonical bytes...
            assert got[0] == leaf_hash(encode_leaf(rec, 5, com))  # ...with the same leaf
    assert refused > 1000  # the mutations mostly break canonical form


def test_parallel_equals_serial_and_problems_are_named() -> None:
    records = _canon(400, seed=9)
    com = _commitments(records)
    seqs = list(range(1, len(records) + 1))
    one, used1, p1 = compute_leaves(seqs, records, com, workers=1)
    two, used2, p2 = compute_leaves(seqs, records, com, workers=2, min_parallel=10)
    assert p1 is None and p2 is None and one == two and used1 == used2 == set(com)
    bad = list(records)
    bad[303] = bad[303].replace(b"{", b"{ ", 1)
    _, _, problem = compute_leaves(seqs, bad, com, workers=2, min_parallel=10)
    assert problem is not None and problem.index == 303 and "canonical" in problem.problem
