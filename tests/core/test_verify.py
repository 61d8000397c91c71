"""Math-only verification: each tampering is caught by the step that names it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from anchor.core.proof import parse_bundle
from anchor.core.records import parse_redacted
from anchor.core.verify import verify_bundle
from anchor.errors import AnchorError, VerificationError
from tests.core.bundles import FINAL_ANCHOR, make_batch

BATCH = make_batch(n=60, seed=4)
TRADE_I = next(
    i for i, r in enumerate(BATCH.records) if r.kind == "trade" and len(r.accounts()) == 2
)


def test_every_bundle_of_a_batch_verifies_to_the_root() -> None:
    for i in range(len(BATCH.records)):
        b = BATCH.bundle(i, anchor=FINAL_ANCHOR)
        assert verify_bundle(parse_bundle(b.to_json())) == BATCH.tree.root


def _flip(h: bytes) -> bytes:
    return h[:-1] + bytes([h[-1] ^ 1])


TAMPER: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "wrong encoding",
        lambda b: replace(b, leaf_encoding=(*b.leaf_encoding[:-1], "bytes31")),
        "leaf_encoding",
    ),
    (
        "wrong salt",
        lambda b: replace(b, accounts=(replace(b.accounts[0], salt=bytes(32)),)),
        "commitment",
    ),
    (
        "wrong account",
        lambda b: replace(b, accounts=(replace(b.accounts[0], account_id="mallory"),)),
        "commitment",
    ),
    ("wrong value", lambda b: replace(b, value=(*b.value[:-2], "1", b.value[-1])), "value"),
    ("wrong seq", lambda b: replace(b, seq=b.seq + 1), "value"),
    ("wrong leaf", lambda b: replace(b, leaf=_flip(b.leaf)), "leaf"),
    ("modified sibling", lambda b: replace(b, proof=(_flip(b.proof[0]), *b.proof[1:])), "root"),
    ("truncated proof", lambda b: replace(b, proof=b.proof[:-1]), "root"),
    ("extra element", lambda b: replace(b, proof=(*b.proof, b.root)), "root"),
    ("swapped order", lambda b: replace(b, proof=(b.proof[1], b.proof[0], *b.proof[2:])), "root"),
    ("wrong root", lambda b: replace(b, root=_flip(b.root)), "root"),
    ("edited anchor", lambda b: replace(b, anchor=replace(b.anchor, block_number=13)), "checksum"),
    ("edited batch id", lambda b: replace(b, batch_id=b.batch_id + 1), "checksum"),
    ("wrong checksum", lambda b: replace(b, checksum=_flip(b.checksum)), "checksum"),
]


@pytest.mark.parametrize(("what", "tamper", "step"), TAMPER, ids=[t[0] for t in TAMPER])
def test_tampering_fails_at_the_named_step(
    what: str, tamper: Callable[[Any], Any], step: str
) -> None:
    good = BATCH.bundle(TRADE_I, anchor=FINAL_ANCHOR)
    bad = tamper(good)
    with pytest.raises(VerificationError) as exc:
        verify_bundle(bad)
    assert exc.value.step == step, (what, str(exc.value))
    assert exc.value.exit_code == 1
    # the same bundle, serialized and parsed back, fails the same way
    with pytest.raises(VerificationError) as exc2:
        verify_bundle(parse_bundle(bad.to_json()))
    assert exc2.value.step == step


def test_edited_record_field_fails() -> None:
    good = BATCH.bundle(TRADE_I, anchor=FINAL_ANCHOR)
    obj = good.record.canonical_obj()
    obj["quantity"] = str(int(obj["quantity"]) + 1)
    bad = replace(good, record=parse_redacted(obj))
    with pytest.raises(VerificationError) as exc:
        verify_bundle(bad)
    assert exc.value.step == "value"


def _variants(byte: int) -> set[int]:
    """Replacement bytes that keep most edits syntactically plausible."""
    out = {byte ^ 0x01, byte ^ 0x20, byte ^ 0x02, byte ^ 0x10, 0x20, 0x30, 0x61, 0x0A}
    out.discard(byte)
    return out


def test_every_single_byte_change_fails() -> None:
    text = BATCH.bundle(TRADE_I, anchor=FINAL_ANCHOR).to_json()
    assert verify_bundle(parse_bundle(text)) == BATCH.tree.root
    tried = 0
    for pos in range(len(text)):
        for new in _variants(text[pos]):
            changed = text[:pos] + bytes([new]) + text[pos + 1 :]
            with pytest.raises(AnchorError):
                verify_bundle(parse_bundle(changed))
            tried += 1
    assert tried > 8 * len(text) // 2
    # the pending bundle too (null anchor fields), on a different record kind
    text = BATCH.bundle(0).to_json()
    for pos in range(len(text)):
        changed = text[:pos] + bytes([text[pos] ^ 0x01]) + text[pos + 1 :]
        with pytest.raises(AnchorError):
            verify_bundle(parse_bundle(changed))


def test_json_value_order_matters() -> None:
    b = BATCH.bundle(TRADE_I)
    obj = json.loads(b.to_json())
    assert obj["value"][2] == BATCH.records[TRADE_I].record_id
