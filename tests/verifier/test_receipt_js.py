"""Receipts in the browser verifier (scripts/web/src/receipt.mjs, bundled into verify.html):
the JS and Python checks agree on valid, tampered and malformed receipts (node), and the page
checks a pasted receipt against the signer the user pins (real headless Chromium, file://)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from anchor.config import Config
from anchor.core.receipt import ReceiptFormatError, parse_receipt, verify_receipt
from anchor.core.samples import sample_record_objs
from anchor.errors import VerificationError
from anchor.service.ingest import ingest
from anchor.service.receipts import issue_receipts, load_receipt_key
from anchor.store.db import Database
from tests.core.ozjs import run_node
from tests.fixtures.paths import ROOT

RECEIPT_KEY = "0x" + "4b" * 32
SIGNER = Account.from_key(RECEIPT_KEY).address.lower()
OTHER = Account.from_key("0x" + "a7" * 32).address.lower()
PAGE = ROOT / "anchor" / "verifier" / "static" / "verify.html"


def _receipts(tmp_path: Path) -> list[Any]:
    signer = load_receipt_key(
        Config(private_key_env="NO_KEY"), env={"ANCHOR_RECEIPT_KEY": RECEIPT_KEY}
    )
    db = Database.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        lines = [json.dumps(o) for o in sample_record_objs(9, seed=3)]
        result = ingest(db, lines, receipts=signer)
        return issue_receipts(db, result, signer, 0)
    finally:
        db.close()


def _cases(tmp_path: Path) -> dict[str, str]:
    r = _receipts(tmp_path)
    obj = r[4].to_obj()
    high_s = dict(obj)
    sig = bytes.fromhex(obj["signature"][2:])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = n - int.from_bytes(sig[32:64], "big")  # the malleable twin: refused by both
    high_s["signature"] = "0x" + (sig[:32] + s.to_bytes(32, "big") + bytes([sig[64] ^ 1])).hex()
    return {
        "valid": json.dumps(obj),
        "pretty": json.dumps(obj, indent=5, sort_keys=True),
        "one": r[0].to_json().decode(),
        "deadline": json.dumps({**obj, "deadline": obj["deadline"] + 1}),
        "seq": json.dumps({**obj, "seq": obj["seq"] + 1}),
        "record": json.dumps({**obj, "recordId": "someone-else"}),
        "count": json.dumps({**obj, "load": {**obj["load"], "count": 3}}),
        "high_s": json.dumps(high_s),
        "float": json.dumps(obj).replace(f'"seq": {obj["seq"]}', f'"seq": {obj["seq"]}.0'),
        "extra": json.dumps({**obj, "extra": 1}),
        "format": json.dumps({**obj, "format": "ledger-anchor-receipt/2"}),
        "truncated": json.dumps(obj)[:-1],
        "dupe": json.dumps(obj)[:-1] + ', "seq": 1}',
        "bad_hex": json.dumps({**obj, "leaf": obj["leaf"].upper()}),
    }


def _python(text: str, signer: str) -> tuple[str, str | None]:
    try:
        verify_receipt(parse_receipt(text.encode()), signer)
    except VerificationError as exc:
        return "invalid", exc.step
    except ReceiptFormatError:
        return "format", "format"
    return "valid", None


def test_js_and_python_agree_on_receipts(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    files = []
    for name, text in cases.items():
        f = tmp_path / f"{name}.json"
        f.write_text(text)
        files.append(f)
    for signer in (SIGNER, OTHER):
        results = run_node("verify_receipts.mjs", args=[signer, *files])
        js = {Path(r["file"]).stem: (r["verdict"], r["step"]) for r in results}
        for name, text in cases.items():
            assert js[name] == _python(text, signer), (name, signer, js[name])
    assert _python(cases["valid"], SIGNER) == ("valid", None)
    assert _python(cases["valid"], OTHER) == ("invalid", "receipt_signer")
    assert _python(cases["seq"], SIGNER) == ("invalid", "receipt_path")
    assert _python(cases["high_s"], SIGNER)[0] == "invalid"


@pytest.mark.browser
def test_page_checks_a_pasted_receipt(tmp_path: Path) -> None:
    from tests.interop.browser import Chromium

    cases = _cases(tmp_path)
    browser = Chromium(tmp_path / "profile")
    try:
        browser.navigate(PAGE.as_uri())
        browser.wait_for("document.body.dataset.ready === '1'")

        def check(text: str, signer: str) -> dict[str, str]:
            values = {"receipt": text, "receipt-signer": signer}
            return browser.submit("check-receipt", "receipt-result", values=values, timeout=20)

        ok = check(cases["pretty"], SIGNER.upper().replace("0X", "0x"))
        assert ok["verdict"] == "valid" and "VALID RECEIPT" in ok["text"], ok
        assert "promised final on chain by" in ok["text"]
        wrong = check(cases["valid"], OTHER)
        assert wrong["verdict"] == "invalid" and "receipt_signer" in wrong["text"], wrong
        junk = check(cases["truncated"], SIGNER)
        assert junk["verdict"] == "format" and "receipt:" in junk["text"], junk
        unpinned = check(cases["valid"], "")
        assert unpinned["verdict"] == "unusable", unpinned
    finally:
        browser.close()
