"""The browser verifier's liability section (anchor/verifier/static/verify.html, opened from
file://) in real headless Chromium against a real anvil holding real rounds: balances
ingested into a SQLite file, sealed, a round built and anchored in the LiabilitiesRegistry
(deployed through CREATE2). The page reads the root and totals from the pinned contract
itself. An honest proof passes and shows the user's amounts and the totals; a tampered sum, a
wrong leaf, an overflowing sum, someone else's proof, a replayed proof of an earlier round and
totals on chain that differ from the tree fail, each with its step named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from anchor.chain.keys import SigningKey
from anchor.chain.liabilities import LiabilitiesClient
from anchor.core.liability_proof import LiabilityBundle
from anchor.service.ingest import ingest
from anchor.service.liabilities import anchor_round, build_round, prove_liability
from anchor.service.seal import seal
from anchor.store import liabilities as store
from anchor.store.db import Database
from tests.fixtures.paths import ROOT
from tests.pipeline.test_liabilities import (
    ALICE,
    BOB,
    CAROL,
    _finalize,
    deploy_liabilities_on,
    first_balances,
    send_round,
)
from tests.verifier.liability_cases import attacks

pytestmark = [pytest.mark.chain, pytest.mark.browser]
PAGE = ROOT / "anchor" / "verifier" / "static" / "verify.html"


@dataclass
class World:
    db: Database
    rpc_url: str
    client: LiabilitiesClient
    anchorer: SigningKey
    chain_id: int
    cutoff: int


@pytest.fixture(scope="module")
def world(anvil_module: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    devnet = anvil_module
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('liab-page')}/anchor.sqlite")
    ingest(db, first_balances(2 * 10**18))
    batch = seal(db)
    assert batch is not None
    _finalize(db, batch.id)
    _, keys, client = deploy_liabilities_on(devnet)
    anchorer = keys[1]
    try:
        yield World(db, devnet.rpc_url, client, anchorer, devnet.chain_id, batch.id)
    finally:
        db.close()


def _new_round(world: World) -> store.RoundRow:
    row = build_round(world.db, world.cutoff, pad_to=16)
    return anchor_round(world.db, row, world.client, world.anchorer, chain_id=world.chain_id)


def _bundle(world: World, row: store.RoundRow, account: str) -> LiabilityBundle:
    return prove_liability(world.db, row, account)


def _check(
    browser: Any,
    bundle: bytes | str,
    *,
    rpc: str,
    pinned: str,
    account: str = "",
    round_id: str = "",
    offline: bool = False,
) -> dict[str, str]:
    """Fill the liability form as a user would, press its button, wait for the verdict."""
    browser.wait_for("document.body.dataset.ready === '1'")
    text = bundle.decode() if isinstance(bundle, bytes) else bundle
    values = {
        "liability-bundle": text,
        "liability-rpc": rpc,
        "liability-registry": pinned,
        "liability-account": account,
        "liability-round": round_id,
    }
    checks = {"liability-offline": offline}
    return dict(
        browser.submit("verify-liability", "liability-result", values=values, checks=checks)
    )


def _failed(res: dict[str, str], step: str) -> None:
    assert res["verdict"] == "invalid" and f"failed check: {step}" in res["text"], res


def test_the_page_verifies_liability_proofs_against_the_pinned_contract(
    world: World, browser: Any
) -> None:
    url, pinned = world.rpc_url, world.client.address
    browser.navigate(PAGE.as_uri())  # file://: no server of the exchange anywhere
    round1 = _new_round(world)
    alice, bob = _bundle(world, round1, ALICE), _bundle(world, round1, BOB)

    ok = _check(browser, alice.dumps(), rpc=url, pinned=pinned, account=ALICE)
    assert ok["verdict"] == "valid", ok
    # the user's own amounts and the totals read from the chain, per asset
    assert f"account {ALICE} is counted in full in round 1" in ok["text"]
    assert str(2 * 10**18) in ok["text"] and str(5 * 10**18) in ok["text"], ok
    assert "500" in ok["text"] and "1500" in ok["text"]
    assert world.client.address.lower() in ok["text"]
    pretty = json.dumps(json.loads(alice.dumps()), indent=7, sort_keys=True)
    assert _check(browser, pretty, rpc=url, pinned=pinned, account=ALICE)["verdict"] == "valid"

    # the math attacks, each failing at its step in the browser (with the chain up)
    for name, (data, verdict, step) in attacks(alice, bob).items():
        res = _check(browser, data, rpc=url, pinned=pinned)
        assert res["verdict"] == verdict, (name, res)
        if verdict == "invalid":
            _failed(res, step)
    # someone else's proof handed to Bob
    _failed(_check(browser, alice.dumps(), rpc=url, pinned=pinned, account=BOB), "account")
    # a sum above the bound is named
    big = _check(browser, attacks(alice, bob)["sum_above_bound"][0], rpc=url, pinned=pinned)
    assert "above the bound" in big["text"], big
    neg = _check(browser, attacks(alice, bob)["negative_balance"][0], rpc=url, pinned=pinned)
    assert "not a non-negative decimal string" in neg["text"], neg

    # the pin: none -> not judged; another address than the bundle's -> refused
    none = _check(browser, alice.dumps(), rpc=url, pinned="")
    assert none["verdict"] == "unpinned", none
    other = "0x" + "ab" * 20
    _failed(_check(browser, alice.dumps(), rpc=url, pinned=other), "contract")
    # a bundle without its anchor section, pinned at an address with no contract: code
    bare = replace(alice, anchor=None).dumps()
    _failed(_check(browser, bare, rpc=url, pinned=other), "code")
    down = _check(browser, alice.dumps(), rpc="http://127.0.0.1:9", pinned=pinned)
    assert down["verdict"] == "unusable" and "unreachable" in down["text"], down
    offline = _check(browser, alice.dumps(), rpc="", pinned="", offline=True)
    assert offline["verdict"] == "math" and "NOT checked against the chain" in offline["text"]

    # round 2: round 1's proof is now a replay of an earlier round
    round2 = _new_round(world)
    replay = _check(browser, alice.dumps(), rpc=url, pinned=pinned, account=ALICE)
    _failed(replay, "latest")
    assert "proof is of round 1, but round 2" in replay["text"], replay
    # ... relabelled as round 2, it leads to no anchored root
    relabelled = replace(alice, round_id=2).dumps()
    assert _check(browser, relabelled, rpc=url, pinned=pinned)["verdict"] == "invalid"
    # ... unless the user asks for round 1 on purpose
    asked = _check(browser, alice.dumps(), rpc=url, pinned=pinned, account=ALICE, round_id="1")
    assert asked["verdict"] == "valid", asked
    now = _check(browser, _bundle(world, round2, ALICE).dumps(), rpc=url, pinned=pinned)
    assert now["verdict"] == "valid" and "in round 2" in now["text"], now

    # round 3: built honestly, anchored with understated totals (the operator's lie on chain)
    row = build_round(world.db, world.cutoff, pad_to=16)
    understated = (row.totals[0] - 10**18, row.totals[1])
    send_round(world.client, world.anchorer, row, totals=understated)
    for account in (ALICE, BOB, CAROL):
        res = _check(browser, _bundle(world, row, account).dumps(), rpc=url, pinned=pinned)
        _failed(res, "chain_totals")
        assert f"ETH: chain {4 * 10**18}, tree {5 * 10**18}" in res["text"], res
