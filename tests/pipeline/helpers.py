"""Shared helpers of the pipeline and fault tests: a database, a deployed registry on a real
anvil, and an :class:`~anchor.service.anchoring.Anchorer` wired to both."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from anchor.config import Config, load_config
from anchor.service.anchoring import Anchorer
from anchor.store.db import Database
from anchor.store.models import Batch
from anchor.store.tx_models import Alarm, AnchorAttempt, AnchorTx
from anchor.store.tx_repo import attempts_of

FAST = {
    "confirmations": 1,
    "stuck_after_seconds": 30.0,
    "stuck_after_blocks": 0,
    "rebroadcast_seconds": 0.3,
    "seal_interval_seconds": None,
    "seal_size_trigger": 10**9,
    "batch_max_records": 1_000_000,
}


def make_config(reg: Any, db_url: str, **overrides: Any) -> Config:
    values: dict[str, Any] = dict(FAST)
    values.update(
        database_url=db_url,
        rpc_url=reg.rpc_url,
        chain_id=reg.chain_id,
        contract_address=reg.address,
    )
    values.update(overrides)
    return load_config(None, env={}, **values)


@dataclass
class Env:
    """One database + one deployed registry + the anchorer between them."""

    db: Database
    reg: Any  # tests.fixtures.chain.DeployedRegistry
    config: Config
    anchorer: Anchorer
    seed: int = 0
    ingested: int = field(default=0)
    several: bool = False  # several chains: a tick runs every chain's manager

    @property
    def w3(self) -> Any:
        return self.reg.w3

    def rpc(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))
        if "error" in response:
            raise AssertionError(f"{method}: {response['error']}")
        return response.get("result")

    def ingest(self, n: int) -> None:
        from anchor.core.samples import sample_record_objs
        from anchor.service.ingest import ingest

        self.seed += 1
        result = ingest(self.db, sample_record_objs(n, seed=self.seed, id_prefix=f"s{self.seed}-"))
        assert result.accepted == n
        self.ingested += n

    def seal(self) -> list[int]:
        return [b.id for b in self.anchorer.seal_pending()]

    def tick(self) -> Any:
        if self.several:
            return self.anchorer.chains.run()
        return self.anchorer.tx.run_once()

    def tick_until(
        self,
        done: Callable[[], bool],
        *,
        timeout: float = 20.0,
        between: Callable[[], Any] | None = None,
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.tick()
            if done():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; batches: {self.batches()}; txs: {self.txs()}")
            if between is not None:
                between()
            time.sleep(0.05)

    def batches(self) -> list[Batch]:
        with self.db.session(write=False) as s:
            return list(s.exec(select(Batch).order_by(col(Batch.id))).all())

    def batch(self, batch_id: int) -> Batch:
        with self.db.session(write=False) as s:
            found = s.get(Batch, batch_id)
        assert found is not None
        return found

    def txs(self, chain_id: int | None = None) -> list[AnchorTx]:
        """The anchor jobs on ``chain_id`` (default: this env's registry's chain)."""
        chain = self.reg.chain_id if chain_id is None else chain_id
        with self.db.session(write=False) as s:
            return list(
                s.exec(
                    select(AnchorTx)
                    .where(AnchorTx.chain_id == chain)
                    .order_by(col(AnchorTx.batch_id))
                ).all()
            )

    def tx(self, batch_id: int, chain_id: int | None = None) -> AnchorTx:
        chain = self.reg.chain_id if chain_id is None else chain_id
        with self.db.session(write=False) as s:
            found = s.get(AnchorTx, {"chain_id": chain, "batch_id": batch_id})
        assert found is not None
        return found

    def attempts(self, batch_id: int, chain_id: int | None = None) -> list[AnchorAttempt]:
        chain = self.reg.chain_id if chain_id is None else chain_id
        with self.db.session(write=False) as s:
            return attempts_of(s, chain, batch_id)[::-1]  # the store's newest first: oldest first

    def alarms(self, *, open_only: bool = True) -> list[Alarm]:
        with self.db.session(write=False) as s:
            query = select(Alarm).order_by(col(Alarm.id))
            if open_only:
                query = query.where(col(Alarm.resolved_at).is_(None))
            return list(s.exec(query).all())

    def all_in(self, *states: str) -> bool:
        batches = self.batches()
        return bool(batches) and all(b.state in states for b in batches)

    def jobs_in(self, chain_id: int, *states: str) -> bool:
        """Every batch has a job on ``chain_id`` in one of ``states``."""
        jobs = {t.batch_id: t.state for t in self.txs(chain_id)}
        batches = self.batches()
        return bool(batches) and all(jobs.get(b.id) in states for b in batches)

    def check_anchored_once(self, reg: Any = None) -> None:
        """Every record in exactly one batch, every batch's root on chain (``reg``'s, by
        default this env's), each batch anchored by exactly one Anchored event."""
        reg = self.reg if reg is None else reg
        batches = self.batches()
        assert batches, "no batch"
        assert batches[0].first_seq == 1
        for prev, cur in itertools.pairwise(batches):
            assert cur.first_seq == prev.last_seq + 1
        assert batches[-1].last_seq == self.ingested
        assert sum(b.leaf_count for b in batches) == self.ingested
        events = reg.client.anchored_events(from_block=0)
        by_id: dict[int, int] = {}
        for event in events:
            by_id[event.batch_id] = by_id.get(event.batch_id, 0) + 1
        for b in batches:
            assert reg.client.root_of(b.id) == bytes(b.root), f"batch {b.id} root"
            assert by_id.get(b.id) == 1, f"batch {b.id} anchored {by_id.get(b.id)} times"
        assert len(events) == len(batches)


def make_env(db: Database, reg: Any, **overrides: Any) -> Env:
    config = make_config(reg, db.url, **overrides)
    anchorer = Anchorer(db, config, w3=reg.w3, key=reg.anchorer, backups=False)
    return Env(db=db, reg=reg, config=config, anchorer=anchorer)


def chain_table(name: str, reg: Any, **extra: Any) -> dict[str, Any]:
    """A ``[[chains]]`` table for a deployed registry."""
    return {
        "name": name,
        "rpc_url": reg.rpc_url,
        "chain_id": reg.chain_id,
        "contract_address": reg.address,
        **extra,
    }


def fast_web3(reg: Any) -> Any:
    """A web3 with the anchorer's short timeouts (an RPC that is down fails fast)."""
    from anchor.chain.client import RetryPolicy, make_web3

    return make_web3(reg.rpc_url, policy=RetryPolicy(timeout=5.0, retries=2, backoff_factor=0.1))


def make_two_chain_env(
    db: Database, a: Any, b: Any, *, a_extra: Any = None, b_extra: Any = None, **overrides: Any
) -> Env:
    """An env anchoring on two registries (chains named ``a`` and ``b``, ``a`` primary)."""
    chains = [chain_table("a", a, **(a_extra or {})), chain_table("b", b, **(b_extra or {}))]
    config = make_config(a, db.url, chains=chains, **overrides)
    clients = {"a": (fast_web3(a), a.anchorer), "b": (fast_web3(b), b.anchorer)}
    anchorer = Anchorer(db, config, clients=clients, backups=False)
    return Env(db=db, reg=a, config=config, anchorer=anchorer, several=True)
