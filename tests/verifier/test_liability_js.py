"""The browser verifier's liability module (scripts/web/src/liability.mjs, run by node) and
Python's verifier give the same verdict, failing step and (for honest bundles) the same root
and totals, on an honest round and on every attack of issue 17 part 5 that the math catches."""

from __future__ import annotations

import json
from pathlib import Path

from anchor.core.liability_proof import parse_liability_bundle
from anchor.errors import InputError, VerificationError
from anchor.verifier.liability import verify_liability_offline
from tests.core.ozjs import run_node
from tests.verifier.liability_cases import attacks, honest_round


def _python(data: bytes) -> tuple[str, str | None]:
    try:
        verify_liability_offline(parse_liability_bundle(data))
    except VerificationError as exc:
        return "invalid", exc.step
    except InputError:
        return "format", "format"
    return "valid", None


def _js(files: list[Path]) -> dict[str, dict[str, object]]:
    return {r["file"]: r for r in run_node("verify_liability_vectors.mjs", args=list(files))}


def test_python_and_the_browser_module_agree_on_honest_and_attacked_bundles(
    tmp_path: Path,
) -> None:
    bundles = honest_round(accounts=5, pad_to=16)
    cases: dict[Path, tuple[str, str | None]] = {}
    for acct, b in bundles.items():
        f = tmp_path / f"honest-{acct}.json"
        # pretty-printed differently: any formatting is accepted
        f.write_text(json.dumps(json.loads(b.dumps()), indent=5, sort_keys=True))
        cases[f] = ("valid", None)
    mine, other = bundles["acct-1"], bundles["acct-3"]
    for name, (data, verdict, step) in attacks(mine, other).items():
        f = tmp_path / f"attack-{name}.json"
        f.write_bytes(data)
        cases[f] = (verdict, step)
    js = _js(list(cases))
    assert len(js) == len(cases) == 14
    for f, expected in cases.items():
        assert _python(f.read_bytes()) == expected, f.name
        assert (js[str(f)]["verdict"], js[str(f)]["step"]) == expected, (f.name, js[str(f)])
        if expected[0] == "valid":
            b = parse_liability_bundle(f.read_bytes())
            assert js[str(f)]["root"] == "0x" + b.round_root.hex()
            assert js[str(f)]["totals"] == [str(t) for t in b.round_totals]
