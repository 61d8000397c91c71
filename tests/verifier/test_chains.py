"""`anchor verify` of a v2 bundle anchored on two real anvils of different chain ids (issue
18): each anchor checked on its own chain against the registry pinned there; by default every
anchor must hold, ``--require K`` accepts K valid final anchors among the pinned ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from anchor.cli import app
from anchor.core.proof import AnchorInfo, ProofBundle
from anchor.errors import VerificationError
from anchor.verifier import verify_bundle_online
from anchor.verifier.trust import TrustStore
from tests.core.bundles import Batch, make_batch
from tests.fixtures.chain import (
    SECOND_CHAIN_ID,
    AnvilFactory,
    DeployedRegistry,
    deploy_on,
    receipt_anchor,
)

pytestmark = pytest.mark.chain
runner = CliRunner()


@dataclass
class Two:
    a: DeployedRegistry
    b: DeployedRegistry
    batch: Batch
    anchors: tuple[AnchorInfo, AnchorInfo]

    def bundle(self, *anchors: AnchorInfo) -> ProofBundle:
        return self.batch.bundle(4).with_anchors(anchors or self.anchors)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    factory = AnvilFactory(tmp_path_factory.mktemp("verifier-two"))
    try:
        regs = [
            deploy_on(factory.start(chain_id=chain_id, slots_in_an_epoch=1))
            for chain_id in (31337, SECOND_CHAIN_ID)
        ]
        batch = make_batch(n=20, seed=41)
        infos = []
        for reg in regs:
            receipt = reg.anchor(1, batch.tree.root, batch.tree.leaf_count)
            assert receipt["status"] == 1
            reg.w3.provider.make_request("anvil_mine", ["0x3"])  # finalized = head - 2
            infos.append(receipt_anchor(reg, receipt, "final"))
        yield Two(regs[0], regs[1], batch, (infos[0], infos[1]))
    finally:
        factory.stop_all()


def _pin_both(two: Two) -> None:
    store = TrustStore.load()
    for name, reg in (("A", two.a), ("B", two.b)):
        store = store.add(reg.chain_id, reg.address, name)
    store.save()


def _verify(path: Path, two: Two, *extra: str, rpcs: tuple[str, ...] | None = None) -> Any:
    urls = rpcs if rpcs is not None else (two.a.rpc_url, two.b.rpc_url)
    args = ["verify", str(path)]
    for url in urls:
        args += ["--rpc", url]
    return runner.invoke(app, [*args, *extra])


def test_both_anchors_hold(two: Two, tmp_path: Path) -> None:
    _pin_both(two)
    path = tmp_path / "p.json"
    path.write_bytes(two.bundle().to_json())
    out = _verify(path, two)
    assert out.exit_code == 0, out.output
    assert "2 of the 2 anchors hold (policy: every anchor named)" in out.output
    assert f"chain {two.a.chain_id}:" in out.output and f"chain {two.b.chain_id}:" in out.output
    result = verify_bundle_online(
        two.bundle(), [two.b.rpc_url, two.a.rpc_url], trust=TrustStore.load()
    )
    assert [c.chain_id for c in result.anchors] == [two.a.chain_id, two.b.chain_id]


def test_one_tampered_anchor_fails_by_default_and_passes_with_require_1(
    two: Two, tmp_path: Path
) -> None:
    _pin_both(two)
    a, b = two.anchors
    tampered = replace(b, block_number=(b.block_number or 0) + 1)  # checksum recomputed
    path = tmp_path / "p.json"
    path.write_bytes(two.bundle(a, tampered).to_json())
    out = _verify(path, two)
    assert out.exit_code == 1, out.output
    assert "invalid: receipt:" in out.output
    out = _verify(path, two, "--require", "1")
    assert out.exit_code == 0, out.output
    assert "1 of the 2 anchors hold (policy: --require 1)" in out.output
    out = _verify(path, two, "--require", "2")
    assert out.exit_code == 1 and "invalid: policy: 1 of the 2 anchors hold" in out.output
    with pytest.raises(VerificationError) as caught:
        verify_bundle_online(
            two.bundle(a, tampered),
            [two.a.rpc_url, two.b.rpc_url],
            trust=TrustStore.load(),
            require=2,
        )
    assert caught.value.step == "policy" and f"chain {b.chain_id}: receipt" in str(caught.value)


def test_pending_unpinned_or_unreachable_anchors_under_each_policy(
    two: Two, tmp_path: Path
) -> None:
    a, b = two.anchors
    path = tmp_path / "p.json"
    pending = AnchorInfo(b.chain_id, b.contract, status="pending")
    path.write_bytes(two.bundle(a, pending).to_json())
    _pin_both(two)
    out = _verify(path, two)
    assert out.exit_code == 1 and "invalid: anchor:" in out.output
    assert _verify(path, two, "--require", "1").exit_code == 0
    # only chain a pinned: chain b's anchor does not count, and the default refuses to judge
    path.write_bytes(two.bundle().to_json())
    TrustStore.load().remove(chain_id=b.chain_id)[0].save()
    assert _verify(path, two).exit_code == 3
    out = _verify(path, two, "--require", "1")
    assert out.exit_code == 0, out.output
    assert _verify(path, two, "--require", "2").exit_code == 1
    # no RPC for chain b: unusable by default, fine with --require 1
    _pin_both(two)
    out = _verify(path, two, rpcs=(two.a.rpc_url,))
    assert out.exit_code == 2 and "wrong chain" not in out.output
    assert f"no RPC given for chain {b.chain_id}" in out.output
    assert _verify(path, two, "--require", "1", rpcs=(two.a.rpc_url,)).exit_code == 0
    down = "http://127.0.0.1:9"  # nothing listens there
    assert _verify(path, two, "--require", "1", rpcs=(two.a.rpc_url, down)).exit_code == 0
    out = _verify(path, two, "--require", "3")
    assert out.exit_code == 2 and "--require 3" in out.output


def test_a_v1_bundle_still_verifies_with_several_rpcs(two: Two, tmp_path: Path) -> None:
    _pin_both(two)
    path = tmp_path / "p.json"
    path.write_bytes(two.batch.bundle(4, anchor=two.anchors[1]).to_json())
    out = _verify(path, two)
    assert out.exit_code == 0, out.output
    assert out.output.startswith("valid: ") and f"on chain {two.b.chain_id}" in out.output


def _js(two: Two, path: Path, chains: list[dict[str, Any]], require: str) -> dict[str, Any]:
    import json
    import subprocess

    from tests.core.ozjs import _node
    from tests.fixtures.paths import ROOT

    script = str(ROOT / "tests" / "js" / "verify_chains.mjs")
    proc = subprocess.run(
        [_node(), script, str(path), json.dumps(chains), require],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(json.loads(proc.stdout))


def test_the_browser_module_applies_the_same_policy(two: Two, tmp_path: Path) -> None:
    a, b = two.anchors
    chains = [
        {"url": two.a.rpc_url, "pinned": [two.a.address]},
        {"url": two.b.rpc_url, "pinned": [two.b.address]},
    ]
    path = tmp_path / "p.json"
    path.write_bytes(two.bundle().to_json())
    out = _js(two, path, chains, "none")
    assert out["verdict"] == "valid" and "2 of the 2 anchors hold" in out["summary"], out
    path.write_bytes(two.bundle(a, replace(b, block_number=(b.block_number or 0) + 1)).to_json())
    out = _js(two, path, chains, "none")
    assert (out["verdict"], out["step"]) == ("invalid", "receipt"), out
    out = _js(two, path, chains, "1")
    assert out["verdict"] == "valid" and "1 of the 2 anchors hold" in out["summary"], out
    out = _js(two, path, chains, "2")
    assert (out["verdict"], out["step"]) == ("invalid", "policy"), out
    out = _js(two, path, chains[:1], "none")  # no RPC for chain b
    assert out["verdict"] == "unusable" and "no RPC given" in out["summary"], out
