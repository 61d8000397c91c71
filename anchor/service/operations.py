"""What the anchorer does after each tick besides anchoring (issue 14), none of which may
stop anchoring: every step catches its own errors.

* costs — the receipt of each newly included batch gives its gas used and price
  (``anchor_costs``); the anchorer's balance is read every ``BALANCE_EVERY`` seconds
  (``chain_accounts``). Both feed ``/metrics`` (runway) and the daily budget.
* budget — fees of the last 24 h over ``daily_budget_eth`` raise the alarm ``daily_budget``,
  resolved once back under. (The per-transaction cap ``max_tx_fee_eth`` is enforced when
  fees are set, :class:`anchor.chain.fees.TxSettings`: an anchor that cannot be mined under
  it raises ``fee_cap_reached``.)
* RPC errors of the tick are counted (``anchor_rpc_errors_total``).
* alarm webhooks — new alarm events are queued for :class:`~anchor.service.webhooks.
  WebhookNotifier` (bounded queue, its own thread).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from anchor.service.metrics import count_rpc_errors

if TYPE_CHECKING:
    from anchor.config import Config
    from anchor.service.anchoring import Anchorer, TickSummary
    from anchor.service.webhooks import WebhookNotifier
    from anchor.store.db import Database

__all__ = ["ALARM_DAILY_BUDGET", "Operations"]

log = logging.getLogger("anchor.operations")

ALARM_DAILY_BUDGET = "daily_budget"
BALANCE_EVERY = 30.0
REPLAY_WINDOW = timedelta(hours=1)  # alarm events older than this at start are not pushed


class Operations:
    """Per anchorer process: the webhook notifier and the throttles."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self._balance_at = 0.0
        self._since = datetime.now(UTC) - REPLAY_WINDOW
        self.notifier: WebhookNotifier | None = None
        if config.alarm_webhooks:
            from anchor.service.webhooks import WebhookNotifier

            self.notifier = WebhookNotifier(
                config.alarm_webhooks, timeout=config.alarm_webhook_timeout_seconds
            )

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.close()

    def after_tick(self, anchorer: Anchorer, summary: TickSummary) -> None:
        for report in summary.chains.values():
            if report is not None:
                count_rpc_errors("anchorer", len(report.errors))
        for step in (self._costs, self._budgets, self._webhooks):
            try:
                step(anchorer)
            except Exception as exc:  # never stops anchoring; logged without the message
                if _is_rpc(exc):
                    count_rpc_errors("operations")
                log.warning("%s: %s", step.__name__.strip("_"), type(exc).__name__)

    # -- steps -------------------------------------------------------------------------
    def _costs(self, anchorer: Anchorer) -> None:
        now = time.monotonic()
        balances = now - self._balance_at >= BALANCE_EVERY
        for tx in anchorer.managers:  # each chain's costs and balance (a chain down: the next)
            try:
                self._chain_costs(tx, balances=balances)
            except Exception as exc:
                if not _is_rpc(exc):
                    raise
                count_rpc_errors("operations")
        if balances:
            self._balance_at = now

    def _chain_costs(self, tx: Any, *, balances: bool) -> None:
        from anchor.store.ops import costs_missing, record_cost, set_balance

        w3: Any = tx.w3
        chain_id = tx.ctx.chain_id
        for missing in costs_missing(self.db, chain_id):
            receipt = w3.eth.get_transaction_receipt(missing.tx_hash)
            price = receipt.get("effectiveGasPrice")
            if price is None:
                price = w3.eth.get_transaction(missing.tx_hash)["gasPrice"]
            record_cost(
                self.db,
                batch_id=missing.batch_id,
                chain_id=chain_id,
                tx_hash="0x" + missing.tx_hash.hex(),
                gas_used=int(receipt["gasUsed"]),
                gas_price_wei=int(price),
            )
        if balances:
            address = tx.key.address
            set_balance(self.db, chain_id, address, int(w3.eth.get_balance(address)))

    def _budgets(self, _anchorer: Anchorer) -> None:
        from anchor.store.alarms import sync_alarms
        from anchor.store.ops import spend_since

        wanted: dict[str, str] = {}
        day_ago = datetime.now(UTC) - timedelta(days=1)
        budget = self.config.daily_budget_eth
        if budget is not None:
            spent = spend_since(self.db, day_ago) / 1e9
            if spent > budget:
                wanted[ALARM_DAILY_BUDGET] = (
                    f"fees of the last 24 h {spent:.6f} exceed the daily budget {budget:g}"
                )
        sync_alarms(self.db, (ALARM_DAILY_BUDGET,), wanted)

    def _webhooks(self, _anchorer: Anchorer) -> None:
        if self.notifier is None:
            return
        from anchor.service.webhooks import poll_alarms

        poll_alarms(self.db, self.notifier, since=self._since, chain_id=self.config.chain_id)


def _is_rpc(exc: BaseException) -> bool:
    from anchor.chain.fees import is_network_error

    return is_network_error(exc) or type(exc).__module__.startswith("web3")
