"""Prometheus metrics (``GET /metrics``, :mod:`anchor.api.metrics`).

Two kinds, and the difference matters once several processes run (``--role api`` replicas,
``--workers N``, a separate anchorer):

* **From the database, at scrape time** — correct whichever process is scraped, and the
  same from every one: records ingested, pending records, batches per state, the
  ingest-to-final latency histogram (newest 10,000 final batches), gas used and fees paid,
  the spend of the last 24 h, the anchorer's balance and days of runway, open alarms by kind,
  backup lag per target. (:class:`DatabaseCollector`)
* **Per process** — counted by the process that did the work; scrape every process (or the
  one that matters) and sum: records rejected (API processes), seal duration, RPC errors
  (the anchorer), alarm webhooks sent / failed / dropped and their queue (the anchorer).
  Their names are in :data:`PER_PROCESS`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.store.db import Database

__all__ = [
    "ALARM_KINDS",
    "LATENCY_BUCKETS",
    "PER_PROCESS",
    "RECORDS_REJECTED",
    "RPC_ERRORS",
    "SEAL_SECONDS",
    "WEBHOOK_DROPPED",
    "WEBHOOK_FAILED",
    "WEBHOOK_QUEUE",
    "WEBHOOK_SENT",
    "DatabaseCollector",
    "render",
]

log = logging.getLogger("anchor.metrics")

# -- per process ---------------------------------------------------------------------------
RECORDS_REJECTED = Counter(
    "anchor_records_rejected", "Records refused at ingest by this process", registry=None
)
SEAL_SECONDS = Histogram(
    "anchor_seal_duration_seconds",
    "Time to seal one batch (this process)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=None,
)
RPC_ERRORS = Counter(
    "anchor_rpc_errors", "Chain RPC errors seen by this process", ["source"], registry=None
)
WEBHOOK_SENT = Counter("anchor_alarm_webhook_sent", "Alarm events delivered", registry=None)
WEBHOOK_FAILED = Counter(
    "anchor_alarm_webhook_failed", "Alarm events given up after every retry", registry=None
)
WEBHOOK_DROPPED = Counter(
    "anchor_alarm_webhook_dropped", "Alarm events dropped: the queue was full", registry=None
)
WEBHOOK_QUEUE = Gauge(
    "anchor_alarm_webhook_queue", "Alarm events waiting to be delivered", registry=None
)
_PROCESS_METRICS: Final = (
    RECORDS_REJECTED,
    SEAL_SECONDS,
    RPC_ERRORS,
    WEBHOOK_SENT,
    WEBHOOK_FAILED,
    WEBHOOK_DROPPED,
    WEBHOOK_QUEUE,
)
PER_PROCESS: Final = (
    "anchor_records_rejected_total",
    "anchor_seal_duration_seconds",
    "anchor_rpc_errors_total",
    "anchor_alarm_webhook_sent_total",
    "anchor_alarm_webhook_failed_total",
    "anchor_alarm_webhook_dropped_total",
    "anchor_alarm_webhook_queue",
)

LATENCY_BUCKETS: Final = (5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)
BATCH_STATES: Final = ("sealed", "submitted", "included", "final")
# every kind the service raises (so an alert can say "== 0" before the first one)
ALARM_KINDS: Final = (
    "root_mismatch",
    "reorg_below_finality",
    "insufficient_funds",
    "tx_reverted",
    "fee_cap_reached",
    "nonce_consumed",
    "backup_target_unreachable",
    "backup_target_behind",
    "backup_bundle_mismatch",
    "daily_budget",
)


class _ProcessCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        for metric in _PROCESS_METRICS:
            yield from metric.collect()
        # the event bus consumer's, per process too (anchor/service/consume_metrics.py)
        from anchor.service.consume_metrics import ALL as consume_metrics

        for metric in consume_metrics:
            yield from metric.collect()


class DatabaseCollector(Collector):
    """Metrics read from the database when scraped (the same from every process)."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config

    def collect(self) -> Iterator[Metric]:
        from anchor.store import ops

        db = self.db
        counts = ops.pipeline_counts(db)
        yield CounterMetricFamily(
            "anchor_records_ingested", "Records stored (all processes)", value=counts.records
        )
        yield GaugeMetricFamily(
            "anchor_records_pending", "Records not in a batch yet", value=counts.pending
        )
        batches = GaugeMetricFamily("anchor_batches", "Batches by state", labels=["state"])
        for state in sorted(set(BATCH_STATES) | set(counts.batches)):
            batches.add_metric([state], counts.batches.get(state, 0))
        yield batches
        yield self._latency(ops.final_latencies(db))
        totals = ops.cost_totals(db)
        yield CounterMetricFamily(
            "anchor_gas_used", "Gas used by anchor transactions", value=totals.gas_used
        )
        yield CounterMetricFamily(
            "anchor_fees_paid_eth",
            "Fees paid for anchor transactions (ETH or the chain's coin)",
            value=totals.fees_gwei / 1e9,
        )
        yield from self._per_chain()
        now = datetime.now(UTC)
        day = ops.spend_since(db, now - timedelta(days=1)) / 1e9
        week = ops.spend_since(db, now - timedelta(days=7)) / 1e9
        yield GaugeMetricFamily("anchor_spend_24h_eth", "Fees paid in the last 24 hours", value=day)
        balance = GaugeMetricFamily(
            "anchor_anchorer_balance_eth", "The anchorer's balance", labels=["chain_id", "address"]
        )
        runway = GaugeMetricFamily(
            "anchor_runway_days",
            "Days the anchorer's balance lasts at the current spend (last 24 h, else last 7"
            " days; +Inf when nothing was spent)",
            labels=["chain_id", "address"],
        )
        per_day = day if day > 0 else week / 7
        for b in ops.latest_balance(db):
            eth = b.wei / 1e18
            labels = [str(b.chain_id), b.address]
            balance.add_metric(labels, eth)
            runway.add_metric(labels, eth / per_day if per_day > 0 else math.inf)
        yield balance
        yield runway
        alarms = GaugeMetricFamily("anchor_alarms_open", "Open alarms by kind", labels=["kind"])
        open_by_kind = ops.alarm_counts(db)
        for kind in sorted(set(ALARM_KINDS) | set(open_by_kind)):
            alarms.add_metric([kind], open_by_kind.get(kind, 0))
        yield alarms
        yield from self._backups()

    def _per_chain(self) -> Iterator[Metric]:
        """Gas, fees and anchor jobs by state, per chain (issue 18)."""
        from anchor.config_chains import chains_of
        from anchor.store import ops
        from anchor.store.tx_views import state_counts

        names = {c.chain_id: c.name for c in chains_of(self.config) if c.chain_id is not None}
        labels = ["chain_id", "chain"]
        gas = CounterMetricFamily(
            "anchor_chain_gas_used", "Gas used by anchor transactions, per chain", labels=labels
        )
        fees = CounterMetricFamily(
            "anchor_chain_fees_paid_eth",
            "Fees paid for anchor transactions, per chain (its own coin)",
            labels=labels,
        )
        anchors = CounterMetricFamily(
            "anchor_chain_anchors_paid", "Anchor transactions paid, per chain", labels=labels
        )
        for t in ops.cost_totals_by_chain(self.db):
            chain = [str(t.chain_id), names.get(t.chain_id or 0, "")]
            gas.add_metric(chain, t.gas_used)
            fees.add_metric(chain, t.fees_gwei / 1e9)
            anchors.add_metric(chain, t.anchors)
        jobs = GaugeMetricFamily(
            "anchor_chain_jobs", "Anchor jobs by chain and state", labels=[*labels, "state"]
        )
        for chain_id, name in names.items():
            counts = state_counts(self.db, chain_id)
            for state in sorted(set(counts) | {"pending", "submitted", "included", "final"}):
                jobs.add_metric([str(chain_id), name, state], counts.get(state, 0))
        yield from (gas, fees, anchors, jobs)

    def _latency(self, values: list[float]) -> Metric:
        buckets = []
        for le in LATENCY_BUCKETS:
            buckets.append((str(float(le)), sum(1 for v in values if v <= le)))
        buckets.append(("+Inf", len(values)))
        return HistogramMetricFamily(
            "anchor_ingest_to_final_seconds",
            "From a batch's first record ingested to the batch final on chain (newest 10,000"
            " final batches)",
            buckets=buckets,
            sum_value=sum(values),
        )

    def _backups(self) -> Iterator[Metric]:
        from anchor.backup.watch import backup_health

        lag = GaugeMetricFamily(
            "anchor_backup_lag_seconds",
            "How long the oldest final batch missing on a target has been final",
            labels=["target"],
        )
        behind = GaugeMetricFamily(
            "anchor_backup_behind_batches", "Sealed batches not on a target", labels=["target"]
        )
        up = GaugeMetricFamily(
            "anchor_backup_target_up",
            "1 when the backup job last found the target writable",
            labels=["target"],
        )
        late = 0
        if self.config.backup_targets:
            try:
                health = backup_health(self.db, self.config)
            except Exception as exc:  # a bad target spec must not break the whole scrape
                log.warning("backup metrics: %s", type(exc).__name__)
            else:
                late = health.late.count
                for t in health.targets:
                    lag.add_metric([t.target], t.lag_seconds)
                    behind.add_metric([t.target], t.behind)
                    up.add_metric([t.target], 1 if t.state == "ok" else 0)
        yield lag
        yield behind
        yield up
        yield GaugeMetricFamily(
            "anchor_backup_late_batches",
            "Final batches on too few targets for longer than backup_alarm_seconds",
            value=late,
        )


def render(db: Database, config: Config) -> bytes:
    """The exposition text: this process's metrics and the database's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessCollector())
    registry.register(DatabaseCollector(db, config))
    return bytes(generate_latest(registry))


def observe_seal(seconds: float) -> None:
    SEAL_SECONDS.observe(seconds)


def count_rpc_errors(source: str, n: int = 1) -> None:
    if n:
        RPC_ERRORS.labels(source=source).inc(n)


for _source in ("anchorer", "operations"):  # present (at 0) before the first error
    RPC_ERRORS.labels(source=_source)
