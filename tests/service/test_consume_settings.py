"""The consumer's settings and subject rules (no server needed)."""

from __future__ import annotations

import pytest

from anchor.config import load_config
from anchor.errors import ConfigError
from anchor.service.consume_bus import default_dead_subject, settings_from_config, subject_matches


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("ex.records.>", "ex.records.trade", True),
        ("ex.records.>", "ex.records.trade.btc", True),
        ("ex.records.>", "ex.records", False),
        ("ex.records.>", "ex.dead", False),
        ("ex.*.trade", "ex.records.trade", True),
        ("ex.*.trade", "ex.records.balance", False),
        ("ex.>", "ex.dead", True),
        ("ex.dead", "ex.dead", True),
        ("ex.dead", "ex.dead.x", False),
    ],
)
def test_subject_matches(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches


def test_default_dead_subject() -> None:
    assert default_dead_subject(("exchange.records.>",)) == "exchange.dead"
    with pytest.raises(ConfigError, match="nats_dead_subject"):
        default_dead_subject((">",))


def test_settings_from_config_and_environment() -> None:
    env = {
        "ANCHOR_NATS_URL": "nats://127.0.0.1:4222",
        "ANCHOR_NATS_STREAM": "EXCHANGE",
        "ANCHOR_NATS_SUBJECTS": "exchange.records.>",
        "ANCHOR_NATS_DURABLE": "anchor-eu",
    }
    s = settings_from_config(load_config(env=env))
    assert (s.stream, s.subjects, s.durable, s.dead_subject) == (
        "EXCHANGE",
        ("exchange.records.>",),
        "anchor-eu",
        None,
    )
    assert (s.fetch_batch, s.max_ack_pending, s.ack_wait) == (10_000, 40_000, 60.0)
    for bad, key in (
        ({"nats_url": None}, "nats_url"),
        ({"nats_stream": None}, "nats_stream"),
        ({"nats_fetch_batch": 0}, "nats_fetch_batch"),
        ({"nats_max_ack_pending": 10}, "nats_max_ack_pending"),
        ({"nats_ack_wait_seconds": 0.1}, "nats_ack_wait_seconds"),
    ):
        with pytest.raises(ConfigError, match=key):
            settings_from_config(load_config(env=env, **bad))
