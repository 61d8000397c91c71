"""Prometheus metrics of the event bus consumer (:mod:`anchor.service.consume`).

Registered once, in prometheus-client's default registry (``anchor consume --metrics-port``
serves it), and listed in :data:`ALL` for the service's ``GET /metrics``
(:mod:`anchor.service.metrics`), which shows them when the consumer runs in the API's
process (``anchor serve --role all``). Counters are per process: with several consumers,
scrape each and sum them. The lag is the durable consumer's own figure (``num_pending`` from the server:
messages in the stream not yet delivered to any of its clients), shared by all of them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "anchor_consume_messages",
    "Messages taken from the stream and acknowledged, by outcome "
    "(stored, duplicate: already stored with the same content, dead: dead-lettered)",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "anchor_consume_dead_letters",
    "Messages published to the dead-letter subject, by error "
    "(invalid_record: refused by validation, conflict: the id is stored with other content)",
    ["error"],
)
LAG = Gauge(
    "anchor_consume_lag_messages",
    "Messages in the stream not yet delivered to the durable consumer (num_pending)",
)
ACK_PENDING = Gauge(
    "anchor_consume_ack_pending_messages",
    "Messages delivered to the durable consumer and not yet acknowledged (num_ack_pending)",
)
IN_FLIGHT = Gauge(
    "anchor_consume_in_flight_messages",
    "Messages this process holds: received, not yet acknowledged",
)
LAST_ACK = Gauge(
    "anchor_consume_last_ack_timestamp_seconds",
    "Unix time of this process's last acknowledgement",
)
THROUGHPUT = Gauge(
    "anchor_consume_throughput_records_per_second",
    "Messages acknowledged per second by this process over its last write",
)
WRITE_SECONDS = Histogram(
    "anchor_consume_write_seconds",
    "Time to validate and commit one load of messages",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
STORE_ERRORS = Counter(
    "anchor_consume_store_errors",
    "Loads the store failed to commit (their messages are not acknowledged: redelivered)",
)

ALL = (
    MESSAGES,
    DEAD_LETTERS,
    LAG,
    ACK_PENDING,
    IN_FLIGHT,
    LAST_ACK,
    THROUGHPUT,
    WRITE_SECONDS,
    STORE_ERRORS,
)

for _outcome in ("stored", "duplicate", "dead"):  # present (at 0) before the first message
    MESSAGES.labels(_outcome)
for _error in ("invalid_record", "conflict"):
    DEAD_LETTERS.labels(_error)
