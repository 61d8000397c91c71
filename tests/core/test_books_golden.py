"""A golden of the books' replay (anchor.core.books): a fixed history with breaks injected
replays into the very same report, byte for byte, as the replay first written gave. The
replay's speed-ups (issue 16, benchmark) must not change a result: a break, its record ids,
its arithmetic, its seq, the order of the breaks and notes, the books at the end."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from anchor.core.books import replay
from anchor.core.books_samples import exchange_history

# the reports of the replay before its speed-ups, as sha256 of their sorted JSON
GOLDEN = {
    (False, True): "02aea30cd3636a70e8169b38334abb6f2b35c7ade0a21e2d4c0ee10fb43f19a0",
    (True, False): "1926f1b11be339703a2a185fcd5243502b05e79f3152b39ff667cc3c52194e25",
}


def _corrupted() -> list[dict[str, Any]]:
    """A fixed history with 40 edits (an amount, a duplicate, a loss, a swap) and marks
    moved far off their market."""
    objs = [dict(o) for o in exchange_history(400, seed=11, accounts=6)]
    rnd = random.Random(11)
    for _ in range(40):
        i = rnd.randrange(20, len(objs))
        o = objs[i]
        op = rnd.randrange(4)
        if op == 0:
            for f in ("amount", "quantity", "price", "mark_price", "available", "size"):
                if f in o:
                    o[f] = str(int(o[f]) * 3 - 1)
                    break
        elif op == 1:
            del objs[i]
        elif op == 2:
            objs.insert(i + 7, dict(o))
        else:
            j = min(len(objs) - 1, i + 25)
            objs[i], objs[j] = objs[j], objs[i]
    marks = [o for o in objs if o["kind"] == "mark_price"]
    for o in marks[5::9]:
        price = int(o["mark_price"])
        o["mark_price"] = str(price // 1000 if rnd.random() < 0.5 else price * 1000)
    return objs


def test_a_corrupted_history_replays_into_its_golden_report() -> None:
    objs = _corrupted()
    for (provenance, complete), digest in GOLDEN.items():
        report = replay(
            ((i + 1, i // 50 + 1, o) for i, o in enumerate(objs)),
            provenance=provenance,
            complete=complete,
            settle_from=len(objs) - 30,
        )
        assert report.breaks_by_check()["position_snapshot"] == 28  # breaks are there to keep
        text = json.dumps(report.to_json(), sort_keys=True)
        assert hashlib.sha256(text.encode()).hexdigest() == digest, (provenance, complete)
