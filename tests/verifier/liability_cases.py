"""Liability proof bundles for the verifier tests: an honest round built by the core (no
database, no chain) and, from any honest bundle, the attacks of issue 17 part 5 as bundles
(each named after what it catches, with the step that must fail)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from anchor.core.liability_proof import LiabilityBundle
from anchor.core.records import account_commitment
from anchor.core.sumtree import (
    MAX_SUM,
    Label,
    LiabilityEntry,
    PathStep,
    RoundInput,
    build_sum_tree,
    derive,
)

ASSETS = ("BTC", "ETH", "USDT")


def honest_round(
    round_id: int = 1, *, accounts: int = 5, pad_to: int = 16
) -> dict[str, LiabilityBundle]:
    """Every account's bundle of one round (account id -> bundle), built by the core."""
    secret = bytes([round_id]) * 32
    salts = {f"acct-{i}": bytes([i + 1]) * 32 for i in range(accounts)}
    entries = [
        LiabilityEntry(
            acct,
            account_commitment(acct, salt),
            tuple((i + 1) * 10**k for k in range(len(ASSETS))),
            tuple(f"bal-{acct}-{a}" for a in ASSETS),
        )
        for i, (acct, salt) in enumerate(salts.items())
    ]
    tree = build_sum_tree(
        round_id, RoundInput.from_entries(ASSETS, entries), secret=secret, pad_to=pad_to
    )
    out = {}
    for i, e in enumerate(entries):
        pos = int(tree.positions[i])
        out[e.account_id] = LiabilityBundle(
            round_id=round_id,
            cutoff_batch_id=1,
            leaf_count=tree.leaf_count,
            assets=ASSETS,
            round_root=tree.root,
            round_totals=tree.totals,
            account_id=e.account_id,
            account_salt=salts[e.account_id],
            commitment=e.commitment,
            index=pos,
            leaf_salt=derive(secret, Label.SALT, pos),
            record_ids=e.record_ids,
            balances=e.balances,
            path=tuple(tree.path(pos)),
        )
    return out


def _edit(b: LiabilityBundle, fn: Callable[[dict[str, Any]], None]) -> bytes:
    doc = b.to_json()
    fn(doc)
    return json.dumps(doc, indent=2).encode()


def attacks(mine: LiabilityBundle, other: LiabilityBundle) -> dict[str, tuple[bytes, str, str]]:
    """name -> (bundle bytes, verdict, failing step) for ``mine`` (another account's bundle of
    the same round is ``other``)."""
    # one unit taken out of a sibling's sum that has one (the total understated with it)
    level, asset = next(
        (lv, a) for lv, step in enumerate(mine.path) for a, v in enumerate(step.sums) if v > 0
    )
    cut = mine.path[level]
    less = PathStep(cut.hash, tuple(v - (a == asset) for a, v in enumerate(cut.sums)))
    first = next(a for a, v in enumerate(mine.balances) if v > 0)
    overflow = PathStep(
        mine.path[0].hash,
        tuple(MAX_SUM if a == first else v for a, v in enumerate(mine.path[0].sums)),
    )
    return {
        # a node sum that is not its children's
        "node_sum_mismatch": (
            replace(
                mine,
                path=(*mine.path[:level], less, *mine.path[level + 1 :]),
                round_totals=tuple(t - (a == asset) for a, t in enumerate(mine.round_totals)),
            ).dumps(),
            "invalid",
            "root",
        ),
        # my own amount changed in my leaf
        "wrong_leaf_balance": (
            replace(mine, balances=(mine.balances[0] + 1, *mine.balances[1:])).dumps(),
            "invalid",
            "root",
        ),
        # I am left out: my id and salt put on another user's leaf (two users, one leaf)
        "two_users_one_leaf": (
            replace(other, account_id=mine.account_id, account_salt=mine.account_salt).dumps(),
            "invalid",
            "commitment",
        ),
        # ... and with my commitment too: the leaf is then not in the tree
        "user_left_out": (
            replace(
                other,
                account_id=mine.account_id,
                account_salt=mine.account_salt,
                commitment=mine.commitment,
            ).dumps(),
            "invalid",
            "root",
        ),
        # a sibling sum that makes the next sum overflow 2^160 - 1
        "overflowing_sum": (
            replace(mine, path=(overflow, *mine.path[1:])).dumps(),
            "invalid",
            "path",
        ),
        # a sibling sum above the bound, and a negative balance: not even a bundle
        "sum_above_bound": (
            _edit(mine, lambda d: d["path"][0]["sums"].__setitem__(0, str(MAX_SUM + 1))),
            "format",
            "format",
        ),
        "negative_balance": (
            _edit(mine, lambda d: d["leaf"]["balances"].__setitem__(0, "-5")),
            "format",
            "format",
        ),
        "unknown_version": (
            _edit(mine, lambda d: d.__setitem__("format", "ledger-anchor-liability/2")),
            "format",
            "format",
        ),
        "trailing_data": (mine.dumps() + b"{}", "format", "format"),
    }
