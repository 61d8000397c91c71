"""The Hardhat-free devnet: anvil from npm on 127.0.0.1, stopped by PID, state that survives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from anchor.chain.devnet import (
    DEFAULT_CHAIN_ID,
    DevAccount,
    Devnet,
    DevnetError,
    DevnetOptions,
    is_running,
    start_devnet,
    stop_devnet,
)
from tests.fixtures.chain import AnvilFactory, deploy_on
from tests.fixtures.cli import run_anchor
from tests.fixtures.paths import node_tool

pytestmark = pytest.mark.chain


def _rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    ).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        reply = json.loads(response.read())
    assert "error" not in reply, reply
    return reply["result"]


def _block(url: str, tag: str = "latest") -> int:
    return int(_rpc(url, "eth_getBlockByNumber", [tag, False])["number"], 16)


def test_the_anvil_fixture(anvil: Devnet) -> None:
    assert anvil.rpc_url == f"http://127.0.0.1:{anvil.port}"
    assert anvil.chain_id == DEFAULT_CHAIN_ID
    assert int(_rpc(anvil.rpc_url, "eth_chainId"), 16) == DEFAULT_CHAIN_ID
    assert _block(anvil.rpc_url) == 0
    # the deterministic public test mnemonic: account 0 is well known, funded
    assert anvil.dev_account.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    balance = int(_rpc(anvil.rpc_url, "eth_getBalance", [anvil.dev_account.address, "latest"]), 16)
    assert balance == 10_000 * 10**18
    assert is_running(anvil.pid)
    assert "private_key" not in repr(anvil) and anvil.dev_account.private_key not in repr(anvil)
    # the key file anvil wrote (--config-out) is gone; the keys stay in memory
    assert not (Path(anvil.log_file).parent / "anvil-config.json").exists()


def test_stop_by_pid(anvil_factory: AnvilFactory) -> None:
    devnet = anvil_factory.start()
    stop_devnet(devnet)
    assert not is_running(devnet.pid)
    with pytest.raises(OSError):
        _rpc(devnet.rpc_url, "eth_chainId")
    stop_devnet(devnet)  # stopping twice is harmless


def test_a_pid_that_is_not_anvil_is_left_alone() -> None:
    assert not is_running(os.getpid())
    stop_devnet(os.getpid())  # would kill the test run if it did not check
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as sleeper:
        try:
            stop_devnet(sleeper.pid, timeout=1)
            assert sleeper.poll() is None
        finally:
            sleeper.kill()


def test_a_chosen_port_that_is_taken_is_reported(anvil: Devnet, tmp_path: Path) -> None:
    with pytest.raises(DevnetError, match="exited"):
        start_devnet(
            DevnetOptions(port=anvil.port), workdir=tmp_path, anvil=node_tool("anvil"), timeout=10
        )
    assert "0x" + "ac0974bec" not in str(tmp_path)  # nothing to leak here, but keep the habit


def test_state_file_survives_a_restart(anvil_factory: AnvilFactory, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    devnet = anvil_factory.start(state_file=str(state))
    reg = deploy_on(devnet)
    root = os.urandom(32)
    assert reg.anchor(1, root, 4)["status"] == 1
    anvil_factory.stop(devnet)  # SIGTERM: anvil writes the state file
    assert state.exists()
    again = anvil_factory.restart(devnet)
    assert again.port == devnet.port and again.pid != devnet.pid
    reg2 = deploy_on(again, salt=b"\x02" * 32)  # a second registry on the restored chain ...
    assert reg2.address != reg.address
    from anchor.chain.client import RegistryClient

    assert RegistryClient(reg2.w3, reg.address).root_of(1) == root  # ... and the old one is there


def test_state_interval_survives_sigkill(anvil_factory: AnvilFactory, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    devnet = anvil_factory.start(state_file=str(state), state_interval=1)
    reg = deploy_on(devnet)
    root = os.urandom(32)
    assert reg.anchor(1, root, 4)["status"] == 1
    mined = _block(devnet.rpc_url)
    deadline = time.monotonic() + 15
    # wait for a periodic dump (every second) that holds the anchored root
    while not (state.exists() and root.hex() in state.read_text(errors="replace")):
        assert time.monotonic() < deadline, "no state dump with the anchored root"
        time.sleep(0.1)
    os.kill(devnet.pid, signal.SIGKILL)
    stop_devnet(devnet)  # reaps it
    again = anvil_factory.start(devnet.options)
    assert _block(again.rpc_url) >= mined
    from anchor.chain.client import RegistryClient, make_web3

    assert RegistryClient(make_web3(again.rpc_url), reg.address).root_of(1) == root


def test_slots_in_an_epoch_moves_safe_and_finalized(anvil_factory: AnvilFactory) -> None:
    devnet = anvil_factory.start(slots_in_an_epoch=1)
    _rpc(devnet.rpc_url, "anvil_mine", ["0x6"])
    head = _block(devnet.rpc_url)
    assert head == 6
    assert _block(devnet.rpc_url, "safe") == head - 1
    assert _block(devnet.rpc_url, "finalized") == head - 2
    _rpc(devnet.rpc_url, "evm_mine")
    assert _block(devnet.rpc_url, "finalized") == head - 1


def test_block_time_mines_without_transactions(anvil_factory: AnvilFactory) -> None:
    devnet = anvil_factory.start(block_time=1)
    deadline = time.monotonic() + 15
    while _block(devnet.rpc_url) < 2:
        assert time.monotonic() < deadline, "no blocks mined with --block-time 1"
        time.sleep(0.2)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    anvil = {"ANCHOR_ANVIL": str(node_tool("anvil"))}
    return run_anchor(*args, env={**anvil, **(env or {})}, keep_anchor_env=True)


def test_cli_devnet_up_status_down(tmp_path: Path) -> None:
    directory = tmp_path / "devnet"
    up = _cli(
        "devnet", "up", "--dir", str(directory), "--port", "0", "--slots-in-an-epoch", "1", "--show-dev-key"
    )  # fmt: skip
    info_path = directory / "devnet.json"
    try:
        assert up.returncode == 0, up.stderr
        info = json.loads(info_path.read_text())
        assert f"rpc url:     {info['rpc_url']}" in up.stdout
        assert "chain id:    31337" in up.stdout
        assert "dev account: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" in up.stdout
        # the public test key is shown only on request, and labelled as such
        assert (
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 (public test key)"
            in up.stdout
        )
        assert "public test mnemonic" in up.stdout
        assert (
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
            not in info_path.read_text()
        )
        assert is_running(int(info["pid"]))

        again = _cli("devnet", "up", "--dir", str(directory), "--port", "0")
        assert again.returncode != 0 and "already running" in again.stderr

        status = _cli("devnet", "status", "--dir", str(directory), "--json")
        assert status.returncode == 0, status.stderr
        reported = json.loads(status.stdout)
        assert reported["running"] and reported["block_number"] == 0
        assert reported["devnet"]["chain_id"] == 31337

        down = _cli("devnet", "down", "--dir", str(directory))
        assert down.returncode == 0 and "stopped anvil" in down.stdout
        deadline = time.monotonic() + 10
        while is_running(int(info["pid"])):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert _cli("devnet", "status", "--dir", str(directory)).returncode == 1
    finally:
        if info_path.exists():
            stop_devnet(int(json.loads(info_path.read_text())["pid"]))


def test_the_saved_description_holds_no_key_and_no_mnemonic() -> None:
    secret = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
    devnet = Devnet(
        pid=1,
        rpc_url="http://127.0.0.1:1",
        port=1,
        chain_id=5,
        accounts=(DevAccount("0x" + "11" * 20, "0x" + "ab" * 32),),
        log_file="anvil.log",
        options=DevnetOptions(mnemonic=secret),
    )
    text = json.dumps(devnet.to_public_json())
    assert "ab" * 32 not in text and "abandon" not in text
    assert devnet.to_public_json()["options"]["default_mnemonic"] is False
    assert "abandon" not in repr(devnet.options) and "ab" * 32 not in repr(devnet.accounts[0])
