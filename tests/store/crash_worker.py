"""A child process the crash tests kill with SIGKILL in the middle of its work.

``python -m tests.store.crash_worker ingest URL N``: ingest N records in one load, printing
``progress <n>`` after each chunk (then sleeping a little so the parent can kill it inside
the transaction). ``... seal URL``: seal everything, printing the phases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from anchor.service.ingest import ingest
from anchor.service.seal import seal
from anchor.store.db import Database
from tests.fixtures.paths import ROOT
from tests.store.sample import balance, lines


def spawn(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m tests.store.crash_worker ARGS``; its stdout is a text pipe the
    parent reads progress from before it kills the child."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def main(argv: list[str]) -> None:
    what, url = argv[0], argv[1]
    db = Database.open(url)

    def say(msg: object) -> None:
        print(msg, flush=True)
        time.sleep(0.05)

    if what == "ingest":
        n = int(argv[2])
        ingest(
            db,
            lines([balance(i) for i in range(n)]),
            chunk_size=500,
            progress=lambda k: say(f"progress {k}"),
        )
        say("done")
    elif what == "seal":
        seal(db, chunk_nodes=4, progress=lambda phase: say(f"phase {phase}"))
        say("done")
    time.sleep(30)  # parent kills us


if __name__ == "__main__":
    main(sys.argv[1:])
