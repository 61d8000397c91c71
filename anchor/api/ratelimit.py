"""Token buckets for unauthenticated routes that write (sign-in challenges).

In-process and bounded: a bucket per client address (at most :data:`MAX_CLIENTS` are kept;
the least recently seen is dropped first) and one for the whole process. With several API
processes each has its own buckets; the challenge table itself is bounded in the database
(``anchor.api.auth.MAX_CHALLENGES``), which holds across processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["MAX_CLIENTS", "Bucket", "RateLimiter"]

MAX_CLIENTS = 10_000


@dataclass
class Bucket:
    """``rate`` tokens a second, at most ``burst`` saved up."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """0.0 when a token was taken, else the seconds until one is there."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Per-client and overall limits; :meth:`check` says how long to wait (0: go ahead)."""

    def __init__(self, *, per_client_per_minute: float, total_per_second: float) -> None:
        """A client may save up a minute of its rate, the process two seconds of its own."""
        self._client_rate = per_client_per_minute / 60.0
        self._client_burst = max(1.0, per_client_per_minute)
        now = time.monotonic()
        burst = max(1.0, 2 * total_per_second)
        self._total = Bucket(total_per_second, burst, burst, now)
        self._clients: OrderedDict[str, Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> int:
        """Whole seconds to wait before retrying (``Retry-After``), 0 when allowed."""
        now = time.monotonic()
        with self._lock:
            bucket = self._clients.pop(client, None)
            if bucket is None:
                bucket = Bucket(self._client_rate, self._client_burst, self._client_burst, now)
            self._clients[client] = bucket  # most recently seen last
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            wait = bucket.take(now)
            if wait > 0:
                return max(1, math.ceil(wait))
            wait = self._total.take(now)
            if wait > 0:
                bucket.tokens += 1.0  # the client's token was not used
                return max(1, math.ceil(wait))
            return 0
