"""What a user receives, the verifier accepts: one bundle in any JSON formatting, or the
balance-proof response of ``GET /v1/me/balance-proofs`` (several bundles in ``.proofs[]``,
each verified on its own, one line each). Strict on content all the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from anchor.cli import app
from tests.fixtures.paths import ROOT

VECTORS = ROOT / "tests" / "vectors"
runner = CliRunner()


def _bundle(name: str) -> dict[str, Any]:
    return dict(json.loads((VECTORS / "bundles" / name).read_text()))


def _response(*bundles: dict[str, Any], pending: list[Any] | None = None) -> dict[str, Any]:
    return {"account_id": "acct-1", "proofs": list(bundles), "pending": pending or []}


def _verify(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "doc.json"
    path.write_text(text)
    return runner.invoke(app, ["verify", str(path), "--offline"])


def test_the_balance_proof_response_verifies_each_bundle(tmp_path: Path) -> None:
    a, b = _bundle("valid-balance-final.json"), _bundle("valid-trade-final.json")
    pending = [{"record_id": "bal-9", "asset": "USDT", "state": "sealed"}]
    for text in (
        json.dumps(_response(a, b, pending=pending)),  # as the API sends it: compact
        json.dumps(_response(a, b, pending=pending), indent=4, sort_keys=True),  # re-indented
    ):
        res = _verify(tmp_path, text)
        assert res.exit_code == 0, res.output
        lines = res.stdout.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("proofs[0]: math ok (offline): record ")
        assert lines[1].startswith("proofs[1]: math ok (offline): record ")
        assert a["record"]["record_id"] in lines[0] and b["record"]["record_id"] in lines[1]
        assert "pending: record bal-9 (USDT) is not anchored yet (state sealed)" in res.stderr


def test_one_bad_bundle_fails_the_document_and_is_named(tmp_path: Path) -> None:
    a, b = _bundle("valid-balance-final.json"), _bundle("valid-trade-final.json")
    b["proof"][0] = "0x" + "ab" * 32  # a modified sibling: the math no longer holds
    res = _verify(tmp_path, json.dumps(_response(a, b)))
    assert res.exit_code == 1, res.output
    assert res.stdout.startswith("proofs[0]: math ok")
    assert res.stderr.startswith("proofs[1]: invalid: "), res.stderr
    assert len(res.stderr.splitlines()) == 1
    # a malformed bundle among valid ones: unusable (2), named by its place
    b = _bundle("valid-trade-final.json")
    b["seq"] = "7"
    res = _verify(tmp_path, json.dumps(_response(a, b)))
    assert res.exit_code == 2 and res.stderr.startswith("proofs[1]: error: proof bundle: seq")


def test_a_reformatted_single_bundle_is_the_same_bundle(tmp_path: Path) -> None:
    a = _bundle("valid-balance-final.json")
    for text in (json.dumps(a), json.dumps(a, indent=1, sort_keys=True) + "\n\n"):
        res = _verify(tmp_path, text)
        assert res.exit_code == 0 and res.stdout.startswith("math ok (offline)"), res.output


def test_the_envelope_is_as_strict_as_a_bundle(tmp_path: Path) -> None:
    a = _bundle("valid-balance-final.json")
    good = json.dumps(_response(a))
    cases = {
        "duplicate key": good.replace('"account_id": "acct-1"', '"account_id": "a", "account_id": "b"'),
        "unknown member": good.replace('"account_id"', '"extra": 1, "account_id"'),
        "trailing data": good + " {}",
        "float": good.replace('"pending": []', '"pending": [], "account_id2": 1.5'),
        "wrong type": json.dumps({**_response(a), "proofs": {"0": a}}),
        "wrong pending": json.dumps(_response(a, pending=[{"record_id": 1}])),
        "empty": json.dumps(_response()),
    }  # fmt: skip
    for what, text in cases.items():
        res = _verify(tmp_path, text)
        assert res.exit_code == 2, (what, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1, (what, res.output)
        assert lines[0].startswith("error: balance-proof response: "), (what, res.output)
    # a duplicate key inside a bundle of the response is refused too
    inner = good.replace('"batchId": ', '"batchId": 1, "batchId": ', 1)
    res = _verify(tmp_path, inner)
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: balance-proof response: duplicate key"), res.output
