"""The explorer as a regulator's tool (real anvil, real SQLite file, real uvicorn, real
headless Chromium): the audit list newest first and paged, with block times, finality,
ingest-to-final latency and explorer links; found by batch id, record id and tx hash; the
anchor events cached and read incrementally; the page renders its chart with data, and reads
the anchors straight from the regulator's RPC on the registry they pinned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from anchor.api.app import create_app
from anchor.service.audit import collect_anchors
from anchor.store.anchor_events import scan_state
from anchor.store.db import Database
from tests.api.test_explorer import EXPLORER, Chain, _build
from tests.interop.helpers import free_port, live_server


@pytest.fixture
def chain(sqlite_url: str, deployed_registry: Any) -> Iterator[Chain]:
    db = Database.open(sqlite_url)
    try:
        c = _build(db, deployed_registry)
        with db.connect() as conn:  # batches 1 and 2 final 90 s after their first ingest
            for b in (1, 2):
                first = conn.execute(
                    sa.text(
                        "SELECT r.received_at FROM records r JOIN batches b ON r.seq = "
                        "b.first_seq WHERE b.id = :b"
                    ),
                    {"b": b},
                ).scalar_one()
                if isinstance(first, str):
                    first = datetime.fromisoformat(first)
                conn.execute(
                    sa.text("UPDATE batches SET final_at = :t WHERE id = :b"),
                    {"t": first.replace(tzinfo=UTC) + timedelta(seconds=90), "b": b},
                )
        yield c
    finally:
        db.close()


def test_events_are_cached_and_read_incrementally(chain: Chain) -> None:
    report = collect_anchors(chain.db, chain.config, max_age=0)
    assert report.error is None and report.mismatches == 0
    state = scan_state(chain.db, chain.registry.chain_id, chain.registry.address)
    assert state is not None and state.from_block == 0
    assert state.next_block == report.latest_block + 1
    rows = {a.batch_id: a for a in report.anchors}
    assert rows[1].chain.block_time > 1_600_000_000 and rows[1].latency_seconds == 90
    assert rows[3].latency_seconds is None  # included, not final in our records
    # a page view within max_age asks the chain nothing: a dead RPC is not even noticed
    dead = replace(chain.config, rpc_url=f"http://127.0.0.1:{free_port()}")
    cached = collect_anchors(chain.db, dead, max_age=3600)
    assert cached.error is None and [a.status for a in cached.anchors] == [
        a.status for a in report.anchors
    ]
    # past max_age the chain is read again, from the cache's end (minus the reorg window)
    assert collect_anchors(chain.db, dead, max_age=0).error is not None


def test_anchors_newest_first_paged_and_found(chain: Chain) -> None:
    with live_server(create_app(chain.config, chain.db)) as url:
        first = httpx.get(f"{url}/v1/explorer/anchors", params={"per_page": 3}).json()
        second = httpx.get(f"{url}/v1/explorer/anchors", params={"per_page": 3, "page": 2}).json()
        tx2 = "0x" + chain.anchored[2].tx_hash.hex()
        with chain.db.connect(write=False) as conn:
            rid = conn.execute(
                sa.text("SELECT record_id FROM records WHERE seq = 14")
            ).scalar_one()  # 12 records a batch: seq 14 is in batch 2
        found = [
            httpx.get(f"{url}/v1/explorer/find", params={"q": q}).json()
            for q in ("3", rid, tx2, tx2.upper().replace("0X", "0x"))
        ]
        missing = httpx.get(f"{url}/v1/explorer/find", params={"q": "no-such-thing"})
    assert [a["batch_id"] for a in first["anchors"]] == [4, 3, 2]
    assert [a["batch_id"] for a in second["anchors"]] == [1]
    assert (first["total"], first["pages"]) == (4, 2)
    a2 = first["anchors"][2]
    assert isinstance(a2["chain"]["final"], bool) and a2["chain"]["block_time"] > 0
    assert a2["links"]["tx"] == f"{EXPLORER}/tx/{tx2}" and a2["latency_seconds"] == 90
    assert [s["batch_id"] for s in first["series"]] == [1, 2, 3, 4]
    assert [(f["batch_id"], f["found_by"]) for f in found] == [
        (3, "batch"),
        (2, "record"),
        (2, "tx"),
        (2, "tx"),
    ]
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


@pytest.mark.browser
def test_page_renders_with_data_and_reads_the_chain_itself(chain: Chain, tmp_path: Path) -> None:
    from tests.interop.browser import Chromium

    shot = tmp_path / "explorer.png"
    with live_server(create_app(chain.config, chain.db)) as url:
        browser = Chromium(tmp_path / "profile")
        try:
            browser.navigate(f"{url}/explorer")
            browser.wait_for("document.body.dataset.anchors === 'loaded'")
            ids = browser.evaluate(
                "[...document.querySelectorAll('#anchors-body tr')].map(r => r.dataset.batchId)"
            )
            bars = browser.evaluate("document.querySelectorAll('#chart-svg rect.bar').length")
            dots = browser.evaluate("document.querySelectorAll('#chart-svg circle.dot').length")
            first_row = browser.evaluate("document.querySelector('#batch-2').innerText")
            browser.screenshot(shot)
            # find a batch by its transaction's hash: its row is highlighted
            tx1 = "0x" + chain.anchored[1].tx_hash.hex()
            browser.evaluate(
                f"document.getElementById('find').value = {json.dumps(tx1)};"
                "document.getElementById('find-button').click(); true"
            )
            browser.wait_for("document.querySelector('tr.found') !== null")
            found = browser.evaluate("document.querySelector('tr.found').dataset.batchId")
            # the regulator's own RPC and pin: anchors read by the browser from the chain
            browser.evaluate(
                f"document.getElementById('pinned').value = {json.dumps(chain.registry.address)};"
                f"document.getElementById('rpc-url').value = {json.dumps(chain.registry.rpc_url)};"
                "document.getElementById('read-chain').click(); true"
            )
            browser.wait_for("['rpc', 'rpc-error'].includes(document.body.dataset.source)")
            source = browser.evaluate("document.body.dataset.source")
            rpc_ids = browser.evaluate(
                "[...document.querySelectorAll('#anchors-body tr')].map(r => r.dataset.batchId)"
            )
            summary = browser.evaluate("document.getElementById('summary').innerText")
            # a look-alike: a registry address with no registry code -> named, never listed
            browser.evaluate(
                "document.getElementById('pinned').value = '0x' + '11'.repeat(20);"
                "document.body.dataset.source = '';"
                "document.getElementById('read-chain').click(); true"
            )
            browser.wait_for("['rpc', 'rpc-error'].includes(document.body.dataset.source)")
            wrong = browser.evaluate("document.getElementById('summary').innerText")
            # an RPC nobody answers: a clear message
            browser.evaluate(
                f"document.getElementById('rpc-url').value = 'http://127.0.0.1:{free_port()}';"
                "document.body.dataset.source = '';"
                "document.getElementById('read-chain').click(); true"
            )
            browser.wait_for("['rpc', 'rpc-error'].includes(document.body.dataset.source)")
            dead = browser.evaluate("document.getElementById('summary').innerText")
        finally:
            browser.close()
    assert ids == ["4", "3", "2", "1"]
    assert bars == 4 and dots == 2  # latency known for the two final batches
    assert "ago" in first_row and "90 s" in first_row  # block age, ingest-to-final
    assert shot.stat().st_size > 20_000
    assert found == "1"
    assert source == "rpc" and rpc_ids == ["3", "2", "1"], summary
    assert "read by your browser" in summary
    assert "Could not read the chain" in wrong and "no contract" in wrong
    assert "Could not read the chain" in dead and "unreachable" in dead
