"""The explorer: anchors read from the chain's events (real anvil) beside our batch records,
mismatches created for real in the database, explorer links, the contract endpoints, the
audit export — and the page itself in real headless Chromium."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from anchor.api.app import create_app
from anchor.config import Config
from anchor.service.audit import collect_anchors
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.interop.helpers import (
    Anchored,
    anchor_batch,
    live_server,
    load_records,
    service_config,
)

EXPLORER = "http://127.0.0.1:5100"


@dataclass
class Chain:
    db: Database
    registry: Any
    config: Config
    anchored: dict[int, Anchored]


def _build(db: Database, registry: Any) -> Chain:
    """Batches 1-3 anchored on chain (1, 2 final, 3 included), batch 4 sealed only."""
    anchored: dict[int, Anchored] = {}
    for i in range(4):
        load_records(db, 12, seed=100 + i)
        batch = seal(db)
        assert batch is not None and batch.id == i + 1
    for batch_id in (1, 2, 3):
        anchored[batch_id] = anchor_batch(
            db, registry, batch_id, state="final" if batch_id < 3 else "included"
        )
    return Chain(db, registry, service_config(registry), anchored)


@pytest.fixture
def chain(db: Database, deployed_registry: Any) -> Chain:
    return _build(db, deployed_registry)


def _by_id(report: Any) -> dict[int, Any]:
    return {a.batch_id: a for a in report.anchors}


def test_clean_state_lists_chain_anchors_beside_ours(chain: Chain) -> None:
    report = collect_anchors(chain.db, chain.config)
    assert report.error is None and report.mismatches == 0
    rows = _by_id(report)
    assert [rows[i].status for i in (1, 2, 3, 4)] == ["ok", "ok", "ok", "pending"]
    for i in (1, 2, 3):
        a = chain.anchored[i]
        assert rows[i].chain.root == "0x" + a.root.hex()
        assert rows[i].chain.tx_hash == "0x" + a.tx_hash.hex()
        assert rows[i].chain.block_number == a.block_number
        assert rows[i].links["tx"] == f"{EXPLORER}/tx/0x{a.tx_hash.hex()}"
        assert rows[i].links["block"] == f"{EXPLORER}/block/{a.block_number}"
    assert rows[4].chain is None and rows[4].db.state == "sealed"
    assert report.contract_url == f"{EXPLORER}/address/{chain.registry.address}"


def test_logs_are_read_from_the_configured_start_block(chain: Chain) -> None:
    """``contract_start_block`` (the deployment block on a real chain) is where Anchored
    logs are read from: by the explorer and export, by the transaction manager's adoption
    lookup and by restore's chain view. A start past batch 1's block hides its event."""
    from anchor.backup.chainview import chain_view_from_config
    from anchor.chain.txmanager import Registry

    assert chain.config.contract_start_block == 0
    second = chain.anchored[2].block_number
    assert chain.anchored[1].block_number < second
    late = replace(chain.config, contract_start_block=second)
    rows = _by_id(collect_anchors(chain.db, late))
    assert rows[1].status == "missing_on_chain" and rows[1].chain is None
    assert [rows[i].status for i in (2, 3)] == ["ok", "ok"]
    assert _by_id(collect_anchors(chain.db, late, from_block=0))[1].status == "ok"
    registry = Registry(chain.registry.w3, chain.registry.address, second)
    assert registry.find_anchored(1) is None
    found = registry.find_anchored(2)
    assert found is not None and found[1] == second
    view = chain_view_from_config(late)
    assert view.anchor_facts(1) is None
    facts = view.anchor_facts(2)
    assert facts is not None and facts.block_number == second


def test_every_kind_of_mismatch_is_named(chain: Chain) -> None:
    with chain.db.connect() as conn:
        # our root of batch 2 altered
        conn.execute(sa.text("UPDATE batches SET root = :r WHERE id = 2"), {"r": b"\x42" * 32})
        # batch 4 claims to be final but was never anchored
        conn.execute(
            sa.text(
                "UPDATE batches SET state = 'final', tx_hash = :t, block_number = 3, "
                "block_hash = :h WHERE id = 4"
            ),
            {"t": b"\x01" * 32, "h": b"\x02" * 32},
        )
        # batch 3 vanished from our records
        conn.execute(sa.text("DELETE FROM tree_chunks WHERE batch_id = 3"))
        conn.execute(sa.text("DELETE FROM batches WHERE id = 3"))
    rows = _by_id(collect_anchors(chain.db, chain.config))
    assert rows[1].status == "ok"
    assert rows[2].status == "mismatch"
    assert rows[2].problems == (
        f"root differs: chain 0x{chain.anchored[2].root.hex()}, ours 0x{'42' * 32}",
    )
    assert rows[3].status == "missing_in_db" and rows[3].db is None
    assert rows[4].status == "missing_on_chain" and rows[4].chain is None


def test_unreachable_chain_is_reported_not_a_500(chain: Chain) -> None:
    from dataclasses import replace

    from tests.interop.helpers import free_port

    config = replace(chain.config, rpc_url=f"http://127.0.0.1:{free_port()}")
    report = collect_anchors(chain.db, config)
    assert report.error is not None and "unreachable" in report.error
    with live_server(create_app(config, chain.db)) as url:
        r = httpx.get(f"{url}/v1/explorer/anchors")
    assert r.status_code == 200 and r.json()["chain"]["error"]


def test_contract_endpoints_serve_the_verification_material(chain: Chain) -> None:
    from anchor.chain.artifact import load_artifact

    art = load_artifact()
    with live_server(create_app(chain.config, chain.db)) as url:
        info = httpx.get(f"{url}/v1/contract").json()
        std = httpx.get(f"{url}/v1/contract/standard-json").json()
        meta = httpx.get(f"{url}/v1/contract/metadata").json()
    assert info["address"] == chain.registry.address
    assert info["chain_id"] == chain.registry.chain_id
    assert info["abi"] == art.abi_list
    assert info["explorer_url"] == f"{EXPLORER}/address/{chain.registry.address}"
    assert std == art.standard_json_input
    assert std["language"] == "Solidity" and "sources" in std
    assert meta == json.loads(art.metadata)
    assert meta["compiler"]["version"] in info["compiler"] or info["compiler"] in str(meta)


def test_anchors_export_csv_and_json(chain: Chain, tmp_path: Path) -> None:
    from anchor.cli import app

    common = [
        "--database-url",
        chain.db.url,
        "--rpc",
        chain.registry.rpc_url,
        "--contract",
        chain.registry.address,
    ]
    runner = CliRunner()
    res = runner.invoke(app, ["anchors", "export", "--csv", "-o", str(tmp_path / "a.csv"), *common])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text())))
    assert [r["batch_id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "pending"]
    assert rows[0]["tx_hash"] == "0x" + chain.anchored[1].tx_hash.hex()
    assert rows[0]["root_chain"] == rows[0]["root_ours"] == "0x" + chain.anchored[1].root.hex()
    assert rows[0]["leaf_count_chain"] == "12"
    with chain.db.connect() as conn:
        conn.execute(sa.text("UPDATE batches SET leaf_count = 13 WHERE id = 1"))
    res = runner.invoke(
        app, ["anchors", "export", "--json", "-o", str(tmp_path / "a.json"), *common]
    )
    assert res.exit_code == 1  # a mismatch
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["mismatches"] == 1
    first = data["anchors"][0]
    assert first["status"] == "mismatch" and "leaf count differs" in first["problems"]


# --------------------------------------------------------------------------- the page


@pytest.fixture
def page_chain(sqlite_url: str, deployed_registry: Any) -> Iterator[Chain]:
    db = Database.open(sqlite_url)
    try:
        yield _build(db, deployed_registry)
    finally:
        db.close()


@pytest.mark.browser
def test_page_in_headless_chromium_lists_anchors_flags_mismatch_links_explorer(
    page_chain: Chain, tmp_path: Path
) -> None:
    from tests.interop.browser import Chromium, dump_dom

    chain = page_chain
    with chain.db.connect() as conn:  # a mismatch made for real
        conn.execute(sa.text("UPDATE batches SET root = :r WHERE id = 2"), {"r": b"\x42" * 32})
    with live_server(create_app(chain.config, chain.db)) as url:
        dom = dump_dom(f"{url}/explorer", tmp_path / "profile-dump")
        assert 'data-batch-id="1"' in dom and 'data-status="mismatch"' in dom

        browser = Chromium(tmp_path / "profile")
        try:
            browser.navigate(f"{url}/explorer")
            browser.wait_for("document.querySelectorAll('#anchors-body tr').length === 4")
            rows = browser.evaluate(
                """[...document.querySelectorAll('#anchors-body tr')].map(r => ({
                    id: r.dataset.batchId, status: r.dataset.status, text: r.innerText,
                    tx: (r.querySelector('a.tx-link') || {}).href || null}))"""
            )
            browser.screenshot(tmp_path / "explorer.png")
            summary = browser.evaluate("document.getElementById('summary').innerText")
            contract_link = browser.evaluate(
                "document.querySelector('a.contract-link') && "
                "document.querySelector('a.contract-link').href"
            )
        finally:
            browser.close()
    by_id = {r["id"]: r for r in rows}
    assert [by_id[i]["status"] for i in ("1", "2", "3", "4")] == [
        "ok",
        "mismatch",
        "ok",
        "pending",
    ]
    assert "MISMATCH" in by_id["2"]["text"] and "root differs" in by_id["2"]["text"]
    tx1 = "0x" + chain.anchored[1].tx_hash.hex()
    assert by_id["1"]["tx"] == f"{EXPLORER}/tx/{tx1}"
    assert "1 mismatch" in summary
    assert contract_link == f"{EXPLORER}/address/{chain.registry.address}"


@pytest.mark.browser
def test_page_verifies_a_pasted_bundle_and_names_the_failed_check(
    page_chain: Chain, tmp_path: Path
) -> None:
    from dataclasses import replace

    from anchor.core.proof import parse_bundle
    from tests.interop.browser import Chromium

    chain = page_chain
    config = replace(chain.config, finality_depth=1)
    with chain.db.connect(write=False) as conn:
        rid = conn.execute(
            sa.text("SELECT record_id FROM records WHERE kind = 'trade' ORDER BY seq LIMIT 1")
        ).scalar_one()
    with live_server(create_app(config, chain.db)) as url:
        good = httpx.get(f"{url}/v1/proofs/{rid}").content
        b = parse_bundle(good)
        wrong_block = b.with_anchor(replace(b.anchor, block_number=b.anchor.block_number + 1))
        browser = Chromium(tmp_path / "profile")
        try:
            browser.navigate(f"{url}/explorer")
            browser.evaluate(  # what the regulator types: their pin, their RPC
                f"document.getElementById('pinned').value = {json.dumps(chain.registry.address)};"
                f"document.getElementById('rpc-url').value = {json.dumps(chain.registry.rpc_url)};"
                "document.getElementById('finality-depth').value = '1'; true"
            )
            results = []
            for text in (good.decode(), wrong_block.to_json().decode(), "{not json"):
                browser.evaluate(
                    f"document.getElementById('bundle').value = {json.dumps(text)}; "
                    "document.getElementById('verify-result').textContent = ''; "
                    "document.getElementById('verify-button').click(); true"
                )
                browser.wait_for(
                    "/VALID|INVALID/.test(document.getElementById('verify-result').innerText)"
                )
                results.append(
                    browser.evaluate("document.getElementById('verify-result').innerText")
                )
            browser.screenshot(tmp_path / "verify.png")
        finally:
            browser.close()
    assert results[0].startswith("VALID") and f"in batch {b.batch_id}" in results[0]
    assert results[1].startswith("INVALID") and "failed check: receipt" in results[1]
    assert results[2].startswith("INVALID") and "failed check: format" in results[2]
