"""Fixtures of the event bus consumer tests: a real NATS JetStream (fails under CI=true when
it is not there, skipped elsewhere), a stream of the test's own, deleted after it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.service.bus import Bus, nats_available


@pytest.fixture
def bus() -> Iterator[Bus]:
    ok, why = nats_available()
    if not ok:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{why} (CI=true: the consumer tests must run)")
        pytest.skip(why)
    b = Bus()
    b.create()
    try:
        yield b
    finally:
        b.delete()
