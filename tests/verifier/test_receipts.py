"""Signed ingest receipts: one EIP-712 signature per load (single record = a load of one),
issued by a real ingest into a real SQLite file, verified by `anchor verify-receipt`, the
Python library and eth-account (`Account.recover_message` on the EIP-712 encoding)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from typer.testing import CliRunner

from anchor.cli import app
from anchor.config import Config
from anchor.core.receipt import parse_receipt, typed_data, verify_receipt
from anchor.core.samples import sample_record_objs
from anchor.errors import ConfigError, VerificationError
from anchor.service.ingest import ingest
from anchor.service.receipts import issue_receipts, load_receipt_key
from anchor.store.db import Database

runner = CliRunner()
RECEIPT_KEY = "0x" + "4b" * 32
ANCHORER_KEY = "0x" + "a7" * 32


@pytest.fixture
def db(tmp_path: Path) -> Any:
    d = Database.open(f"sqlite:///{tmp_path / 'r.db'}")
    yield d
    d.close()


def _signer(delay: int = 600) -> Any:
    cfg = Config(max_merge_delay_seconds=delay)
    return load_receipt_key(cfg, env={"ANCHOR_RECEIPT_KEY": RECEIPT_KEY,
                                      "ANCHOR_PRIVATE_KEY": ANCHORER_KEY})  # fmt: skip


def test_bulk_load_signs_once_and_every_receipt_verifies(db: Any, monkeypatch: Any) -> None:
    signer = _signer()
    calls: list[bytes] = []
    real = signer.sign
    monkeypatch.setattr(signer, "sign", lambda d: calls.append(d) or real(d))
    objs = sample_record_objs(300, seed=4, accounts=20)
    result = ingest(db, [json.dumps(o) for o in objs])
    receipts = issue_receipts(db, result, signer, 1_700_000_000)
    assert len(receipts) == 300 and len(calls) == 1  # one signature for the whole load
    assert {r.signature for r in receipts} == {receipts[0].signature}
    assert receipts[0].deadline == 1_700_000_000 + 600
    address = Account.from_key(RECEIPT_KEY).address
    for r in receipts[::37]:
        parsed = parse_receipt(r.to_json())
        assert verify_receipt(parsed, address) == address.lower()
        # any EIP-712 tool: eth-account recovers the same signer from the typed data
        td = typed_data(r.load_root, r.first_seq, r.count, r.ingested_at, r.deadline)
        assert Account.recover_message(encode_typed_data(full_message=td),
                                       signature=r.signature) == address  # fmt: skip
    # a single record is a load of one: an empty path, its receipt leaf is the signed root
    single = ingest(db, [json.dumps(next(iter(sample_record_objs(1, seed=99, id_prefix="one"))))])
    (one,) = issue_receipts(db, single, signer, 1_700_000_100)
    assert one.count == 1 and one.proof == () and one.seq == single.first_seq


def test_wrong_signer_tampering_and_bad_input(db: Any, tmp_path: Path) -> None:
    signer = _signer()
    result = ingest(db, [json.dumps(o) for o in sample_record_objs(5, seed=5)])
    r = issue_receipts(db, result, signer, 1_700_000_000)[2]
    address = Account.from_key(RECEIPT_KEY).address
    good = tmp_path / "r.json"
    good.write_bytes(r.to_json())
    ok = runner.invoke(app, ["verify-receipt", str(good), "--signer", address])
    assert ok.exit_code == 0 and ok.output.startswith("valid receipt: "), ok.output
    other = Account.from_key(ANCHORER_KEY).address
    out = runner.invoke(app, ["verify-receipt", str(good), "--signer", other])
    assert out.exit_code == 1 and "invalid: receipt_signer" in out.output
    obj = json.loads(r.to_json())
    for field, value, step in (("deadline", obj["deadline"] + 3600, "receipt_signer"),
                               ("seq", obj["seq"] + 1, "receipt_path"),
                               ("recordId", "someone-else", "receipt_path")):  # fmt: skip
        bad = tmp_path / f"{field}.json"
        bad.write_text(json.dumps({**obj, field: value}, indent=4))
        out = runner.invoke(app, ["verify-receipt", str(bad), "--signer", address])
        assert out.exit_code == 1 and f"invalid: {step}" in out.output, (field, out.output)
        with pytest.raises(VerificationError):
            verify_receipt(parse_receipt(bad.read_bytes()), address)
    for text in ("{", '{"format": "x"}', json.dumps({**obj, "extra": 1}),
                 json.dumps({**obj, "seq": 1.5})):  # fmt: skip
        bad = tmp_path / "junk.json"
        bad.write_text(text)
        out = runner.invoke(app, ["verify-receipt", str(bad), "--signer", address])
        assert out.exit_code == 2 and out.output.startswith("error: receipt: "), out.output
    assert runner.invoke(app, ["verify-receipt", str(good), "--signer", "0x12"]).exit_code == 2


def test_the_receipt_key_is_never_the_anchorer_key() -> None:
    with pytest.raises(ConfigError, match="must not be the anchorer key"):
        load_receipt_key(Config(), env={"ANCHOR_RECEIPT_KEY": ANCHORER_KEY,
                                        "ANCHOR_PRIVATE_KEY": ANCHORER_KEY})  # fmt: skip
    assert RECEIPT_KEY[4:] not in repr(_signer())


def test_anchor_ingest_writes_receipts(tmp_path: Path) -> None:
    src = tmp_path / "in.ndjson"
    src.write_text("".join(json.dumps(o) + "\n" for o in sample_record_objs(40, seed=6)))
    out = tmp_path / "receipts.ndjson"
    env = {"ANCHOR_RECEIPT_KEY": RECEIPT_KEY, "ANCHOR_PRIVATE_KEY": ANCHORER_KEY}
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert runner.invoke(app, ["db", "init", "--database-url", url]).exit_code == 0
    res = runner.invoke(app, ["ingest", str(src), "--database-url", url,
                              "--receipts-out", str(out)], env=env)  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert len(lines) == 40
    address = Account.from_key(RECEIPT_KEY).address
    assert all(verify_receipt(parse_receipt(x), address) for x in lines[::13])
    assert RECEIPT_KEY[2:] not in res.output
