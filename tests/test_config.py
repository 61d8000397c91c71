"""Configuration: the example file, chain profiles, ``anchor config show`` (secrets
redacted), and bad configuration as a one-line error with exit 2."""

from __future__ import annotations

import re
import subprocess
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from anchor.chain_profiles import PROFILES, profile
from anchor.config import Config, load_config, uses_poa
from anchor.errors import ConfigError
from tests.fixtures.cli import run_anchor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "anchor.example.toml"


def _anchor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_anchor(*args, env=env, timeout=60)


def test_the_example_file_loads_and_mentions_every_key() -> None:
    cfg = load_config(EXAMPLE, env={})
    assert cfg.chain == "sepolia" and cfg.chain_id == 11155111 and cfg.finality_depth is None
    assert cfg.explorer_base_url == "https://sepolia.etherscan.io"
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = set(re.findall(r"^#?\s*([a-z_]+) =", text, re.M))
    missing = {f.name for f in fields(Config)} - keys
    assert not missing, f"not in the example: {sorted(missing)}"


def test_profiles() -> None:
    assert {p.chain_id for p in PROFILES.values()} == {1, 11155111, 8453, 10, 42161, 137, 31337}
    assert profile("Base").chain_id == 8453 and profile("op").name == "optimism"
    assert uses_poa(load_config(None, env={}, chain="polygon"))
    assert not uses_poa(load_config(None, env={}, chain="base"))
    cfg = load_config(None, env={"ANCHOR_CHAIN": "base", "ANCHOR_FINALITY_DEPTH": "10"})
    assert cfg.chain_id == 8453 and cfg.finality_depth == 10  # explicit wins
    assert cfg.explorer_url("tx", tx="0xab") == "https://basescan.org/tx/0xab"
    with pytest.raises(ConfigError, match="unknown chain profile 'basse'"):
        load_config(None, env={}, chain="basse")
    with pytest.raises(ConfigError, match="contradicts chain profile"):
        load_config(None, env={}, chain="base", chain_id=1)


def test_config_show_redacts_and_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        'chain = "base"\napi_key = "s3cr3t-operator"\n'
        'rpc_url = "https://base.provider.invalid/v2/PROVIDERKEY"\n'
        'database_url = "postgresql://anchor:dbpass@db.internal:5432/books"\n'
        'alarm_webhooks = ["https://hooks.invalid/T000/B000/XXXX"]\n',
        encoding="utf-8",
    )
    shown = _anchor("config", "show", "-c", str(good))
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    for secret in ("s3cr3t-operator", "PROVIDERKEY", "dbpass", "XXXX"):
        assert secret not in out
    assert "chain_id = 8453" in out and "base.provider.invalid" in out and "finalized tag" in out
    bad_key = tmp_path / "bad.toml"
    bad_key.write_text('chain = "base"\nrpc_ur1 = "x"\n', encoding="utf-8")
    bad_chain = tmp_path / "chain.toml"
    bad_chain.write_text('chain = "solana"\n', encoding="utf-8")
    for path, why in ((bad_key, "unknown keys ['rpc_ur1']"), (bad_chain, "unknown chain profile")):
        for args in (("config", "show"), ("serve", "--role", "api"), ("deploy",)):
            done = _anchor(*args, "--config", str(path))
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and why in lines[0], lines
    done = _anchor("deploy", "--chain", "nowhere", "--rpc", "http://127.0.0.1:9")
    assert done.returncode == 2 and "unknown chain profile 'nowhere'" in done.stderr


@pytest.mark.chain
def test_deploy_with_a_chain_profile(anvil: Any, tmp_path: Path) -> None:
    env = {"ANCHOR_PRIVATE_KEY": anvil.accounts[0].private_key}
    wrong = _anchor("deploy", "--chain", "sepolia", "--rpc", anvil.rpc_url, env=env)
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    assert "11155111" in wrong.stderr  # the profile's chain id is what the node must be
    out = tmp_path / "deployment.json"
    ok = _anchor("deploy", "--chain", "devnet", "--rpc", anvil.rpc_url, "--out", str(out), env=env)
    assert ok.returncode == 0, ok.stderr
    assert "on chain 31337" in ok.stdout and out.is_file()
