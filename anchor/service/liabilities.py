"""Liabilities rounds: build one from the anchored balances at a cut-off batch, store it,
anchor its root and totals in the LiabilitiesRegistry, read the reserves beside it, and prove
one account's leaf.

A round's tree is built in memory (:func:`anchor.core.sumtree.build_sum_tree`); the store
keeps the accounts' leaves and the levels from :data:`STORED_FROM_LEVEL` up. A proof rebuilds
only the ``2^STORED_FROM_LEVEL`` leaves of its own block (its accounts from the store, its
padding from the round's secret) and reads one chunk per upper level.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anchor.core.liability_proof import LiabilityBundle
from anchor.core.sumtree import (
    WORD,
    Label,
    LiabilityEntry,
    PathStep,
    RoundInput,
    SumTree,
    block_levels,
    build_sum_tree,
    derive,
)
from anchor.errors import ConfigError, ConflictError, InputError, NotFoundError
from anchor.store import liabilities as store
from anchor.store.db import Database
from anchor.store.queries import get_account

__all__ = [
    "CHUNK_NODES",
    "STORED_FROM_LEVEL",
    "ReserveSource",
    "anchor_round",
    "build_round",
    "parse_reserve_assets",
    "prove_liability",
    "record_reserves",
    "reserves_report",
]

STORED_FROM_LEVEL = 8  # a proof rebuilds at most 256 leaves
CHUNK_NODES = 4096


def build_round(
    db: Database,
    cutoff_batch_id: int,
    *,
    pad_to: int,
    assets: Sequence[str] = (),
    secret: bytes | None = None,
) -> store.RoundRow:
    """Build and store the next round from the balances anchored up to ``cutoff_batch_id``
    (latest record per account and asset; amount = available + locked). ``assets``: the
    round's assets (default: every asset seen). Accounts without any balance in those assets
    still get a leaf (of zeros): a user can check they are counted."""
    cutoff_seq, balances = store.balances_at_cutoff(db, cutoff_batch_id)
    previous = store.latest_round(db)
    if previous is not None and cutoff_batch_id < previous.cutoff_batch_id:
        raise ConflictError(
            f"cut-off batch {cutoff_batch_id} is before round {previous.round_id}'s "
            f"({previous.cutoff_batch_id})"
        )
    chosen = tuple(sorted(set(assets) or {a for b in balances for a in b.amounts}))
    if not chosen:
        raise InputError(f"no balance records up to batch {cutoff_batch_id}: nothing to prove")
    data = RoundInput(
        chosen,
        [b.commitment for b in balances],
        [b.amounts.get(a, 0) for b in balances for a in chosen],
        ["\n".join(b.record_ids.get(a, "") for a in chosen).encode() for b in balances],
    )
    round_id = store.next_round_id(db)
    secret = secret or secrets.token_bytes(32)
    tree = build_sum_tree(round_id, data, secret=secret, pad_to=pad_to)
    stored_from = min(STORED_FROM_LEVEL, tree.depth)
    row = store.RoundRow(
        round_id=round_id,
        cutoff_batch_id=cutoff_batch_id,
        cutoff_seq=cutoff_seq,
        assets=chosen,
        totals=tree.totals,
        accounts=len(balances),
        leaf_count=tree.leaf_count,
        depth=tree.depth,
        root=tree.root,
        secret=secret,
        stored_from_level=stored_from,
        chunk_nodes=CHUNK_NODES,
        state="built",
        created_at=datetime.now(UTC),
        chain_id=None,
        contract=None,
        tx_hash=None,
        block_number=None,
        block_hash=None,
        gas_used=None,
        anchored_at=None,
        reserves=None,
    )
    leaves = (
        store.LeafRow(
            round_id,
            b.account_id,
            int(tree.positions[i]),
            tuple(b.amounts.get(a, 0) for a in chosen),
            tuple(b.record_ids.get(a, "") for a in chosen),
        )
        for i, b in enumerate(balances)
    )
    store.save_round(db, row, leaves, _chunks(tree, stored_from))
    return row


def _chunks(tree: SumTree, stored_from: int) -> Iterator[tuple[int, int, bytes, bytes]]:
    sw = len(tree.assets) * WORD
    for level in range(stored_from, tree.depth + 1):
        hashes, sums = tree.levels[level]
        n = len(hashes) // 32
        for chunk_no, first in enumerate(range(0, n, CHUNK_NODES)):
            last = min(n, first + CHUNK_NODES)
            yield level, chunk_no, hashes[32 * first : 32 * last], sums[sw * first : sw * last]


def prove_liability(db: Database, round_row: store.RoundRow, account_id: str) -> LiabilityBundle:
    """The bundle of ``account_id``'s leaf in ``round_row`` (with the account's own salt).
    NotFoundError when the account has no leaf in that round."""
    leaf = store.leaf_of_account(db, round_row.round_id, account_id)
    account = get_account(db, account_id)
    if leaf is None or account is None:
        raise NotFoundError(f"no leaf for this account in round {round_row.round_id}")
    na = len(round_row.assets)
    k = round_row.stored_from_level
    first = (leaf.position >> k) << k
    rows, commitments = store.leaves_in_range(db, round_row.round_id, first, first + (1 << k) - 1)
    real = {
        r.position: LiabilityEntry(
            r.account_id, commitments[r.account_id], r.balances, r.record_ids
        )
        for r in rows
    }
    levels = block_levels(round_row.round_id, na, round_row.secret, first, 1 << k, real)
    path: list[PathStep] = []
    for level in range(k):
        sib = ((leaf.position - first) >> level) ^ 1
        path.append(_step(levels[level][0], levels[level][1], sib, na))
    for level in range(k, round_row.depth):
        sib = (leaf.position >> level) ^ 1
        chunk_no, offset = divmod(sib, round_row.chunk_nodes)
        hashes, sums = store.node_chunk(db, round_row.round_id, level, chunk_no)
        path.append(_step(hashes, sums, offset, na))
    anchor = None
    if round_row.state == "anchored":
        anchor = {
            "chain_id": round_row.chain_id,
            "contract": round_row.contract,
            "tx_hash": round_row.tx_hash,
            "block_number": round_row.block_number,
        }
    return LiabilityBundle(
        round_id=round_row.round_id,
        cutoff_batch_id=round_row.cutoff_batch_id,
        leaf_count=round_row.leaf_count,
        assets=round_row.assets,
        round_root=round_row.root,
        round_totals=round_row.totals,
        account_id=account_id,
        account_salt=bytes(account.salt),
        commitment=bytes(account.commitment),
        index=leaf.position,
        leaf_salt=derive(round_row.secret, Label.SALT, leaf.position),
        record_ids=leaf.record_ids,
        balances=leaf.balances,
        path=tuple(path),
        anchor=anchor,
        reserves=round_row.reserves,
    )


def _step(hashes: bytes, sums: bytes, index: int, na: int) -> PathStep:
    raw = sums[index * na * WORD : (index + 1) * na * WORD]
    return PathStep(
        hashes[32 * index : 32 * index + 32],
        tuple(int.from_bytes(raw[a * WORD : (a + 1) * WORD], "big") for a in range(na)),
    )


@dataclass(frozen=True)
class ReserveSource:
    """Where an asset's reserves are read: the chain's coin (``native``) or an ERC-20."""

    asset: str
    source: str  # "native" or a token address


def parse_reserve_assets(items: Sequence[str]) -> dict[str, str]:
    """``ASSET=native`` / ``ASSET=0xTOKEN`` items (config ``reserve_assets``) as a mapping."""
    out: dict[str, str] = {}
    for item in items:
        asset, sep, source = item.partition("=")
        asset, source = asset.strip(), source.strip()
        ok = source == "native" or (
            source.startswith("0x") and len(source) == 42 and _is_hex(source[2:])
        )
        if not sep or not asset or not ok or asset in out:
            raise ConfigError(
                f"config reserve_assets: {item!r} is not ASSET=native or ASSET=0x<token address>"
            )
        out[asset] = source
    return out


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def reserves_report(
    round_row: store.RoundRow,
    reserves: Mapping[str, int],
    *,
    block_number: int,
    wallets: Sequence[str],
    sources: Mapping[str, str],
) -> dict[str, Any]:
    """What a round publishes beside its totals: per asset, reserves, liabilities and their
    ratio (reserves / liabilities to six decimals, floor; null without liabilities). Assets are
    those of the round and those with a reserve source (the same smallest units assumed)."""
    liabilities = dict(zip(round_row.assets, round_row.totals, strict=True))
    assets: dict[str, Any] = {}
    for asset in sorted(set(liabilities) | set(reserves)):
        owed = liabilities.get(asset, 0)
        held = reserves.get(asset)
        ratio = None
        if held is not None and owed > 0:
            scaled = held * 10**6 // owed
            ratio = f"{scaled // 10**6}.{scaled % 10**6:06d}"
        assets[asset] = {
            "liabilities": str(owed),
            "reserves": None if held is None else str(held),
            "source": sources.get(asset),
            "ratio": ratio,
        }
    return {"block_number": block_number, "wallets": list(wallets), "assets": assets}


def anchor_round(
    db: Database, round_row: store.RoundRow, client: Any, key: Any, *, chain_id: int
) -> store.RoundRow:
    """Write the round's root and totals to the LiabilitiesRegistry behind ``client`` (an
    :class:`anchor.chain.liabilities.LiabilitiesClient`), then mark it anchored. A round the
    contract already holds exactly as stored here (root, cut-off, leaf count, assets, totals:
    it was sent, then the process stopped before recording it) is adopted from its
    ``RoundAnchored`` event; anything else there for this round id is refused."""
    if round_row.state == "anchored":
        return round_row
    on_chain = client.round_of(round_row.round_id)
    if on_chain.root != bytes(32):
        ours = (
            round_row.root,
            round_row.cutoff_batch_id,
            round_row.leaf_count,
            tuple(round_row.assets),
            tuple(round_row.totals),
        )
        theirs = (
            on_chain.root,
            on_chain.cutoff_batch_id,
            on_chain.leaf_count,
            on_chain.assets,
            on_chain.totals,
        )
        found = client.find_round_anchored(round_row.round_id) if theirs == ours else None
        if found is None:
            raise ConflictError(
                f"the contract holds another round {round_row.round_id} than the one stored "
                "here (root, cut-off, leaf count, assets or totals differ, or its event is out "
                "of reach): refusing"
            )
        return _record_anchored(db, round_row, found, client.address, chain_id)
    done = client.anchor_round(
        key,
        round_id=round_row.round_id,
        cutoff_batch_id=round_row.cutoff_batch_id,
        root=round_row.root,
        leaf_count=round_row.leaf_count,
        assets=round_row.assets,
        totals=round_row.totals,
    )
    return _record_anchored(db, round_row, done, client.address, chain_id)


def _record_anchored(
    db: Database, round_row: store.RoundRow, done: Any, contract: str, chain_id: int
) -> store.RoundRow:
    store.mark_anchored(
        db,
        round_row.round_id,
        chain_id=chain_id,
        contract=contract,
        tx_hash=done.tx_hash,
        block_number=done.block_number,
        block_hash=done.block_hash,
        gas_used=done.gas_used,
    )
    row = store.get_round(db, round_row.round_id)
    assert row is not None
    return row


def record_reserves(
    db: Database,
    round_row: store.RoundRow,
    w3: Any,
    *,
    wallets: Sequence[str],
    sources: Mapping[str, str],
    block: int | None = None,
) -> dict[str, Any]:
    """Read the reserves at ``block`` (default: the block the round was anchored in, else the
    latest), store and return the round's reserves report."""
    from anchor.chain.liabilities import read_reserves

    at = block if block is not None else round_row.block_number
    if at is None:
        at = int(w3.eth.block_number)
    held = read_reserves(w3, wallets, sources, block=at)
    report = reserves_report(round_row, held, block_number=at, wallets=wallets, sources=sources)
    store.set_reserves(db, round_row.round_id, report)
    return report
