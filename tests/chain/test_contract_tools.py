"""The contract's own test and analysis tools, run as part of the suite (real tools, no mocks):

- ``forge test``: the unit, fuzz and invariant tests in contracts/test (forge from npm, solc
  through the stand-in named in foundry.toml);
- Slither (over AnchorRegistry and LiabilitiesRegistry): no high or medium finding, none in
  either contract, and the low/informational ones left are exactly those listed, each with
  its reason, in contracts/README.md;
- halmos: the symbolic checks (a written root never changes; ids start at 1 in order).

Each builds into its own temporary directory (FOUNDRY_OUT / FOUNDRY_CACHE_PATH), so they can
run side by side on several workers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.paths import ROOT, node_tool

pytestmark = pytest.mark.chain

TOOLS_BIN = ROOT / ".venv-tools" / "bin"


def _env(tmp_path: Path) -> dict[str, str]:
    forge = node_tool("forge")
    return {
        **os.environ,
        "PATH": f"{forge.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "FOUNDRY_OUT": str(tmp_path / "out"),
        "FOUNDRY_CACHE_PATH": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }


def _tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} not found: run scripts/setup.sh (it installs the tools venv)")
    return path


def _run(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a tool from the repository root with :func:`_env` (its output captured, no check)."""
    return subprocess.run(
        [str(a) for a in args],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_forge_unit_fuzz_and_invariant_tests_pass(tmp_path: Path) -> None:
    done = _run(tmp_path, node_tool("forge"), "test", "--root", ROOT, "--json")
    json_line = next((ln for ln in done.stdout.splitlines() if ln.startswith("{")), None)
    assert json_line is not None, done.stdout[-3000:] + done.stderr[-3000:]
    suites = json.loads(json_line)
    results = {
        name.split("(")[0]: result["status"]
        for suite in suites.values()
        for name, result in suite["test_results"].items()
    }
    failed = {name: status for name, status in results.items() if status != "Success"}
    assert not failed and done.returncode == 0, (failed, done.stderr[-3000:])
    for expected in (
        "invariant_rootsNeverChange",
        "invariant_anchoredIdsAreExactlyOneToLast",
        "invariant_onlyAnchorersAddRoots",
        "invariant_afterRenouncingNoOneAddsAnAnchorer",
        "testFuzz_onlyAnchorersAnchor",
        "testFuzz_onlyTheNextIdIsAccepted",
        "test_notAnchorer",
        "test_zeroRoot",
        "test_zeroLeafCount",
        "test_repeatedBatchIdIsOutOfOrder",
        "test_skippedBatchIdIsOutOfOrder",
        "test_zeroAnchorer",
        "test_anchorerUnchanged",
        # LiabilitiesRegistry (issue 17)
        "invariant_roundsNeverChange",
        "invariant_roundIdsAreExactlyOneToLast",
        "invariant_cutoffsNeverGoBack",
        "invariant_onlyAnchorersWriteRounds",
        "test_everyLeafVerifies",
        "test_aSiblingSumThatDiffersFromItsChildrenDoesNotVerify",
        "test_aTotalOnChainThatDiffersFromTheRootSumDoesNotVerify",
        "test_aReplayedProofFromAnEarlierRoundDoesNotVerify",
        "test_negativeAndOverflowingAmountsDoNotVerify",
        "testFuzz_honestTreesVerify",
        "testFuzz_anyChangedSiblingSumFails",
        "test_roundIdOutOfOrder",
        "test_cutoffOutOfOrder",
        "test_totalTooLarge",
    ):
        assert expected in results, f"{expected} did not run"
    assert len(results) >= 56


def _documented_findings() -> set[tuple[str, str]]:
    """(detector, impact) pairs from the Slither table in contracts/README.md."""
    text = (ROOT / "contracts" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Static analysis", 1)[1].split("\n## ", 1)[0]
    return {
        (m.group(1), m.group(2))
        for m in re.finditer(r"^\| `([a-z0-9-]+)` \| (\w+) \|", section, re.MULTILINE)
    }


def test_slither_finds_no_high_or_medium_and_the_rest_is_documented(tmp_path: Path) -> None:
    report = tmp_path / "slither.json"
    done = _run(tmp_path, _tool("slither"), ".", "--json", report)
    assert report.exists(), done.stderr[-3000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["success"], data.get("error")
    findings = data["results"].get("detectors", [])
    serious = [f["description"] for f in findings if f["impact"] in ("High", "Medium")]
    assert not serious, serious
    found = {(f["check"], f["impact"]) for f in findings}
    assert found == _documented_findings(), "contracts/README.md must list each finding left"
    analysed = {
        element["source_mapping"]["filename_relative"]
        for f in findings
        for element in f["elements"]
        if "source_mapping" in element
    }
    assert all("/test/" not in name for name in analysed)  # the contracts, not their tests
    ours = ("contracts/AnchorRegistry.sol", "contracts/LiabilitiesRegistry.sol")
    in_ours = {
        (f["check"], element["source_mapping"]["filename_relative"])
        for f in findings
        for element in f["elements"]
        if element.get("source_mapping", {}).get("filename_relative") in ours
    }
    # both were analysed (the pragma finding names every file's version), neither has a
    # finding of its own
    assert in_ours == {("pragma", name) for name in ours}, in_ours


def test_halmos_symbolic_checks_hold(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        _tool("halmos"),
        "--root",
        ROOT,
        "--contract",
        "AnchorRegistrySymbolicTest",
        "--forge-build-out",
        tmp_path / "out",
        "--loop",
        "4",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "check_rootsNeverChange" in output and "check_idsStartAtOneAndRunInOrder" in output
    assert "2 passed; 0 failed" in output, output[-4000:]
