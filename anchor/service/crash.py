"""Fault injection for the kill -9 tests: ``ANCHOR_CRASH_AT=<step>`` makes the process
SIGKILL itself when it reaches that step (after_seal, after_sign, after_broadcast,
after_receipt, after_include), so a test can check that a restart continues from the
database (tests/faults/test_kill9.py)."""

from __future__ import annotations

import logging
import os
import signal

__all__ = ["CRASH_ENV", "CRASH_STEPS", "crash_point"]

CRASH_ENV = "ANCHOR_CRASH_AT"
CRASH_STEPS = ("after_seal", "after_sign", "after_broadcast", "after_receipt", "after_include")

log = logging.getLogger("anchor.txmanager")


def crash_point(step: str) -> None:
    """Fault injection: SIGKILL this process when ``$ANCHOR_CRASH_AT`` names ``step``."""
    if os.environ.get(CRASH_ENV) == step:
        log.warning("crash hook: SIGKILL at %s", step)
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)
