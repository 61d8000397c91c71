"""The deployed registry against outside references, on a real anvil:

- its ``verify`` agrees with the OpenZeppelin JS library (@openzeppelin/merkle-tree) on random
  trees, for valid proofs and for proofs of another leaf;
- ``anchor contract source`` writes what an explorer's form needs, and the committed
  standard-JSON input gives a perfect match (runtime and creation) with Sourcify's own
  verification library (@ethereum-sourcify/lib-sourcify) against the deployment.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from eth_abi import decode as abi_decode

from anchor.chain.artifact import load_artifact
from tests.fixtures.chain import DeployedRegistry
from tests.fixtures.cli import run_anchor
from tests.fixtures.paths import JS_TESTS, ROOT, node_tool

pytestmark = pytest.mark.chain

ENCODING = ["uint64", "bytes32", "address", "uint256"]


def _node(script: str, job: object) -> object:
    done = subprocess.run(
        [str(node_tool("node")), str(JS_TESTS / script)],
        input=json.dumps(job),
        cwd=JS_TESTS,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert last.startswith(("{", "[")), (done.stdout[-3000:], done.stderr[-3000:])
    return json.loads(last)


def test_verify_agrees_with_the_openzeppelin_js_library(
    deployed_registry: DeployedRegistry,
) -> None:
    rng = random.Random(12)
    sizes = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, rng.randint(65, 120)]
    trees = [
        [
            [
                str(rng.randrange(2**64)),
                "0x" + rng.randbytes(32).hex(),
                "0x" + rng.randbytes(20).hex(),
                str(rng.randrange(2**256)),
            ]
            for _ in range(size)
        ]
        for size in sizes
    ]
    built = _node("registry_trees.js", {"encoding": ENCODING, "trees": trees})
    assert isinstance(built, list) and len(built) == len(sizes)
    reg = deployed_registry
    checked = {True: 0, False: 0}
    for batch_id, (tree, size) in enumerate(zip(built, sizes, strict=True), start=1):
        root = bytes.fromhex(tree["root"][2:])
        assert reg.anchor(batch_id, root, size)["status"] == 1
        for check in tree["checks"]:
            proof = [bytes.fromhex(p[2:]) for p in check["proof"]]
            leaf = bytes.fromhex(check["leaf"][2:])
            assert reg.client.verify(batch_id, proof, leaf) is check["valid"], (batch_id, check)
            checked[check["valid"]] += 1
    assert checked[True] >= sum(sizes) and checked[False] > 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_anchor(*args)


def test_contract_source_files_give_a_perfect_sourcify_match(
    deployed_registry: DeployedRegistry, tmp_path: Path
) -> None:
    reg = deployed_registry
    out = tmp_path / "verify"
    done = _cli(
        "contract", "source", "--rpc", reg.rpc_url, "--address", reg.address, "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    artifact = load_artifact()
    summary = json.loads((out / "verification.json").read_text(encoding="utf-8"))
    assert summary["address"] == reg.address and summary["chainId"] == reg.chain_id
    assert summary["contract"] == "contracts/AnchorRegistry.sol:AnchorRegistry"
    assert summary["creationTransaction"] == reg.record.deploy_tx
    assert summary["creationBlock"] == reg.record.block_number
    version = (out / "compiler-version.txt").read_text(encoding="utf-8").strip()
    assert version == "v" + artifact.compiler_version == "v0.8.28+commit.7893614a"
    args = bytes.fromhex((out / "constructor-args.txt").read_text(encoding="utf-8").strip())
    owner, anchorer = abi_decode(["address", "address"], args)
    assert (owner.lower(), anchorer.lower()) == (
        reg.owner.address.lower(),
        reg.anchorer.address.lower(),
    )
    assert "0x" + args.hex() == reg.record.constructor_args
    std_input = json.loads((out / "standard-input.json").read_text(encoding="utf-8"))
    assert std_input == artifact.standard_json_input
    assert (out / "metadata.json").read_text(encoding="utf-8") == artifact.metadata
    source = out / "sources" / "contracts" / "AnchorRegistry.sol"
    assert source.read_text(encoding="utf-8") == (ROOT / "contracts/AnchorRegistry.sol").read_text(
        encoding="utf-8"
    )

    result = _node(
        "sourcify_verify.js",
        {
            "rpc": reg.rpc_url,
            "chainId": reg.chain_id,
            "address": reg.address,
            "creationTx": summary["creationTransaction"],
            "compilerVersion": version.removeprefix("v"),
            "standardJsonInput": std_input,
            "target": {"path": "contracts/AnchorRegistry.sol", "name": "AnchorRegistry"},
        },
    )
    assert isinstance(result, dict)
    assert result["runtimeMatch"] == "perfect", result
    assert result["creationMatch"] == "perfect", result


def test_contract_source_refuses_code_that_is_not_the_registry(
    deployed_registry: DeployedRegistry, tmp_path: Path
) -> None:
    reg = deployed_registry
    done = _cli(
        "contract",
        "source",
        "--rpc",
        reg.rpc_url,
        "--address",
        reg.owner.address,
        "-o",
        str(tmp_path),
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not this AnchorRegistry" in done.stderr
