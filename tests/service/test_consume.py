"""The event bus consumer in this process (a thread, as ``anchor serve --role consumer``
runs it) against a real NATS JetStream, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from anchor.config import load_config
from anchor.errors import ConfigError
from anchor.service.consume import ConsumerThread, status
from anchor.store import queries
from anchor.store.db import Database
from tests.service.bus import Bus, payload, record, wait_for


@contextmanager
def consuming(db: Database, bus: Bus, **extra: Any) -> Iterator[ConsumerThread]:
    thread = ConsumerThread(db, load_config(env={}, **bus.config(**extra))).start()
    try:
        yield thread
    finally:
        thread.stop()
    assert thread.error is None, thread.error


def count(db: Database) -> int:
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM records")).scalar_one())


def metric(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_records_stored_bad_messages_dead_lettered(db: Database, bus: Bus) -> None:
    """Published by a separate client as the exchange would; every message is either stored
    (or found stored) or dead-lettered with the reason, and then acknowledged."""
    good = [payload(i) for i in range(200)]
    conflicting = json.dumps(record(7, available="1")).encode()  # bal-7, other content
    bad: list[tuple[bytes, str, str]] = [
        (b'{"kind": "balance", "version": 1,', "record", "JSON"),  # invalid JSON
        (json.dumps(record(900, available="-5")).encode(), "available", ""),
        (json.dumps({k: v for k, v in record(901).items() if k != "asset"}).encode(), "asset", ""),
        (json.dumps(record(902, asset="x" * 70_000)).encode(), "record", "too large"),
        (b"", "record", "empty message"),
        (conflicting, "record_id", "different content"),
    ]
    before_dead = metric("anchor_consume_dead_letters_total", error="invalid_record")
    bus.publish(good[:100])
    with consuming(db, bus, nats_fetch_batch=64, nats_max_ack_pending=256):
        wait_for(lambda: count(db) == 100, timeout=60, what="the first 100 records")
        # the rest, the bad ones among them, and repeats of stored records (a publisher
        # retrying: new messages, same records) -- none may block the stream
        bus.publish([b for b, _, _ in bad] + [g[0] for g in good[:50]] + good[100:])
        wait_for(lambda: bus.drained() and count(db) == 200, timeout=60, what="all acknowledged")
        got = status(load_config(env={}, **bus.config()))
    assert count(db) == 200
    stored = queries.get_record(db, "bal-7")
    assert stored is not None and json.loads(stored.canonical)["available"] == "7000"  # kept

    dead = bus.dead_letters()
    assert len(dead) == len(bad)
    by_payload = {d.data: d.headers for d in dead}
    for data, field, problem in bad:
        headers = by_payload[data]  # the original payload, byte for byte
        assert headers["Anchor-Field"] == field, headers
        assert problem in headers["Anchor-Problem"], headers
        assert headers["Anchor-Error"] == ("conflict" if field == "record_id" else "invalid_record")
        assert headers["Anchor-Stream"] == bus.stream and int(headers["Anchor-Stream-Seq"]) > 100
    assert got["lag"] == 0 and got["ack_pending"] == 0
    assert got["dead_letters"] == len(bad) and got["dead_subject"] == bus.dead
    assert got["last_ack"] is not None
    assert metric("anchor_consume_dead_letters_total", error="invalid_record") - before_dead == 5
    assert metric("anchor_consume_lag_messages") == 0
    # and in the service's GET /metrics of this process
    from anchor.service.metrics import render

    text = render(db, load_config(env={})).decode()
    assert "anchor_consume_dead_letters_total" in text and "anchor_consume_lag_messages" in text


def test_redelivery_after_restart_is_harmless(sqlite_url: str, bus: Bus) -> None:
    """A second consumer process life on the same durable, and the same records published
    again: counted as duplicates, never stored twice."""
    db = Database.open(sqlite_url)
    try:
        bus.publish([payload(i) for i in range(300)], confirm=False)
        with consuming(db, bus):
            wait_for(lambda: bus.drained(), timeout=60, what="the backlog")
        dup_before = metric("anchor_consume_messages_total", outcome="duplicate")
        bus.publish([payload(i)[0] for i in range(300)], confirm=False)  # no Nats-Msg-Id
        with consuming(db, bus):
            wait_for(lambda: bus.drained(), timeout=60, what="the repeats")
        assert count(db) == 300
        assert metric("anchor_consume_messages_total", outcome="duplicate") - dup_before == 300
        with db.connect(write=False) as conn:
            seqs = conn.execute(sa.text("SELECT MIN(seq), MAX(seq) FROM records")).one()
        assert tuple(seqs) == (1, 300)
    finally:
        db.close()


def test_stalled_store_slows_consumption(sqlite_url: str, bus: Bus) -> None:
    """The store holds its write lock: the consumer stops pulling instead of piling up
    messages -- what is delivered and unacknowledged stays within three loads (the one
    being written, the one being acknowledged, the one pulled next)."""
    db = Database.open(sqlite_url)
    blocker = sa.create_engine(sqlite_url)
    try:
        with consuming(db, bus, nats_fetch_batch=100, nats_max_ack_pending=1000):
            bus.publish([payload(0)])
            wait_for(lambda: count(db) == 1, timeout=60, what="the consumer at work")
            with blocker.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # every writer now waits
                bus.publish([payload(i) for i in range(1, 3001)], confirm=False)
                wait_for(lambda: bus.ack_pending() > 0, timeout=30, what="a delivery")
                for _ in range(20):  # it stays bounded while the store is stuck
                    time.sleep(0.1)
                    info = bus.consumer_info()
                    assert info.num_ack_pending <= 300, info
                    assert info.num_pending >= 2700, info
                    assert metric("anchor_consume_in_flight_messages") <= 300
                conn.exec_driver_sql("ROLLBACK")
            wait_for(lambda: bus.drained(), timeout=60, what="the backlog after the stall")
        assert count(db) == 3001
    finally:
        blocker.dispose()
        db.close()


def test_configuration_refused(sqlite_url: str, bus: Bus) -> None:
    db = Database.open(sqlite_url)
    try:
        for extra, words in (
            ({"nats_dead_subject": f"{bus.prefix}.records.dead"}, "its own dead letters"),
            ({"nats_stream": "NO_SUCH_STREAM_X"}, "no stream"),
        ):
            thread = ConsumerThread(db, load_config(env={}, **bus.config(**extra))).start()
            thread.stop()
            assert isinstance(thread.error, ConfigError) and words in str(thread.error)
        with pytest.raises(ConfigError, match="nats_stream"):
            ConsumerThread(db, load_config(env={}, nats_url=bus.url))
    finally:
        db.close()
