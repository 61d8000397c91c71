"""`anchor verify FILE --rpc URL` against a real anvil with the registry deployed.

The registry is the pinned one (tests/verifier/test_pinning.py covers pinning itself); the
root is read from the contract (never from the bundle); the receipt's block must be
canonical and final. Each way to be wrong fails at its named step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from anchor.cli import app
from anchor.core.proof import AnchorInfo, ProofBundle
from anchor.errors import ChainError, InputError, RegistryNotPinned, VerificationError
from anchor.verifier import ANCHORED_EVENT, verify_bundle_online
from anchor.verifier.verify import ROOT_OF, VERIFY_FN, event_topic, selector
from tests.core.bundles import Batch, make_batch
from tests.fixtures.chain import AnvilFactory, DeployedRegistry, deploy_on, receipt_anchor
from tests.fixtures.paths import ROOT

pytestmark = pytest.mark.chain
runner = CliRunner()


@dataclass
class Setup:
    reg: DeployedRegistry
    batch1: Batch
    batch2: Batch
    anchor1: AnchorInfo
    anchor2: AnchorInfo

    def rpc(self, method: str, params: list[Any]) -> Any:
        r = httpx.post(
            self.reg.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        )
        body = r.json()
        assert "error" not in body, body
        return body["result"]

    def mine(self, n: int) -> None:
        self.rpc("anvil_mine", [hex(n)])

    def bundle(
        self, batch: Batch, anchor: AnchorInfo, i: int = 0, batch_id: int = 1
    ) -> ProofBundle:
        return batch.bundle(i, anchor=anchor, batch_id=batch_id)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    factory = AnvilFactory(tmp_path_factory.mktemp("verifier-anvil"))
    try:
        devnet = factory.start(slots_in_an_epoch=1)  # finalized = head - 2
        reg = deploy_on(devnet)
        b1, b2 = make_batch(n=30, seed=21), make_batch(n=9, seed=22, first_seq=31)
        r1 = reg.anchor(1, b1.tree.root, b1.tree.leaf_count)
        r2 = reg.anchor(2, b2.tree.root, b2.tree.leaf_count)
        assert r1["status"] == 1 and r2["status"] == 1
        s = Setup(
            reg, b1, b2, receipt_anchor(reg, r1, "included"), receipt_anchor(reg, r2, "included")
        )
        s.mine(3)
        yield s
    finally:
        factory.stop_all()


def _fails(step: str, bundle: ProofBundle, url: str, **kw: Any) -> VerificationError:
    kw.setdefault("contract", bundle.anchor.contract)
    with pytest.raises(VerificationError) as exc:
        verify_bundle_online(bundle, url, **kw)
    assert exc.value.step == step, str(exc.value)
    return exc.value


def test_signatures_match_the_contract_artifact() -> None:
    abi = json.loads((ROOT / "contracts" / "AnchorRegistry.json").read_text())["abi"]

    def sig(entry: dict[str, Any]) -> str:
        return f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"

    events = {e["name"]: sig(e) for e in abi if e["type"] == "event"}
    functions = {sig(e) for e in abi if e["type"] == "function"}
    assert events["Anchored"] == ANCHORED_EVENT
    anchored = next(e for e in abi if e.get("name") == "Anchored")
    assert [i["indexed"] for i in anchored["inputs"][:2]] == [True, True]
    assert ROOT_OF in functions and VERIFY_FN in functions
    assert len(selector(ROOT_OF)) == 4 and len(event_topic(ANCHORED_EVENT)) == 32


def test_valid_final_bundle(setup: Setup, tmp_path: Path) -> None:
    for i in (0, 7, 29):
        b = setup.bundle(setup.batch1, setup.anchor1, i)
        res = verify_bundle_online(b, setup.reg.rpc_url, contract=setup.reg.address)
        assert res.online and res.root == setup.batch1.tree.root and res.batch_id == 1
        assert res.block_number == setup.anchor1.block_number and res.pinned_by == "--contract"
    b2 = setup.bundle(setup.batch2, setup.anchor2, 3, batch_id=2)
    with pytest.raises(RegistryNotPinned):  # the bundle's own address is never trusted
        verify_bundle_online(b2, setup.reg.rpc_url)
    path = tmp_path / "p.json"
    path.write_bytes(b2.to_json())
    out = runner.invoke(
        app, ["verify", str(path), "--rpc", setup.reg.rpc_url, "--contract", setup.reg.address]
    )
    assert out.exit_code == 0, out.output
    assert out.output.startswith("valid: ") and len(out.output.strip().splitlines()) == 1


def test_a_root_only_in_the_bundle_is_not_trusted(setup: Setup) -> None:
    # a self-consistent bundle from another tree, claiming batch 1's anchor
    forged = make_batch(n=30, seed=99)
    b = forged.bundle(0, anchor=setup.anchor1, batch_id=1)
    _fails("chain_root", b, setup.reg.rpc_url)
    # batch 3 was never anchored
    _fails("chain_root", setup.bundle(setup.batch1, setup.anchor1, batch_id=3), setup.reg.rpc_url)


def test_wrong_contract_chain_tx_and_block(setup: Setup) -> None:
    url = setup.reg.rpc_url
    b = setup.bundle(setup.batch1, setup.anchor1)
    _fails("contract", b, url, contract="0x" + "11" * 20)
    other = replace(setup.anchor1, contract="0x" + "22" * 20)
    _fails("contract", b.with_anchor(other), url)  # no code there
    with pytest.raises(InputError, match="wrong chain"):
        verify_bundle_online(
            b.with_anchor(replace(setup.anchor1, chain_id=1)), url, contract=setup.reg.address
        )
    # batch 2's transaction (right contract, right block info) has no event for batch 1
    _fails("event", b.with_anchor(setup.anchor2), url)
    _fails("receipt", b.with_anchor(replace(setup.anchor1, tx_hash=bytes(32))), url)
    block = setup.anchor1.block_number
    assert block is not None
    _fails("receipt", b.with_anchor(replace(setup.anchor1, block_number=block + 1)), url)
    _fails("receipt", b.with_anchor(replace(setup.anchor1, block_hash=bytes(32))), url)
    _fails("anchor", setup.batch1.bundle(0, anchor=None), url, contract=setup.reg.address)


def test_finality_rules(setup: Setup) -> None:
    url = setup.reg.rpc_url
    b = setup.bundle(setup.batch1, setup.anchor1)
    head = setup.rpc("eth_blockNumber", [])
    assert setup.anchor1.block_number is not None
    depth = int(head, 16) - setup.anchor1.block_number + 1
    _fails("finality", b, url, finality_depth=depth)
    assert verify_bundle_online(
        b, url, contract=setup.reg.address, finality_depth=depth - 1
    ).finality_rule


class _NoFinalizedTag(httpx.HTTPTransport):
    """A real connection to anvil that answers like a node without the `finalized` tag."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b'"finalized"' in request.content:
            body = {
                "jsonrpc": "2.0",
                "id": 1,
                "error": {"code": -32602, "message": "unknown block tag"},
            }
            return httpx.Response(200, json=body)
        return super().handle_request(request)


def test_fallback_depth_without_a_finalized_tag(setup: Setup) -> None:
    b = setup.bundle(setup.batch1, setup.anchor1)
    res = verify_bundle_online(
        b,
        setup.reg.rpc_url,
        contract=setup.reg.address,
        fallback_depth=1,
        transport=_NoFinalizedTag(),
    )
    assert "no finalized tag" in (res.finality_rule or "")
    _fails("finality", b, setup.reg.rpc_url, fallback_depth=10_000, transport=_NoFinalizedTag())


def test_unreachable_rpc_exits_2(setup: Setup, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(setup.bundle(setup.batch1, setup.anchor1).to_json())
    with pytest.raises(ChainError):
        verify_bundle_online(
            path.read_bytes(), "http://127.0.0.1:9", contract=setup.reg.address, timeout=2
        )
    out = runner.invoke(app, ["verify", str(path), "--rpc", "http://127.0.0.1:9", "--timeout", "2"])
    assert out.exit_code == 2 and "unreachable" in out.output
    out = runner.invoke(app, ["verify", str(path), "--rpc", "ftp://x"])
    assert out.exit_code == 2


def test_not_final_and_reorged(anvil_factory: AnvilFactory) -> None:
    """A fresh chain: right after anchoring the block is not final; after a reorg that drops
    the transaction, the root is gone from the contract and the bundle is refused."""
    devnet = anvil_factory.start(slots_in_an_epoch=1)
    reg = deploy_on(devnet)
    batch = make_batch(n=5, seed=5)
    rcpt = reg.anchor(1, batch.tree.root, 5)
    b = batch.bundle(0, anchor=receipt_anchor(reg, rcpt, "included"), batch_id=1)
    _fails("finality", b, reg.rpc_url)
    httpx.post(
        reg.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "anvil_mine", "params": ["0x3"]}
    )
    assert verify_bundle_online(b, reg.rpc_url, contract=reg.address).online
    # reorg away the anchoring block and everything after it
    head = int(
        httpx.post(
            reg.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        ).json()["result"],
        16,
    )
    depth = head - rcpt["blockNumber"] + 1
    r = httpx.post(
        reg.rpc_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "anvil_reorg", "params": [depth, []]},
    )
    assert "error" not in r.json(), r.json()
    err = _fails("chain_root", b, reg.rpc_url)
    assert "not anchored" in err.detail
