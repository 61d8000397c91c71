"""Fault injection for the kill -9 tests: ``ANCHOR_CRASH_AT=<step>`` makes the process
SIGKILL itself when it reaches that step (after_seal, after_sign, after_broadcast,
after_receipt, after_include), so a test can check that a restart continues from the
database (tests/faults/test_kill9.py). With several chains, ``ANCHOR_CRASH_CHAIN=<name>``
limits the steps of the transaction manager to that chain's (tests/faults/test_chains.py)."""

from __future__ import annotations

import logging
import os
import signal

__all__ = ["CRASH_CHAIN_ENV", "CRASH_ENV", "CRASH_STEPS", "crash_point"]

CRASH_ENV = "ANCHOR_CRASH_AT"
CRASH_CHAIN_ENV = "ANCHOR_CRASH_CHAIN"
CRASH_STEPS = ("after_seal", "after_sign", "after_broadcast", "after_receipt", "after_include")

log = logging.getLogger("anchor.txmanager")


def crash_point(step: str, chain: str | None = None) -> None:
    """Fault injection: SIGKILL this process when ``$ANCHOR_CRASH_AT`` names ``step`` (and
    ``$ANCHOR_CRASH_CHAIN``, when set, names ``chain``)."""
    if os.environ.get(CRASH_ENV) != step:
        return
    only = os.environ.get(CRASH_CHAIN_ENV)
    if only and chain is not None and only != chain:
        return
    where = "" if chain is None else f" on chain {chain}"
    log.warning("crash hook: SIGKILL at %s%s", step, where)
    logging.shutdown()
    os.kill(os.getpid(), signal.SIGKILL)
