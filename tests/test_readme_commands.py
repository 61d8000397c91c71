"""The README's commands, as written, against one running demo: the demo prints one
``export`` line; after it, every line of the README's demo block runs in a shell and prints
what it should. The lines are read from the README itself, so the two cannot drift: a line
added there needs a check here (CHECKS), and every command of the README's reference list
either has a line in the demo block or a reason here (NOT_AGAINST_THE_DEMO).

One demo run serves every command; a second run on the same data directory shows that the
books and the chain continue (the first run's proof still verifies)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from anchor.cli.demo_setup import DATABASE_NAME, prepare_data_dir, wipe
from tests.fixtures.paths import ROOT
from tests.fixtures.procs import stop_process

pytestmark = [pytest.mark.chain, pytest.mark.slow]

README = (ROOT / "README.md").read_text(encoding="utf-8")

# commands of the reference list that are not run against the demo, and why
NOT_AGAINST_THE_DEMO = {
    "serve": "the demo runs the service",
    "db init": "the demo's database exists (tests/store/test_missing_db.py runs it)",
    "devnet up": "the demo runs its own devnet",
    "devnet status": "the demo runs its own devnet",
    "devnet down": "the demo runs its own devnet",
    "deploy": "the demo deploys the registry (tests/chain/test_deploy.py)",
    "backup keygen": "the demo made its key file (tests/backup/test_crypto.py runs it)",
    "consume": "needs an exchange's JetStream stream (tests/service runs it against NATS)",
    "config show": "tests/test_config.py runs it",
    "report": "writes a file; tests/api/test_explorer_page.py runs it against anvil",
}


def demo_block() -> list[str]:
    """The lines of the README's demo block (between its markers)."""
    m = re.search(
        r"<!-- demo-commands.*?-->\n```\n(.*?)\n```\n<!-- /demo-commands -->", README, re.S
    )
    assert m, "the README lost its demo-commands block"
    return [line for line in m.group(1).splitlines() if line.strip()]


def reference_commands() -> set[str]:
    """Command paths ("backup run") of the README's reference list ("The commands, for
    reference"); "a | b" alternatives are expanded."""
    m = re.search(r"The commands, for reference.*?\n```\n(.*?)\n```", README, re.S)
    assert m, "the README lost its reference list of commands"
    return {p for line in m.group(1).splitlines() for p in command_paths(line)}


def command_paths(line: str) -> set[str]:
    words = line.split("#")[0].split()
    if not words or words[0] != "anchor":
        return set()
    path: list[str] = []
    alternatives: list[str] = []
    rest = words[1:]
    for i, word in enumerate(rest):
        if word == "|":
            continue
        if not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        if i > 0 and rest[i - 1] == "|":
            alternatives.append(word)
        else:
            path.append(word)
    base = " ".join(path)
    return {base} | {" ".join([*path[:-1], alt]) for alt in alternatives}


@dataclass
class Demo:
    export: str
    values: dict[str, str]
    cwd: Path
    text: str = ""

    def run(self, line: str) -> subprocess.CompletedProcess[str]:
        """``line`` in bash after the demo's export line, as a user types them."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANCHOR_", "DEMO_"))}
        env |= {"ANCHOR_TRUST_FILE": os.environ["ANCHOR_TRUST_FILE"], "COLUMNS": "200"}
        return subprocess.run(
            ["bash", "-c", f"set -e\n{self.export}\n{line}"],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )


Check = Callable[[Demo, subprocess.CompletedProcess[str]], None]


def _ok(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 0, (res.args, res.stdout, res.stderr)
    return res.stdout


def _bundle(demo: Demo, name: str) -> dict[str, object]:
    return dict(json.loads((demo.cwd / name).read_text()))


def _batches(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert "batches (newest first)" in out and " final " in out, out


def _alarms(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    assert "no open alarms" in _ok(r)


def _db_info(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert DATABASE_NAME in out and "schema" in out and re.search(r"records\s+[\d,]+", out), out


def _trust_add(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    assert f"pinned {d.values['DEMO_CONTRACT']} as 'demo-exchange'" in _ok(r)


def _trust_list(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    assert f"{d.values['DEMO_CHAIN_ID']}\t{d.values['DEMO_CONTRACT']}\tdemo-exchange" in _ok(r)


def _prove(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    _ok(r)
    assert "wrote proof.json" in r.stderr
    bundle = _bundle(d, "proof.json")
    assert bundle["format"] == "ledger-anchor-proof/1"
    assert bundle["record"]["record_id"] == d.values["DEMO_RECORD"]  # type: ignore[index]


def _verify_proof(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert out.startswith(f"valid: record {d.values['DEMO_RECORD']} "), out
    assert "pinned by trust entry 'demo-exchange'" in out and ", final (" in out, out


def _verify_offline(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    assert _ok(r).startswith(f"math ok (offline): record {d.values['DEMO_RECORD']} ")


def _prove_own(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    _ok(r)
    bundle = _bundle(d, "my-balance.json")
    assert bundle["record"]["record_id"] == d.values["DEMO_BALANCE_RECORD"]  # type: ignore[index]
    assert bundle["accounts"] and bundle["accounts"][0]["salt"]  # type: ignore[index]


def _verify_own(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert out.startswith(f"valid: record {d.values['DEMO_BALANCE_RECORD']} (balance)"), out


def _curl(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    _ok(r)
    response = _bundle(d, "my-balances.json")
    assert response["account_id"] and response["proofs"], response


def _verify_response(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    lines = _ok(r).splitlines()
    proofs = _bundle(d, "my-balances.json")["proofs"]
    assert len(lines) == len(proofs) >= 1, lines  # type: ignore[arg-type]
    for i, line in enumerate(lines):
        assert line.startswith(f"proofs[{i}]: valid: record "), line


def _ingest(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    m = re.search(r"accepted (\d+).*, duplicates (\d+), rejected 0", _ok(r))
    assert m and int(m.group(1)) + int(m.group(2)) == 20, r.stdout


def _seal(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert "sealed batch" in out or "nothing pending to seal" in out, out
    assert "another process is the anchorer" in out, out


def _export(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    lines = _ok(r).splitlines()
    assert lines[0].startswith("batch_id,status,root_chain,root_ours,"), lines[:2]
    assert lines[1].startswith("1,ok,0x"), lines[1]


def _backup_run(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    assert "all batches on all targets" in _ok(r)


def _backup_verify(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert "all bundles verify" in out, out
    # every bundle of both targets listed ok (long paths are folded over lines)
    assert len(re.findall(r"│ ok\s+│", out)) >= 2 and "backup" in out, out
    assert not re.search(r"^\S+: batch \d+$", r.stderr, re.M), r.stderr  # no line per batch


def _backup_status(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert "backups up to date" in out and "backup-a" in out and "backup-b" in out, out


def _reconcile(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert "reconcile: database, chain and 2 backup target(s)" in out, out
    assert re.search(r"│\s+1–\d+ │ final\s+│", out), out  # the clean batches, one row
    assert re.search(r"no differences: \d+ batches compared", out), out
    assert "backups: 2 target(s) checked" in out, out
    assert re.search(r"reconcile .*\d+/\d+ batches", r.stderr), r.stderr  # the progress bar


def _reconcile_json(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    report = json.loads(_ok(r))
    assert report["ok"] and report["backups_checked"] and len(report["targets"]) == 2
    assert report["per_batch"][0]["status"] == "ok"
    assert {b["status"] for b in report["per_batch"]} <= {"ok", "pending"}


def _books(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)  # exit 0: no break
    assert re.search(r"replayed [1-9]\d* records \(to seq \d+\): no break", out), out
    for check in ("balance_snapshot", "conservation", "trade_fee", "funding", "book_level"):
        assert re.search(rf"│ {check}\s+│\s+0 │", out), (check, out)


def _books_at_batch(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    report = json.loads(_ok(r))
    assert report["ok"] and report["breaks"] == [], report["breaks"]
    assert report["at_batch"] == report["last_batch"] == 1 and report["source"] == "database"
    lines = report["balances"]
    assert lines and all(line["record_ids"] for line in lines), lines[:3]
    # BTC comes in by deposits only and moves between accounts (spot trades): it adds up
    btc = sum(int(line["balance"]) for line in lines if line["asset"] == "BTC")
    assert btc == int(report["totals"]["BTC"]["deposits"]) > 0, report["totals"]


def _restore(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    assert re.search(r"restored [1-9]\d* batches, [1-9]\d* records", _ok(r)), r.stdout
    assert (d.cwd / "restored.sqlite").is_file()


def _contract_source(d: Demo, r: subprocess.CompletedProcess[str]) -> None:
    out = _ok(r)
    assert "contracts/AnchorRegistry.sol:AnchorRegistry" in out
    assert "wrote contract-source/standard-input.json" in out


CHECKS: dict[str, Check] = {
    "anchor batches": _batches,
    "anchor alarms": _alarms,
    "anchor db info": _db_info,
    "anchor trust add --chain-id $DEMO_CHAIN_ID --contract $DEMO_CONTRACT --name demo-exchange": _trust_add,
    "anchor trust list": _trust_list,
    "anchor prove $DEMO_RECORD -o proof.json": _prove,
    "anchor verify proof.json --rpc $DEMO_RPC": _verify_proof,
    "anchor verify proof.json --offline": _verify_offline,
    "anchor prove $DEMO_BALANCE_RECORD --api $DEMO_API --token $DEMO_TOKEN -o my-balance.json": _prove_own,
    "anchor verify my-balance.json --rpc $DEMO_RPC": _verify_own,
    'curl -s -H "Authorization: Bearer $DEMO_TOKEN" $DEMO_API/v1/me/balance-proofs > my-balances.json': _curl,
    "anchor verify my-balances.json --rpc $DEMO_RPC": _verify_response,
    "anchor ingest $DEMO_DIR/sample.ndjson": _ingest,
    "anchor seal --now": _seal,
    "anchor anchors export --csv": _export,
    "anchor backup run": _backup_run,
    "anchor backup verify": _backup_verify,
    "anchor backup status": _backup_status,
    "anchor reconcile": _reconcile,
    "anchor reconcile --json": _reconcile_json,
    "anchor books": _books,
    "anchor books --at-batch 1 --json": _books_at_batch,
    "anchor restore --from $DEMO_DIR/backup-a --into sqlite:///restored.sqlite": _restore,
    "anchor contract source --rpc $DEMO_RPC --address $DEMO_CONTRACT -o contract-source": _contract_source,
}  # fmt: skip


def test_the_readme_and_this_test_list_the_same_commands() -> None:
    lines = demo_block()
    assert len(lines) == len(set(lines))
    assert set(lines) == set(CHECKS), (
        "the README's demo block and CHECKS differ; a new README line needs a check here: "
        f"README only {sorted(set(lines) - set(CHECKS))}, CHECKS only "
        f"{sorted(set(CHECKS) - set(lines))}"
    )
    ran = {p for line in lines for p in command_paths(line)}
    missing = reference_commands() - ran - set(NOT_AGAINST_THE_DEMO)
    assert not missing, (
        f"README commands {sorted(missing)} are neither in its demo block nor in "
        "NOT_AGAINST_THE_DEMO: add a line to the README's demo block (and a check here)"
    )


def _start_demo(data_dir: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("w") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "anchor.cli", "demo", "--data-dir", str(data_dir),
             "--interval", "2", "--rate", "100", *extra],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "250"},
        )  # fmt: skip


def _wait_for(demo: subprocess.Popen[bytes], log: Path, text: str, deadline: float) -> str:
    out = ""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        out = log.read_text()
        if text in out or demo.poll() is not None:
            break
        time.sleep(0.5)
    assert text in out, out
    return out


def _stop(demo: subprocess.Popen[bytes], log: Path) -> None:
    stop_process(demo, signal.SIGINT, timeout=60)
    assert "stopped the service and the devnet" in log.read_text()


def _demo_values(text: str, cwd: Path) -> Demo:
    export = next(line.strip() for line in text.splitlines() if "export ANCHOR_CONFIG=" in line)
    values = dict(re.findall(r"(DEMO_\w+)=(\S+)", export))
    assert set(values) >= {"DEMO_RECORD", "DEMO_TOKEN", "DEMO_API", "DEMO_RPC"}, export
    return Demo(export=export, values=values, cwd=cwd, text=text)


def test_every_readme_command_works_against_the_demo(tmp_path: Path) -> None:
    data_dir, user = tmp_path / "demo", tmp_path / "user"
    user.mkdir()
    log = tmp_path / "demo.out"
    demo = _start_demo(data_dir, log)
    try:
        d = _demo_values(_wait_for(demo, log, "Ctrl-C stops everything", 180), user)
        # the one line: the config, anchor on PATH; and the user's own proof command
        assert re.search(r'PATH="/\S+/bin:\$PATH"', d.export), d.export
        config = Path(re.search(r"ANCHOR_CONFIG=(\S+)", d.export).group(1))  # type: ignore[union-attr]
        assert config == data_dir.absolute() / "anchor.toml" and config.is_file()
        assert f"--token {d.values['DEMO_TOKEN']} -o my-balance.json" in d.text
        for line in demo_block():
            CHECKS[line](d, d.run(line))
    finally:
        _stop(demo, log)
    # one database, reused: a second run continues the books and the chain
    files = sorted(p.name for p in data_dir.iterdir())
    assert [f for f in files if ".sqlite" in f and not f.startswith(DATABASE_NAME)] == [], files
    log2 = tmp_path / "demo2.out"
    demo = _start_demo(data_dir, log2)
    try:
        text = _wait_for(demo, log2, "Ctrl-C stops everything", 180)
        assert "continuing the previous run's books and chain" in text, text
        assert "starting afresh" not in text, text
        again = _demo_values(text, user)
        # the first run's proof verifies against the continued chain
        _verify_proof(d, again.run("anchor verify proof.json --rpc $DEMO_RPC"))
        assert again.values["DEMO_RECORD"] != d.values["DEMO_RECORD"]
        _reconcile(again, again.run("anchor reconcile"))
        _books(again, again.run("anchor books"))  # the two runs' books: still no break
    finally:
        _stop(demo, log2)
    assert len(list(data_dir.glob("*.sqlite"))) == 1


def test_fresh_removes_only_what_the_demo_made(tmp_path: Path) -> None:
    d = tmp_path / "demo"
    (d / "devnet").mkdir(parents=True)
    (d / "backup-a" / "batches").mkdir(parents=True)
    for name in ("anchor.toml", DATABASE_NAME, "devnet/state.json", "service.log",
                 "demo1700000000.sqlite", "demo1700000001.sqlite-wal", "mine.txt"):  # fmt: skip
        (d / name).write_text("x")
    notes = prepare_data_dir(d, fresh=False)
    assert any("2 database files of earlier demo versions" in n for n in notes), notes
    assert (d / DATABASE_NAME).exists()  # reused by default
    notes = prepare_data_dir(d, fresh=True)
    assert sorted(p.name for p in d.iterdir()) == ["mine.txt"], notes
    wipe(d)  # again: nothing left to remove, no error
    assert "anchor demo" in (ROOT / "scripts" / "demo.sh").read_text()
    assert '"$@"' in (ROOT / "scripts" / "demo.sh").read_text()  # --fresh reaches the demo
