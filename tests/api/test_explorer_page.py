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


# --------------------------------------------------------------------------- part 5: export


def _cli(
    chain: Chain,
    *args: str,
    rpc: str | None = None,
    contract: str | None = None,
    env: dict[str, str] | None = None,
) -> Any:
    from typer.testing import CliRunner

    from anchor.cli import app

    common = ["--database-url", chain.db.url, "--rpc", rpc or chain.registry.rpc_url,
              "--contract", contract or chain.registry.address]  # fmt: skip
    env = {
        "ANCHOR_EXPLORER_BASE_URL": EXPLORER,
        "ANCHOR_CHAIN_ID": str(chain.registry.chain_id),
        **(env or {}),
    }
    return CliRunner().invoke(app, [*args, *common], env=env)


def test_export_adds_block_times_finality_and_links(chain: Chain, tmp_path: Path) -> None:
    import csv
    import io

    out = tmp_path / "a.csv"
    res = _cli(chain, "anchors", "export", "--csv", "-o", str(out))
    assert res.exit_code == 0, res.output
    rows = {r["batch_id"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    one = rows["1"]
    assert one["block_time"].endswith("Z") and one["chain_finality"] in ("final", "not final")
    assert one["latency_seconds"] == "90" and one["ingested_at"] and one["final_at"]
    assert one["explorer_block_url"] == f"{EXPLORER}/block/{chain.anchored[1].block_number}"
    assert one["explorer_contract_url"] == f"{EXPLORER}/address/{chain.registry.address}"
    assert rows["4"]["chain_finality"] == "not on chain"


def test_report_html_is_self_contained_and_names_every_problem(
    chain: Chain, tmp_path: Path
) -> None:
    from anchor.config import Config
    from anchor.service.ingest import ingest
    from anchor.service.receipts import check_deadlines, load_receipt_key
    from tests.store.sample import balance

    out = tmp_path / "report.html"
    res = _cli(chain, "report", "--html", str(out))
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert "<script" not in page and "http" not in page.split("<body>")[0].replace("http-equiv", "")
    assert chain.registry.address in page and "code hash matches" in page
    for b in (1, 2, 3, 4):
        assert f"<tr><td>{b}</td>" in page or f'<tr class="bad"><td>{b}</td>' in page
    assert "Missed receipt deadlines (0)" in page and "Open alarms (0)" in page
    assert "<h2>Backups (0 targets" in page and "No backup target configured." in page
    # a promise missed, and our root of batch 2 altered: both named, exit 1
    signer = load_receipt_key(
        Config(max_merge_delay_seconds=1, private_key_env="NO_KEY"),
        {"ANCHOR_RECEIPT_KEY": "0x" + "4b" * 32},
    )
    late = ingest(chain.db, [json.dumps(balance(900 + i)) for i in range(3)], receipts=signer)
    assert late.receipt is not None
    check_deadlines(chain.db, now=late.receipt.deadline + 5)
    with chain.db.connect() as conn:
        conn.execute(sa.text("UPDATE batches SET root = :r WHERE id = 2"), {"r": b"\x42" * 32})
    res = _cli(chain, "report", "--html", str(out))
    assert res.exit_code == 1, res.output
    page = out.read_text()
    assert "Missed receipt deadlines (1)" in page and "NOT FINAL" in page
    assert "receipt_deadline_missed" in page and "root differs" in page
    # backup status per target, from the database (a target the backup job never reached)
    target = tmp_path / "backups-never-written"
    res = _cli(chain, "report", "--html", str(out), env={"ANCHOR_BACKUP_TARGETS": str(target)})
    page = out.read_text()
    assert "<h2>Backups (1 targets" in page and str(target) in page
    # a look-alike registry (no registry code at the address) and an unreachable RPC
    res = _cli(chain, "report", "--html", str(out), contract="0x" + "11" * 20)
    assert res.exit_code == 1 and "no contract at" in out.read_text()
    res = _cli(chain, "report", "--html", str(out), rpc=f"http://127.0.0.1:{free_port()}")
    assert res.exit_code == 2 and "chain not readable" in res.output
    assert "unreachable" in out.read_text()
