"""The crash-safe transaction manager: one anchor transaction per batch, write-ahead.

Every step leaves the database in a state a restarted process can continue from:

* **prepare** — the batch id is free on chain (else: same root → adopt, other root → alarm),
  simulate ``anchor(batchId, root, leafCount)``, allocate the nonce (database cursor reconciled
  with the chain's pending nonce), EIP-1559 fees, sign locally, and commit the raw signed
  bytes + hash *before* anything is sent.
* **broadcast** — send the stored bytes. "already known" is success; a network error means
  "send the same bytes again later"; "nonce too low" means "look for receipts of every attempt
  and read the contract". Not mined in time → a new attempt at the *same* nonce with tip and
  fee cap raised by at least ``fee_bump_percent`` (>= 12.5 %), stored before it is sent.
  Stored bytes are re-sent every ``rebroadcast_seconds``.
* **confirm** — receipts for every attempt hash; status 1 → included; status 0 → alarm (never
  resent automatically); an included receipt that disappears or whose block is no longer
  canonical → back to submitted and re-broadcast; at or below the finalized height and still
  canonical → final; a final batch whose block stops being canonical → alarm + re-anchor.

Every attempt of a batch shares one nonce, so at most one is mined, and the contract rejects a
second anchor for a batch id: a batch can never be anchored twice.

**Fencing**: ``fence`` (a callable handed in by the service: "does this process still hold the
anchorer lease?") is asked immediately before every signature and every broadcast; when it
says no, the tick stops there (:class:`LeaseLost`) without signing or sending anything.

``ANCHOR_CRASH_AT=<step>`` (after_seal, after_sign, after_broadcast, after_receipt,
after_include) makes the process SIGKILL itself at that step: a fault-injection hook for tests.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hexbytes import HexBytes
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from anchor.chain.alarms import open_alarms, raise_alarm, resolve_alarms
from anchor.chain.client import anchor_calldata
from anchor.chain.fees import (
    Fees,
    SendOutcome,
    TxSettings,
    bumped,
    classify_send_error,
    is_network_error,
)
from anchor.chain.finality import ChainHead, canonical_hash, read_head
from anchor.errors import ChainError, ConfigError
from anchor.store.models import Batch, BatchState
from anchor.store.tx_models import (
    ALARM_FEE_CAP,
    ALARM_INSUFFICIENT_FUNDS,
    ALARM_NONCE_CONSUMED,
    ALARM_REORG_BELOW_FINALITY,
    ALARM_ROOT_MISMATCH,
    ALARM_TX_REVERTED,
    ATTEMPT_ABANDONED,
    ATTEMPT_LIVE,
    ATTEMPT_MINED,
    ATTEMPT_REPLACED,
    TX_CONFLICT,
    TX_FAILED,
    TX_FINAL,
    TX_INCLUDED,
    TX_PENDING,
    TX_SUBMITTED,
    AnchorAttempt,
    AnchorTx,
    NonceCursor,
    as_utc,
    utcnow,
)

if TYPE_CHECKING:
    from anchor.chain.keys import SigningKey
    from anchor.store.db import Database

log = logging.getLogger("anchor.txmanager")

CRASH_ENV = "ANCHOR_CRASH_AT"
CRASH_STEPS = ("after_seal", "after_sign", "after_broadcast", "after_receipt", "after_include")
DEFAULT_GAS_LIMIT = 100_000
PREPARE_LIMIT = 64
RECHECK_FINAL = 64  # final batches re-checked, newest first, while their blocks are gone
OUTAGE_LOG_EVERY = 60.0  # seconds between "chain unavailable" warnings during an outage


class ChainUnavailable(ChainError):
    """The RPC endpoint could not be reached; the tick stops and is retried later."""


class LeaseLost(ChainError):
    """The fence said this process no longer holds the anchorer lease: stop the tick."""


def crash_point(step: str) -> None:
    """Fault injection: SIGKILL this process when ``$ANCHOR_CRASH_AT`` names ``step``."""
    if os.environ.get(CRASH_ENV) == step:
        log.warning("crash hook: SIGKILL at %s", step)
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)


def _hex(value: bytes | HexBytes | str) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def _unhex(value: str | None) -> bytes | None:
    if value is None:
        return None
    return bytes.fromhex(value.removeprefix("0x"))


# --------------------------------------------------------------------------------------------
# the registry, as the manager needs it


class Registry:
    """Reads and call data of the AnchorRegistry contract over one web3 instance."""

    def __init__(self, w3: Any, address: str, start_block: int = 0) -> None:
        from web3 import Web3

        from anchor.chain.artifact import load_artifact

        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.start_block = start_block
        abi = load_artifact().abi_list
        self.contract = w3.eth.contract(address=self.address, abi=abi)
        event = next(e for e in abi if e.get("type") == "event" and e.get("name") == "Anchored")
        signature = "Anchored(" + ",".join(i["type"] for i in event["inputs"]) + ")"
        self.anchored_topic = _hex(Web3.keccak(text=signature))

    def root_of(self, batch_id: int) -> bytes:
        return bytes(self.contract.functions.rootOf(batch_id).call(block_identifier="latest"))

    def last_batch_id(self) -> int:
        return int(self.contract.functions.lastBatchId().call(block_identifier="latest"))

    def anchor_data(self, batch_id: int, root: bytes, leaf_count: int) -> str:
        """``anchor(batchId, root, leafCount)`` call data, hex."""
        return "0x" + anchor_calldata(batch_id, bytes(root), leaf_count).hex()

    def find_anchored(self, batch_id: int) -> tuple[str, int, str] | None:
        """(tx hash, block number, block hash) of the Anchored event for ``batch_id``."""
        logs = self.w3.eth.get_logs(
            {
                "address": self.address,
                "fromBlock": self.start_block,
                "toBlock": "latest",
                "topics": [self.anchored_topic, "0x" + batch_id.to_bytes(32, "big").hex()],
            }
        )
        if not logs:
            return None
        last = logs[-1]
        return _hex(last["transactionHash"]), int(last["blockNumber"]), _hex(last["blockHash"])


# --------------------------------------------------------------------------------------------
# the manager


@dataclass
class TickReport:
    """What one tick did (for logs and tests)."""

    prepared: int = 0
    sent: int = 0
    bumped: int = 0
    included: int = 0
    final: int = 0
    reorged: int = 0
    errors: list[str] = field(default_factory=list)
    fenced: bool = False  # stopped because the lease was lost


class TxManager:
    """Prepare, broadcast and confirm anchor transactions for sealed batches.

    ``w3`` is a connected web3 instance (tests hand it a real anvil), ``key`` the signing key
    (see :mod:`anchor.chain.keys`), ``fence`` the lease check made before signing and sending
    (None: no fence, a single process)."""

    def __init__(
        self,
        db: Database,
        w3: Any,
        key: SigningKey,
        settings: TxSettings,
        *,
        fence: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.fence = fence
        self.w3 = w3
        self.key = key
        self.settings = settings
        self.registry = Registry(w3, settings.contract, settings.start_block)
        self.sender = key.address
        self.contract = self.registry.address
        self._bumps = 0
        self._chain_checked = False
        self._down_since: float | None = None
        self._down_logged = 0.0

    # -- the tick ------------------------------------------------------------------------
    def run_once(self) -> TickReport:
        """One pass: prepare, broadcast, confirm. An unreachable RPC ends the pass quietly
        (logged); the next pass continues from the database."""
        report = TickReport()
        try:
            self._check_chain_id()
            report.prepared = self.prepare()
            report.sent, report.bumped = self.broadcast()
            report.included, report.final, report.reorged = self.confirm()
        except LeaseLost:
            report.fenced = True
            return report
        except ChainUnavailable as exc:
            report.errors.append(str(exc))
        except Exception as exc:
            if not is_network_error(exc):
                raise
            report.errors.append(f"rpc: {type(exc).__name__}")
        self._log_availability(report)
        return report

    def _log_availability(self, report: TickReport) -> None:
        """One WARNING when the RPC goes away (repeated each minute), one when it is back."""
        now = time.monotonic()
        if report.errors:
            if self._down_since is None or now - self._down_logged >= OUTAGE_LOG_EVERY:
                since = "" if self._down_since is None else f" for {now - self._down_since:.0f} s"
                log.warning("chain unavailable%s: %s", since, report.errors[0])
                self._down_logged = now
            if self._down_since is None:
                self._down_since = now
        elif self._down_since is not None:
            log.warning("chain reachable again after %.0f s", now - self._down_since)
            self._down_since = None

    def _fence(self, what: str) -> None:
        """Raise :class:`LeaseLost` unless the fence confirms the lease (right before ``what``)."""
        if self.fence is not None and not self.fence():
            log.warning("not the anchorer any more: stopping before %s", what)
            raise LeaseLost(what)

    def _check_chain_id(self) -> None:
        if self._chain_checked:
            return
        actual = int(self.w3.eth.chain_id)
        if actual != self.settings.chain_id:
            raise ConfigError(
                f"the RPC serves chain id {actual}, the config says {self.settings.chain_id}"
            )
        self._chain_checked = True

    # -- prepare -------------------------------------------------------------------------
    def prepare(self) -> int:
        """Sign and store an attempt for each sealed batch the chain can take now."""
        with self.db.session(write=False) as s:
            rows = s.exec(
                select(Batch.id, Batch.root, Batch.leaf_count)
                .join(AnchorTx, col(AnchorTx.batch_id) == col(Batch.id), isouter=True)
                .where(
                    Batch.state == BatchState.SEALED.value,
                    or_(col(AnchorTx.state).is_(None), col(AnchorTx.state) == TX_PENDING),
                )
                .order_by(col(Batch.id))
                .limit(PREPARE_LIMIT)
            ).all()
        done = 0
        for batch_id, root, leaf_count in rows:
            if not self._prepare_one(int(batch_id), bytes(root), int(leaf_count)):
                break  # batch ids are sequential: later ones wait for this one
            done += 1
        return done

    def _ensure_tx_row(self, batch_id: int, root: bytes, leaf_count: int) -> None:
        with self.db.session() as s:
            if s.get(AnchorTx, batch_id) is None:
                s.add(
                    AnchorTx(
                        batch_id=batch_id,
                        chain_id=self.settings.chain_id,
                        contract=self.contract,
                        sender=self.sender,
                        root=_hex(root),
                        leaf_count=leaf_count,
                        state=TX_PENDING,
                    )
                )

    def _prepare_one(self, batch_id: int, root: bytes, leaf_count: int) -> bool:
        self._ensure_tx_row(batch_id, root, leaf_count)
        onchain = self.registry.root_of(batch_id)
        if onchain != b"\x00" * 32:
            if onchain == root:
                self._adopt(batch_id)
            else:
                self._conflict(batch_id, root, onchain)
            return True
        last = self.registry.last_batch_id()
        gas = DEFAULT_GAS_LIMIT
        data = self.registry.anchor_data(batch_id, root, leaf_count)
        if last == batch_id - 1:
            try:
                estimate = int(
                    self.w3.eth.estimate_gas(
                        {"from": self.sender, "to": self.contract, "data": data}
                    )
                )
                gas = max(estimate * 5 // 4, estimate + 10_000)
            except Exception as exc:
                self._prepare_failed(batch_id, exc)
                return False
        elif last < batch_id - 1 and not self._predecessor_in_flight(batch_id):
            self._note(batch_id, f"waiting: the chain's last batch is {last}")
            return False
        fees = self.suggest_fees()
        chain_nonce = int(self.w3.eth.get_transaction_count(self.sender, "pending"))
        with self.db.session() as s:
            tx = s.get(AnchorTx, batch_id, with_for_update=True)
            if tx is None or tx.state != TX_PENDING:
                return True  # someone else prepared it meanwhile
            cursor = self._lock_cursor(s)
            nonce = max(cursor.next_nonce, chain_nonce)
            self._fence(f"signing batch {batch_id}")
            attempt = self._sign(batch_id, nonce, gas, data, fees)
            s.add(attempt)
            cursor.next_nonce = nonce + 1
            s.add(cursor)
            tx.nonce = nonce
            tx.gas_limit = gas
            tx.state = TX_SUBMITTED
            tx.updated_at = utcnow()
            tx.last_error = None
            s.add(tx)
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.state = BatchState.SUBMITTED.value
            batch.chain_id = self.settings.chain_id
            batch.contract = self.contract
            s.add(batch)
        log.info("batch %s: signed attempt %s at nonce %s", batch_id, attempt.tx_hash, nonce)
        crash_point("after_sign")
        return True

    def _predecessor_in_flight(self, batch_id: int) -> bool:
        with self.db.session(write=False) as s:
            prev = s.get(AnchorTx, batch_id - 1)
        return prev is not None and prev.state in (TX_SUBMITTED, TX_INCLUDED, TX_FINAL)

    def _prepare_failed(self, batch_id: int, exc: Exception) -> None:
        if is_network_error(exc):
            raise ChainUnavailable(type(exc).__name__) from None
        outcome = classify_send_error(exc)
        if outcome is SendOutcome.FUNDS:
            self._funds_alarm(batch_id)
            return
        message = f"simulation of anchor({batch_id}) reverted: {_short(exc)}"
        log.error("batch %s: %s", batch_id, message)
        self._note(batch_id, message)

    def _note(self, batch_id: int, message: str) -> None:
        with self.db.session() as s:
            tx = s.get(AnchorTx, batch_id)
            if tx is not None and tx.last_error != message:
                tx.last_error = message
                tx.updated_at = utcnow()
                s.add(tx)

    def _lock_cursor(self, s: Session) -> NonceCursor:
        query = select(NonceCursor).where(
            NonceCursor.chain_id == self.settings.chain_id, NonceCursor.sender == self.sender
        )
        cursor = s.exec(query.with_for_update()).first()
        if cursor is None:
            cursor = NonceCursor(chain_id=self.settings.chain_id, sender=self.sender, next_nonce=0)
            s.add(cursor)
            s.flush()
        return cursor

    def _sign(self, batch_id: int, nonce: int, gas: int, data: str, fees: Fees) -> AnchorAttempt:
        signed = self.key.sign_transaction(
            {
                "type": 2,
                "chainId": self.settings.chain_id,
                "nonce": nonce,
                "to": self.contract,
                "value": 0,
                "gas": gas,
                "maxFeePerGas": fees.max_fee,
                "maxPriorityFeePerGas": fees.tip,
                "data": data,
            }
        )
        return AnchorAttempt(
            batch_id=batch_id,
            nonce=nonce,
            tx_hash=_hex(signed.hash),
            raw_tx=bytes(signed.raw_transaction),
            max_fee_per_gas=fees.max_fee,
            max_priority_fee_per_gas=fees.tip,
            status=ATTEMPT_LIVE,
        )

    def suggest_fees(self) -> Fees:
        """EIP-1559 fees from ``eth_feeHistory``: tip = max(median recent tip, the node's
        suggestion), cap = 2 x next base fee + tip, never above the configured cap."""
        history = self.w3.eth.fee_history(5, "latest", [50])
        base = int(history["baseFeePerGas"][-1])
        rewards = sorted(int(r[0]) for r in history.get("reward") or [] if r)
        tip = rewards[len(rewards) // 2] if rewards else 0
        try:
            tip = max(tip, int(self.w3.eth.max_priority_fee))
        except Exception as exc:
            if is_network_error(exc):
                raise
        tip = max(tip, 1)
        cap = min(2 * base + tip, self.settings.max_fee_wei)
        return Fees(max_fee=cap, tip=min(tip, cap))

    # -- adopt / conflict ----------------------------------------------------------------
    def _adopt(self, batch_id: int) -> None:
        """The chain already holds our root for this batch: take the existing transaction."""
        found = self.registry.find_anchored(batch_id)
        with self.db.session() as s:
            tx = s.get(AnchorTx, batch_id, with_for_update=True)
            batch = s.get(Batch, batch_id)
            assert tx is not None and batch is not None
            if found is None:
                # the root is there but its event is out of reach (pruned logs): final by state
                tx.state = TX_FINAL
                tx.final_at = utcnow()
                batch.state = BatchState.FINAL.value
                batch.final_at = tx.final_at
            else:
                tx_hash, number, block_hash = found
                tx.state = TX_INCLUDED
                tx.tx_hash, tx.block_number, tx.block_hash = tx_hash, number, block_hash
                tx.included_at = utcnow()
                batch.state = BatchState.INCLUDED.value
                batch.tx_hash = _unhex(tx_hash)
                batch.block_number = number
                batch.block_hash = _unhex(block_hash)
                batch.anchored_at = tx.included_at
            batch.chain_id = self.settings.chain_id
            batch.contract = self.contract
            tx.updated_at = utcnow()
            s.add(tx)
            s.add(batch)
        log.warning("batch %s: already anchored on chain with the same root; adopted", batch_id)

    def _conflict(self, batch_id: int, ours: bytes, onchain: bytes) -> None:
        message = (
            f"the contract holds root {_hex(onchain)} for batch {batch_id}, ours is {_hex(ours)}:"
            " not overwritten"
        )
        with self.db.session() as s:
            tx = s.get(AnchorTx, batch_id, with_for_update=True)
            assert tx is not None
            tx.state = TX_CONFLICT
            tx.last_error = message
            tx.updated_at = utcnow()
            s.add(tx)
            for attempt in self._attempts(s, batch_id):
                if attempt.status == ATTEMPT_LIVE:
                    attempt.status = ATTEMPT_ABANDONED
                    s.add(attempt)
            raise_alarm(s, ALARM_ROOT_MISMATCH, batch_id, message)

    # -- broadcast -----------------------------------------------------------------------
    def broadcast(self) -> tuple[int, int]:
        """Send stored attempts that were never sent or are due for a rebroadcast; replace
        stuck ones at the same nonce with higher fees. Returns (sent, bumped)."""
        with self.db.session(write=False) as s:
            txs = list(
                s.exec(
                    select(AnchorTx)
                    .where(AnchorTx.state == TX_SUBMITTED)
                    .order_by(col(AnchorTx.nonce))
                ).all()
            )
        if not txs:
            return 0, 0
        head = int(self.w3.eth.block_number)
        sent = 0
        self._bumps = 0
        for tx in txs:
            attempt = self._live_attempt(tx.batch_id)
            if attempt is None:
                continue
            now = utcnow()
            if self._is_stuck(attempt, now, head):
                if self._find_receipt(tx):
                    continue  # mined after all: no replacement
                replacement = self._bump(tx, attempt, reason="not mined in time")
                if replacement is not None:
                    attempt = replacement
                    self._bumps += 1
            due = attempt.broadcast_count == 0 or (
                as_utc(attempt.last_broadcast_at) or now
            ) <= now - timedelta(seconds=self.settings.rebroadcast_seconds)
            if due and self._send(tx, attempt, head):
                sent += 1
        return sent, self._bumps

    def _find_receipt(self, tx: AnchorTx) -> bool:
        """Look for a receipt of any attempt of ``tx``; record it when found."""
        with self.db.session(write=False) as s:
            attempts = [a for a in self._attempts(s, tx.batch_id) if a.status != ATTEMPT_ABANDONED]
        for attempt in attempts:
            receipt = self._receipt(attempt.tx_hash)
            if receipt is not None:
                self._record_receipt(tx.batch_id, attempt, receipt)
                return True
        return False

    def _is_stuck(self, attempt: AnchorAttempt, now: datetime, head: int) -> bool:
        first = as_utc(attempt.first_broadcast_at)
        if first is None:
            return False
        if now - first >= timedelta(seconds=self.settings.stuck_after_seconds):
            return True
        return (
            attempt.first_broadcast_block is not None
            and self.settings.stuck_after_blocks > 0
            and head - attempt.first_broadcast_block >= self.settings.stuck_after_blocks
        )

    def _live_attempt(self, batch_id: int) -> AnchorAttempt | None:
        with self.db.session(write=False) as s:
            return s.exec(
                select(AnchorAttempt)
                .where(AnchorAttempt.batch_id == batch_id, AnchorAttempt.status == ATTEMPT_LIVE)
                .order_by(col(AnchorAttempt.id).desc())
            ).first()

    def _attempts(self, s: Session, batch_id: int) -> list[AnchorAttempt]:
        return list(
            s.exec(
                select(AnchorAttempt)
                .where(AnchorAttempt.batch_id == batch_id)
                .order_by(col(AnchorAttempt.id).desc())
            ).all()
        )

    def _bump(self, tx: AnchorTx, attempt: AnchorAttempt, *, reason: str) -> AnchorAttempt | None:
        old = Fees(max_fee=attempt.max_fee_per_gas, tip=attempt.max_priority_fee_per_gas)
        new = bumped(old, self.suggest_fees(), self.settings.bump_percent)
        if new.max_fee > self.settings.max_fee_wei:
            if old.max_fee >= self.settings.max_fee_wei:
                with self.db.session() as s:
                    raise_alarm(
                        s,
                        ALARM_FEE_CAP,
                        tx.batch_id,
                        f"batch {tx.batch_id}: not mined and the fee cap "
                        f"({self.settings.max_fee_wei} wei) is reached",
                    )
                return None
            new = Fees(
                max_fee=self.settings.max_fee_wei, tip=min(new.tip, self.settings.max_fee_wei)
            )
        assert tx.nonce is not None
        data = self.registry.anchor_data(tx.batch_id, _unhex(tx.root) or b"", tx.leaf_count)
        self._fence(f"signing a replacement for batch {tx.batch_id}")
        replacement = self._sign(
            tx.batch_id, tx.nonce, tx.gas_limit or DEFAULT_GAS_LIMIT, data, new
        )
        with self.db.session() as s:
            current = s.get(AnchorTx, tx.batch_id, with_for_update=True)
            fresh = s.get(AnchorAttempt, attempt.id)
            if current is None or current.state != TX_SUBMITTED or fresh is None:
                return None
            if fresh.status != ATTEMPT_LIVE:
                return None
            fresh.status = ATTEMPT_REPLACED
            s.add(fresh)
            s.add(replacement)
        log.warning(
            "batch %s: %s; replacement %s at nonce %s (tip %s -> %s, cap %s -> %s)",
            tx.batch_id,
            reason,
            replacement.tx_hash,
            tx.nonce,
            old.tip,
            new.tip,
            old.max_fee,
            new.max_fee,
        )
        crash_point("after_sign")
        return replacement

    def _send(self, tx: AnchorTx, attempt: AnchorAttempt, head: int, *, retry: bool = True) -> bool:
        """Send the stored bytes of ``attempt``; True when the node took them."""
        self._fence(f"broadcasting batch {tx.batch_id}")
        try:
            self.w3.eth.send_raw_transaction(attempt.raw_tx)
        except Exception as exc:
            outcome = classify_send_error(exc)
            if outcome is SendOutcome.NETWORK:
                raise ChainUnavailable(f"broadcast: {type(exc).__name__}") from None
            if outcome is SendOutcome.NONCE_LOW:
                self._nonce_too_low(tx)
                return False
            if outcome is SendOutcome.FUNDS:
                self._funds_alarm(tx.batch_id)
                return False
            if outcome is SendOutcome.UNDERPRICED and retry:
                replacement = self._bump(tx, attempt, reason=f"refused: {_short(exc)}")
                if replacement is not None:
                    self._bumps += 1
                    return self._send(tx, replacement, head, retry=False)
                return False
            if outcome is not SendOutcome.KNOWN:
                log.error("batch %s: broadcast refused: %s", tx.batch_id, _short(exc))
                self._note(tx.batch_id, f"broadcast refused: {_short(exc)}")
                return False
        crash_point("after_broadcast")
        now = utcnow()
        with self.db.session() as s:
            fresh = s.get(AnchorAttempt, attempt.id)
            if fresh is not None:
                fresh.broadcast_count += 1
                fresh.last_broadcast_at = now
                if fresh.first_broadcast_at is None:
                    fresh.first_broadcast_at = now
                    fresh.first_broadcast_block = head
                s.add(fresh)
            resolve_alarms(s, ALARM_INSUFFICIENT_FUNDS)
        log.info("batch %s: broadcast %s", tx.batch_id, attempt.tx_hash)
        return True

    def _funds_alarm(self, batch_id: int) -> None:
        with self.db.session() as s:
            raise_alarm(
                s,
                ALARM_INSUFFICIENT_FUNDS,
                None,
                f"insufficient funds: {self.sender} cannot pay for anchoring batch {batch_id}; "
                "it is kept and sent once the account is funded",
            )

    def _nonce_too_low(self, tx: AnchorTx) -> None:
        """Our nonce is used: by one of our attempts (find its receipt), or by someone else."""
        if self._find_receipt(tx):
            return
        root = _unhex(tx.root) or b""
        onchain = self.registry.root_of(tx.batch_id)
        if onchain == root:
            self._adopt(tx.batch_id)
            return
        if onchain != b"\x00" * 32:
            self._conflict(tx.batch_id, root, onchain)
            return
        latest = int(self.w3.eth.get_transaction_count(self.sender, "latest"))
        if tx.nonce is None or latest <= tx.nonce:
            return  # a receipt not indexed yet, or a reorg in progress: look again next tick
        with self.db.session() as s:
            current = s.get(AnchorTx, tx.batch_id, with_for_update=True)
            if current is None or current.state != TX_SUBMITTED:
                return
            for attempt in self._attempts(s, tx.batch_id):
                if attempt.status in (ATTEMPT_LIVE, ATTEMPT_REPLACED):
                    attempt.status = ATTEMPT_ABANDONED
                    s.add(attempt)
            current.state = TX_PENDING
            current.nonce = None
            current.updated_at = utcnow()
            s.add(current)
            batch = s.get(Batch, tx.batch_id)
            if batch is not None:
                batch.state = BatchState.SEALED.value
                s.add(batch)
            raise_alarm(
                s,
                ALARM_NONCE_CONSUMED,
                tx.batch_id,
                f"nonce {tx.nonce} of {self.sender} was used by another transaction; "
                f"batch {tx.batch_id} is signed again at a new nonce",
            )

    # -- confirm -------------------------------------------------------------------------
    def confirm(self) -> tuple[int, int, int]:
        """Receipts, reorgs, finality. Returns (included, final, reorged)."""
        head = read_head(self.w3, finality_depth=self.settings.finality_depth)
        included = final = reorged = 0
        with self.db.session(write=False) as s:
            submitted = list(
                s.exec(
                    select(AnchorTx)
                    .where(AnchorTx.state == TX_SUBMITTED)
                    .order_by(col(AnchorTx.nonce))
                ).all()
            )
        for tx in submitted:
            with self.db.session(write=False) as s:
                attempts = [
                    a for a in self._attempts(s, tx.batch_id) if a.status != ATTEMPT_ABANDONED
                ]
            for attempt in attempts:
                receipt = self._receipt(attempt.tx_hash)
                if receipt is None:
                    continue
                crash_point("after_receipt")
                if self._record_receipt(tx.batch_id, attempt, receipt):
                    included += 1
                break
        with self.db.session(write=False) as s:
            in_blocks = list(
                s.exec(
                    select(AnchorTx)
                    .where(AnchorTx.state == TX_INCLUDED)
                    .order_by(col(AnchorTx.batch_id))
                ).all()
            )
            recent_final = list(
                s.exec(
                    select(AnchorTx)
                    .where(AnchorTx.state == TX_FINAL, col(AnchorTx.block_number).is_not(None))
                    .order_by(col(AnchorTx.block_number).desc(), col(AnchorTx.batch_id).desc())
                    .limit(RECHECK_FINAL)
                ).all()
            )
        for tx in in_blocks:
            outcome = self._check_included(tx, head)
            final += outcome == "final"
            reorged += outcome == "reorged"
        # A reorg replaces a suffix of the chain: if the newest final block is canonical, so
        # are the older ones. Walk down from the newest until a canonical one is found.
        for tx in recent_final:
            moved = self._check_final(tx)
            if not moved:
                break
            reorged += moved
        return included, final, reorged

    def _receipt(self, tx_hash: str) -> Any | None:
        from web3.exceptions import TransactionNotFound

        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def _record_receipt(self, batch_id: int, attempt: AnchorAttempt, receipt: Any) -> bool:
        status = int(receipt["status"])
        number = int(receipt["blockNumber"])
        block_hash = _hex(receipt["blockHash"])
        now = utcnow()
        with self.db.session() as s:
            tx = s.get(AnchorTx, batch_id, with_for_update=True)
            batch = s.get(Batch, batch_id)
            if tx is None or batch is None or tx.state != TX_SUBMITTED:
                return False
            for other in self._attempts(s, batch_id):
                if other.id == attempt.id:
                    other.status = ATTEMPT_MINED
                elif other.status in (ATTEMPT_LIVE, ATTEMPT_MINED):
                    other.status = ATTEMPT_REPLACED
                s.add(other)
            tx.tx_hash, tx.block_number, tx.block_hash = attempt.tx_hash, number, block_hash
            tx.updated_at = now
            batch.tx_hash = _unhex(attempt.tx_hash)
            if status != 1:
                tx.state = TX_FAILED
                message = (
                    f"anchor transaction {attempt.tx_hash} for batch {batch_id} reverted in block"
                    f" {number}; not resent automatically"
                )
                tx.last_error = message
                raise_alarm(s, ALARM_TX_REVERTED, batch_id, message)
            else:
                tx.state = TX_INCLUDED
                tx.included_at = now
                batch.state = BatchState.INCLUDED.value
                batch.block_number = number
                batch.block_hash = _unhex(block_hash)
                batch.anchored_at = now
            s.add(tx)
            s.add(batch)
        log.info("batch %s: included in block %s (%s)", batch_id, number, attempt.tx_hash)
        crash_point("after_include")
        return status == 1

    def _check_included(self, tx: AnchorTx, head: ChainHead) -> str:
        assert tx.tx_hash is not None and tx.block_number is not None
        receipt = self._receipt(tx.tx_hash)
        if receipt is None:
            self._reorged(tx, "its receipt disappeared")
            return "reorged"
        number = int(receipt["blockNumber"])
        block_hash = _hex(receipt["blockHash"])
        canonical = canonical_hash(self.w3, number)
        if canonical is None or _hex(canonical) != block_hash:
            self._reorged(tx, f"block {number} is no longer canonical")
            return "reorged"
        if block_hash != tx.block_hash or number != tx.block_number:
            self._moved(tx, number, block_hash)
            return "moved"
        confirmations = head.latest - number + 1
        if number <= head.finalized and confirmations >= self.settings.confirmations:
            with self.db.session() as s:
                current = s.get(AnchorTx, tx.batch_id, with_for_update=True)
                batch = s.get(Batch, tx.batch_id)
                if current is None or batch is None or current.state != TX_INCLUDED:
                    return "raced"
                current.state = TX_FINAL
                current.final_at = utcnow()
                current.updated_at = current.final_at
                batch.state = BatchState.FINAL.value
                batch.final_at = current.final_at
                s.add(current)
                s.add(batch)
            log.info(
                "batch %s: final (block %s <= finalized %s)", tx.batch_id, number, head.finalized
            )
            return "final"
        return "included"

    def _moved(self, tx: AnchorTx, number: int, block_hash: str) -> None:
        with self.db.session() as s:
            current = s.get(AnchorTx, tx.batch_id, with_for_update=True)
            batch = s.get(Batch, tx.batch_id)
            if current is None or batch is None:
                return
            current.block_number, current.block_hash = number, block_hash
            current.reorgs += 1
            current.updated_at = utcnow()
            batch.block_number, batch.block_hash = number, _unhex(block_hash)
            s.add(current)
            s.add(batch)
        log.warning("batch %s: reorg moved its transaction to block %s", tx.batch_id, number)

    def _check_final(self, tx: AnchorTx) -> int:
        assert tx.block_number is not None and tx.block_hash is not None
        canonical = canonical_hash(self.w3, tx.block_number)
        if canonical is not None and _hex(canonical) == tx.block_hash:
            return 0
        message = (
            f"batch {tx.batch_id}: final block {tx.block_number} ({tx.block_hash}) is no longer "
            "canonical: a reorg below the finalized height"
        )
        with self.db.session() as s:
            raise_alarm(s, ALARM_REORG_BELOW_FINALITY, tx.batch_id, message)
        if tx.tx_hash is not None:
            receipt = self._receipt(tx.tx_hash)
            if receipt is not None:
                number, block_hash = int(receipt["blockNumber"]), _hex(receipt["blockHash"])
                found = canonical_hash(self.w3, number)
                if found is not None and _hex(found) == block_hash:
                    self._moved(tx, number, block_hash)
                    return 1
        self._reorged(tx, "reorg below the finalized height", from_state=TX_FINAL)
        return 1

    def _reorged(self, tx: AnchorTx, why: str, *, from_state: str = TX_INCLUDED) -> None:
        """Back to broadcast: the stored bytes stay valid while the nonce is unused."""
        with self.db.session() as s:
            current = s.get(AnchorTx, tx.batch_id, with_for_update=True)
            batch = s.get(Batch, tx.batch_id)
            if current is None or batch is None or current.state != from_state:
                return
            attempts = self._attempts(s, tx.batch_id)
            revived = False
            for attempt in attempts:
                if attempt.status == ATTEMPT_MINED:
                    attempt.status = ATTEMPT_LIVE
                    attempt.broadcast_count = 0
                    attempt.first_broadcast_at = None
                    attempt.first_broadcast_block = None
                    attempt.last_broadcast_at = None
                    revived = True
                    s.add(attempt)
            current.state = TX_SUBMITTED if revived else TX_PENDING
            if not revived:
                current.nonce = None
            current.tx_hash = current.block_number = current.block_hash = None
            current.included_at = current.final_at = None
            current.reorgs += 1
            current.updated_at = utcnow()
            batch.state = BatchState.SUBMITTED.value if revived else BatchState.SEALED.value
            batch.tx_hash = batch.block_number = batch.block_hash = None
            batch.anchored_at = batch.final_at = None
            s.add(current)
            s.add(batch)
        log.warning("batch %s: reorg (%s): anchoring it again", tx.batch_id, why)


def retry_failed(db: Database, batch_id: int) -> None:
    """Operator action: anchor a batch again whose transaction reverted (status 0). Its old
    attempts are abandoned; the next tick signs a new one at a new nonce. A batch whose id holds
    a different root on chain (conflict) cannot be retried: that is never overwritten."""
    from anchor.errors import ConflictError, NotFoundError

    with db.session() as s:
        tx = s.get(AnchorTx, batch_id, with_for_update=True)
        batch = s.get(Batch, batch_id)
        if tx is None or batch is None:
            raise NotFoundError(f"batch {batch_id} has no anchor transaction")
        if tx.state != TX_FAILED:
            raise ConflictError(f"batch {batch_id} is {tx.state}: only a failed anchor is retried")
        for attempt in s.exec(select(AnchorAttempt).where(AnchorAttempt.batch_id == batch_id)):
            attempt.status = ATTEMPT_ABANDONED
            s.add(attempt)
        tx.state, tx.nonce, tx.tx_hash, tx.block_number, tx.block_hash = (
            TX_PENDING, None, None, None, None,
        )  # fmt: skip
        tx.last_error = None
        tx.updated_at = utcnow()
        batch.state = BatchState.SEALED.value
        batch.tx_hash = batch.block_number = batch.block_hash = None
        s.add(tx)
        s.add(batch)
        resolve_alarms(s, ALARM_TX_REVERTED, batch_id)
    log.warning("batch %s: failed anchor reset by the operator; it is signed again", batch_id)


def _short(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


def batch_counts(db: Database) -> dict[str, int]:
    """How many anchor jobs are in each state."""
    with db.session(write=False) as s:
        rows = s.exec(select(AnchorTx.state, func.count()).group_by(AnchorTx.state)).all()
    return {str(state): int(n) for state, n in rows}


__all__ = [
    "CRASH_ENV",
    "CRASH_STEPS",
    "ChainUnavailable",
    "Fees",
    "LeaseLost",
    "Registry",
    "SendOutcome",
    "TickReport",
    "TxManager",
    "TxSettings",
    "batch_counts",
    "bumped",
    "classify_send_error",
    "crash_point",
    "open_alarms",
    "raise_alarm",
    "resolve_alarms",
    "retry_failed",
]
