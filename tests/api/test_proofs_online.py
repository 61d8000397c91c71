"""End to end on a real anvil: records ingested and sealed, the batch anchored by the
transaction manager (anchor.service.anchoring.Anchorer), bundles fetched over a real HTTP
server, verified ONLINE with the standalone verifier CLI (`anchor verify FILE --rpc URL`,
exit 0) — and refused after tampering; after a reorg drops the anchor transaction the batch
is re-anchored and the served proof follows it to the new block."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from anchor.api.app import create_app
from anchor.config import Config
from anchor.core.proof import ProofBundle, make_bundle, parse_bundle
from anchor.core.records import Record, account_commitment, leaf_hash, parse_record
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.interop.helpers import API_KEY, live_server, load_records, mine, service_config

ROOT = Path(__file__).resolve().parents[2]


def anchor_verify(path: Path, rpc_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a fresh interpreter, as a user would run it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "anchor.cli", "verify", str(path), "--rpc", rpc_url, *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )


def batch_row(db: Database, batch_id: int) -> Any:
    with db.connect(write=False) as conn:
        return conn.execute(sa.text("SELECT * FROM batches WHERE id = :b"), {"b": batch_id}).one()


def anchor_to_final(db: Database, config: Config, registry: Any, *, timeout: float = 60) -> None:
    """Run the real transaction manager, mining a block per tick so finality moves
    (``--slots-in-an-epoch 1``: finalized = head - 2)."""
    import time

    from anchor.service.anchoring import Anchorer

    anchorer = Anchorer(db, config, w3=registry.w3, key=registry.anchorer, backups=False)
    deadline = time.monotonic() + timeout
    while True:
        anchorer.tx.run_once()
        with db.connect(write=False) as conn:
            states = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT state FROM batches"))}
        if states == {"final"}:
            return
        assert time.monotonic() < deadline, f"not final in time: {states}"
        mine(registry, 1)
        time.sleep(0.05)


@dataclass
class Online:
    db: Database
    registry: Any
    config: Config
    url: str
    records: list[Record]


@pytest.fixture
def online(
    db: Database, anvil_factory: Any, deploy_registry_on: Callable[[Any], Any]
) -> Iterator[Online]:
    registry = deploy_registry_on(anvil_factory.start(slots_in_an_epoch=1))
    config = service_config(registry)
    records = load_records(db, 40, seed=11)
    assert seal(db) is not None
    anchor_to_final(db, config, registry)
    with live_server(create_app(config, db)) as url:
        yield Online(db, registry, config, url, records)


def fetch(o: Online, record_id: str, tmp: Path, **params: str) -> Path:
    headers = {"X-API-Key": API_KEY} if params else {}
    r = httpx.get(f"{o.url}/v1/proofs/{record_id}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    path = tmp / f"{record_id}.json"
    path.write_bytes(r.content)
    return path


def test_served_bundles_verify_online_and_fail_after_tampering(
    online: Online, tmp_path: Path
) -> None:
    o = online
    trade = next(r for r in o.records if r.kind == "trade")
    bal = next(r for r in o.records if r.kind == "balance")
    public = fetch(o, trade.record_id, tmp_path)
    owned = fetch(o, bal.record_id, tmp_path, account=bal.accounts()[0])
    row = batch_row(o.db, 1)
    for path in (public, owned):
        bundle = parse_bundle(path.read_bytes())
        assert bundle.anchor.status == "final"
        assert bundle.anchor.tx_hash == bytes(row.tx_hash)
        assert bundle.anchor.block_number == row.block_number
        assert bundle.anchor.block_hash == bytes(row.block_hash)
        assert bundle.anchor.chain_id == o.registry.chain_id
        assert bundle.anchor.contract == o.registry.address.lower()
        res = anchor_verify(path, o.registry.rpc_url, "--contract", o.registry.address)
        assert res.returncode == 0, res.stderr
        assert "valid" in res.stdout

    # 1. any edit of the served bytes: refused
    raw = public.read_bytes()
    at = raw.index(b'"price": "') + len(b'"price": "')
    edited = tmp_path / "edited.json"
    edited.write_bytes(raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :])
    assert (
        anchor_verify(edited, o.registry.rpc_url, "--contract", o.registry.address).returncode != 0
    )

    # 2. a forged but self-consistent bundle (record changed, leaf/path/root/checksum
    #    recomputed): the math holds, the chain does not -> exit 1 naming the chain root
    original = parse_bundle(raw)
    forged_rec = parse_record(
        trade.canonical_json().replace(
            f'"quantity":"{trade.fields["quantity"]}"'.encode(), b'"quantity":"1"'
        )
    )
    commitments = {a: account_commitment(a, b"\x01" * 32) for a in forged_rec.accounts()}
    from anchor.core.records import encode_leaf

    leaf = leaf_hash(encode_leaf(forged_rec, original.seq, commitments))
    forged: ProofBundle = make_bundle(
        forged_rec, original.seq, commitments, {}, [], leaf, original.batch_id, original.anchor
    )
    fpath = tmp_path / "forged.json"
    fpath.write_bytes(forged.to_json())
    res = subprocess.run(
        [sys.executable, "-m", "anchor.cli", "verify", str(fpath), "--offline"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert res.returncode == 0  # offline math alone cannot tell
    res = anchor_verify(fpath, o.registry.rpc_url, "--contract", o.registry.address)
    assert res.returncode == 1 and "chain_root" in res.stderr


def test_the_server_never_judges_a_pasted_bundle(online: Online, tmp_path: Path) -> None:
    """The explorer verifies pasted bundles in the browser (tests/api/test_explorer.py): the
    service has no route that says whether the operator's own proof is good."""
    o = online
    trade = next(r for r in o.records if r.kind == "trade")
    raw = fetch(o, trade.record_id, tmp_path).read_bytes()
    r = httpx.post(f"{o.url}/v1/verify", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (404, 405) and "valid" not in r.json()


def test_proof_follows_re_anchoring_after_a_reorg(
    db: Database, anvil_factory: Any, deploy_registry_on: Callable[[Any], Any], tmp_path: Path
) -> None:
    import time

    from anchor.service.anchoring import Anchorer

    # finality far away, so the reorg is above it (a depth rule of 50 blocks)
    registry = deploy_registry_on(anvil_factory.start())
    config = dataclasses.replace(service_config(registry), finality_depth=50)
    records = load_records(db, 20, seed=12)
    assert seal(db) is not None
    anchorer = Anchorer(db, config, w3=registry.w3, key=registry.anchorer, backups=False)

    def until(state: str) -> Any:
        deadline = time.monotonic() + 60
        while batch_row(db, 1).state != state:
            assert time.monotonic() < deadline, batch_row(db, 1).state
            anchorer.tx.run_once()
            time.sleep(0.05)
        return batch_row(db, 1)

    first = until("included")
    trade = next(r for r in records if r.kind == "trade")
    with live_server(create_app(config, db)) as url:
        before = parse_bundle(httpx.get(f"{url}/v1/proofs/{trade.record_id}").content)
        assert before.anchor.block_hash == bytes(first.block_hash)
        # drop the anchor transaction from the chain
        depth = registry.w3.eth.block_number - first.block_number + 1
        registry.w3.provider.make_request("anvil_reorg", [depth, []])
        mine(registry, 1)
        # the transaction manager sees the reorg and anchors again
        deadline = time.monotonic() + 60
        while True:
            anchorer.tx.run_once()
            row = batch_row(db, 1)
            if row.state == "included" and bytes(row.block_hash) != bytes(first.block_hash):
                canonical = registry.w3.eth.get_block(row.block_number)["hash"]
                if bytes(canonical) == bytes(row.block_hash):
                    break
            assert time.monotonic() < deadline, (row.state, row.block_number)
            time.sleep(0.05)
        mine(registry, 60)
        after_resp = httpx.get(f"{url}/v1/proofs/{trade.record_id}")
    after = parse_bundle(after_resp.content)
    assert after.anchor.block_hash == bytes(row.block_hash) != before.anchor.block_hash
    assert after.anchor.block_number == row.block_number
    fresh, stale = tmp_path / "after.json", tmp_path / "before.json"
    fresh.write_bytes(after.to_json())
    stale.write_bytes(before.to_json())
    res = anchor_verify(
        fresh, registry.rpc_url, "--contract", registry.address, "--finality-depth", "50"
    )
    assert res.returncode == 0, res.stderr
    res = anchor_verify(
        stale, registry.rpc_url, "--contract", registry.address, "--finality-depth", "50"
    )
    assert res.returncode == 1, res.stdout + res.stderr
