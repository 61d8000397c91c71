"""Interop: bundles served by the running service verify with the real
`@openzeppelin/merkle-tree` (`StandardMerkleTree.verify(root, leafEncoding, value, proof)` in
Node, on the bundle's fields as they are) and with the contract's own `verify()` on anvil —
and a modified proof is rejected by both."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchor.api.app import create_app
from anchor.core.proof import parse_bundle
from anchor.core.records import KINDS
from anchor.store.db import Database
from tests.interop.helpers import (
    API_KEY,
    anchor_batch,
    live_server,
    sealed_db,
    service_config,
)

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "oz_verify.js"
OZ = HERE.parent / "js" / "node_modules" / "@openzeppelin" / "merkle-tree"


def oz_verify(bundles: list[dict[str, Any]], tmp: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node is required (scripts/setup.sh)"
    assert OZ.exists(), "run scripts/setup.sh (npm ci in tests/js)"
    path = tmp / "bundles.json"
    path.write_text(json.dumps(bundles))
    out = subprocess.run(
        [node, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=120, check=True
    )
    return list(json.loads(out.stdout))


@pytest.fixture
def served(sqlite_url: str, deployed_registry: Any) -> Any:
    db = Database.open(sqlite_url)
    records, batch_id = sealed_db(db, 60, seed=21)
    anchor_batch(db, deployed_registry, batch_id, state="final")
    bundles: list[dict[str, Any]] = []
    try:
        with live_server(create_app(service_config(deployed_registry), db)) as url:
            for rec in records:
                params = {"account": rec.accounts()[0]} if rec.accounts() else {}
                r = httpx.get(
                    f"{url}/v1/proofs/{rec.record_id}",
                    params=params,
                    headers={"X-API-Key": API_KEY},
                )
                assert r.status_code == 200, r.text
                parse_bundle(r.content)
                bundles.append(json.loads(r.content))
    finally:
        db.close()
    return deployed_registry, batch_id, bundles


def test_openzeppelin_merkle_tree_accepts_every_served_bundle(served: Any, tmp_path: Path) -> None:
    _registry, _batch_id, bundles = served
    kinds = {b["record"]["kind"] for b in bundles}
    assert kinds == set(KINDS)  # every kind, the books' kinds included
    results = oz_verify(bundles, tmp_path)
    assert len(results) == len(bundles)
    for b, r in zip(bundles, results, strict=True):
        assert r["error"] is None, r
        assert r["ok"] is True, b["record"]["record_id"]
        assert r["leaf"] == b["leaf"]  # OZ's own leaf hash of (leafEncoding, value)


def test_openzeppelin_rejects_modified_proofs_and_values(served: Any, tmp_path: Path) -> None:
    _registry, _batch_id, bundles = served
    broken: list[dict[str, Any]] = []
    for b in bundles[:10]:
        sib = dict(
            b, proof=[("0x" + ("00" if p[2:4] != "00" else "11") + p[4:]) for p in b["proof"]]
        )
        i = b["leafEncoding"].index("uint64")  # the seq
        val = dict(b, value=[*b["value"][:i], str(int(b["value"][i]) + 1), *b["value"][i + 1 :]])
        short = dict(b, proof=b["proof"][:-1])
        broken += [sib, val, short]
    results = oz_verify(broken, tmp_path)
    assert all(r["ok"] is False and r["error"] is None for r in results), results


def test_contract_verify_accepts_served_proofs_and_rejects_modified(served: Any) -> None:
    registry, batch_id, bundles = served
    client = registry.client
    for b in bundles:
        proof = [bytes.fromhex(p[2:]) for p in b["proof"]]
        leaf = bytes.fromhex(b["leaf"][2:])
        assert client.verify(batch_id, proof, leaf) is True
    b = bundles[0]
    proof = [bytes.fromhex(p[2:]) for p in b["proof"]]
    leaf = bytes.fromhex(b["leaf"][2:])
    assert client.verify(batch_id, proof, bytes([leaf[0] ^ 1]) + leaf[1:]) is False
    assert (
        client.verify(batch_id, [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]], leaf)
        is False
    )
    assert client.verify(batch_id + 1, proof, leaf) is False
