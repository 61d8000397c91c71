"""The browser verifier (anchor/verifier/static/verify.html) in real headless Chromium
against a real anvil: opened from file:// with no exchange server anywhere, and served at
/verify by the API. Valid bundle -> valid; the forged bundle of issue 13 -> rejected (not
the pinned registry); a one-byte mutation -> rejected; pretty-printed -> accepted; nothing
pinned -> not judged; a wallet's EIP-1193 provider works like an RPC URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anchor.config import Config
from tests.fixtures.paths import ROOT
from tests.verifier.attack import Attack, attack_fixture

pytestmark = [pytest.mark.chain, pytest.mark.browser]
PAGE = ROOT / "anchor" / "verifier" / "static" / "verify.html"


@pytest.fixture(scope="module")
def attack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attack]:
    yield from attack_fixture(tmp_path_factory)


def _verify(
    browser: Any,
    bundle: str,
    *,
    rpc: str = "",
    pinned: str = "",
    wallet: bool = False,
    offline: bool = False,
) -> dict[str, str]:
    """Fill the form as a user would, press Verify, wait for the verdict."""
    browser.wait_for("document.body.dataset.ready === '1'")
    return dict(
        browser.submit(
            "verify",
            "result",
            values={"bundle": bundle, "rpc-url": rpc, "pinned": pinned},
            checks={"use-wallet": wallet, "offline": offline},
        )
    )


def _mutate_one_byte(text: str) -> str:
    at = text.index('"ts_ns": "') + len('"ts_ns": "')
    digit = "1" if text[at] != "1" else "2"
    return text[:at] + digit + text[at + 1 :]


def test_page_from_file_against_anvil(attack: Attack, browser: Any) -> None:
    url, honest = attack.honest.rpc_url, attack.honest.address.lower()
    genuine = attack.genuine.to_json().decode()
    forged = attack.forged.to_json().decode()
    browser.navigate(PAGE.as_uri())  # file://, no server of the exchange anywhere

    ok = _verify(browser, genuine, rpc=url, pinned=honest)
    assert ok["verdict"] == "valid", ok
    assert "VALID" in ok["text"] and honest in ok["text"] and "final" in ok["text"]

    # pretty-printed (parsed, not compared byte for byte): the same bundle
    pretty = json.dumps(json.loads(genuine), indent=7, sort_keys=True)
    assert _verify(browser, pretty, rpc=url, pinned=honest)["verdict"] == "valid"

    # the forged bundle: a registry other than the pinned one
    bad = _verify(browser, forged, rpc=url, pinned=honest)
    assert bad["verdict"] == "invalid", bad
    assert "failed check: contract" in bad["text"] and attack.attacker_registry in bad["text"]
    # the forged bundle with nothing pinned: not judged
    unpinned = _verify(browser, forged, rpc=url)
    assert (
        unpinned["verdict"] == "unpinned"
        and "registry not pinned for chain 31337" in (unpinned["text"])
    )
    # pinning the attacker's registry is the user's mistake; the bundle is consistent then,
    # which is exactly why the page insists the address comes from the exchange

    # a one-byte mutation of the genuine bundle
    mutated = _mutate_one_byte(genuine)
    assert mutated != genuine and len(mutated) == len(genuine)
    res = _verify(browser, mutated, rpc=url, pinned=honest)
    assert res["verdict"] == "invalid" and "failed check" in res["text"], res

    # bad input: named, never valid, never a crash
    assert _verify(browser, "{not json", rpc=url, pinned=honest)["verdict"] == "format"
    down = _verify(browser, genuine, rpc="http://127.0.0.1:9", pinned=honest)
    assert down["verdict"] == "unusable" and "unreachable" in down["text"], down
    assert _verify(browser, genuine, rpc="ftp://x", pinned=honest)["verdict"] == "unusable"
    offline = _verify(browser, forged, offline=True)
    assert offline["verdict"] == "math" and "NOT checked against the chain" in offline["text"]


def test_page_with_a_wallet_provider(attack: Attack, browser: Any) -> None:
    """An EIP-1193 provider (window.ethereum), here one that forwards to anvil."""
    url, honest = attack.honest.rpc_url, attack.honest.address.lower()
    browser.navigate(PAGE.as_uri())
    browser.evaluate(
        f"""(() => {{ window.ethereum = {{ request: async ({{method, params}}) => {{
            const r = await fetch({json.dumps(url)}, {{method: 'POST',
              headers: {{'content-type': 'application/json'}},
              body: JSON.stringify({{jsonrpc: '2.0', id: 1, method, params}})}});
            const b = await r.json();
            if (b.error) throw new Error(b.error.message);
            return b.result; }} }}; return true; }})()"""
    )
    res = _verify(browser, attack.genuine.to_json().decode(), pinned=honest, wallet=True)
    assert res["verdict"] == "valid", res
    res = _verify(browser, attack.forged.to_json().decode(), pinned=honest, wallet=True)
    assert res["verdict"] == "invalid", res


def test_page_served_at_verify(attack: Attack, browser: Any, tmp_path: Path) -> None:
    import httpx

    from anchor.api.app import create_app
    from anchor.store.db import Database
    from tests.interop.helpers import live_server

    db = Database.open(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with live_server(create_app(Config(), db)) as api:
            resp = httpx.get(f"{api}/verify")
            assert resp.status_code == 200 and resp.content == PAGE.read_bytes()
            csp = resp.headers["content-security-policy"]
            assert "script-src 'sha256-" in csp and "connect-src http: https:" in csp
            browser.navigate(f"{api}/verify")  # the CSP lets its own inline script run
            res = _verify(
                browser,
                attack.genuine.to_json().decode(),
                rpc=attack.honest.rpc_url,
                pinned=attack.honest.address,
            )
            assert res["verdict"] == "valid", res
    finally:
        db.close()
