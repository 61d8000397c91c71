"""Metrics, alarm webhooks, costs and spend budgets: against a real anvil, a real SQLite /
PostgreSQL database, real uvicorn servers and a real HTTP receiver on loopback."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from anchor.api.app import create_app
from anchor.config import Config
from anchor.service.metrics import WEBHOOK_DROPPED, WEBHOOK_FAILED, WEBHOOK_SENT
from anchor.service.webhooks import WebhookNotifier, poll_alarms
from anchor.store import ops
from anchor.store.alarms import raise_alarm, resolve_alarms
from anchor.store.db import Database
from anchor.store.tx_models import utcnow
from tests.api.server import serve
from tests.pipeline.helpers import make_env
from tests.pipeline.receiver import receiver

KEY = "ops-test-key"


def _wait(cond: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.mark.chain
def test_anchoring_records_costs_and_balance_raises_budget_alarms_and_pushes_them(
    db: Database, deployed_registry: Any, tmp_path: Any
) -> None:
    with receiver() as hook:
        env = make_env(
            db,
            deployed_registry,
            finality_depth=0,
            daily_budget_eth=1e-12,  # any anchor exceeds it
            alarm_webhooks=(hook.url,),
            api_key=KEY,
        )
        env.ingest(12)
        env.seal()
        env.tick_until(lambda: env.all_in("final"), timeout=60)
        env.anchorer.tick()  # the whole tick: anchoring, then costs, budgets, webhooks
        totals = ops.cost_totals(db)
        assert totals.anchors == 1 and 40_000 < totals.gas_used < 100_000 and totals.fees_gwei > 0
        (balance,) = ops.latest_balance(db)
        assert balance.address == env.reg.anchorer.address and balance.wei > 0
        kinds = {a.kind for a in env.alarms()}
        assert "daily_budget" in kinds
        _wait(lambda: ("raise", "daily_budget") in hook.events())
        assert hook.bodies[0]["service"] == "ledger-anchor"
        assert hook.bodies[0]["chain_id"] == env.reg.chain_id
        # the budget raised: resolved on the next tick, and the resolve is pushed too
        env.anchorer.config = env.config = Config(
            **{**env.config.__dict__, "daily_budget_eth": 1.0}
        )
        env.anchorer.ops.config = env.config
        env.anchorer.tick()
        _wait(lambda: ("resolve", "daily_budget") in hook.events())
        env.anchorer.tick()
        time.sleep(0.3)
        assert sorted(hook.events()).count(("raise", "daily_budget")) == 1  # once each
        env.anchorer.ops.close()

        with serve(create_app(env.config, db)) as url:
            assert httpx.get(f"{url}/metrics").status_code == 401
            r = httpx.get(f"{url}/metrics", headers={"X-API-Key": KEY})
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
            m = _samples(r.text)
        assert m[("anchor_records_ingested_total", ())] == 12
        assert m[("anchor_records_pending", ())] == 0
        assert m[("anchor_batches", (("state", "final"),))] == 1
        assert m[("anchor_gas_used_total", ())] == totals.gas_used
        assert m[("anchor_fees_paid_eth_total", ())] == pytest.approx(totals.fees_gwei / 1e9)
        assert m[("anchor_ingest_to_final_seconds_count", ())] == 1
        labels = (("address", balance.address), ("chain_id", str(env.reg.chain_id)))
        assert m[("anchor_anchorer_balance_eth", labels)] == pytest.approx(balance.wei / 1e18)
        assert 0 < m[("anchor_runway_days", labels)] < float("inf")
        assert m[("anchor_alarms_open", (("kind", "daily_budget"),))] == 0
        assert ("anchor_seal_duration_seconds_count", ()) in m


def test_database_metrics_agree_across_processes_and_the_per_process_ones_are_named(
    db: Database, tmp_path: Any
) -> None:
    """Two API apps (as two processes would be) over one database answer the same
    database-derived values."""
    from tests.backup.helpers import fill

    fill(db, [5, 3])
    with db.session() as s:
        raise_alarm(s, "root_mismatch", 1, "test")
    ops.set_balance(db, 31337, "0x" + "ab" * 20, 3 * 10**18)
    cfg = Config(api_key=KEY)
    texts = []
    for _ in range(2):
        with serve(create_app(cfg, Database(db.url))) as url:
            texts.append(httpx.get(f"{url}/metrics", headers={"X-API-Key": KEY}).text)
    per_process = ("anchor_records_rejected", "anchor_seal_", "anchor_rpc_", "anchor_alarm_web")
    a, b = (
        {k: v for k, v in _samples(t).items() if not k[0].startswith(per_process)} for t in texts
    )
    assert a == b
    assert a[("anchor_records_ingested_total", ())] == 8
    assert a[("anchor_batches", (("state", "sealed"),))] == 2
    assert a[("anchor_alarms_open", (("kind", "root_mismatch"),))] == 1
    runway = a[("anchor_runway_days", (("address", "0x" + "ab" * 20), ("chain_id", "31337")))]
    assert runway == float("inf")  # nothing spent yet


def test_a_webhook_that_fails_is_retried_and_one_that_hangs_never_blocks(db: Database) -> None:
    with receiver(fail_first=2) as flaky:
        sent = WEBHOOK_SENT._value.get()
        notifier = WebhookNotifier([flaky.url], timeout=2, retries=4, backoff=0.05)
        with db.session() as s:
            alarm = raise_alarm(s, "tx_reverted", 3, "reverted")
        since = utcnow().replace(year=2000)
        assert poll_alarms(db, notifier, since=since) == 1
        other = WebhookNotifier([flaky.url])  # a second process polling: nothing twice
        assert poll_alarms(db, other, since=since) == 0
        with db.session() as s:
            resolve_alarms(s, "tx_reverted", 3)
        assert poll_alarms(db, notifier, since=since) == 1
        _wait(lambda: flaky.events() == [("raise", "tx_reverted"), ("resolve", "tx_reverted")])
        # two failures, then the raise; then the resolve (more only if a slow machine made a
        # send time out: a retry, never a second delivery counted)
        assert flaky.hits >= 4 and WEBHOOK_SENT._value.get() == sent + 2
        assert flaky.bodies[0]["alarm"]["id"] == alarm.id
        notifier.close()
        other.close()
    with receiver(delay=5.0) as slow:
        dropped = WEBHOOK_DROPPED._value.get()
        failed = WEBHOOK_FAILED._value.get()
        notifier = WebhookNotifier([slow.url], timeout=0.5, retries=1, backoff=0.05, queue_size=2)
        started = time.monotonic()
        results = [notifier.submit({"event": "raise", "n": i}) for i in range(50)]
        # submitting never waits for the receiver: blocking on it would take 50 x 0.5 s at
        # least; the bound is generous for a busy machine
        assert time.monotonic() - started < 10.0
        # the queue holds 2 and the worker 1 at a time: nearly all are dropped (a slow machine
        # may let the worker take a few more while the submits run)
        assert results.count(False) >= 40
        assert WEBHOOK_DROPPED._value.get() - dropped == results.count(False)
        _wait(lambda: WEBHOOK_FAILED._value.get() > failed, timeout=20)  # timed out, given up
        notifier.close(timeout=1)


def test_the_per_transaction_fee_cap_lowers_the_max_fee_per_gas() -> None:
    from anchor.chain.fees import TxSettings
    from anchor.errors import ConfigError

    base = {"chain_id": 1, "contract_address": "0x" + "12" * 20}
    assert TxSettings.from_config(Config(**base)).max_fee_wei == 500 * 10**9
    # 0.001 ETH for 100,000 gas: at most 10 gwei per gas
    capped = TxSettings.from_config(Config(**base, max_tx_fee_eth=0.001))
    assert capped.max_fee_wei == 10 * 10**9
    with pytest.raises(ConfigError):
        TxSettings.from_config(Config(**base, max_tx_fee_eth=0))
