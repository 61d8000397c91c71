"""Alarms pushed to webhooks: a JSON POST on every raise and every resolve.

:class:`WebhookNotifier` owns a bounded queue and ONE background thread. :meth:`submit`
never waits: when the queue is full the event is dropped and counted
(``anchor_alarm_webhook_dropped_total``), so a receiver that is down or slow can never hold
up anchoring. The thread POSTs each event to every URL with a timeout, retrying a failure
(connection error, timeout, non-2xx) with exponential backoff; after the last retry the
event is given up and counted (``anchor_alarm_webhook_failed_total``).

:func:`poll_alarms` finds alarm events not pushed yet in the ``alarms`` table (whichever
code raised or resolved them: the transaction manager, the backup watch, an operator's
``anchor alarms --resolve``) and claims each in ``alarm_notifications`` before queueing it,
so two processes never push the same event twice.

The body::

    {"event": "raise" | "resolve", "alarm": {"id", "kind", "batch_id", "message", "count",
     "at"}, "service": "ledger-anchor", "chain_id": N}
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from anchor.service.metrics import WEBHOOK_DROPPED, WEBHOOK_FAILED, WEBHOOK_QUEUE, WEBHOOK_SENT

if TYPE_CHECKING:
    from anchor.store.db import Database

__all__ = ["WebhookNotifier", "poll_alarms"]

log = logging.getLogger("anchor.webhooks")

_STOP = object()


class WebhookNotifier:
    """A bounded queue of alarm events and the thread that delivers them."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float = 5.0,
        queue_size: int = 1000,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.urls = tuple(urls)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alarm-webhooks", daemon=True)
        self._thread.start()

    def submit(self, event: dict[str, Any]) -> bool:
        """Queue ``event`` without waiting; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            WEBHOOK_DROPPED.inc()
            log.warning("alarm webhook queue full: event dropped (%s)", event.get("event"))
            return False
        WEBHOOK_QUEUE.set(self._queue.qsize())
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (what is still queued after ``timeout`` is not delivered)."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):  # full: the thread sees _stopping instead
            self._queue.put_nowait(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                item = self._queue.get()
                WEBHOOK_QUEUE.set(self._queue.qsize())
                if item is _STOP:
                    return
                for url in self.urls:
                    self._deliver(client, url, item)

    def _deliver(self, client: httpx.Client, url: str, event: dict[str, Any]) -> None:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                resp = client.post(url, json=event)
                if 200 <= resp.status_code < 300:
                    WEBHOOK_SENT.inc()
                    return
                why = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                why = type(exc).__name__
            if attempt == self.retries or self._stopping.wait(delay):
                break
            delay = min(delay * 2, self.max_backoff)
        WEBHOOK_FAILED.inc()
        log.warning(
            "alarm webhook %s: gave up on a %s event (%s)", _host(url), event.get("event"), why
        )


def _host(url: str) -> str:
    """The URL without its path and query (which may carry a token)."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}{':' + str(parsed.port) if parsed.port else ''}"


def poll_alarms(
    db: Database, notifier: WebhookNotifier, *, since: datetime, chain_id: int | None = None
) -> int:
    """Queue every alarm event not pushed yet; returns how many were queued."""
    from anchor.store.ops import claim_notification, pending_alarm_events

    queued = 0
    for ev in pending_alarm_events(db, since=since):
        if not claim_notification(db, ev.alarm_id, ev.event):
            continue
        body = {
            "service": "ledger-anchor",
            "event": ev.event,
            "chain_id": ev.chain_id if ev.chain_id is not None else chain_id,
            "alarm": {
                "id": ev.alarm_id,
                "kind": ev.kind,
                "batch_id": ev.batch_id,
                "message": ev.message,
                "count": ev.count,
                "at": ev.at.isoformat(),
            },
        }
        if notifier.submit(body):
            queued += 1
    return queued
