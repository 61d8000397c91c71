"""The attack of issue 13 on a real anvil: the registry is pinned by the user, never taken
from the bundle.

An exchange runs its registry; an attacker deploys a SECOND registry (the published code,
their own key), anchors a tree holding a fabricated balance in it and hands out a
self-consistent bundle naming that registry. Under every command form the bundle is
refused (invalid: not the pinned registry) or not judged (exit 3: nothing pinned). A
look-alike (same interface, different code) at a pinned address is named as such.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from anchor.cli import app
from anchor.core.proof import AnchorInfo, ProofBundle
from anchor.errors import RegistryNotPinned, VerificationError
from anchor.verifier import verify_bundle_online
from anchor.verifier.registry import published_code
from anchor.verifier.trust import TrustStore
from tests.verifier.attack import Attack, attack_fixture, rpc

pytestmark = pytest.mark.chain
runner = CliRunner()


@pytest.fixture(scope="module")
def attack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attack]:
    yield from attack_fixture(tmp_path_factory)


def _cli(*args: str, trust: Path | None = None) -> Any:
    env = {"ANCHOR_TRUST_FILE": str(trust)} if trust is not None else {}
    return runner.invoke(app, list(args), env=env)


def _write(tmp_path: Path, bundle: ProofBundle, name: str = "proof.json") -> str:
    path = tmp_path / name
    path.write_bytes(bundle.to_json())
    return str(path)


def test_the_forged_bundle_is_self_consistent_and_anchored_in_the_attackers_registry(
    attack: Attack,
) -> None:
    # what made the attack work before: math fine, root on chain (in the attacker's registry)
    assert attack.forged.record.kind == "balance"
    assert attack.forged.anchor.contract == attack.attacker_registry
    code = bytes.fromhex(
        rpc(attack.honest.rpc_url, "eth_getCode", [attack.attacker_registry, "latest"])[2:]
    )
    assert published_code().matches(code)  # the attacker even deployed the real code


def test_forged_bundle_fails_under_every_command_form(attack: Attack, tmp_path: Path) -> None:
    url, honest = attack.honest.rpc_url, attack.honest.address.lower()
    forged = _write(tmp_path, attack.forged, "forged.json")
    genuine = _write(tmp_path, attack.genuine, "genuine.json")
    trust = tmp_path / "known.toml"
    empty = tmp_path / "nothing-pinned.toml"

    # nothing pinned: not judged, exit 3, never "valid"
    out = _cli("verify", forged, "--rpc", url, trust=empty)
    assert out.exit_code == 3, out.output
    assert "registry not pinned for chain 31337" in out.output and "valid" not in out.output
    assert _cli("verify", genuine, "--rpc", url, trust=empty).exit_code == 3

    # the user pins the exchange's registry, as the exchange publishes it
    added = _cli(
        "trust", "add", "--chain-id", "31337", "--contract", honest, "--name", "EXCHANGE",
        trust=trust,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = _cli("trust", "list", trust=trust)
    assert honest in listed.output and "EXCHANGE" in listed.output

    forms = [
        ("verify", forged, "--rpc", url),  # the trust file through ANCHOR_TRUST_FILE
        ("verify", forged, "--rpc", url, "--trust-file", str(trust)),
        ("verify", forged, "--rpc", url, "--contract", honest),
        ("verify", forged, "--rpc", url, "--contract", honest.upper().replace("0X", "0x")),
    ]
    for form in forms:
        env_trust = trust if "--trust-file" not in form else empty
        out = _cli(*form, trust=env_trust)
        assert out.exit_code == 1, (form, out.output)
        line = out.output.strip()
        assert line.startswith("invalid: contract: ") and attack.attacker_registry in line, line
    # offline only does the math: it never says "valid"
    off = _cli("verify", forged, "--offline", trust=trust)
    assert off.exit_code == 0 and not off.output.startswith("valid")
    assert "NOT checked against the chain" in off.output

    # the library, both ways
    with pytest.raises(VerificationError) as exc:
        verify_bundle_online(attack.forged, url, trust=TrustStore.load(trust))
    assert exc.value.step == "contract"
    with pytest.raises(RegistryNotPinned):
        verify_bundle_online(attack.forged, url)
    with pytest.raises(RegistryNotPinned):
        verify_bundle_online(attack.forged, url, trust=TrustStore.load(empty))

    # the genuine bundle verifies through the pin
    ok = _cli("verify", genuine, "--rpc", url, trust=trust)
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("valid: ") and "trust entry 'EXCHANGE'" in ok.output
    res = verify_bundle_online(attack.genuine, url, trust=TrustStore.load(trust))
    assert res.contract == honest and res.code_hash == published_code().code_hash

    # unpinned again: not judged
    gone = _cli("trust", "remove", "--chain-id", "31337", "--name", "EXCHANGE", trust=trust)
    assert gone.exit_code == 0 and "unpinned" in gone.output
    assert _cli("verify", genuine, "--rpc", url, trust=trust).exit_code == 3


def test_a_look_alike_registry_is_named(attack: Attack, tmp_path: Path) -> None:
    """The attacker's contract with different code behind the same interface (here: the
    real code plus one byte): a user tricked into pinning it is told what it is."""
    url = attack.honest.rpc_url
    look_alike = "0x" + "5a" * 20
    code = rpc(url, "eth_getCode", [attack.attacker_registry, "latest"])
    rpc(url, "anvil_setCode", [look_alike, code + "00"])
    # (its state does not matter: the verifier reads nothing from it once the code differs)
    bundle = attack.forged.with_anchor(
        AnchorInfo(**{**attack.forged.anchor.__dict__, "contract": look_alike})
    )
    path = _write(tmp_path, bundle)
    out = _cli("verify", path, "--rpc", url, "--contract", look_alike)
    assert out.exit_code == 1, out.output
    assert f"invalid: code: code at {look_alike} is not the published AnchorRegistry" in (
        out.output
    )
    with pytest.raises(VerificationError) as exc:
        verify_bundle_online(bundle, url, contract=look_alike)
    assert exc.value.step == "code"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("version = 1\n[[registry]]\nchain_id = 1\ncontract = '0x12'\nname = 'X'\n", "contract"),
        ("version = 2\n", "unknown version"),
        ("this is not toml", "not valid TOML"),
        ("version = 1\n[[registry]]\nchain_id = -1\n", "chain_id"),
        ("version = 1\nregistry = 3\n", "array of tables"),
        ("version = 1\n[[registry]]\nchain_id = 1\ncontract = '0x" + "1" * 40 + "'\n"
         "name = 'X'\nport = 3\n", "unknown key 'port'"),
    ],
)  # fmt: skip
def test_a_malformed_trust_file_exits_2_with_one_line(
    tmp_path: Path, text: str, reason: str
) -> None:
    trust = tmp_path / "t.toml"
    trust.write_text(text)
    bundle = str(Path(__file__).parents[1] / "vectors" / "bundles" / "valid-trade-final.json")
    for args in (
        ("verify", bundle, "--rpc", "http://127.0.0.1:9", "--trust-file", str(trust)),
        ("trust", "list", "--trust-file", str(trust)),
        ("trust", "add", "--chain-id", "1", "--contract", "0x" + "1" * 40, "--name", "X",
         "--trust-file", str(trust)),
    ):  # fmt: skip
        out = _cli(*args)
        assert out.exit_code == 2, (args, out.output)
        assert len(out.output.strip().splitlines()) == 1 and reason in out.output, out.output
    assert trust.read_text() == text  # never rewritten


def test_trust_file_lives_in_the_users_config_dir(tmp_path: Path, monkeypatch: Any) -> None:
    from anchor.verifier.trust import default_trust_path

    monkeypatch.delenv("ANCHOR_TRUST_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert default_trust_path() == tmp_path / "cfg" / "ledger-anchor" / "trusted-registries.toml"
    out = runner.invoke(
        app, ["trust", "add", "--chain-id", "5", "--contract", "0x" + "ab" * 20, "--name", "EX"]
    )
    assert out.exit_code == 0, out.output
    path = default_trust_path()
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert TrustStore.load().for_chain(5)[0].contract == "0x" + "ab" * 20
    bad = runner.invoke(
        app, ["trust", "add", "--chain-id", "5", "--contract", "0x1", "--name", "E"]
    )
    assert bad.exit_code == 2 and "contract" in bad.output
